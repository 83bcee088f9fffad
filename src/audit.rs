//! `reprise audit`: the reported numbers checked against each other, with no data at all.
//!
//! A paper's numbers constrain one another: a count and its percentage fix the denominator,
//! categories add up to their total, a hazard ratio's confidence interval implies its
//! p-value, a rate quoted twice should be the same rate. Each check here states its
//! arithmetic, so a reader can redo it, and allows for the rounding of printed numbers:
//! a finding is an error only when no rounding could explain it.

use serde::Serialize;

use crate::spec::{Claim, ClaimUnit};
use crate::stats::{normal_p, z_for};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: String,
    pub claims: Vec<String>,
    pub values: Vec<f64>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub findings: Vec<Finding>,
    pub checks_run: usize,
}

/// Decimal places a claim was printed with: its own `digits`, else the unit's habit.
fn digits(c: &Claim) -> u32 {
    c.digits.unwrap_or(match c.unit {
        Some(ClaimUnit::Count) => 0,
        Some(ClaimUnit::Percent) => 1,
        Some(ClaimUnit::Proportion) => 3,
        Some(ClaimUnit::Hr) => 2,
        Some(ClaimUnit::P) => 3,
        _ => 1,
    })
}

fn round_to(x: f64, d: u32) -> f64 {
    let f = 10f64.powi(d as i32);
    (x * f).round() / f
}

/// Half a unit in the last printed place: the most rounding can move a number.
fn half_ulp(d: u32) -> f64 {
    0.5 * 10f64.powi(-(d as i32))
}

/// The percentage (or proportion) scale of a claim.
fn scale(c: &Claim) -> f64 {
    if c.unit == Some(ClaimUnit::Proportion) {
        1.0
    } else {
        100.0
    }
}

