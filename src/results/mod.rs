//! `results.json`: every analysis's typed output under its id, and the claims checked
//! against it.
//!
//! Each analysis takes the complete cases of the columns it uses and reports how many rows
//! it dropped. A value that does not exist is `null`; a warning (non-convergence, an
//! infinite coefficient) is kept in the result and shown on the terminal.

mod claims;
mod expr;
mod lookup;

pub use claims::{ClaimResult, NOT_COMPUTED, Part, PartResult, claims};
pub use expr::Expr;
pub use lookup::{NotFound, element_name, lookup};

use indexmap::IndexMap;
use serde::Serialize;

use crate::analysis::Outcome;

/// `results.json`.
#[derive(Debug, Serialize)]
pub struct Results {
    pub reprise: Meta,
    pub analyses: IndexMap<String, Outcome>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub version: String,
    pub build_id: String,
    /// sha256 of each input file, so a changed build id can say what changed.
    pub inputs: IndexMap<String, String>,
}

/// A warning about one analysis, for the terminal.
#[derive(Debug, Clone)]
pub struct Warning {
    pub analysis: String,
    pub message: String,
}

impl Results {
    /// The value a path names, by the rules of [`lookup`].
    pub fn lookup(&self, path: &str) -> std::result::Result<Option<f64>, NotFound> {
        lookup(|id| self.analyses.get(id).map(|o| &o.json), path)
    }
}
