//! The checks, one family a file. A check looks at one claim, follows the links it names
//! (`count`, `p_of`, `same_as`, `subgroups`, `part_of`) into the study's claims, and says
//! whether it applied and what it found.

use crate::audit::Claim;

use super::{Finding, Severity};

mod hr;
pub(super) mod parts;
pub(super) mod percent;
mod same;
mod subgroups;

/// What one check made of one claim. Only checks that applied count as run.
pub(super) enum Outcome {
    NotApplicable,
    Consistent,
    Found(Finding),
}

/// A check on one claim, given every claim of the study for the links it follows.
pub(super) type Check = fn(&Claim, &[Claim]) -> Outcome;

/// The checks each claim gets, in the order their findings are listed.
pub(super) const PER_CLAIM: [Check; 7] = [
    percent::percent_vs_count,
    percent::grim,
    hr::ci_excludes_estimate,
    hr::hr_ci_symmetry,
    hr::hr_p_consistency,
    same::same_quantity_twice,
    subgroups::overall_vs_subgroups,
];

/// The claim a link names, if there is one.
fn linked<'a>(claims: &'a [Claim], id: Option<&str>) -> Option<&'a Claim> {
    let id = id?;
    claims.iter().find(|c| c.id == id)
}

/// A finding of `check` about `claims`, with the `values` its message quotes.
fn found(
    severity: Severity,
    check: &str,
    claims: Vec<String>,
    values: Vec<f64>,
    message: String,
) -> Outcome {
    Outcome::Found(Finding {
        severity,
        check: check.into(),
        claims,
        values,
        message,
    })
}
