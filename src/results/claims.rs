//! Claims: each number the paper reports, held against the value its path names.
//!
//! A claim printed as text (`"0.59 (0.42 to 0.82), P = 0.001"`) has several parts, and
//! each is checked: the estimate against `result`, the limits against the results beside
//! it (`lower`/`upper`, or `min`/`max` for a range, `q1`/`q3` for an IQR), the p against
//! `p`, a count's percentage against `pct`. A part printed as a percentage is compared with
//! a proportion times 100. Unless the claim names a tolerance, each part may be off by half
//! a unit of its last printed digit, which is all that rounding can do.

use serde::Serialize;

use super::{Expr, NotFound, Results};
use crate::error::Result;
use crate::printed::{Interval, Kind, Num, Op};
use crate::spec::{Claim, ClaimUnit, Compare, IntervalOf, Reported, Seg, Study};

/// Which printed number of a claim a part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Estimate,
    Lower,
    Upper,
    P,
    Percent,
}

impl Part {
    pub fn name(self) -> &'static str {
        match self {
            Part::Estimate => "estimate",
            Part::Lower => "lower",
            Part::Upper => "upper",
            Part::P => "p",
            Part::Percent => "percent",
        }
    }
}

/// One printed number held against its result.
#[derive(Debug, Clone, Serialize)]
pub struct PartResult {
    pub part: Part,
    /// The path or expression it was held against; null when the results hold nothing
    /// for it.
    pub result: Option<String>,
    pub reported: f64,
    /// The result on the printed scale (a proportion times 100 against a percentage).
    pub reproduced: Option<f64>,
    /// How it was compared: `within` the tolerance, or `below` / `above` the printed value.
    pub compare: &'static str,
    pub tolerance: f64,
    /// Null when nothing was reproduced.
    pub within: Option<bool>,
    /// Why nothing was reproduced.
    pub reason: Option<String>,
    /// `x100` when a proportion was compared with a printed percentage, `/100` the other way.
    pub scale: Option<&'static str>,
    /// Decimals printed, for showing the reproduced value one digit finer.
    #[serde(skip)]
    pub decimals: u32,
    /// Whether it counts patients or events (shown as a whole number).
    #[serde(skip)]
    pub count: bool,
    /// Whether it was printed as a percentage.
    #[serde(skip)]
    pub percent: bool,
}

/// A claim's outcome, as `check --json` reports it: the estimate's figures at the top, as
/// for a plain number, and every printed part under `parts`.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimResult {
    pub id: String,
    pub result: Option<String>,
    pub reported: f64,
    pub reproduced: Option<f64>,
    pub tolerance: f64,
    /// Every part that was reproduced lies within its tolerance (and the estimate was).
    pub within: bool,
    /// The claim as printed, when it was written as text.
    pub printed: Option<String>,
    pub parts: Vec<PartResult>,
    /// Why the estimate was not reproduced.
    pub reason: Option<String>,
    #[serde(skip)]
    pub must: bool,
    /// The claim's note, for the replication table.
    #[serde(skip)]
    pub note: Option<String>,
}

/// Said of a claim with no `result`.
pub const NOT_COMPUTED: &str = "not computed by this study";

/// Evaluates every claim; a path that names nothing is a spec error.
pub fn claims(study: &Study, results: &Results) -> Result<Vec<ClaimResult>> {
    study
        .spec
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| claim(study, results, i, c))
        .collect()
}

/// A printed number and where its result is.
struct Planned {
    part: Part,
    printed: Num,
    expr: Option<Expr>,
    /// Whether the expression was named (an error when it names nothing) or guessed beside
    /// the estimate (a part left unchecked when it names nothing).
    named: bool,
    compare: Compare,
    tolerance: f64,
    percent: bool,
    count: bool,
}

