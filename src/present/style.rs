//! House styles: how a journal prints a p-value, an interval, a percentage and a large
//! number. One [`Style`] is chosen per study (`report.style`) and every number a report
//! prints (tables, figures, the methods and results text, template filters) goes through
//! it, so a study moves from one journal to another by one key.
//!
//! The rules and where they come from:
//!
//! - **nejm** (the default), NEJM's statistical reporting guidelines for authors: "P values
//!   larger than 0.01 should be reported to two decimal places, those between 0.01 and
//!   0.001 to three decimal places; P values smaller than 0.001 should be reported as
//!   P<0.001"; intervals "0.54 to 0.86"; percentages to one decimal; a comma between
//!   thousands.
//! - **lancet**, The Lancet's formatting guidelines for authors: the decimal point is a
//!   mid-line dot ("0·54"); lower-case p, "p<0·0001" as the smallest value, otherwise two
//!   significant figures; intervals with an en dash ("0·54–0·86"); numbers of five or
//!   more digits grouped by a thin space ("12 345"), four-digit numbers closed up.
//! - **jama**, JAMA Network's instructions for authors (the AMA Manual of Style applied):
//!   no zero before the decimal point of a P value, which cannot exceed 1 ("P = .003"),
//!   two decimals, three below .01, "P < .001" and "P > .99" at the ends; intervals
//!   "0.54-0.86"; percentages to one decimal.
//! - **ama**, the AMA Manual of Style, 11th edition, §19.5 and §20.8: the P-value rule of
//!   jama, intervals written with "to" ("0.54 to 0.86") as the Manual's examples for
//!   readers outside JAMA's typesetting, percentages as whole numbers in tables.
//! - **bmj**, The BMJ's house style for authors: capital P, "P<0.001" as the smallest
//!   value, otherwise two significant figures ("P=0.047", "P=0.0031"); intervals "0.54 to
//!   0.86"; numbers of five or more digits grouped by a thin space.
//!
//! Whatever the style, an interval whose bounds include a negative number is written with
//! "to" (a dash beside a minus sign misreads), and a value that does not exist prints as
//! [`MISSING`](super::format::MISSING).

use serde::{Deserialize, Serialize};

use super::format::MISSING;

/// What joins an interval's bounds when a study overrides its style's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CiSeparator {
    /// "0.54 to 0.86" (NEJM, BMJ).
    To,
    /// "0.54–0.86" (The Lancet).
    Dash,
    /// "0.54-0.86" (JAMA, AMA).
    Hyphen,
    /// "0.54, 0.86" (gtsummary's default).
    Comma,
}

/// The house styles a study can name in `report.style`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema, Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum StyleName {
    /// NEJM: "P=0.04", "0.54 to 0.86", "1,387" (the default).
    #[default]
    Nejm,
    /// The Lancet: "p=0·047", "0·54–0·86", a mid-line decimal point.
    Lancet,
    /// JAMA: "P = .04", "0.54-0.86".
    Jama,
    /// The AMA Manual: as `jama`, with intervals "0.54 to 0.86" and whole percentages.
    Ama,
    /// The BMJ: "P=0.047", "0.54 to 0.86", whole percentages from 10%.
    Bmj,
}

impl StyleName {
    pub const ALL: [StyleName; 5] = [
        StyleName::Nejm,
        StyleName::Lancet,
        StyleName::Jama,
        StyleName::Ama,
        StyleName::Bmj,
    ];

    pub fn name(self) -> &'static str {
        match self {
            StyleName::Nejm => "nejm",
            StyleName::Lancet => "lancet",
            StyleName::Jama => "jama",
            StyleName::Ama => "ama",
            StyleName::Bmj => "bmj",
        }
    }
}

/// How many digits a p-value keeps above its floor.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PDigits {
    /// Two decimals, three below 0.01 and near 0.05 (NEJM, JAMA, AMA).
    TwoOrThree,
    /// Two significant figures (Lancet, BMJ).
    TwoSignificant,
}

/// Where digits group: from four digits ("1,387"), or from five ("12 345", with a
/// four-digit number closed up).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Grouping {
    FromFour(char),
    FromFive(char),
}

