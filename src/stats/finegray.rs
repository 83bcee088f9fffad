//! The Fine-Gray model for the subdistribution hazard of one cause, as R fits it in two
//! steps: `survival::finegray(Surv(time, status) ~ ., etype = cause)` turns each patient
//! with a competing event into weighted rows that stay in the risk set (their weight the
//! censoring distribution's decline since the event), then `coxph(Surv(fgstart, fgstop,
//! fgstatus) ~ x, weights = fgwt, cluster = id)` fits them with the robust variance.
//!
//! The expansion (the crate's port of R's) adds rows only at the censoring distribution's
//! drops where the cause has events, which is all the risk sets need.

use survival::regression::{FineGrayInput, finegray_expand};

use super::coxph::{CoxOptions, coxph};
use super::{CoxFit, Design, Result, StatsError};
use crate::spec::Ties;

/// Fits the model of cause `of` (1 for the first cause) over rows with `time`, `cause`
/// (0 censored) and the design (rows in the same order); also how many rows the
/// expansion made.
pub fn finegray(
    time: &[f64],
    cause: &[u8],
    of: u8,
    design: Design,
    conf_level: f64,
) -> Result<(CoxFit, u64)> {
    if !cause.contains(&of) {
        return Err(StatsError(
            "the cause has no events among the rows used, so there is nothing to fit".into(),
        ));
    }
    let status: Vec<i32> = cause.iter().map(|&c| i32::from(c)).collect();
    let id: Vec<i32> = (0..time.len() as i32).collect();
    let out = finegray_expand(&FineGrayInput {
        time,
        status: &status,
        event_type: i32::from(of),
        start: None,
        strata: None,
        id: Some(&id),
        weights: None,
        timefix: true,
    })?;
    let p = design.names.len();
    let rows: Vec<usize> = out.row.iter().map(|&r| r - 1).collect();
    let x: Vec<f64> = rows
        .iter()
        .flat_map(|&r| design.x[r * p..(r + 1) * p].iter().copied())
        .collect();
    // Added rows carry a competing event on, so only a row of the cause is an event.
    let event: Vec<bool> = rows.iter().map(|&r| cause[r] == of).collect();
    let cluster: Vec<i32> = rows.iter().map(|&r| r as i32).collect();
    let expanded = Design {
        rows: rows.len(),
        x,
        ..design
    };
    let mut fit = coxph(
        &out.end,
        &event,
        expanded,
        Ties::Efron,
        conf_level,
        CoxOptions {
            entry: Some(&out.start),
            weights: Some(&out.wt),
            cluster: Some(&cluster),
            robust: true,
            strata: None,
        },
    )?;
    fit.n = time.len() as u64;
    fit.events = cause.iter().filter(|&&c| c == of).count() as u64;
    Ok((fit, rows.len() as u64))
}
