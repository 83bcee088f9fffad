//! Claims: each number the paper reports, held against the value its path names.

use serde::Serialize;

use super::Results;
use crate::error::Result;
use crate::spec::{Seg, Study};

/// A claim's outcome, as `check --json` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimResult {
    pub id: String,
    pub result: Option<String>,
    pub reported: f64,
    pub reproduced: Option<f64>,
    pub tolerance: f64,
    pub within: bool,
    #[serde(skip)]
    pub must: bool,
    /// The claim's note, for the replication table.
    #[serde(skip)]
    pub note: Option<String>,
}

/// Evaluates every claim; a path that names nothing is a spec error.
pub fn claims(study: &Study, results: &Results) -> Result<Vec<ClaimResult>> {
    study
        .spec
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let reproduced = match &c.result {
                Some(path) => results.lookup(path).map_err(|e| {
                    study
                        .error_at(
                            &[Seg::Key("claims"), Seg::Index(i), Seg::Key("result")],
                            format!("claim `{}`: {e}", c.id),
                        )
                        .caused_by(e.clone())
                })?,
                None => None,
            };
            let within = reproduced.is_some_and(|r| match c.compare {
                crate::spec::Compare::Within => {
                    (r - c.reported).abs() <= c.tolerance * (1.0 + 1e-12) + 1e-15
                }
                crate::spec::Compare::Below => r < c.reported,
                crate::spec::Compare::Above => r > c.reported,
            });
            Ok(ClaimResult {
                id: c.id.clone(),
                result: c.result.clone(),
                reported: c.reported,
                reproduced,
                tolerance: c.tolerance,
                within,
                // A number the data cannot reproduce cannot fail the check.
                must: c.must && c.result.is_some(),
                note: c.note.clone(),
            })
        })
        .collect()
}
