//! One quantity printed in two places with two values (`same_quantity_twice`).

use crate::audit::Claim;
use crate::audit::print::number;
use crate::audit::rounding::{digits, half_ulp};

use super::{Outcome, Severity, found, linked};

/// A claim against the one its `same_as` names.
pub(super) fn same_quantity_twice(c: &Claim, claims: &[Claim]) -> Outcome {
    let Some(other) = linked(claims, c.same_as.as_deref()) else {
        return Outcome::NotApplicable;
    };
    // Printed to the same precision, the same number prints the same; printed to
    // different precisions, the coarser one's rounding is all that may differ.
    let (a, b) = (digits(c), digits(other));
    let allowed = if a == b {
        1e-9
    } else {
        half_ulp(a.min(b)) + 1e-9
    };
    let differ = (c.reported - other.reported).abs() > allowed;
    if !differ {
        return Outcome::Consistent;
    }
    found(
        Severity::Error,
        "same_quantity_twice",
        vec![other.id.clone(), c.id.clone()],
        vec![other.reported, c.reported],
        format!(
            "the same quantity is printed as {} and as {}",
            number(other.reported),
            number(c.reported)
        ),
    )
}
