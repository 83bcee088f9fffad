//! Numbers as a report prints them: one rule for decimals, intervals, p-values,
//! percentages and confidence levels, used by tables, figures, templates, the methods text,
//! the audit and the command line.

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

/// A time with its unit as a column heading names it: "1 year", "3 years", "5" (no unit).
pub fn time_point(t: f64, unit: &str) -> String {
    let unit = if t == 1.0 {
        unit.trim_end_matches('s')
    } else {
        unit
    };
    format!("{} {unit}", tick(t)).trim_end().to_string()
}

/// "(a to b)": the form that survives a minus sign, unlike "a–b".
pub fn ci(lower: Option<f64>, upper: Option<f64>, digits: usize) -> String {
    format!("({} to {})", num(lower, digits), num(upper, digits))
}

/// An estimate and its interval: "0.68 (0.54 to 0.86)".
pub fn estimate_ci(
    estimate: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    digits: usize,
) -> String {
    format!("{} {}", num(estimate, digits), ci(lower, upper, digits))
}

/// A proportion as a percentage number: 0.566 → "56.6".
pub fn percent(x: Option<f64>, digits: usize) -> String {
    num(x.map(|v| 100.0 * v), digits)
}

/// A p-value by one rule: below 0.001 as a bound, below 0.01 to three decimals, else two.
#[derive(Debug, Clone, PartialEq)]
pub enum P {
    /// No p-value (a test that could not be computed).
    None,
    /// Below the smallest value printed.
    Below(&'static str),
    Value(String),
}

impl P {
    pub fn of(p: Option<f64>) -> P {
        match p {
            Some(p) if p.is_finite() => {
                if p < 0.001 {
                    P::Below("0.001")
                } else if p < 0.01 {
                    P::Value(format!("{p:.3}"))
                } else {
                    P::Value(format!("{p:.2}"))
                }
            }
            _ => P::None,
        }
    }

    /// For a table cell or a plot: "0.003", "<0.001", "—".
    pub fn cell(&self) -> String {
        match self {
            P::None => "—".into(),
            P::Below(b) => format!("<{b}"),
            P::Value(v) => v.clone(),
        }
    }

    /// For running text: "0.003", "< 0.001".
    pub fn text(&self) -> String {
        match self {
            P::Below(b) => format!("< {b}"),
            other => other.cell(),
        }
    }

    /// After a name in a sentence or a panel: "Log-rank p = 0.003", "Log-rank p < 0.001".
    pub fn stated(&self, name: &str) -> String {
        match self {
            P::Below(b) => format!("{name} < {b}"),
            other => format!("{name} = {}", other.cell()),
        }
    }
}

/// A p-value for a table cell: "0.003", "<0.001", "—".
pub fn p_cell(p: Option<f64>) -> String {
    P::of(p).cell()
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

/// A number for an axis or a table: integers without decimals, others with up to two.
pub fn tick(x: f64) -> String {
    trimmed(x, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_p_value_rule_in_three_settings() {
        assert_eq!(p_cell(Some(0.0004)), "<0.001");
        assert_eq!(P::of(Some(0.0004)).text(), "< 0.001");
        assert_eq!(
            P::of(Some(0.0004)).stated("Log-rank p"),
            "Log-rank p < 0.001"
        );
        assert_eq!(p_cell(Some(0.0031)), "0.003");
        assert_eq!(P::of(Some(0.123)).stated("p"), "p = 0.12");
        assert_eq!(p_cell(None), "—");
    }

    #[test]
    fn levels_and_lists_read_as_prose() {
        assert_eq!(level(0.95), "95%");
        assert_eq!(level(0.9), "90%");
        assert_eq!(level(0.975), "97.5%");
        assert_eq!(level(0.901), "90.1%");
        let once = distinct(["log".to_string(), "log-log".into(), "log".into()]);
        assert_eq!(list(&once), "log and log-log");
        assert_eq!(ci(Some(0.5), None, 2), "(0.50 to –)");
    }

    #[test]
    fn a_difference_that_rounds_to_zero_has_no_sign() {
        assert_eq!(num(Some(-0.04), 1), "0.0");
        assert_eq!(num(Some(-0.05001), 1), "-0.1");
        assert_eq!(
            estimate_ci(Some(-0.01), Some(-0.3), Some(0.2), 1),
            "0.0 (-0.3 to 0.2)"
        );
    }
}
