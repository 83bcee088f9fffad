//! An estimate against its confidence interval (`ci_excludes_estimate`), and a hazard ratio
//! against what its Wald interval implies: the centre on the log scale (`hr_ci_symmetry`)
//! and the p-value (`hr_p_consistency`).

use crate::audit::Claim;
use crate::audit::print::{fixed, number, p_value};
use crate::audit::rounding::{digits, half_ulp};
use crate::spec::ClaimUnit;
use crate::stats::{normal_p, z_for};

use super::{Outcome, Severity, found, linked};

/// A claim's interval when it can be read on the log scale: both ends and the estimate
/// positive, the interval not empty.
fn log_scale_interval(c: &Claim) -> Option<(f64, f64)> {
    let (lo, hi) = (c.lower?, c.upper?);
    (lo > 0.0 && hi > lo && c.reported > 0.0).then_some((lo, hi))
}

/// An estimate outside its own confidence interval.
pub(super) fn ci_excludes_estimate(c: &Claim, _: &[Claim]) -> Outcome {
    let (Some(lo), Some(hi)) = (c.lower, c.upper) else {
        return Outcome::NotApplicable;
    };
    let outside = c.reported < lo || c.reported > hi;
    if !outside {
        return Outcome::Consistent;
    }
    found(
        Severity::Error,
        "ci_excludes_estimate",
        vec![c.id.clone()],
        vec![c.reported, lo, hi],
        format!(
            "the estimate {} lies outside its own interval ({} to {})",
            number(c.reported),
            number(lo),
            number(hi)
        ),
    )
}

/// A hazard ratio off the log-scale centre of its interval by more than rounding and 2%.
pub(super) fn hr_ci_symmetry(c: &Claim, _: &[Claim]) -> Outcome {
    if c.unit != Some(ClaimUnit::Hr) {
        return Outcome::NotApplicable;
    }
    let Some((lo, hi)) = log_scale_interval(c) else {
        return Outcome::NotApplicable;
    };
    let centre = ((lo.ln() + hi.ln()) / 2.0).exp();
    // Rounding the three numbers to `d` places moves the centre by at most this.
    let d = digits(c);
    let slack = half_ulp(d) * (1.0 / lo + 1.0 / hi) / 2.0 * centre + half_ulp(d);
    let off_centre = (centre - c.reported).abs() > slack + 0.02 * centre;
    if !off_centre {
        return Outcome::Consistent;
    }
    found(
        Severity::Warning,
        "hr_ci_symmetry",
        vec![c.id.clone()],
        vec![c.reported, lo, hi],
        format!(
            "a Wald interval ({} to {}) is centred on {} on the log scale, not on the printed {}",
            number(lo),
            number(hi),
            number(centre),
            number(c.reported)
        ),
    )
}

/// A p-value against the one its hazard ratio's interval implies: an error when the two
/// disagree on significance at 0.05, a warning when they are more than a factor of 4 apart.
pub(super) fn hr_p_consistency(c: &Claim, claims: &[Claim]) -> Outcome {
    let Some(hr) = linked(claims, c.p_of.as_deref()) else {
        return Outcome::NotApplicable;
    };
    let Some((lo, hi)) = log_scale_interval(hr) else {
        return Outcome::NotApplicable;
    };
    let z_level = z_for(hr.level.unwrap_or(0.95));
    let implied_by = |hr: f64, lo: f64, hi: f64| {
        let se = (hi.ln() - lo.ln()) / (2.0 * z_level);
        normal_p(hr.ln() / se)
    };
    let se = (hi.ln() - lo.ln()) / (2.0 * z_level);
    let z = hr.reported.ln() / se;
    let implied = normal_p(z);
    // What the printed numbers can have been before rounding: each within half a unit of
    // its last digit.
    let h = half_ulp(digits(hr));
    let hp = half_ulp(digits(c));
    let mut range = (implied, implied);
    for e in [-h, h] {
        for l in [-h, h] {
            for u in [-h, h] {
                let (x, lo2, hi2) = (hr.reported + e, lo + l, hi + u);
                if x > 0.0 && lo2 > 0.0 && hi2 > lo2 {
                    let q = implied_by(x, lo2, hi2);
                    range = (range.0.min(q), range.1.max(q));
                }
            }
        }
    }
    // Significance at 0.05 as each side says it, when rounding leaves no doubt.
    let ci_says = if lo - h > 1.0 || hi + h < 1.0 {
        Some(true)
    } else if lo + h < 1.0 && hi - h > 1.0 {
        Some(false)
    } else {
        None
    };
    let printed = (c.reported - hp, c.reported + hp);
    let p_says = match c.p_op {
        Some(crate::printed::Op::Lt) if c.reported <= 0.05 => Some(true),
        Some(crate::printed::Op::Gt) if c.reported >= 0.05 => Some(false),
        _ if printed.1 < 0.05 => Some(true),
        _ if printed.0 > 0.05 => Some(false),
        _ => None,
    };
    let disagree = matches!((ci_says, p_says), (Some(a), Some(b)) if a != b);
    let (p_lo, p_hi) = match c.p_op {
        Some(crate::printed::Op::Lt) => (0.0, c.reported),
        Some(crate::printed::Op::Gt) => (c.reported, 1.0),
        _ => printed,
    };
    let far = p_hi.max(1e-300) < range.0 / 4.0 || p_lo > range.1 * 4.0;
    if !(disagree || far) {
        return Outcome::Consistent;
    }
    found(
        if disagree {
            Severity::Error
        } else {
            Severity::Warning
        },
        "hr_p_consistency",
        vec![hr.id.clone(), c.id.clone()],
        vec![hr.reported, lo, hi, c.reported, implied],
        format!(
            "HR {} ({} to {}) implies se(log HR) = (ln {} − ln {}) / 3.92 = {}, z = {} and p = {}; printed p = {}{}",
            number(hr.reported),
            number(lo),
            number(hi),
            number(hi),
            number(lo),
            fixed(se, 3),
            fixed(z, 2),
            p_value(implied),
            number(c.reported),
            if disagree {
                ": the interval and the p-value disagree on significance at 0.05"
            } else {
                ""
            }
        ),
    )
}
