//! Checks a paper needs that a study's claims do not: a study's author links a percentage
//! to its count and names the claims that repeat a quantity; in a paper read by `extract`
//! those links are found from the text. Each finding found through such a guess is a
//! warning, since the guess may be wrong; arithmetic that cannot hold is an error.
//!
//! - `unstated_denominator`: a percentage whose count fits only denominators the paper
//!   never gives as a number of patients.
//! - `no_denominator_fits`: a count and percentage that no whole number of patients can
//!   give ("134 (58.9%)": 134/227 is 59.03%, 134/228 is 58.77%).
//! - `referred_denominator`: a percentage after "of which", "of these" or "of them" that
//!   no count of the number of patients those words refer to gives.
//! - `same_quantity_twice`: two numbers printed near the same words, of the same kind,
//!   close but not equal beyond rounding.
//! - `survival_rises`: a survival rate at a later time above the one at an earlier time.
//! - `categories_exceed_total`: the percentages of a table's consecutive categories on one
//!   denominator add to more than 100%.

use std::collections::{BTreeSet, HashSet};

use super::print::{alternatives, number, percent};
use super::rounding::round_to;
use super::{Claim, Finding, Severity};
use crate::extract::Found;
use crate::printed::Kind;
use crate::spec::ClaimUnit;

fn finding(
    severity: Severity,
    check: &str,
    claims: Vec<String>,
    values: Vec<f64>,
    message: String,
) -> Finding {
    Finding {
        severity,
        check: check.into(),
        claims,
        values,
        message,
    }
}

/// Every paper check on what `extract` found.
pub fn findings(found: &[Found]) -> (Vec<Finding>, usize) {
    let mut out = Vec::new();
    let mut run = 0;
    for check in [
        unstated_denominator as fn(&[Found], &mut Vec<Finding>) -> usize,
        referred_denominator,
        same_quantity_twice,
        survival_rises,
        categories_exceed_total,
    ] {
        run += check(found, &mut out);
    }
    (out, run)
}

/// Numbers of patients the paper states: counts of patients, stated denominators, `n = N`.
fn stated_totals(found: &[Found]) -> BTreeSet<i64> {
    let mut totals = BTreeSet::new();
    for f in found {
        if matches!(f.kind, Kind::Count | Kind::CountPercent) && f.value >= 1.0 {
            totals.insert(f.value as i64);
        }
        if let Some(n) = f.denominator {
            totals.insert(n as i64);
        }
    }
    totals
}

fn unstated_denominator(found: &[Found], out: &mut Vec<Finding>) -> usize {
    let totals = stated_totals(found);
    let Some(&largest) = totals.iter().max() else {
        return 0;
    };
    let mut run = 0;
    for f in found {
        let (Some(k), Some(pct)) = (f.stat.count, f.stat.percent) else {
            continue;
        };
        if f.denominator.is_some() || k.value < 1.0 || pct.value <= 0.0 {
            continue;
        }
        let claim = Claim {
            id: f.id.clone(),
            reported: pct.value,
            unit: Some(ClaimUnit::Percent),
            digits: Some(pct.decimals),
            ..Claim::default()
        };
        let fits = super::checks::percent::fitting_denominators(&claim, k.value, largest as f64, 6);
        run += 1;
        if fits.is_empty() {
            // No whole number of patients gives the percentage (GRIM, with the
            // denominator free): the percentage, or its count, is misprinted.
            let exact = 100.0 * k.value / pct.value;
            let (below, above) = (exact.floor(), exact.floor() + 1.0);
            if pct.value <= 100.0 && below >= k.value && above <= 2.0 * largest as f64 {
                out.push(finding(
                    Severity::Error,
                    "no_denominator_fits",
                    vec![f.id.clone()],
                    vec![k.value, pct.value],
                    format!(
                        "line {}: `{}`: no number of patients gives {}% for {} ({} / {} = {}, {} / {} = {})",
                        f.line,
                        f.text,
                        number(pct.value),
                        number(k.value),
                        number(k.value),
                        number(below),
                        percent(100.0 * k.value / below),
                        number(k.value),
                        number(above),
                        percent(100.0 * k.value / above),
                    ),
                ));
            }
            continue;
        }
        // Only a few denominators fit (the percentage is precise enough to say), and none
        // of them is a number of patients the paper gives.
        if fits.len() > 3 || fits.iter().any(|m| totals.contains(m)) {
            continue;
        }
        out.push(finding(
Severity::Warning, "unstated_denominator", vec![f.id.clone()], vec![k.value, pct.value], format!(
                "line {}: `{}` fits only a denominator of {}, which the paper does not give as a number of patients",
                f.line,
                f.text,
                alternatives(&fits)
            )));
    }
    run
}

