//! How the audit's messages write numbers, in the words of the shared formatting layer.

use crate::present::format;

/// A reported or derived value: up to four decimals, trailing zeros dropped (`0.62`, `228`,
/// `15.493`).
pub(super) fn number(x: f64) -> String {
    format::trimmed(x, 4)
}

/// A percentage: [`number`] followed by `%`.
pub(super) fn percent(x: f64) -> String {
    format!("{}%", number(x))
}

/// A p-value: three decimals, or scientific notation below 0.001 where three decimals
/// would print zero.
pub(super) fn p_value(p: f64) -> String {
    format::p_precise(p)
}

/// A statistic of the audit's own arithmetic (a standard error, a z) to `places` decimals.
pub(super) fn fixed(x: f64, places: usize) -> String {
    format::fixed(x, places)
}

/// A whole number of patients the audit computed by rounding, in its shortest form (`20`).
pub(super) fn patients(k: f64) -> String {
    format!("{k}")
}

/// Candidate denominators as alternatives: `228 or 229 or 230`.
pub(super) fn alternatives(denominators: &[i64]) -> String {
    denominators
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Summands as an addition: `100 + 120`.
pub(super) fn sum_of(values: impl IntoIterator<Item = f64>) -> String {
    values
        .into_iter()
        .map(number)
        .collect::<Vec<_>>()
        .join(" + ")
}
