//! Numbers and lists as plain text, for the terminal, the audit's arithmetic and the
//! prose the house style does not govern (confidence levels, lists). Everything a report
//! prints as a result goes through [`super::Style`] instead.

/// What prints where a value does not exist (a median not reached, an undefined limit).
pub const MISSING: &str = "–";

/// A number with `digits` decimals; [`MISSING`] for a value that does not exist. A
/// small negative number that rounds to zero prints as zero, not "-0.0".
pub fn num(x: Option<f64>, digits: usize) -> String {
    match x {
        Some(v) if v.is_finite() => {
            let s = format!("{v:.digits$}");
            if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
                s[1..].to_string()
            } else {
                s
            }
        }
        _ => MISSING.into(),
    }
}

/// A proportion as a percentage number: 0.566 → "56.6".
pub fn percent(x: Option<f64>, digits: usize) -> String {
    num(x.map(|v| 100.0 * v), digits)
}

/// A confidence level as a percentage: 0.95 → "95%", 0.975 → "97.5%".
pub fn level(level: f64) -> String {
    format!("{}%", trimmed(level * 100.0, 3))
}

/// "a", "a and b", "a, b and c".
pub fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// The items in first-seen order with repeats removed, so that a list of what several
/// analyses used names each thing once.
pub fn distinct(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// A value as short as it prints with at most `max` decimals: `0.62`, `228`, `15.493`.
pub fn trimmed(x: f64, max: usize) -> String {
    let s = format!("{x:.max$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A number to exactly `places` decimals, for arithmetic shown as it was done.
pub fn fixed(x: f64, places: usize) -> String {
    format!("{x:.places$}")
}

/// A computed p-value shown to its precision, for arithmetic rather than a report: three
/// decimals, or scientific notation below 0.001 where three decimals would print zero.
pub fn p_precise(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_lists_read_as_prose() {
        assert_eq!(level(0.95), "95%");
        assert_eq!(level(0.9), "90%");
        assert_eq!(level(0.975), "97.5%");
        assert_eq!(level(0.901), "90.1%");
        let once = distinct(["log".to_string(), "log-log".into(), "log".into()]);
        assert_eq!(list(&once), "log and log-log");
    }

    #[test]
    fn a_difference_that_rounds_to_zero_has_no_sign() {
        assert_eq!(num(Some(-0.04), 1), "0.0");
        assert_eq!(num(Some(-0.05001), 1), "-0.1");
    }
}