/// Words that make a percentage a share of the patients just counted.
const REFERRING: [&str; 7] = [
    "of which",
    "of whom",
    "of these",
    "of them",
    "of those",
    "among them",
    "among these",
];

/// "142 patients (62.3%) received radical rectal surgery, of which more than half of them
/// (57.4%) ...": the words say the denominator is the 142 counted just before them in the
/// sentence, and no count of 142 gives 57.4%. Only a count in the same sentence is taken
/// as what the words refer to, and a finding is a warning, since that reading is a guess.
fn referred_denominator(found: &[Found], out: &mut Vec<Finding>) -> usize {
    let mut run = 0;
    for (i, f) in found.iter().enumerate() {
        let pct = match (f.stat.percent, f.kind) {
            (Some(p), _) => p,
            (None, Kind::Percent) => f.stat.value,
            _ => continue,
        };
        if f.denominator.is_some() || pct.value <= 0.0 || pct.value > 100.0 {
            continue;
        }
        let lower = f.context.to_lowercase();
        let Some(at) = lower.find(&f.text.to_lowercase()) else {
            continue;
        };
        let Some((words, said)) = REFERRING
            .iter()
            .filter_map(|w| lower[..at].rfind(w).map(|p| (p, *w)))
            .max()
        else {
            continue;
        };
        // The count the words refer to: the last one of the sentence before them.
        let Some(n) = found[..i]
            .iter()
            .rev()
            .filter(|g| g.context == f.context)
            .filter(|g| {
                lower
                    .find(&g.text.to_lowercase())
                    .is_some_and(|p| p < words)
            })
            .find_map(|g| match g.kind {
                Kind::Count | Kind::CountPercent => g.stat.count.map(|c| c.value).or(Some(g.value)),
                _ => None,
            })
            .filter(|n| *n >= 1.0 && n.fract() == 0.0)
        else {
            continue;
        };
        run += 1;
        let d = pct.decimals;
        let prints = |k: f64| (round_to(100.0 * k / n, d) - pct.value).abs() < 1e-9;
        let message = match f.stat.count.map(|c| c.value) {
            Some(k) if k <= n => (!prints(k)).then(|| {
                format!(
                    "{} / {} = {}, not {}%",
                    number(k),
                    number(n),
                    percent(100.0 * k / n),
                    number(pct.value)
                )
            }),
            Some(_) => None,
            None => {
                let k = (pct.value * n / 100.0).floor();
                (!prints(k) && !prints(k + 1.0)).then(|| {
                    format!(
                        "no count of {} gives {}% ({} / {} = {}, {} / {} = {})",
                        number(n),
                        number(pct.value),
                        number(k),
                        number(n),
                        percent(100.0 * k / n),
                        number(k + 1.0),
                        number(n),
                        percent(100.0 * (k + 1.0) / n)
                    )
                })
            }
        };
        if let Some(m) = message {
            out.push(finding(
                Severity::Warning,
                "referred_denominator",
                vec![f.id.clone()],
                vec![n, pct.value],
                format!(
                    "line {}: `{}` is a share of the {} patients counted before \"{}\", but {m}",
                    f.line,
                    f.text,
                    number(n),
                    said
                ),
            ));
        }
    }
    run
}

/// Words that say nothing about what a number is.
#[rustfmt::skip]
const STOP: [&str; 50] = [
    "the", "and", "of", "in", "to", "with", "for", "was", "were", "had", "has", "have", "a",
    "an", "or", "by", "on", "at", "as", "from", "that", "this", "these", "those", "who",
    "which", "their", "than", "all", "patients", "patient", "vs", "versus", "respectively",
    "observed", "group", "groups", "after", "during", "is", "year", "years", "rate", "rates",
    "months", "median", "range", "ci", "showed", "reported",
];

