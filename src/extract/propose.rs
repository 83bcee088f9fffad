//! Results proposed for what a paper prints, when a study's results hold exactly one value
//! that fits every printed part: a count whose `pct` beside it prints as the percentage, a
//! hazard ratio whose `lower` and `upper` print as its interval, a survival rate at the
//! printed digits. A value that fits by coincidence is possible, so each proposal is marked
//! as one for the author to confirm; where two results fit, none is proposed.

use serde_json::Value;

use super::Found;
use crate::printed::{Interval, Kind, Num, Op};
use crate::results::{Results, element_name};

/// Every number in the results, with its path and the object holding it (for siblings).
struct Leaf<'a> {
    path: String,
    key: String,
    value: f64,
    parent: &'a serde_json::Map<String, Value>,
}

fn leaves<'a>(value: &'a Value, path: &str, out: &mut Vec<Leaf<'a>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{path}/{k}");
                if let Some(x) = v.as_f64() {
                    out.push(Leaf {
                        path: p,
                        key: k.clone(),
                        value: x,
                        parent: map,
                    });
                } else {
                    leaves(v, &p, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                if let Some(name) = element_name(item) {
                    leaves(item, &format!("{path}/{name}"), out);
                }
            }
        }
        _ => {}
    }
}

/// Whether `x` prints as `printed` (on the percentage scale when `percent`).
fn prints_as(x: f64, printed: Num, percent: bool) -> bool {
    let x = if percent && x.abs() <= 1.0 {
        100.0 * x
    } else {
        x
    };
    (x - printed.value).abs() <= printed.half_unit() * (1.0 + 1e-9) + 1e-12
}

fn sibling(leaf: &Leaf, key: &str) -> Option<f64> {
    leaf.parent.get(key).and_then(Value::as_f64)
}

/// Whether a leaf fits every part `f` prints.
fn fits(leaf: &Leaf, f: &Found) -> bool {
    let s = &f.stat;
    let limits = |lo_key: &str, up_key: &str, percent: bool| match (s.lower, s.upper) {
        (Some(lo), Some(up)) => {
            sibling(leaf, lo_key).is_some_and(|x| prints_as(x, lo, percent))
                && sibling(leaf, up_key).is_some_and(|x| prints_as(x, up, percent))
        }
        _ => true,
    };
    match s.kind {
        Kind::CountPercent => {
            leaf.key == "n"
                && leaf.value == s.value.value
                && s.percent
                    .is_none_or(|p| sibling(leaf, "pct").is_some_and(|x| prints_as(x, p, false)))
        }
        Kind::Hr | Kind::Or | Kind::Rr => {
            let key = match s.kind {
                Kind::Or => "or",
                _ => "hr",
            };
            leaf.key == key
                && prints_as(leaf.value, s.value, false)
                && limits("lower", "upper", false)
                && s.p
                    .is_none_or(|p| sibling(leaf, "p").is_some_and(|x| p_fits(x, p.value, p.op)))
        }
        Kind::Rate | Kind::Percent if s.in_percent => {
            matches!(leaf.key.as_str(), "surv" | "estimate" | "pct")
                && prints_as(leaf.value, s.value, leaf.key != "pct")
                && limits("lower", "upper", leaf.key != "pct")
        }
        Kind::Median | Kind::Mean => {
            let (lo, up) = match s.interval {
                Some(Interval::Range) => ("min", "max"),
                Some(Interval::Iqr) => ("q1", "q3"),
                _ => ("lower", "upper"),
            };
            let name = if s.kind == Kind::Median {
                leaf.key == "median" || (leaf.key == "estimate" && leaf.path.contains("/median/"))
            } else {
                leaf.key == "mean"
            };
            name && prints_as(leaf.value, s.value, false) && limits(lo, up, false)
        }
        Kind::P => {
            let p = s.p.expect("a p has its p");
            leaf.key == "p" && p_fits(leaf.value, p.value, p.op)
        }
        _ => false,
    }
}

fn p_fits(x: f64, printed: Num, op: Op) -> bool {
    match op {
        Op::Lt => x < printed.value,
        Op::Gt => x > printed.value,
        Op::Eq => prints_as(x, printed, false),
    }
}

/// For each statistic, the one result that fits every printed part, if exactly one does.
pub fn propose(found: &[Found], results: &Results) -> Vec<Option<String>> {
    let mut all = Vec::new();
    for (id, outcome) in &results.analyses {
        leaves(&outcome.json, id, &mut all);
    }
    // A Kaplan-Meier curve's every step (`table`) would fit a printed rate by chance; papers
    // print the landmark rates (`at`).
    all.retain(|l| !l.path.contains("/table/"));
    found
        .iter()
        .map(|f| {
            let mut fitting = all.iter().filter(|l| fits(l, f));
            match (fitting.next(), fitting.next()) {
                (Some(one), None) => Some(one.path.clone()),
                _ => None,
            }
        })
        .collect()
}
