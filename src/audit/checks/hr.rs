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
    let se = (hi.ln() - lo.ln()) / (2.0 * z_for(0.95));
    let z = hr.reported.ln() / se;
    let implied = normal_p(z);
    let significant_ci = lo > 1.0 || hi < 1.0;
    let disagree = significant_ci != (c.reported < 0.05);
    let far = (implied.max(1e-12).ln() - c.reported.max(1e-12).ln()).abs() > 2f64.ln() * 2.0;
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
