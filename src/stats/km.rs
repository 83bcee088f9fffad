//! Kaplan-Meier curves as R's `survfit(Surv(time, event) ~ group)` computes them:
//! Greenwood variance, a confidence transform, survival at landmark times with
//! `summary(fit, times, extend = TRUE)`, and the median as `quantile(fit, 0.5)`.

use serde::Serialize;
use survival::surv_analysis::{
    ConfType as SConf, SurvfitKMData, SurvfitKMOptions, SurvfitKMResult, quantile_survfit,
    summary_survfit_times, survfitkm,
};

use super::sorted::Counts;
use super::{Count, Estimate, Result, StatsError, finite};
use crate::spec::ConfType;

#[derive(Debug, Clone)]
pub struct KmOptions {
    pub conf_type: ConfType,
    pub conf_level: f64,
    /// Landmark times for the `at` rows.
    pub times: Vec<f64>,
}

/// Survival at one landmark time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRow {
    pub time: f64,
    pub surv: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub n_risk: Count,
}

/// One row per distinct time (event or censoring), as `summary(fit, censored = TRUE)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    pub time: f64,
    pub n_risk: Count,
    pub n_event: Count,
    pub n_censor: Count,
    pub surv: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// One stratum's curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub n: u64,
    pub events: Count,
    pub median: Estimate,
    pub at: Vec<AtRow>,
    pub table: Vec<TableRow>,
}

fn conf(c: ConfType) -> SConf {
    match c {
        ConfType::Log => SConf::Log,
        ConfType::LogLog => SConf::LogLog,
        ConfType::Plain => SConf::Plain,
    }
}

/// The curves, with each stratum's row count. survfit is handed one weighted row per
/// distinct (time, group, status) instead of one row per patient: the Kaplan-Meier
/// estimate and Greenwood's variance depend only on the counts at each time, and case
/// weights that are whole numbers give those counts exactly. At registry scale that is a
/// few thousand rows instead of millions.
pub(super) fn fit(
    time: &[f64],
    event: &[bool],
    group: Option<&[u32]>,
    weights: Weights,
    conf_type: ConfType,
    conf_level: f64,
) -> Result<(SurvfitKMResult, Vec<u64>)> {
    if time.is_empty() {
        return Err(StatsError("no rows with complete data".into()));
    }
    if let Weights::Case(w) = weights {
        return case_weighted(time, event, group, w, conf_type, conf_level);
    }
    let weight = match weights {
        Weights::Counts(c) => Some(c),
        _ => None,
    };
    let groups = group.map_or(1, |g| g.iter().max().map_or(1, |m| *m as usize + 1));
    let counts = Counts::of_rows(time, event, group, groups, weight);
    let (mut t, mut status, mut weight, mut strata) = (vec![], vec![], vec![], vec![]);
    for (k, &at) in counts.time.iter().enumerate() {
        for g in 0..groups {
            for (n, s) in [
                (counts.events[k * groups + g], 1),
                (counts.censored[k * groups + g], 0),
            ] {
                if n > 0 {
                    t.push(at);
                    status.push(s);
                    weight.push(n as f64);
                    strata.push(g as i32);
                }
            }
        }
    }
    let strata = group.is_some().then_some(strata);
    let data = SurvfitKMData::try_new(None, t, status, Some(weight), strata, None, None)?;
    // Greenwood, never the robust variance: the weights are counts, not sampling weights.
    let options = SurvfitKMOptions {
        conf_type: conf(conf_type),
        conf_int: conf_level,
        robust: Some(false),
        ..Default::default()
    };
    let sizes = counts.sizes().into_iter().filter(|&n| n > 0).collect();
    Ok((survfitkm(&data, &options)?, sizes))
}