/// A house style's rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub name: StyleName,
    /// "P" or "p".
    pub p_letter: &'static str,
    p_digits: PDigits,
    /// The smallest p-value printed as a number; below it, "<floor".
    p_floor: f64,
    /// A p-value above this prints as ">ceiling" (AMA's ".99").
    p_ceiling: Option<f64>,
    /// Whether a p-value keeps its zero before the decimal point.
    p_leading_zero: bool,
    /// Spaces around "=" and "<" in "P = .003".
    p_spaced: bool,
    decimal: char,
    grouping: Grouping,
    /// Between the bounds of an interval.
    ci_sep: &'static str,
    /// Decimals of a percentage.
    percent_digits: PercentDigits,
    /// Whether a table's "n (%)" cell carries the % sign ("52 (23%)", The Lancet) or
    /// leaves it to the row's label ("52 (23)").
    percent_sign: bool,
}

/// How many decimals a percentage keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PercentDigits {
    Fixed(usize),
    /// Whole numbers from 10%, one decimal below (T J Cole, "Too many digits", 2015;
    /// gtsummary's `style_percent`).
    Cole,
}

const THIN: char = '\u{2009}';

impl Style {
    /// The style with another separator between an interval's bounds.
    pub fn with_ci_separator(self, sep: CiSeparator) -> Style {
        Style {
            ci_sep: match sep {
                CiSeparator::To => " to ",
                CiSeparator::Dash => "–",
                CiSeparator::Hyphen => "-",
                CiSeparator::Comma => ", ",
            },
            ..self
        }
    }

    pub fn of(name: StyleName) -> Style {
        let nejm = Style {
            name,
            p_letter: "P",
            p_digits: PDigits::TwoOrThree,
            p_floor: 0.001,
            p_ceiling: None,
            p_leading_zero: true,
            p_spaced: false,
            decimal: '.',
            grouping: Grouping::FromFour(','),
            ci_sep: " to ",
            percent_digits: PercentDigits::Fixed(1),
            percent_sign: false,
        };
        match name {
            StyleName::Nejm => nejm,
            StyleName::Lancet => Style {
                p_letter: "p",
                p_digits: PDigits::TwoSignificant,
                p_floor: 0.0001,
                decimal: '·',
                grouping: Grouping::FromFive(THIN),
                ci_sep: "–",
                percent_sign: true,
                ..nejm
            },
            StyleName::Jama => Style {
                p_ceiling: Some(0.99),
                p_leading_zero: false,
                p_spaced: true,
                ci_sep: "-",
                grouping: Grouping::FromFive(THIN),
                ..nejm
            },
            StyleName::Ama => Style {
                p_ceiling: Some(0.99),
                p_leading_zero: false,
                p_spaced: true,
                grouping: Grouping::FromFive(THIN),
                percent_digits: PercentDigits::Fixed(0),
                ..nejm
            },
            StyleName::Bmj => Style {
                p_digits: PDigits::TwoSignificant,
                grouping: Grouping::FromFive(THIN),
                percent_digits: PercentDigits::Cole,
                ..nejm
            },
        }
    }

    /// A number with `digits` decimals in this style's marks; [`MISSING`] for a value
    /// that does not exist. A small negative number that rounds to zero prints as zero.
    pub fn num(&self, x: Option<f64>, digits: usize) -> String {
        match x {
            Some(v) if v.is_finite() => self.marks(&super::format::num(x, digits)),
            _ => MISSING.into(),
        }
    }

    /// A count: "1,387", "12 345".
    pub fn count(&self, n: impl Into<u64>) -> String {
        self.marks(&n.into().to_string())
    }

    /// A number as short as it prints with at most `max` decimals, in this style's marks.
    pub fn trimmed(&self, x: f64, max: usize) -> String {
        self.marks(&super::format::trimmed(x, max))
    }

    /// A time with its unit as a column heading names it: "1 year", "3 years", "1,000
    /// days", "5" (no unit).
    pub fn time_point(&self, t: f64, unit: &str) -> String {
        let unit = if t == 1.0 {
            unit.trim_end_matches('s')
        } else {
            unit
        };
        format!("{} {unit}", self.trimmed(t, 2))
            .trim_end()
            .to_string()
    }

