//! Statistics as papers print them: `1,387 (47%)`, `0.59 (0.42 to 0.82)`,
//! `HR 0.59, 95% CI 0.42–0.82, P = 0.001`, `p < 0.001`, `54.5 ± 16.3`.
//!
//! A claim's `reported:` may be written this way, and `extract` reads a paper with the same
//! grammar, so what a paper prints and what a study claims are parsed by one set of rules.
//! Every number keeps the decimals it was printed with: they say how far rounding can have
//! moved it, which is the tolerance a claim gets unless it names one.

use serde::Serialize;

pub mod lex;
pub mod parse;

pub use lex::{Decimal, Tok, Token, lex};
pub use parse::{Parsed, parse_at, parse_claim};

/// A number as printed: its value and how many decimals it was printed with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num {
    pub value: f64,
    pub decimals: u32,
}

impl Num {
    /// Half a unit in the last printed place: the most rounding can have moved it.
    pub fn half_unit(&self) -> f64 {
        0.5 * 10f64.powi(-(self.decimals as i32))
    }

    pub fn is_whole(&self) -> bool {
        self.decimals == 0 && self.value.fract() == 0.0
    }
}

impl Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.value)
    }
}

/// What a printed statistic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Count,
    Percent,
    CountPercent,
    Hr,
    Or,
    Rr,
    Rate,
    Median,
    Mean,
    P,
    Other,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Count => "count",
            Kind::Percent => "percent",
            Kind::CountPercent => "count_percent",
            Kind::Hr => "hr",
            Kind::Or => "or",
            Kind::Rr => "rr",
            Kind::Rate => "rate",
            Kind::Median => "median",
            Kind::Mean => "mean",
            Kind::P => "p",
            Kind::Other => "other",
        }
    }

    pub fn is_ratio(self) -> bool {
        matches!(self, Kind::Hr | Kind::Or | Kind::Rr)
    }
}

/// How a p-value was compared: `P = 0.004`, `P < 0.001`, `P > 0.05`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Lt,
    Gt,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Lt => "<",
            Op::Gt => ">",
        }
    }
}

impl Serialize for Op {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PValue {
    pub op: Op,
    pub value: Num,
}

/// What the two numbers after an estimate are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    /// A confidence (or credible) interval.
    Ci,
    /// The smallest and largest value.
    Range,
    /// The first and third quartiles.
    Iqr,
    /// Two numbers in brackets, unlabelled: a CI for a ratio, a range or IQR for a median.
    Unlabelled,
}

/// One printed statistic, parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistic {
    pub kind: Kind,
    /// The estimate: the count of a `count_percent`, the p of a `p`.
    pub value: Num,
    pub lower: Option<Num>,
    pub upper: Option<Num>,
    pub interval: Option<Interval>,
    pub p: Option<PValue>,
    pub count: Option<Num>,
    pub percent: Option<Num>,
    pub denominator: Option<Num>,
    pub sd: Option<Num>,
    pub conf_level: Option<f64>,
    /// Whether the estimate and its limits are percentages (`56.6% (50.2 to 63.9%)`).
    pub in_percent: bool,
    /// A rate's base: 1000 in "61 per 1000 pregnancies".
    pub per: Option<Num>,
}

impl Statistic {
    /// A statistic of `kind` with only its estimate.
    pub fn new(kind: Kind, value: Num) -> Statistic {
        Statistic {
            kind,
            value,
            lower: None,
            upper: None,
            interval: None,
            p: None,
            count: None,
            percent: None,
            denominator: None,
            sd: None,
            conf_level: None,
            in_percent: false,
            per: None,
        }
    }
}
