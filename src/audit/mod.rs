//! `reprise audit`: the reported numbers checked against each other, with no data at all.
//!
//! A paper's numbers constrain one another: a count and its percentage fix the denominator,
//! categories add up to their total, a hazard ratio's confidence interval implies its
//! p-value, a rate quoted twice should be the same rate. Each check here states its
//! arithmetic, so a reader can redo it, and allows for the rounding of printed numbers:
//! a finding is an error only when no rounding could explain it.
//!
//! The checks live in `checks`, one family a file; `rounding` holds what printing to a
//! number of decimals can and cannot do, and `print` how the messages write numbers.

use serde::Serialize;

use crate::spec::Claim;

mod checks;
mod print;
mod rounding;

use checks::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    /// As `--json` and the terminal print it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: String,
    pub claims: Vec<String>,
    pub values: Vec<f64>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub findings: Vec<Finding>,
    pub checks_run: usize,
}

/// Every check on every claim it applies to. Findings come claim by claim, in the order of
/// `checks::PER_CLAIM`, then the categories against their totals.
pub fn audit(claims: &[Claim]) -> Audit {
    let per_claim = claims
        .iter()
        .flat_map(|c| checks::PER_CLAIM.iter().map(move |check| check(c, claims)));
    let partitions = claims
        .iter()
        .flat_map(|total| checks::parts::parts_vs_total(total, claims));

    let mut audit = Audit {
        findings: Vec::new(),
        checks_run: 0,
    };
    for outcome in per_claim.chain(partitions) {
        match outcome {
            Outcome::NotApplicable => {}
            Outcome::Consistent => audit.checks_run += 1,
            Outcome::Found(f) => {
                audit.checks_run += 1;
                audit.findings.push(f);
            }
        }
    }
    audit
}

#[cfg(test)]
mod tests;