    /// A proportion (0–1) as a percentage number, to the style's decimals: 0.4655 → "46.6".
    pub fn percent(&self, x: Option<f64>) -> String {
        self.pct(x.map(|v| 100.0 * v))
    }

    /// The decimals of a percentage `x` (on the 0–100 scale).
    pub fn percent_digits(&self, x: f64) -> usize {
        match self.percent_digits {
            PercentDigits::Fixed(d) => d,
            PercentDigits::Cole if x.abs() >= 10.0 - 0.05 => 0,
            PercentDigits::Cole => 1,
        }
    }

    /// A percentage already on the 0–100 scale, to the style's decimals.
    pub fn pct(&self, x: Option<f64>) -> String {
        self.num(x, x.map_or(1, |v| self.percent_digits(v)))
    }

    /// "n (p%)" as running text prints a count of patients: "1,387 (46.5%)".
    pub fn n_percent(&self, n: u64, pct: Option<f64>) -> String {
        match pct {
            Some(_) => format!("{} ({}%)", self.count(n), self.pct(pct)),
            None => self.count(n),
        }
    }

    /// "n (p)" as a table's cell prints it under a row labelled "n (%)": "1,387 (46.5)",
    /// or with the sign where the style keeps it ("52 (23%)").
    pub fn table_n_percent(&self, n: u64, pct: Option<f64>) -> String {
        match pct {
            Some(_) if self.percent_sign => self.n_percent(n, pct),
            Some(_) => format!("{} ({})", self.count(n), self.pct(pct)),
            None => self.count(n),
        }
    }

    /// The two ends of a range or an interquartile range: "18–81", "-3 to 5".
    pub fn range(&self, lower: &str, upper: &str) -> String {
        Style {
            ci_sep: "–",
            ..*self
        }
        .bounds(lower, upper)
    }

    /// The bounds of an interval: "0.54 to 0.86", "0·54–0·86", "0.54-0.86"; "to"
    /// whenever a bound is negative.
    pub fn bounds(&self, lower: &str, upper: &str) -> String {
        let dashlike = |b: &str| b.starts_with('-') || b == MISSING;
        let sep = if self.ci_sep != ", " && (dashlike(lower) || dashlike(upper)) {
            " to "
        } else {
            self.ci_sep
        };
        format!("{lower}{sep}{upper}")
    }

    /// "(0.54 to 0.86)".
    pub fn ci(&self, lower: Option<f64>, upper: Option<f64>, digits: usize) -> String {
        format!(
            "({})",
            self.bounds(&self.num(lower, digits), &self.num(upper, digits))
        )
    }

    /// An estimate and its interval with fixed decimals: "12.4 (10.1 to 15.0)".
    pub fn estimate_ci(
        &self,
        estimate: Option<f64>,
        lower: Option<f64>,
        upper: Option<f64>,
        digits: usize,
    ) -> String {
        format!(
            "{} {}",
            self.num(estimate, digits),
            self.ci(lower, upper, digits)
        )
    }

    /// A time and its interval (a median survival, a follow-up): integers when every value
    /// is whole ("2,583 (2,297 to 4,079)" days), else `digits` decimals throughout.
    pub fn time_ci(
        &self,
        estimate: Option<f64>,
        lower: Option<f64>,
        upper: Option<f64>,
        digits: usize,
    ) -> String {
        let d = time_digits(&[estimate, lower, upper], digits);
        self.estimate_ci(estimate, lower, upper, d)
    }

    /// A ratio (HR, OR) and its interval: two decimals (one from 100 up), or as many more
    /// as it takes for the estimate and the bounds to differ in print, so that "1.00 (1.00
    /// to 1.00)" becomes "1.003 (1.001 to 1.005)"; up to six.
    pub fn ratio_ci(
        &self,
        estimate: Option<f64>,
        lower: Option<f64>,
        upper: Option<f64>,
    ) -> String {
        let d = ratio_digits(estimate, lower, upper);
        // Below 0.1 a value keeps two significant figures of its own: "0.0040 (0.00010 to
        // 0.20)", not "0.004 (0.000 to 0.200)".
        let n = |x: Option<f64>| self.num(x, x.map_or(d, |v| d.max(significant(v))));
        format!("{} ({})", n(estimate), self.bounds(&n(lower), &n(upper)))
    }

