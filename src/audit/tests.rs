//! The audit on small hand-made sets of claims, each with the arithmetic it should show.

use super::*;
use crate::spec::ClaimUnit;

fn claim(id: &str, value: f64, unit: ClaimUnit) -> Claim {
    Claim::number(id, value, Some(unit))
}

#[test]
fn a_percentage_on_the_wrong_denominator_is_found_with_the_one_that_fits() {
    let k = claim("k", 22.0, ClaimUnit::Count);
    let mut p = claim("p", 9.6, ClaimUnit::Percent);
    p.count = Some("k".into());
    p.denominator = Some(142.0);
    let a = audit(&[k, p]);
    assert_eq!(a.findings.len(), 1);
    assert!(
        a.findings[0].message.contains("22 / 142 = 15.493%"),
        "{}",
        a.findings[0].message
    );
    assert!(
        a.findings[0].message.contains("228"),
        "{}",
        a.findings[0].message
    );
}

#[test]
fn rounding_is_not_an_error() {
    let k = claim("k", 134.0, ClaimUnit::Count);
    let mut p = claim("p", 58.8, ClaimUnit::Percent);
    p.count = Some("k".into());
    p.denominator = Some(228.0);
    assert!(audit(&[k, p]).findings.is_empty());
}

#[test]
fn a_p_value_that_contradicts_its_interval() {
    let mut hr = claim("hr", 1.25, ClaimUnit::Hr);
    hr.lower = Some(0.96);
    hr.upper = Some(2.84);
    let mut p = claim("p", 0.008, ClaimUnit::P);
    p.p_of = Some("hr".into());
    let a = audit(&[hr, p]);
    let f = a
        .findings
        .iter()
        .find(|f| f.check == "hr_p_consistency")
        .unwrap();
    assert_eq!(f.severity, Severity::Error);
}

#[test]
fn a_consistent_hazard_ratio_raises_nothing() {
    // HR 1.15 (0.72 to 1.84), p = 0.553: symmetric, and z = ln 1.15 / 0.239 = 0.58.
    let mut hr = claim("hr", 1.15, ClaimUnit::Hr);
    hr.lower = Some(0.72);
    hr.upper = Some(1.84);
    let mut p = claim("p", 0.553, ClaimUnit::P);
    p.p_of = Some("hr".into());
    assert!(audit(&[hr, p]).findings.is_empty());
}

#[test]
fn categories_must_add_up() {
    let t = claim("t", 228.0, ClaimUnit::Count);
    let mut a = claim("a", 100.0, ClaimUnit::Count);
    a.part_of = Some("t".into());
    let mut b = claim("b", 120.0, ClaimUnit::Count);
    b.part_of = Some("t".into());
    let f = audit(&[t, a, b]).findings;
    assert!(
        f[0].message
            .contains("100 + 120 = 220, but the total is 228"),
        "{}",
        f[0].message
    );
}

#[test]
fn a_huge_denominator_is_answered_at_once_with_the_ones_that_fit() {
    // Up to twice the stated denominator are 2 × 10¹² candidates, too many to try one by
    // one; the ones that fit are those that fit 22 (9.6%) of 142.
    let k = claim("k", 22.0, ClaimUnit::Count);
    let mut p = claim("p", 9.6, ClaimUnit::Percent);
    p.count = Some("k".into());
    p.denominator = Some(1e12);
    let a = audit(&[k, p]);
    assert_eq!(a.checks_run, 1);
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.findings[0].check, "percent_vs_count");
    assert_eq!(
        a.findings[0].message,
        "22 / 1000000000000 = 0%, printed 9.6%: the denominator that fits is 228 or 229 or 230"
    );
}

#[test]
fn a_huge_denominator_that_nothing_fits_says_so() {
    // 134 of m prints 58.9% only for m in 227.33 to 227.71: no whole m, however far one looks.
    let k = claim("k", 134.0, ClaimUnit::Count);
    let mut p = claim("p", 58.9, ClaimUnit::Percent);
    p.count = Some("k".into());
    p.denominator = Some(1e12);
    let a = audit(&[k, p]);
    assert_eq!(a.findings.len(), 1);
    assert!(
        a.findings[0]
            .message
            .ends_with(": no denominator up to twice the stated one gives it"),
        "{}",
        a.findings[0].message
    );
}

#[test]
fn an_unattainable_percentage_names_the_nearest_counts() {
    // With 7 patients the percentages are 14.3, 28.6, 42.9, ...: 20.0 is none of them.
    let mut p = claim("p", 20.0, ClaimUnit::Percent);
    p.denominator = Some(7.0);
    let a = audit(&[p]);
    assert_eq!(a.findings.len(), 1);
    assert_eq!(
        a.findings[0].message,
        "20% is not attainable with 7 patients: the nearest are 14.3% (1 of 7) and 28.6% (2 of 7)"
    );
}