/// How much each row counts: one patient, a count of patients (`data.count`), or a case
/// weight (R's `survfit(..., weights = w)`).
#[derive(Debug, Clone, Copy)]
pub enum Weights<'a> {
    None,
    Counts(&'a [u64]),
    Case(&'a [f64]),
}

impl<'a> Weights<'a> {
    pub fn counts(c: Option<&'a [u64]>) -> Weights<'a> {
        c.map_or(Weights::None, Weights::Counts)
    }
}

/// With case weights the rows go to survfit as they are: weighted sums do not collapse
/// into whole counts, and R's `n` is the number of rows.
fn case_weighted(
    time: &[f64],
    event: &[bool],
    group: Option<&[u32]>,
    weights: &[f64],
    conf_type: ConfType,
    conf_level: f64,
) -> Result<(SurvfitKMResult, Vec<u64>)> {
    let groups = group.map_or(1, |g| g.iter().max().map_or(1, |m| *m as usize + 1));
    let mut sizes = vec![0u64; groups];
    for k in 0..time.len() {
        sizes[group.map_or(0, |g| g[k] as usize)] += 1;
    }
    let data = SurvfitKMData::try_new(
        None,
        time.to_vec(),
        event.iter().map(|&e| e as i32).collect(),
        Some(weights.to_vec()),
        group.map(|g| g.iter().map(|&c| c as i32).collect()),
        None,
        None,
    )?;
    // R's rule: weights that are not whole numbers are sampling weights, whose variance
    // is the robust (infinitesimal jackknife) one; whole ones are counts (Greenwood).
    let options = SurvfitKMOptions {
        conf_type: conf(conf_type),
        conf_int: conf_level,
        robust: None,
        ..Default::default()
    };
    let sizes = sizes.into_iter().filter(|&n| n > 0).collect();
    Ok((survfitkm(&data, &options)?, sizes))
}

/// Kaplan-Meier curves, one per group code 0..k (or one curve when `group` is `None`).
pub fn kaplan_meier(
    time: &[f64],
    event: &[bool],
    group: Option<&[u32]>,
    weights: Weights,
    options: &KmOptions,
) -> Result<Vec<Curve>> {
    let (fit, sizes) = fit(
        time,
        event,
        group,
        weights,
        options.conf_type,
        options.conf_level,
    )?;
    let ranges = fit.curve_ranges();
    let (lower, upper) = (fit.lower.as_deref(), fit.upper.as_deref());
    // survival 2.0 gives (1, 1) for log-log limits where S = 1; R gives NA, because
    // log(-log(1)) is -Inf: follow R.
    let limit = |s: f64, v: Option<f64>| -> Option<f64> {
        if options.conf_type == ConfType::LogLog && s == 1.0 {
            None
        } else {
            v.and_then(finite)
        }
    };
    let at = if options.times.is_empty() {
        None
    } else {
        Some(summary_survfit_times(&fit, &options.times, true)?)
    };
    let at_ranges = at.as_ref().map(|a| a.curve_ranges());
    let quantiles = quantile_survfit(&fit, &[0.5], true, 1.0, None)?;

    let mut curves = Vec::with_capacity(ranges.len());
    for (k, rows) in ranges.into_iter().enumerate() {
        let table: Vec<TableRow> = rows
            .clone()
            .map(|i| TableRow {
                time: fit.time[i],
                n_risk: Count(fit.n_risk[i]),
                n_event: Count(fit.n_event[i]),
                n_censor: Count(fit.n_censor[i]),
                surv: finite(fit.surv[i]),
                lower: limit(fit.surv[i], lower.map(|l| l[i])),
                upper: limit(fit.surv[i], upper.map(|u| u[i])),
            })
            .collect();
        let at_rows = match (&at, &at_ranges) {
            (Some(a), Some(r)) => r[k]
                .clone()
                .map(|i| AtRow {
                    time: a.time[i],
                    surv: finite(a.surv[i]),
                    lower: limit(a.surv[i], a.lower.as_ref().map(|l| l[i])),
                    upper: limit(a.surv[i], a.upper.as_ref().map(|u| u[i])),
                    n_risk: Count(a.n_risk[i]),
                })
                .collect(),
            _ => Vec::new(),
        };
        let median = Estimate {
            estimate: finite(quantiles.quantile[k][0]),
            lower: quantiles.lower.as_ref().and_then(|l| finite(l[k][0])),
            upper: quantiles.upper.as_ref().and_then(|u| finite(u[k][0])),
        };
        curves.push(Curve {
            n: sizes[k],
            events: Count(table.iter().map(|r| r.n_event.0).sum()),
            median,
            at: at_rows,
            table,
        });
    }
    Ok(curves)
}

/// Median follow-up by the reverse Kaplan-Meier method: censoring is the "event".
pub fn reverse_km_median(
    time: &[f64],
    event: &[bool],
    weight: Option<&[u64]>,
    conf_level: f64,
) -> Result<Estimate> {
    let flipped: Vec<bool> = event.iter().map(|e| !e).collect();
    let (fit, _) = fit(
        time,
        &flipped,
        None,
        Weights::counts(weight),
        ConfType::Log,
        conf_level,
    )?;
    let q = quantile_survfit(&fit, &[0.5], true, 1.0, None)?;
    Ok(Estimate {
        estimate: finite(q.quantile[0][0]),
        lower: q.lower.as_ref().and_then(|l| finite(l[0][0])),
        upper: q.upper.as_ref().and_then(|u| finite(u[0][0])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The AML data (R: survival::aml, maintained arm), by hand: S drops at 9, 13, 18, 23,
    /// 31, 34, 48 with 11 at risk at the start.
    #[test]
    fn aml_maintained_arm_by_hand() {
        let time = [9., 13., 13., 18., 23., 28., 31., 34., 45., 48., 161.];
        let event = [
            true, true, false, true, true, false, true, true, false, true, false,
        ];
        let opts = KmOptions {
            conf_type: ConfType::Log,
            conf_level: 0.95,
            times: vec![20.0, 200.0],
        };
        let curves = kaplan_meier(&time, &event, None, Weights::None, &opts).unwrap();
        let c = &curves[0];
        assert_eq!((c.n, c.events), (11, Count(7.0)));
        // 10/11 after the death at 9; at 13 one death among 10 at risk (and one censored)
        assert!((c.table[1].surv.unwrap() - 10.0 / 11.0 * 9.0 / 10.0).abs() < 1e-15);
        assert_eq!(c.table[1].n_censor, Count(1.0));
        // past the last time: last survival kept, nobody at risk (extend = TRUE)
        assert_eq!(c.at[1].n_risk, Count(0.0));
        assert_eq!(c.at[1].surv, c.table.last().unwrap().surv);
        // R: median 31, 95% CI 18 to NA
        assert_eq!(c.median.estimate, Some(31.0));
        assert_eq!(c.median.lower, Some(18.0));
        assert_eq!(c.median.upper, None);
    }
}
