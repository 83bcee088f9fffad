//! Restricted mean survival time: the area under the Kaplan-Meier curve up to a horizon
//! τ, as R's `summary(survfit(...), rmean = tau)$table` gives it (`rmean`, `se(rmean)`,
//! the variance of Miller 1981), and the contrasts between groups as survRM2 forms them.

use serde::Serialize;
use survival::surv_analysis::{RmeanOption, survmean};

use super::km::{Weights, fit};
use super::{Result, StatsError, finite, normal_p, z_for};
use crate::spec::ConfType;

/// One curve's restricted mean with its standard error and normal limits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rmst {
    pub n: u64,
    pub events: u64,
    pub rmst: Option<f64>,
    pub se: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// The curve's last observed time: beyond it, up to `tau`, the curve is carried flat.
    #[serde(skip)]
    pub last_time: f64,
}

/// A group against the reference: the difference of the restricted means, and their
/// ratio on the log scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmstContrast {
    pub difference: f64,
    pub difference_se: f64,
    pub difference_lower: f64,
    pub difference_upper: f64,
    pub difference_p: f64,
    pub ratio: f64,
    pub ratio_lower: f64,
    pub ratio_upper: f64,
    pub ratio_p: f64,
}

/// The restricted mean up to `tau` of each group's curve (codes 0..k, or one curve).
pub fn rmst(
    time: &[f64],
    event: &[bool],
    group: Option<&[u32]>,
    weight: Option<&[u64]>,
    tau: f64,
    conf_level: f64,
) -> Result<Vec<Rmst>> {
    let (fit, sizes) = fit(
        time,
        event,
        group,
        Weights::counts(weight),
        ConfType::Log,
        conf_level,
    )?;
    let first = fit.time.iter().copied().fold(f64::INFINITY, f64::min);
    if tau < first {
        return Err(StatsError(format!(
            "tau {tau} is before the first observed time ({first}): there is no area under the curve to restrict"
        )));
    }
    let last: Vec<f64> = fit
        .curve_ranges()
        .iter()
        .map(|r| fit.time[r.end - 1])
        .collect();
    let table = survmean(&fit, 1.0, RmeanOption::At(tau))?;
    let (Some(means), Some(ses)) = (&table.rmean, &table.se_rmean) else {
        return Err(StatsError("no restricted mean was computed".into()));
    };
    let z = z_for(conf_level);
    Ok(means
        .iter()
        .zip(ses)
        .zip(&table.events)
        .zip(sizes)
        .zip(last)
        .map(|((((&m, &se), &events), n), last_time)| Rmst {
            n,
            last_time,
            events: events.round() as u64,
            rmst: finite(m),
            se: finite(se),
            lower: finite(m - z * se),
            upper: finite(m + z * se),
        })
        .collect())
}

/// `group` against `reference`: the difference with se √(se₁² + se₀²), the ratio with
/// se √((se₁/r₁)² + (se₀/r₀)²) on the log scale; two-sided normal p-values.
pub fn rmst_contrast(group: &Rmst, reference: &Rmst, conf_level: f64) -> Option<RmstContrast> {
    let (r1, s1, r0, s0) = (group.rmst?, group.se?, reference.rmst?, reference.se?);
    let z = z_for(conf_level);
    let difference = r1 - r0;
    let difference_se = (s1 * s1 + s0 * s0).sqrt();
    let log_ratio = (r1 / r0).ln();
    let log_se = ((s1 / r1).powi(2) + (s0 / r0).powi(2)).sqrt();
    Some(RmstContrast {
        difference,
        difference_se,
        difference_lower: difference - z * difference_se,
        difference_upper: difference + z * difference_se,
        difference_p: normal_p(difference / difference_se),
        ratio: log_ratio.exp(),
        ratio_lower: (log_ratio - z * log_se).exp(),
        ratio_upper: (log_ratio + z * log_se).exp(),
        ratio_p: normal_p(log_ratio / log_se),
    })
}
