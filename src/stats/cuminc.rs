//! Cumulative incidence of competing risks: the Aalen-Johansen estimate of each cause's
//! probability, as R's `survfit(Surv(time, status) ~ group)` gives it when `status` is a
//! factor whose first level is censoring (infinitesimal-jackknife standard errors, limits
//! on the log scale), read at chosen times as `summary(fit, times, extend = TRUE)`.
//!
//! One minus a Kaplan-Meier curve that censors the other causes is not this: it treats a
//! patient who died of another cause as one who could still have the event, and so
//! overstates every cause's probability.

use serde::Serialize;
use survival::surv_analysis::{
    ConfType, SurvfitAJData, SurvfitAJOptions, SurvfitAJResult, summary_survfit_aj, survfitaj,
};

use super::{Count, Result, StatsError, finite};

/// One cause's incidence at a chosen time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtRow {
    pub time: f64,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// Still free of every event (R's `n.risk` of the initial state).
    pub n_risk: Count,
}

/// One row per time with an event of any cause, as `summary(fit)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRow {
    pub time: f64,
    pub n_risk: Count,
    /// Events of this cause at the time.
    pub n_event: Count,
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// One cause in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Incidence {
    pub n: u64,
    pub events: u64,
    pub at: Vec<AtRow>,
    pub table: Vec<TableRow>,
    /// Every time of the curve, censorings included: what a figure's number at risk is
    /// read from.
    pub steps: Vec<TableRow>,
}

/// Per cause (in declared order), per group: the incidence curves. `cause[i]` is 0 for
/// a censoring and k for cause k of `causes`; `group` codes are 0.. in label order.
pub fn cumulative_incidence(
    time: &[f64],
    cause: &[u8],
    causes: usize,
    group: Option<&[u32]>,
    times: &[f64],
    conf_level: f64,
) -> Result<Vec<Vec<Incidence>>> {
    if time.is_empty() {
        return Err(StatsError("no rows with complete data".into()));
    }
    let data = SurvfitAJData::try_new(
        None,
        time.to_vec(),
        cause.iter().map(|&c| i32::from(c)).collect(),
        (1..=causes).map(|k| k.to_string()).collect(),
        None,
        group.map(|g| g.iter().map(|&c| c as i32).collect()),
        None,
        None,
        None,
        None,
    )?;
    let options = SurvfitAJOptions {
        conf_int: conf_level,
        conf_type: ConfType::Log,
        ..SurvfitAJOptions::default()
    };
    let fit = survfitaj(&data, &options)?;
    let at = if times.is_empty() {
        None
    } else {
        Some(summary_survfit_aj(&fit, Some(times), false, true)?)
    };
    let groups = group.map_or(1, |g| g.iter().max().map_or(1, |m| *m as usize + 1));
    let mut size = vec![0u64; groups];
    let mut events = vec![vec![0u64; groups]; causes];
    for (k, &c) in cause.iter().enumerate() {
        let g = group.map_or(0, |g| g[k] as usize);
        size[g] += 1;
        if c > 0 {
            events[c as usize - 1][g] += 1;
        }
    }
    let present: Vec<usize> = (0..groups).filter(|&g| size[g] > 0).collect();
    let ranges = fit.curve_ranges();
    let at_ranges = at.as_ref().map(SurvfitAJResult::curve_ranges);
    Ok((1..=causes)
        .map(|k| {
            present
                .iter()
                .enumerate()
                .map(|(curve, &g)| Incidence {
                    n: size[g],
                    events: events[k - 1][g],
                    table: table(&fit, ranges[curve].clone(), k, true),
                    steps: table(&fit, ranges[curve].clone(), k, false),
                    at: match (&at, &at_ranges) {
                        (Some(a), Some(r)) => {
                            at_rows(a, r[curve].clone(), k, fit.time[ranges[curve].start])
                        }
                        _ => Vec::new(),
                    },
                })
                .collect()
        })
        .collect())
}

fn state(m: &Option<Vec<Vec<f64>>>, row: usize, k: usize) -> Option<f64> {
    m.as_ref().and_then(|m| finite(m[row][k]))
}

/// A limit on the log scale: none where the estimate is 0, whose logarithm R's limits
/// cannot be formed from (R gives NA).
fn limit(m: &Option<Vec<Vec<f64>>>, p: &[Vec<f64>], row: usize, k: usize) -> Option<f64> {
    (p[row][k] > 0.0).then(|| state(m, row, k)).flatten()
}

/// The rows of `summary(fit)`: the times at which any cause has an event; or with
/// `events_only` false, every time.
fn table(
    fit: &SurvfitAJResult,
    rows: std::ops::Range<usize>,
    k: usize,
    events_only: bool,
) -> Vec<TableRow> {
    rows.filter(|&i| !events_only || fit.n_event[i].iter().skip(1).any(|&e| e > 0.0))
        .map(|i| TableRow {
            time: fit.time[i],
            n_risk: Count(fit.n_risk[i][0]),
            n_event: Count(fit.n_event[i][k]),
            estimate: finite(fit.pstate[i][k]),
            se: state(&fit.std_err, i, k),
            lower: limit(&fit.lower, &fit.pstate, i, k),
            upper: limit(&fit.upper, &fit.pstate, i, k),
        })
        .collect()
}

/// The incidence at the chosen times; before the curve's `first` time R reports the
/// starting state with limits 0 (survfit0's row), after it a zero estimate has none.
fn at_rows(a: &SurvfitAJResult, rows: std::ops::Range<usize>, k: usize, first: f64) -> Vec<AtRow> {
    rows.map(|i| {
        let before = a.time[i] < first;
        let bound = |m: &Option<Vec<Vec<f64>>>| {
            if before {
                state(m, i, k)
            } else {
                limit(m, &a.pstate, i, k)
            }
        };
        AtRow {
            time: a.time[i],
            estimate: finite(a.pstate[i][k]),
            se: state(&a.std_err, i, k),
            lower: bound(&a.lower),
            upper: bound(&a.upper),
            n_risk: Count(a.n_risk[i][0]),
        }
    })
    .collect()
}
