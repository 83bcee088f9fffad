//! reprise regenerates a clinical study's report from its data and checks every number the
//! paper reports against what the data give.
//!
//! The stages, each a module with a typed boundary, run in one direction:
//!
//! 1. [`spec`]: `study.yaml` → a checked [`spec::Study`] (no data touched yet).
//! 2. [`data`]: the cohort file → a [`data::Cohort`] of plain columns and endpoints.
//! 3. [`stats`]: survival statistics over slices (no polars, no I/O).
//! 4. [`results`]: every analysis run → `results.json`, and claims checked against it.
//! 5. [`figures`] (plotters → SVG and PNG) and [`tables`]: what a paper prints.
//! 6. [`render`]: a minijinja template → typst source → PDF, compiled in-process.
//!
//! [`pipeline`] wires the stages together for the command line, and writes the report
//! with its manifest of hashes.

pub mod audit;
pub mod data;
pub mod error;
pub mod figures;
pub mod hash;
pub mod methods;
pub mod pipeline;
pub mod progress;
pub mod render;
pub mod results;
pub mod rng;
pub mod spec;
pub mod stats;
pub mod synth;
pub mod tables;

pub use error::{Error, Result};
