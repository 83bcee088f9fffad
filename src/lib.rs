//! reprise regenerates a clinical study's report from its data and checks every number the
//! paper reports against what the data give.
//!
//! The stages, each a module with a typed boundary, run in one direction:
//!
//! 1. [`spec`]: `study.yaml` → a checked [`spec::Study`] (no data touched yet), its
//!    analyses planned by their kinds.
//! 2. [`data`]: the cohort file → a [`data::Cohort`] of plain columns and endpoints.
//! 3. [`stats`]: survival statistics over slices (no polars, no I/O).
//! 4. [`analysis`]: one module per analysis kind behind one registry; each runs over the
//!    cohort into its typed output.
//! 5. [`results`]: the outputs → `results.json`, and claims checked against it.
//! 6. [`present`]: labels and number formatting, for everything a reader sees.
//! 7. [`figures`] (plotters → SVG and PNG) and [`tables`]: what a paper prints.
//! 8. [`render`]: a minijinja template → typst source → PDF, compiled in-process, and
//!    through typst's HTML export an HTML file and a Word file ([`archive`] keeps zips
//!    byte-stable).
//!
//! [`report`] wires the stages together for the command line, and writes the report
//! with its manifest of hashes.

pub mod analysis;
pub mod archive;
pub mod audit;
pub mod data;
pub mod error;
pub mod extract;
pub mod figures;
pub mod hash;
pub mod init;
pub mod methods;
pub mod present;
pub mod printed;
pub mod progress;
pub mod render;
pub mod report;
pub mod results;
pub mod rng;
pub mod spec;
pub mod stats;
pub mod synth;
pub mod tables;

pub use error::{Error, Result};
/// The stages wired together, under the name the command line and older callers use.
pub use report as pipeline;
