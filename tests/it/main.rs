//! Integration tests: the real `reprise` binary on real study files. One test binary, so
//! it links once.

mod authoring;
mod bad_input;
mod claims;
mod counts;
mod database;
mod extract;
mod fixtures;
mod formats;
mod manuscripts;
mod progress;
mod properties;
mod report;
mod small_tests;
mod synth;
mod util;