    /// A p-value by the style's rule.
    pub fn p(&self, p: Option<f64>) -> P {
        let Some(p) = p.filter(|p| p.is_finite()) else {
            return P::None;
        };
        if p < self.p_floor {
            let d = (-self.p_floor.log10()).round() as usize;
            return P::Below(self.p_number(self.p_floor, d));
        }
        if let Some(c) = self.p_ceiling
            && p > c
        {
            return P::Above(self.p_number(c, 2));
        }
        let digits = match self.p_digits {
            PDigits::TwoOrThree => {
                // 0.0095 would print as "0.010" at three decimals: one band up. Near the
                // 0.05 threshold two decimals hide which side a value lies on (0.047 and
                // 0.052 both print "0.05"): three there, as the AMA Manual (§19.5) allows
                // for P values near .05.
                let near_05 = (0.045..0.055).contains(&p);
                if (p < 0.01 && (p * 1000.0).round() < 10.0) || near_05 {
                    3
                } else {
                    2
                }
            }
            PDigits::TwoSignificant => {
                // Two significant figures, but never more than four decimals (The Lancet).
                let d = ((-p.log10()).floor() as i32 + 2).clamp(2, 4);
                // 0.0996 rounds up to 0.100: two significant figures of it are "0.10".
                let rounded = (p * 10f64.powi(d)).round() / 10f64.powi(d);
                if d > 2 && rounded >= 10f64.powi(2 - d) {
                    d as usize - 1
                } else {
                    d as usize
                }
            }
        };
        // A p-value that rounds to 1 prints as 1.00, which is what R's format gives.
        P::Value(self.p_number(p, digits))
    }

    fn p_number(&self, p: f64, digits: usize) -> String {
        let s = format!("{p:.digits$}");
        let s = if self.p_leading_zero {
            s
        } else {
            s.strip_prefix('0').map(str::to_string).unwrap_or(s)
        };
        s.replace('.', &self.decimal.to_string())
    }

    /// A p-value for a table cell: "0.003", "<0.001", "—".
    pub fn p_cell(&self, p: Option<f64>) -> String {
        match self.p(p) {
            P::None => "—".into(),
            P::Below(b) => format!("<{b}"),
            P::Above(b) => format!(">{b}"),
            P::Value(v) => v,
        }
    }

    /// A p-value after its letter, as running text and figures print it: "P=0.003",
    /// "P < .001", "p<0·0001".
    pub fn p_stated(&self, p: Option<f64>) -> String {
        self.stated(self.p_letter, p)
    }

    /// A p-value after a name: "log-rank P=0.003"; `name` is printed before the letter.
    pub fn named_p(&self, name: &str, p: Option<f64>) -> String {
        format!("{name} {}", self.p_stated(p))
    }

    fn stated(&self, letter: &str, p: Option<f64>) -> String {
        let (op, v) = match self.p(p) {
            P::None => return format!("{letter} not computed"),
            P::Below(b) => ("<", b),
            P::Above(b) => (">", b),
            P::Value(v) => ("=", v),
        };
        if self.p_spaced {
            format!("{letter} {op} {v}")
        } else {
            format!("{letter}{op}{v}")
        }
    }

    /// A table's p-value column heading.
    pub fn p_header(&self) -> String {
        format!("{} value", self.p_letter)
    }

    /// Digits of a large number's integer part grouped and the decimal mark the style's.
    fn marks(&self, s: &str) -> String {
        let (sign, rest) = match s.strip_prefix('-') {
            Some(r) => ("-", r),
            None => ("", s),
        };
        let (int, frac) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        let (sep, from) = match self.grouping {
            Grouping::FromFour(c) => (c, 4),
            Grouping::FromFive(c) => (c, 5),
        };
        let int = if int.len() >= from && int.chars().all(|c| c.is_ascii_digit()) {
            let mut out = String::new();
            for (i, c) in int.chars().enumerate() {
                if i > 0 && (int.len() - i) % 3 == 0 {
                    out.push(sep);
                }
                out.push(c);
            }
            out
        } else {
            int.to_string()
        };
        match frac {
            Some(f) => format!("{sign}{int}{}{f}", self.decimal),
            None => format!("{sign}{int}"),
        }
    }
}

