//! An overall rate against the rates of the subgroups it is made of: outside their range
//! (`overall_outside_subgroups`), or far from their size-weighted mean
//! (`overall_vs_subgroups`).

use crate::audit::Claim;
use crate::audit::print::number;
use crate::audit::rounding::scale;

use super::{Outcome, Severity, found, linked};

/// A claim with `subgroups` against its subgroups' claims, weighted by their sizes. One
/// check: the range is tested first, and the weighted mean only when the overall value
/// lies within it.
pub(super) fn overall_vs_subgroups(c: &Claim, claims: &[Claim]) -> Outcome {
    if c.subgroups.is_empty() {
        return Outcome::NotApplicable;
    }
    let parts: Vec<(f64, f64)> = c
        .subgroups
        .iter()
        .filter_map(|s| linked(claims, Some(&s.claim)).map(|p| (p.reported, s.n)))
        .collect();
    if parts.len() != c.subgroups.len() {
        return Outcome::NotApplicable;
    }
    let n: f64 = parts.iter().map(|p| p.1).sum();
    let mixed: f64 = parts.iter().map(|(r, w)| r * w).sum::<f64>() / n;
    let lo = parts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let hi = parts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
    let ids = || {
        std::iter::once(c.id.clone())
            .chain(c.subgroups.iter().map(|s| s.claim.clone()))
            .collect()
    };
    if c.reported < lo - 1e-9 || c.reported > hi + 1e-9 {
        found(
            Severity::Error,
            "overall_outside_subgroups",
            ids(),
            vec![c.reported, lo, hi],
            format!(
                "the overall value {} lies outside its subgroups' range ({} to {})",
                number(c.reported),
                number(lo),
                number(hi)
            ),
        )
    } else if (mixed - c.reported).abs() > 0.02 * scale(c) {
        found(
            Severity::Note,
            "overall_vs_subgroups",
            ids(),
            vec![c.reported, mixed],
            format!(
                "the subgroups weighted by size give {}; printed {} (survival rates mix only approximately)",
                number(mixed),
                number(c.reported)
            ),
        )
    } else {
        Outcome::Consistent
    }
}