/// The content words within a few words of a statistic, lowercased.
fn near_words(f: &Found) -> HashSet<String> {
    let words: Vec<String> = f
        .context
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && w.chars().any(char::is_alphabetic))
        .map(str::to_lowercase)
        .collect();
    // Around where the statistic's text sits in its sentence.
    let at = f.context.find(&f.text).unwrap_or(0);
    let before = f.context[..at]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 3 && w.chars().any(char::is_alphabetic))
        .count();
    let from = before.saturating_sub(8);
    words
        .into_iter()
        .skip(from)
        .take(12)
        .filter(|w| !STOP.contains(&w.as_str()))
        .collect()
}

fn same_quantity_twice(found: &[Found], out: &mut Vec<Finding>) -> usize {
    let mut run = 0;
    let words: Vec<HashSet<String>> = found.iter().map(near_words).collect();
    for i in 0..found.len() {
        for j in i + 1..found.len() {
            let (a, b) = (&found[i], &found[j]);
            if a.kind != b.kind || a.context == b.context || a.kind == Kind::P {
                continue;
            }
            // Two endpoints ("OS" and "PFS") are two quantities.
            let endpoint = |w: &HashSet<String>| -> BTreeSet<String> {
                w.iter()
                    .filter(|x| SURVIVAL.contains(&x.as_str()))
                    .cloned()
                    .collect()
            };
            let (ea, eb) = (endpoint(&words[i]), endpoint(&words[j]));
            if !ea.is_empty() && !eb.is_empty() && ea != eb {
                continue;
            }
            // Two times ("4-year", "5-year") are two quantities.
            let (ta, tb) = (times_in(&a.context), times_in(&b.context));
            if !ta.is_empty() && !tb.is_empty() && !ta.iter().any(|t| tb.contains(t)) {
                continue;
            }
            let shared = words[i].intersection(&words[j]).count();
            let smaller = words[i].len().min(words[j].len());
            if smaller < 3 || shared < 3 || (shared as f64) < 0.6 * smaller as f64 {
                continue;
            }
            run += 1;
            let differs = match a.kind {
                Kind::CountPercent => {
                    let (ka, kb) = (a.value, b.value);
                    let (pa, pb) = (a.percent.unwrap_or(f64::NAN), b.percent.unwrap_or(f64::NAN));
                    let close = (ka - kb).abs() <= 0.05 * ka.max(kb)
                        && (pa - pb).abs() <= 0.05 * pa.max(pb) + 0.1;
                    close && (ka != kb || (pa - pb).abs() > 1e-9)
                }
                _ => {
                    let close =
                        (a.value - b.value).abs() <= 0.03 * a.value.abs().max(b.value.abs());
                    // The coarser print's rounding is all that may differ.
                    let half = a.stat.value.half_unit().max(b.stat.value.half_unit());
                    close && (a.value - b.value).abs() > half + 1e-9
                }
            };
            if !differs {
                continue;
            }
            out.push(finding(
Severity::Warning, "same_quantity_twice", vec![a.id.clone(), b.id.clone()], vec![a.value, b.value], format!(
                    "line {} prints `{}` and line {} prints `{}` among the same words: if they are the same quantity, one is wrong",
                    a.line, a.text, b.line, b.text
                )));
        }
    }
    run
}

/// Survival endpoints: their rates cannot rise over time.
const SURVIVAL: [&str; 8] = ["os", "pfs", "dfs", "efs", "rfs", "survival", "mfs", "css"];

/// The times a text gives, in years: "3-year", "at 12 months", and each member of a list
/// "1-, 2- and 3-year", which takes the unit of its last.
fn times_in(text: &str) -> Vec<f64> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut pending = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let n: f64 = text[i..j].parse().unwrap_or(f64::NAN);
        let rest = &text[j..];
        let unit = if ["-year", " year", "-yr"]
            .iter()
            .any(|u| rest.starts_with(u))
        {
            Some(1.0)
        } else if ["-month", " month"].iter().any(|u| rest.starts_with(u)) {
            Some(1.0 / 12.0)
        } else {
            None
        };
        match unit {
            Some(u) => {
                out.extend(pending.drain(..).map(|p: f64| p * u));
                out.push(n * u);
            }
            None if ["-,", "- ,", "- and", "-and", "- or"]
                .iter()
                .any(|l| rest.starts_with(l)) =>
            {
                pending.push(n)
            }
            None => pending.clear(),
        }
        i = j;
    }
    out
}