impl Default for Style {
    fn default() -> Style {
        Style::of(StyleName::default())
    }
}

/// Decimals for times printed together: none when every one is whole (days), else
/// `digits`.
pub fn time_digits(values: &[Option<f64>], digits: usize) -> usize {
    if values.iter().flatten().all(|v| v.fract() == 0.0) {
        0
    } else {
        digits
    }
}

/// Decimals that give a positive value below 1 two significant figures (capped at six).
fn significant(v: f64) -> usize {
    if v.is_finite() && v > 0.0 && v < 1.0 {
        (((-v.log10() - 1e-9).ceil() as i32) + 1).clamp(2, 6) as usize
    } else {
        0
    }
}

/// Decimals for a ratio and its interval: two, or more until the estimate and both bounds
/// differ in print.
fn ratio_digits(estimate: Option<f64>, lower: Option<f64>, upper: Option<f64>) -> usize {
    let big = estimate.is_some_and(|e| e.abs() >= 100.0);
    let base = if big { 1 } else { 2 };
    let values: Vec<f64> = [estimate, lower, upper]
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    let distinct = |d: usize| {
        let printed: Vec<String> = values
            .iter()
            .map(|v| {
                let d = d.max(significant(*v));
                format!("{v:.d$}")
            })
            .collect();
        (1..printed.len()).all(|i| !printed[..i].contains(&printed[i]))
    };
    // Values that are equal stay equal at any precision: no point in more digits.
    let mut exact = values.clone();
    exact.sort_by(f64::total_cmp);
    exact.dedup();
    if exact.len() < values.len() {
        return base;
    }
    (base..=6).find(|&d| distinct(d)).unwrap_or(6)
}

