//! A percentage against its count and denominator (`percent_vs_count`), and a percentage
//! with no count against the denominator alone (`grim`, after Brown and Heathers' granularity
//! test: with n patients only the multiples of 100/n can be printed).

use crate::audit::Claim;
use crate::audit::print::{alternatives, number, patients, percent};
use crate::audit::rounding::{digits, half_ulp, round_to, scale};
use crate::spec::ClaimUnit;

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
///
/// As m grows, `k / m` and so its printed form move one way only (down for a count ≥ 0,
/// up for a negative one), each step of the arithmetic being monotone in floating point
/// too. So the denominators that fit are one unbroken run: the first m whose printed value
/// has reached the printed percentage is found by bisection, and the run read on from
/// there. Scanning every m up to 2n instead stalls on a denominator such as 10¹².
pub(in crate::audit) fn fitting_denominators(c: &Claim, k: f64, n: f64, most: usize) -> Vec<i64> {
    let d = digits(c);
    let prints = |m: i64| round_to(scale(c) * k / m as f64, d);
    let fits = |m: i64| (prints(m) - c.reported).abs() < 1e-9;
    let reached = |m: i64| {
        if k >= 0.0 {
            prints(m) < c.reported + 1e-9
        } else {
            prints(m) > c.reported - 1e-9
        }
    };
    let (lo, hi) = ((k as i64).max(1), (2.0 * n) as i64);
    match first_where(lo, hi, reached) {
        Some(first) => (first..=hi).take_while(|&m| fits(m)).take(most).collect(),
        None => Vec::new(),
    }
}

/// The first m in `lo..=hi` where `holds` is true, for a `holds` that stays true once true.
fn first_where(lo: i64, hi: i64, holds: impl Fn(i64) -> bool) -> Option<i64> {
    if lo > hi || !holds(hi) {
        return None;
    }
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if holds(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn percentage(reported: f64, unit: ClaimUnit, places: u32) -> Claim {
        let mut c = Claim::number("p", reported, Some(unit));
        c.digits = Some(places);
        c
    }

    /// Every m from the count to 2n, tried one by one: what the bisection must reproduce.
    fn scanned(c: &Claim, k: f64, n: f64) -> Vec<i64> {
        let d = digits(c);
        ((k as i64).max(1)..=(2.0 * n) as i64)
            .filter(|&m| (round_to(scale(c) * k / m as f64, d) - c.reported).abs() < 1e-9)
            .collect()
    }

    #[test]
    fn the_bisection_finds_the_denominators_a_full_scan_finds() {
        let mut cases = 0;
        for (unit, d) in [
            (ClaimUnit::Percent, 0),
            (ClaimUnit::Percent, 1),
            (ClaimUnit::Percent, 2),
            (ClaimUnit::Proportion, 2),
            (ClaimUnit::Proportion, 3),
        ] {
            for k in [
                -3.0, 0.0, 1.0, 2.0, 3.0, 7.0, 20.0, 22.0, 37.0, 100.0, 134.0, 22.5,
            ] {
                for n in [1.0, 2.5, 7.0, 48.0, 142.0, 228.0, 300.0] {
                    // Values the count prints as with some denominator up to 3n, and values
                    // it prints as with none.
                    let probe = percentage(0.0, unit, d);
                    let mut printed: Vec<f64> = (1..=(3.0 * n) as i64)
                        .step_by(7)
                        .map(|m| round_to(scale(&probe) * k / m as f64, d))
                        .collect();
                    printed.extend([0.0, 8.9, 58.9, 0.5, -1.0, 100.0]);
                    for p in printed {
                        let c = percentage(p, unit, d);
                        assert_eq!(
                            fitting_denominators(&c, k, n, usize::MAX),
                            scanned(&c, k, n),
                            "{k} of {n} printed {p} ({d} decimals, {unit:?})"
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert!(cases > 20_000, "{cases}");
    }

    #[test]
    fn the_first_of_a_very_long_run_come_first() {
        // 1 of m prints as 0.0% for every m from 2001 on: billions of them up to 2 × 10¹².
        let c = percentage(0.0, ClaimUnit::Percent, 1);
        assert_eq!(
            fitting_denominators(&c, 1.0, 1e12, NAMED),
            [2001, 2002, 2003, 2004]
        );
    }

    #[test]
    fn an_empty_range_has_no_denominators() {
        let c = percentage(10.0, ClaimUnit::Percent, 1);
        assert!(fitting_denominators(&c, 5.0, 0.4, NAMED).is_empty());
        assert_eq!(first_where(5, 4, |_| true), None);
        assert_eq!(
            first_where(1, i64::MAX, |m| m > 1 << 40),
            Some((1 << 40) + 1)
        );
    }
}