fn claim(study: &Study, results: &Results, i: usize, c: &Claim) -> Result<ClaimResult> {
    let estimate = c
        .result
        .as_deref()
        .map(Expr::parse)
        .transpose()
        .map_err(|e| {
            study.error_at(
                &[Seg::Key("claims"), Seg::Index(i), Seg::Key("result")],
                format!("claim `{}`: {e}", c.id),
            )
        })?;
    let mut parts = Vec::new();
    for plan in plan(c, estimate) {
        parts.push(check_part(study, results, i, c, plan)?);
    }
    let head = &parts[0];
    let within = head.within == Some(true) && parts.iter().all(|p| p.within != Some(false));
    Ok(ClaimResult {
        id: c.id.clone(),
        result: c.result.clone(),
        reported: head.reported,
        reproduced: head.reproduced,
        tolerance: head.tolerance,
        within,
        printed: match &c.reported {
            Reported::Text(t) => Some(t.clone()),
            Reported::Number(_) => None,
        },
        reason: head.reason.clone(),
        parts,
        // A number the data cannot reproduce cannot fail the check.
        must: c.must && c.result.is_some(),
        note: c.note.clone(),
    })
}

/// Decimals of a number as YAML gave it: `49.1` has one, `2.0` none (YAML keeps no zero).
fn decimals_of(x: f64) -> u32 {
    let s = format!("{x}");
    s.split_once('.').map_or(0, |(_, f)| f.len() as u32)
}

/// The parts a claim prints, estimate first.
fn plan(c: &Claim, estimate: Option<Expr>) -> Vec<Planned> {
    let in_unit_percent = c.unit == Some(ClaimUnit::Percent);
    let user_tol = |n: &Num| c.tolerance.unwrap_or(n.half_unit());
    let sibling = |key: &str| -> Option<Expr> {
        let path = estimate.as_ref()?.as_path()?;
        let (parent, _) = path.rsplit_once('/')?;
        Some(Expr::Path(format!("{parent}/{key}")))
    };
    let named = |text: &Option<String>| text.as_deref().and_then(|t| Expr::parse(t).ok());
    let Some(s) = &c.printed else {
        let Reported::Number(x) = c.reported else {
            unreachable!("a text claim is parsed when the spec is read")
        };
        let printed = Num {
            value: x,
            decimals: c.digits.unwrap_or_else(|| decimals_of(x)),
        };
        return vec![Planned {
            part: Part::Estimate,
            tolerance: user_tol(&printed),
            printed,
            expr: estimate,
            named: true,
            compare: c.compare,
            percent: in_unit_percent,
            count: c.unit == Some(ClaimUnit::Count),
        }];
    };
    let percent = s.in_percent || in_unit_percent;
    let mut out = Vec::new();
    let p_compare = |op: Op| match op {
        Op::Eq => Compare::Within,
        Op::Lt => Compare::Below,
        Op::Gt => Compare::Above,
    };
    if s.kind == Kind::P {
        let p = s.p.expect("a p statistic has its p");
        out.push(Planned {
            part: Part::Estimate,
            printed: p.value,
            expr: estimate.clone(),
            named: true,
            compare: p_compare(p.op),
            tolerance: p.value.half_unit(),
            percent: false,
            count: false,
        });
        return out;
    }
    let counts = s.kind == Kind::CountPercent || s.kind == Kind::Count;
    out.push(Planned {
        part: Part::Estimate,
        printed: s.value,
        expr: estimate.clone(),
        named: true,
        compare: c.compare,
        tolerance: if counts {
            s.value.half_unit()
        } else {
            user_tol(&s.value)
        },
        percent: percent && !counts,
        count: counts || c.unit == Some(ClaimUnit::Count),
    });
    let keys = match c.interval.map(|i| match i {
        IntervalOf::Ci => Interval::Ci,
        IntervalOf::Range => Interval::Range,
        IntervalOf::Iqr => Interval::Iqr,
    }) {
        Some(i) => i,
        None => s.interval.unwrap_or(Interval::Unlabelled),
    };
    let (lo_key, up_key) = match keys {
        Interval::Range => ("min", "max"),
        Interval::Iqr => ("q1", "q3"),
        Interval::Ci | Interval::Unlabelled => ("lower", "upper"),
    };
    for (part, num, text, key) in [
        (Part::Lower, s.lower, &c.parts.lower, lo_key),
        (Part::Upper, s.upper, &c.parts.upper, up_key),
    ] {
        let Some(num) = num else { continue };
        out.push(Planned {
            part,
            printed: num,
            named: text.is_some(),
            expr: named(text).or_else(|| sibling(key)),
            compare: Compare::Within,
            tolerance: user_tol(&num),
            percent,
            count: false,
        });
    }
    if let Some(p) = s.p {
        out.push(Planned {
            part: Part::P,
            printed: p.value,
            named: c.parts.p.is_some(),
            expr: named(&c.parts.p).or_else(|| sibling("p")),
            compare: p_compare(p.op),
            tolerance: p.value.half_unit(),
            percent: false,
            count: false,
        });
    }
    if let Some(pct) = s.percent {
        out.push(Planned {
            part: Part::Percent,
            printed: pct,
            named: c.parts.percent.is_some(),
            expr: named(&c.parts.percent).or_else(|| sibling("pct")),
            compare: Compare::Within,
            tolerance: pct.half_unit(),
            percent: true,
            count: false,
        });
    }
    out
}