/// A p-value as a style prints it.
#[derive(Debug, Clone, PartialEq)]
pub enum P {
    /// No p-value (a test that could not be computed).
    None,
    /// Below the smallest value printed.
    Below(String),
    /// Above the largest value printed (AMA's ".99").
    Above(String),
    Value(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(name: StyleName) -> Style {
        Style::of(name)
    }

    #[test]
    fn nejm_prints_two_decimals_three_below_a_hundredth_and_a_floor_of_a_thousandth() {
        let s = style(StyleName::Nejm);
        assert_eq!(s.p_cell(Some(0.047)), "0.047");
        assert_eq!(s.p_cell(Some(0.052)), "0.052");
        assert_eq!(s.p_cell(Some(0.063)), "0.06");
        assert_eq!(s.p_cell(Some(0.0031)), "0.003");
        assert_eq!(s.p_cell(Some(0.0004)), "<0.001");
        assert_eq!(s.p_stated(Some(0.0004)), "P<0.001");
        assert_eq!(s.p_stated(Some(0.12)), "P=0.12");
        assert_eq!(
            s.ratio_ci(Some(0.68), Some(0.54), Some(0.86)),
            "0.68 (0.54 to 0.86)"
        );
        assert_eq!(s.n_percent(1387, Some(46.54)), "1,387 (46.5%)");
        assert_eq!(
            s.time_ci(Some(2583.0), Some(2297.0), Some(4079.0), 1),
            "2,583 (2,297 to 4,079)"
        );
        assert_eq!(s.p_header(), "P value");
    }

    #[test]
    fn lancet_uses_the_mid_line_point_a_lower_case_p_and_en_dashes() {
        let s = style(StyleName::Lancet);
        assert_eq!(s.p_cell(Some(0.00004)), "<0·0001");
        assert_eq!(s.p_stated(Some(0.00004)), "p<0·0001");
        assert_eq!(s.p_cell(Some(0.047)), "0·047");
        assert_eq!(s.p_cell(Some(0.0031)), "0·0031");
        assert_eq!(s.p_cell(Some(0.43)), "0·43");
        assert_eq!(s.p_cell(Some(0.00034)), "0·0003");
        assert_eq!(
            s.ratio_ci(Some(0.68), Some(0.54), Some(0.86)),
            "0·68 (0·54–0·86)"
        );
        assert_eq!(s.count(1387u64), "1387");
        assert_eq!(s.count(12345u64), "12\u{2009}345");
        assert_eq!(s.p_header(), "p value");
    }

    #[test]
    fn jama_drops_the_zero_of_a_p_value_and_spaces_its_sign() {
        let s = style(StyleName::Jama);
        assert_eq!(s.p_stated(Some(0.0031)), "P = .003");
        assert_eq!(s.p_stated(Some(0.0004)), "P < .001");
        assert_eq!(s.p_cell(Some(0.995)), ">.99");
        assert_eq!(s.p_cell(Some(0.047)), ".047");
        assert_eq!(s.p_cell(Some(0.12)), ".12");
        assert_eq!(s.ci(Some(0.5), None, 2), "(0.50 to –)");
        assert_eq!(
            s.ratio_ci(Some(0.68), Some(0.54), Some(0.86)),
            "0.68 (0.54-0.86)"
        );
        assert_eq!(s.percent(Some(0.4655)), "46.6");
    }

    #[test]
    fn ama_writes_intervals_with_to_and_whole_percentages() {
        let s = style(StyleName::Ama);
        assert_eq!(s.p_stated(Some(0.0031)), "P = .003");
        assert_eq!(
            s.ratio_ci(Some(0.68), Some(0.54), Some(0.86)),
            "0.68 (0.54 to 0.86)"
        );
        assert_eq!(s.n_percent(1387, Some(46.54)), "1387 (47%)");
        assert_eq!(s.count(12345u64), "12\u{2009}345");
    }

    #[test]
    fn bmj_keeps_two_significant_figures_of_a_p_value() {
        let s = style(StyleName::Bmj);
        assert_eq!(s.p_stated(Some(0.047)), "P=0.047");
        assert_eq!(s.p_stated(Some(0.0031)), "P=0.0031");
        assert_eq!(s.p_stated(Some(0.0004)), "P<0.001");
        assert_eq!(s.p_cell(Some(0.0996)), "0.10");
        assert_eq!(s.count(12345u64), "12\u{2009}345");
    }

    #[test]
    fn a_study_may_join_interval_bounds_with_a_comma_as_gtsummary_does() {
        let s = style(StyleName::Nejm).with_ci_separator(CiSeparator::Comma);
        assert_eq!(
            s.ratio_ci(Some(0.7), Some(0.54), Some(0.86)),
            "0.70 (0.54, 0.86)"
        );
        // a negative bound needs no "to" beside a comma
        assert_eq!(s.ci(Some(-0.5), Some(0.25), 2), "(-0.50, 0.25)");
        let lancet = style(StyleName::Lancet).with_ci_separator(CiSeparator::To);
        assert_eq!(lancet.ci(Some(0.54), Some(0.86), 2), "(0·54 to 0·86)");
    }

    #[test]
    fn an_interval_never_collapses_in_print() {
        let s = Style::default();
        assert_eq!(
            s.ratio_ci(Some(1.0032), Some(1.0011), Some(1.0053)),
            "1.003 (1.001 to 1.005)"
        );
        assert_eq!(
            s.ratio_ci(Some(1.00004), Some(1.00001), Some(1.00007)),
            "1.00004 (1.00001 to 1.00007)"
        );
        assert_eq!(s.ratio_ci(Some(2.5), None, None), "2.50 (– to –)");
        assert_eq!(
            s.ratio_ci(Some(0.004), Some(0.0001), Some(0.2)),
            "0.0040 (0.00010 to 0.20)"
        );
        // A negative bound is written with "to" in any style.
        let lancet = style(StyleName::Lancet);
        assert_eq!(
            lancet.estimate_ci(Some(-0.1), Some(-0.3), Some(0.2), 1),
            "-0·1 (-0·3 to 0·2)"
        );
    }
}
