//! How the audit's messages write numbers. Every number in a message goes through one of
//! these, so the messages can move to another formatting layer in one place.

/// A reported or derived value: up to four decimals, trailing zeros dropped (`0.62`, `228`,
/// `15.493`).
pub(super) fn number(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A percentage: [`number`] followed by `%`.
pub(super) fn percent(x: f64) -> String {
    format!("{}%", number(x))
}

/// A p-value: three decimals, or scientific notation below 0.001 where three decimals
/// would print zero.
pub(super) fn p_value(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// A statistic of the audit's own arithmetic (a standard error, a z) to `places` decimals.
pub(super) fn fixed(x: f64, places: usize) -> String {
    format!("{x:.places$}")
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
