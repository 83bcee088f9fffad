//! What printing a number to a few decimals can do to it. Every check that compares printed
//! numbers allows for exactly this much, and no more.

use crate::audit::Claim;
use crate::spec::ClaimUnit;

/// Decimal places a claim was printed with: its own `digits`, else the unit's habit.
pub(super) fn digits(c: &Claim) -> u32 {
    c.digits.unwrap_or(match c.unit {
        Some(ClaimUnit::Count) => 0,
        Some(ClaimUnit::Percent) => 1,
        Some(ClaimUnit::Proportion) => 3,
        Some(ClaimUnit::Hr) => 2,
        Some(ClaimUnit::P) => 3,
        _ => 1,
    })
}

/// `x` as it prints with `d` decimals (halves away from zero).
pub(super) fn round_to(x: f64, d: u32) -> f64 {
    let f = 10f64.powi(d as i32);
    (x * f).round() / f
}

/// Half a unit in the last printed place: the most rounding can move a number.
pub(super) fn half_ulp(d: u32) -> f64 {
    0.5 * 10f64.powi(-(d as i32))
}

/// The percentage (or proportion) scale of a claim.
pub(super) fn scale(c: &Claim) -> f64 {
    if c.unit == Some(ClaimUnit::Proportion) {
        1.0
    } else {
        100.0
    }
}
