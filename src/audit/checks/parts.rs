//! Categories of one variable against their total (`parts_vs_total`).

use crate::audit::Claim;
use crate::audit::print::{number, sum_of};

use super::{Outcome, Severity, found};

/// The claims that name `total` in `part_of`, one check per partition (`group`) of it, in
/// the order of the groups' names (no group first).
pub(in crate::audit) fn parts_vs_total(total: &Claim, claims: &[Claim]) -> Vec<Outcome> {
    let of_total = |c: &&Claim| c.part_of.as_deref() == Some(total.id.as_str());
    let mut groups: Vec<Option<&str>> = claims
        .iter()
        .filter(of_total)
        .map(|c| c.group.as_deref())
        .collect();
    groups.sort();
    groups.dedup();
    groups
        .into_iter()
        .map(|group| {
            let parts: Vec<&Claim> = claims
                .iter()
                .filter(of_total)
                .filter(|c| c.group.as_deref() == group)
                .collect();
            partition(total, &parts)
        })
        .collect()
}

/// One partition's categories summed against the total.
fn partition(total: &Claim, parts: &[&Claim]) -> Outcome {
    let sum: f64 = parts.iter().map(|p| p.reported).sum();
    let differ = (sum - total.reported).abs() > 1e-9;
    if !differ {
        return Outcome::Consistent;
    }
    found(
        Severity::Error,
        "parts_vs_total",
        std::iter::once(total.id.clone())
            .chain(parts.iter().map(|p| p.id.clone()))
            .collect(),
        vec![total.reported, sum],
        format!(
            "the categories add up to {} = {}, but the total is {}",
            sum_of(parts.iter().map(|p| p.reported)),
            number(sum),
            number(total.reported)
        ),
    )
}