/// Whether a result already holds a percentage: a `pct`, or an expression that multiplies
/// by 100 (`a / b * 100`); otherwise a value within ±1 is read as a proportion.
fn is_percentage(expr: &Expr) -> bool {
    expr.has_constant(100.0)
        || expr.paths().iter().any(|p| {
            let leaf = p.rsplit('/').next().unwrap_or("");
            leaf == "pct" || leaf == "percent" || leaf.ends_with("_pct")
        })
}

fn check_part(
    study: &Study,
    results: &Results,
    i: usize,
    c: &Claim,
    plan: Planned,
) -> Result<PartResult> {
    let lookup = |p: &str| -> std::result::Result<Option<f64>, NotFound> { results.lookup(p) };
    let compare_name = match plan.compare {
        Compare::Within => "within",
        Compare::Below => "below",
        Compare::Above => "above",
    };
    let mut out = PartResult {
        part: plan.part,
        result: None,
        reported: plan.printed.value,
        reproduced: None,
        compare: compare_name,
        tolerance: plan.tolerance,
        within: None,
        reason: None,
        scale: None,
        decimals: plan.printed.decimals,
        count: plan.count,
        percent: plan.percent,
    };
    let Some(expr) = plan.expr else {
        out.reason = Some(if plan.part == Part::Estimate {
            NOT_COMPUTED.to_string()
        } else {
            "the estimate is an expression, so this part needs its own path under `parts:`"
                .to_string()
        });
        return Ok(out);
    };
    out.result = if plan.named {
        named_text(c, plan.part)
    } else {
        expr.as_path().map(str::to_string)
    };
    let value = match expr.eval(&lookup) {
        Ok(v) => v,
        Err(e) if plan.named => {
            let key = match plan.part {
                Part::Estimate => vec![Seg::Key("result")],
                Part::Lower => vec![Seg::Key("parts"), Seg::Key("lower")],
                Part::Upper => vec![Seg::Key("parts"), Seg::Key("upper")],
                Part::P => vec![Seg::Key("parts"), Seg::Key("p")],
                Part::Percent => vec![Seg::Key("parts"), Seg::Key("percent")],
            };
            let mut at = vec![Seg::Key("claims"), Seg::Index(i)];
            at.extend(key);
            return Err(study
                .error_at(&at, format!("claim `{}`: {e}", c.id))
                .caused_by(e.clone()));
        }
        Err(_) => {
            out.reason = Some(format!(
                "nothing beside the estimate holds its {}: name it under `parts:`",
                plan.part.name()
            ));
            out.result = None;
            return Ok(out);
        }
    };
    let Some(mut r) = value else {
        out.reason = Some(format!(
            "`{}` is null in results.json",
            out.result.as_deref().unwrap_or("")
        ));
        return Ok(out);
    };
    if plan.percent && !is_percentage(&expr) && r.abs() <= 1.0 {
        r *= 100.0;
        out.scale = Some("x100");
    } else if c.unit == Some(ClaimUnit::Proportion) && is_percentage(&expr) {
        r /= 100.0;
        out.scale = Some("/100");
    }
    out.reproduced = Some(r);
    let reported = plan.printed.value;
    out.within = Some(match plan.compare {
        Compare::Within => {
            (r - reported).abs() <= plan.tolerance * (1.0 + 1e-12) + 1e-12 * reported.abs().max(1.0)
        }
        Compare::Below => r < reported,
        Compare::Above => r > reported,
    });
    Ok(out)
}

fn named_text(c: &Claim, part: Part) -> Option<String> {
    match part {
        Part::Estimate => c.result.clone(),
        Part::Lower => c.parts.lower.clone(),
        Part::Upper => c.parts.upper.clone(),
        Part::P => c.parts.p.clone(),
        Part::Percent => c.parts.percent.clone(),
    }
}