fn survival_rises(found: &[Found], out: &mut Vec<Finding>) -> usize {
    let mut run = 0;
    // Rates in one sentence, under a survival endpoint, at the times the sentence gives.
    let mut i = 0;
    while i < found.len() {
        let j = (i..found.len())
            .take_while(|&k| found[k].context == found[i].context)
            .last()
            .unwrap_or(i)
            + 1;
        let group: Vec<&Found> = found[i..j]
            .iter()
            .filter(|f| matches!(f.kind, Kind::Rate | Kind::Percent))
            .collect();
        i = j;
        if group.len() < 2 {
            continue;
        }
        let cx = &group[0].context;
        let survival = cx
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| SURVIVAL.contains(&w));
        if !survival {
            continue;
        }
        let at: Vec<usize> = group
            .iter()
            .map(|f| cx.find(&f.text).unwrap_or(cx.len()))
            .collect();
        let listed = times_in(&cx[..at[0]]);
        let times: Vec<f64> = if listed.len() == group.len() {
            listed
        } else {
            // Each rate at the last time named since the rate before it.
            let mut from = 0;
            let mut t = Vec::new();
            for &a in &at {
                match times_in(&cx[from.min(a)..a]).last() {
                    Some(&x) => t.push(x),
                    None => break,
                }
                from = a;
            }
            t
        };
        if times.len() != group.len() {
            continue;
        }
        run += 1;
        for k in 1..group.len() {
            let (early, late) = (group[k - 1], group[k]);
            if times[k] > times[k - 1] && late.value > early.value + 1e-9 {
                out.push(finding(
Severity::Error, "survival_rises", vec![early.id.clone(), late.id.clone()], vec![early.value, late.value], format!(
                        "line {}: survival at {} years ({}) is above survival at {} years ({}), but survival cannot rise over time",
                        late.line,
                        number(times[k]),
                        late.text,
                        number(times[k - 1]),
                        early.text
                    )));
            }
        }
    }
    run
}

fn categories_exceed_total(found: &[Found], out: &mut Vec<Finding>) -> usize {
    let mut run = 0;
    // Runs of count (%) rows: one per line, on consecutive table lines.
    let rows: Vec<&Found> = found
        .iter()
        .filter(|f| f.kind == Kind::CountPercent && f.percent.is_some() && f.row)
        .collect();
    let mut i = 0;
    while i < rows.len() {
        let mut j = i + 1;
        while j < rows.len()
            && rows[j].line > rows[j - 1].line
            && rows[j].line - rows[j - 1].line <= 2
            && rows[j].context != rows[j - 1].context
        {
            j += 1;
        }
        let block = &rows[i..j];
        i = j;
        if block.len() < 2 {
            continue;
        }
        // The block's rows must share a denominator that every row's percentage fits.
        let implied = |f: &Found| f.value * 100.0 / f.percent.unwrap_or(f64::NAN);
        let n0 = implied(block[0]);
        if !block.iter().all(|f| (implied(f) - n0).abs() <= 0.02 * n0) {
            continue;
        }
        run += 1;
        let total: f64 = block.iter().filter_map(|f| f.percent).sum();
        let slack: f64 = block
            .iter()
            .map(|f| f.stat.percent.map_or(0.05, |p| p.half_unit()))
            .sum();
        if total > 100.0 + slack + 1e-9 {
            out.push(finding(
Severity::Warning, "categories_exceed_total", block.iter().map(|f| f.id.clone()).collect(), vec![total], format!(
                    "lines {}–{}: categories on one denominator add to {}, more than 100% (rounding allows {})",
                    block[0].line,
                    block[block.len() - 1].line,
                    percent(total),
                    percent(100.0 + slack)
                )));
        }
    }
    run
}
