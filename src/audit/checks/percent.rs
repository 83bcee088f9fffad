//! A percentage against its count and denominator (`percent_vs_count`), and a percentage
//! with no count against the denominator alone (`grim`, after Brown and Heathers' granularity
//! test: with n patients only the multiples of 100/n can be printed).

use crate::audit::print::{alternatives, number, patients, percent};
use crate::audit::rounding::{digits, half_ulp, round_to, scale};
use crate::spec::{Claim, ClaimUnit};

use super::{Outcome, Severity, found, linked};

/// How many of the fitting denominators a message names.
const NAMED: usize = 4;

/// The stated denominator of a percentage or proportion, when the claim is one and states a
/// positive one.
fn denominator(c: &Claim) -> Option<f64> {
    let percentage = matches!(c.unit, Some(ClaimUnit::Percent | ClaimUnit::Proportion));
    c.denominator.filter(|&n| percentage && n > 0.0)
}

/// n (x%) against the stated denominator; when they disagree beyond rounding, the message
/// names the denominators that would give the printed percentage.
pub(super) fn percent_vs_count(c: &Claim, claims: &[Claim]) -> Outcome {
    let (Some(n), Some(count)) = (denominator(c), linked(claims, c.count.as_deref())) else {
        return Outcome::NotApplicable;
    };
    let k = count.reported;
    let d = digits(c);
    let exact = scale(c) * k / n;
    let beyond_rounding = (round_to(exact, d) - c.reported).abs() > half_ulp(d) * 1e-6 + 1e-12
        && (exact - c.reported).abs() > half_ulp(d) + 1e-9;
    if !beyond_rounding {
        return Outcome::Consistent;
    }
    let fits = fitting_denominators(c, k, n, NAMED);
    let fit = if fits.is_empty() {
        "no denominator up to twice the stated one gives it".to_string()
    } else {
        format!("the denominator that fits is {}", alternatives(&fits))
    };
    found(
        Severity::Error,
        "percent_vs_count",
        vec![c.count.clone().unwrap_or_default(), c.id.clone()],
        vec![k, n, c.reported],
        format!(
            "{} / {} = {}, printed {}: {fit}",
            number(k),
            number(n),
            percent(exact),
            percent(c.reported)
        ),
    )
}

/// Whether the printed percentage is attainable with the stated denominator at all.
pub(super) fn grim(c: &Claim, claims: &[Claim]) -> Outcome {
    let Some(n) = denominator(c) else {
        return Outcome::NotApplicable;
    };
    if linked(claims, c.count.as_deref()).is_some() {
        return Outcome::NotApplicable;
    }
    let d = digits(c);
    let prints = |k: f64| round_to(scale(c) * k / n, d);
    let k = (c.reported * n / scale(c)).round();
    let attainable = [k - 1.0, k, k + 1.0]
        .iter()
        .any(|&k| k >= 0.0 && (prints(k) - c.reported).abs() < 1e-9);
    if attainable {
        return Outcome::Consistent;
    }
    found(
        Severity::Error,
        "grim",
        vec![c.id.clone()],
        vec![c.reported, n],
        format!(
            "{} is not attainable with {} patients: the nearest are {} ({} of {}) and {} ({} of {})",
            percent(c.reported),
            number(n),
            percent(prints(k)),
            patients(k),
            number(n),
            percent(prints(k + 1.0)),
            patients(k + 1.0),
            number(n)
        ),
    )
}

/// The denominators m, from the count (at least 1) up to twice the stated `n`, for which
/// `k / m` prints as the claim's percentage: the first `most` of them, smallest first.
fn fitting_denominators(c: &Claim, k: f64, n: f64, most: usize) -> Vec<i64> {
    let d = digits(c);
    ((k as i64).max(1)..=(2.0 * n) as i64)
        .filter(|&m| (round_to(scale(c) * k / m as f64, d) - c.reported).abs() < 1e-9)
        .take(most)
        .collect()
}