fn fmt(x: f64) -> String {
    let s = format!("{x:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn audit(claims: &[Claim]) -> Audit {
    let by_id = |id: &str| claims.iter().find(|c| c.id == id);
    let mut findings = Vec::new();
    let mut checks = 0;

    for c in claims {
        // A percentage against its count and denominator, and which denominators fit.
        if matches!(c.unit, Some(ClaimUnit::Percent | ClaimUnit::Proportion)) {
            let d = digits(c);
            let count = c.count.as_deref().and_then(by_id).map(|k| k.reported);
            match (count, c.denominator) {
                (Some(k), Some(n)) if n > 0.0 => {
                    checks += 1;
                    let exact = scale(c) * k / n;
                    if (round_to(exact, d) - c.reported).abs() > half_ulp(d) * 1e-6 + 1e-12
                        && (exact - c.reported).abs() > half_ulp(d) + 1e-9
                    {
                        let fits: Vec<String> = ((k as i64).max(1)..=(2.0 * n) as i64)
                            .filter(|&m| {
                                (round_to(scale(c) * k / m as f64, d) - c.reported).abs() < 1e-9
                            })
                            .map(|m| m.to_string())
                            .collect();
                        let fit = if fits.is_empty() {
                            "no denominator up to twice the stated one gives it".to_string()
                        } else {
                            format!(
                                "the denominator that fits is {}",
                                fits.iter()
                                    .take(4)
                                    .cloned()
                                    .collect::<Vec<_>>()
                                    .join(" or ")
                            )
                        };
                        findings.push(Finding {
                            severity: Severity::Error,
                            check: "percent_vs_count".into(),
                            claims: vec![c.count.clone().unwrap_or_default(), c.id.clone()],
                            values: vec![k, n, c.reported],
                            message: format!(
                                "{} / {} = {}%, printed {}%: {fit}",
                                fmt(k),
                                fmt(n),
                                fmt(exact),
                                fmt(c.reported)
                            ),
                        });
                    }
                }
                (None, Some(n)) if n > 0.0 => {
                    // GRIM: is the printed percentage attainable with this denominator at all?
                    checks += 1;
                    let k = (c.reported * n / scale(c)).round();
                    let attainable = [k - 1.0, k, k + 1.0].iter().any(|&k| {
                        k >= 0.0 && (round_to(scale(c) * k / n, d) - c.reported).abs() < 1e-9
                    });
                    if !attainable {
                        findings.push(Finding {
                            severity: Severity::Error,
                            check: "grim".into(),
                            claims: vec![c.id.clone()],
                            values: vec![c.reported, n],
                            message: format!("{}% is not attainable with {} patients: the nearest are {}% ({} of {}) and {}% ({} of {})",
                                fmt(c.reported), fmt(n), fmt(round_to(scale(c) * k / n, d)), k, fmt(n), fmt(round_to(scale(c) * (k + 1.0) / n, d)), k + 1.0, fmt(n)),
                        });
                    }
                }
                _ => {}
            }
        }

        // A confidence interval that does not contain its estimate.
        if let (Some(lo), Some(hi)) = (c.lower, c.upper) {
            checks += 1;
            if c.reported < lo || c.reported > hi {
                findings.push(Finding {
                    severity: Severity::Error,
                    check: "ci_excludes_estimate".into(),
                    claims: vec![c.id.clone()],
                    values: vec![c.reported, lo, hi],
                    message: format!(
                        "the estimate {} lies outside its own interval ({} to {})",
                        fmt(c.reported),
                        fmt(lo),
                        fmt(hi)
                    ),
                });
            }
        }

        // A hazard ratio's interval is symmetric on the log scale.
        if c.unit == Some(ClaimUnit::Hr)
            && let (Some(lo), Some(hi)) = (c.lower, c.upper)
            && lo > 0.0
            && hi > lo
            && c.reported > 0.0
        {
            checks += 1;
            let centre = ((lo.ln() + hi.ln()) / 2.0).exp();
            // Rounding the three numbers to `d` places moves the centre by at most this.
            let d = digits(c);
            let slack = half_ulp(d) * (1.0 / lo + 1.0 / hi) / 2.0 * centre + half_ulp(d);
            if (centre - c.reported).abs() > slack + 0.02 * centre {
                findings.push(Finding {
                            severity: Severity::Warning,
                            check: "hr_ci_symmetry".into(),
                            claims: vec![c.id.clone()],
                            values: vec![c.reported, lo, hi],
                            message: format!("a Wald interval ({} to {}) is centred on {} on the log scale, not on the printed {}", fmt(lo), fmt(hi), fmt(centre), fmt(c.reported)),
                        });
            }
        }

        // A p-value against the one its hazard ratio's interval implies.
        if let Some(hr) = c.p_of.as_deref().and_then(by_id)
            && let (Some(lo), Some(hi)) = (hr.lower, hr.upper)
            && lo > 0.0
            && hi > lo
            && hr.reported > 0.0
        {
            checks += 1;
            let se = (hi.ln() - lo.ln()) / (2.0 * z_for(0.95));
            let z = hr.reported.ln() / se;
            let implied = normal_p(z);
            let significant_ci = lo > 1.0 || hi < 1.0;
            let significant_p = c.reported < 0.05;
            let far =
                (implied.max(1e-12).ln() - c.reported.max(1e-12).ln()).abs() > 2f64.ln() * 2.0;
            if significant_ci != significant_p || far {
                let severity = if significant_ci != significant_p {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                findings.push(Finding {
                            severity,
                            check: "hr_p_consistency".into(),
                            claims: vec![hr.id.clone(), c.id.clone()],
                            values: vec![hr.reported, lo, hi, c.reported, implied],
                            message: format!(
                                "HR {} ({} to {}) implies se(log HR) = (ln {} − ln {}) / 3.92 = {:.3}, z = {:.2} and p = {}; printed p = {}{}",
                                fmt(hr.reported), fmt(lo), fmt(hi), fmt(hi), fmt(lo), se, z, fmt_p(implied), fmt(c.reported),
                                if significant_ci != significant_p { ": the interval and the p-value disagree on significance at 0.05" } else { "" }
                            ),
                        });
            }
        }

        // The same quantity quoted twice.
        if let Some(other) = c.same_as.as_deref().and_then(by_id) {
            checks += 1;
            // Printed to the same precision, the same number prints the same; printed to
            // different precisions, the coarser one's rounding is all that may differ.
            let (a, b) = (digits(c), digits(other));
            let allowed = if a == b {
                1e-9
            } else {
                half_ulp(a.min(b)) + 1e-9
            };
            if (c.reported - other.reported).abs() > allowed {
                findings.push(Finding {
                    severity: Severity::Error,
                    check: "same_quantity_twice".into(),
                    claims: vec![other.id.clone(), c.id.clone()],
                    values: vec![other.reported, c.reported],
                    message: format!(
                        "the same quantity is printed as {} and as {}",
                        fmt(other.reported),
                        fmt(c.reported)
                    ),
                });
            }
        }

        // An overall rate against its subgroups' rates, weighted by their sizes.
        if !c.subgroups.is_empty() {
            let parts: Vec<(f64, f64)> = c
                .subgroups
                .iter()
                .filter_map(|s| by_id(&s.claim).map(|p| (p.reported, s.n)))
                .collect();
            if parts.len() == c.subgroups.len() {
                checks += 1;
                let n: f64 = parts.iter().map(|p| p.1).sum();
                let mixed: f64 = parts.iter().map(|(r, w)| r * w).sum::<f64>() / n;
                let lo = parts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
                let hi = parts.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
                if c.reported < lo - 1e-9 || c.reported > hi + 1e-9 {
                    findings.push(Finding {
                        severity: Severity::Error,
                        check: "overall_outside_subgroups".into(),
                        claims: std::iter::once(c.id.clone())
                            .chain(c.subgroups.iter().map(|s| s.claim.clone()))
                            .collect(),
                        values: vec![c.reported, lo, hi],
                        message: format!(
                            "the overall value {} lies outside its subgroups' range ({} to {})",
                            fmt(c.reported),
                            fmt(lo),
                            fmt(hi)
                        ),
                    });
                } else if (mixed - c.reported).abs() > 0.02 * scale(c) {
                    findings.push(Finding {
                        severity: Severity::Note,
                        check: "overall_vs_subgroups".into(),
                        claims: std::iter::once(c.id.clone()).chain(c.subgroups.iter().map(|s| s.claim.clone())).collect(),
                        values: vec![c.reported, mixed],
                        message: format!("the subgroups weighted by size give {}; printed {} (survival rates mix only approximately)", fmt(mixed), fmt(c.reported)),
                    });
                }
            }
        }
    }

    // Categories against their totals, one partition (variable) at a time.
    for total in claims {
        let mut groups: Vec<Option<&str>> = claims
            .iter()
            .filter(|c| c.part_of.as_deref() == Some(total.id.as_str()))
            .map(|c| c.group.as_deref())
            .collect();
        groups.dedup();
        groups.sort();
        groups.dedup();
        for group in groups {
            let parts: Vec<&Claim> = claims
                .iter()
                .filter(|c| {
                    c.part_of.as_deref() == Some(total.id.as_str()) && c.group.as_deref() == group
                })
                .collect();
            checks += 1;
            let sum: f64 = parts.iter().map(|p| p.reported).sum();
            if (sum - total.reported).abs() > 1e-9 {
                findings.push(Finding {
                    severity: Severity::Error,
                    check: "parts_vs_total".into(),
                    claims: std::iter::once(total.id.clone())
                        .chain(parts.iter().map(|p| p.id.clone()))
                        .collect(),
                    values: vec![total.reported, sum],
                    message: format!(
                        "the categories add up to {} = {}, but the total is {}",
                        parts
                            .iter()
                            .map(|p| fmt(p.reported))
                            .collect::<Vec<_>>()
                            .join(" + "),
                        fmt(sum),
                        fmt(total.reported)
                    ),
                });
            }
        }
    }
    Audit {
        findings,
        checks_run: checks,
    }
}

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(id: &str, value: f64, unit: ClaimUnit) -> Claim {
        serde_yaml::from_str(&format!(
            "{{ id: {id}, reported: {value}, tolerance: 0, unit: {} }}",
            serde_yaml::to_string(&unit).unwrap().trim()
        ))
        .unwrap()
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
}
