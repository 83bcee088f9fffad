//! Endpoints as the statistics take them: a follow-up time and an event flag per row,
//! from the source the spec gave each ([`EndpointSource`]).

use indexmap::IndexMap;
use polars::prelude::*;
use rayon::prelude::*;

use super::column::{self, dates};
use super::{Bad, Column, EndpointData, Rows, series};
use crate::error::Result;
use crate::spec::{DateEvent, EndpointSource, EventColumn, Study, Unit};

const EVENT_CODES_HINT: &str = "if events are coded otherwise (R's 1 = censored, 2 = event), declare them: `event_codes: { event: [2], censored: [1] }`";

/// Every endpoint, in spec order.
pub(super) fn read_all(
    study: &Study,
    df: &DataFrame,
    rows: &Rows,
) -> Result<IndexMap<String, EndpointData>> {
    // As with the columns: converted in parallel, the first error in spec order reported.
    let sources: Vec<(&String, &EndpointSource)> = study.endpoints.iter().collect();
    let converted: Vec<Result<EndpointData>> = sources
        .par_iter()
        .map(|(name, source)| {
            let mut e = endpoint(name, source, df, rows)?;
            if let Some(at) = study.spec.endpoints[name.as_str()].censor_at {
                e.censor_at(at);
            }
            Ok(e)
        })
        .collect();
    let mut endpoints = IndexMap::new();
    for ((name, _), e) in sources.iter().zip(converted) {
        endpoints.insert((*name).clone(), e?);
    }
    Ok(endpoints)
}

fn endpoint(
    name: &str,
    source: &EndpointSource,
    df: &DataFrame,
    rows: &Rows,
) -> Result<EndpointData> {
    match source {
        EndpointSource::Time { time, event } => from_time(name, time, event, df, rows),
        EndpointSource::Dates {
            start,
            last_contact,
            event,
            unit,
        } => from_dates(name, start, last_contact, event, *unit, df, rows),
    }
}

fn from_time(
    name: &str,
    time_col: &str,
    event: &EventColumn,
    df: &DataFrame,
    rows: &Rows,
) -> Result<EndpointData> {
    let (event, cause) = events(name, event, series(df, &event.column, rows)?, rows)?;
    let time = Column::numbers(
        time_col,
        series(df, time_col, rows)?,
        rows,
        &format!("endpoint `{name}`: time column `{time_col}` has a value that is not a number"),
    )?;
    let mut bad = Bad::default();
    for (i, t) in time.iter().enumerate() {
        if let Some(t) = t
            && (!t.is_finite() || *t < 0.0)
        {
            bad.push(i, || format!("{t}"));
        }
    }
    bad.check(
        rows,
        &format!("endpoint `{name}`: time column `{time_col}` must be a finite time ≥ 0"),
    )?;
    Ok(EndpointData {
        time,
        event,
        cause,
        order: Default::default(),
    })
}

/// Follow-up in `unit` from `start` to the end date: the event's date for an event (last
/// contact when that date is missing), last contact for a censoring.
fn from_dates(
    name: &str,
    start_col: &str,
    last_col: &str,
    event: &DateEvent,
    unit: Unit,
    df: &DataFrame,
    rows: &Rows,
) -> Result<EndpointData> {
    let read = |col: &str| dates(col, series(df, col, rows)?, rows);
    // The columns are read in one order (event column, start, last contact, event date)
    // whichever marks the events, so the first bad column reported does not depend on it.
    let (flags, cause, start, last, event_dates) = match event {
        DateEvent::Column { event, event_date } => {
            let (flags, cause) = events(name, event, series(df, &event.column, rows)?, rows)?;
            let (start, last) = (read(start_col)?, read(last_col)?);
            let event_dates = event_date.as_deref().map(read).transpose()?;
            (flags, cause, start, last, event_dates)
        }
        DateEvent::Date(event_date) => {
            let (start, last) = (read(start_col)?, read(last_col)?);
            let event_dates = read(event_date)?;
            let flags = event_dates.iter().map(|d| Some(d.is_some())).collect();
            (flags, None, start, last, Some(event_dates))
        }
    };
    let mut time = Vec::with_capacity(flags.len());
    let mut bad = Bad::default();
    for (i, flag) in flags.iter().enumerate() {
        let end = match flag {
            Some(true) => event_dates.as_ref().and_then(|d| d[i]).or(last[i]),
            Some(false) => last[i],
            None => None,
        };
        let t = match (start[i], end) {
            (Some(s), Some(end)) => Some(end - s),
            _ => None,
        };
        if let Some(t) = t
            && t < 0
        {
            bad.push(i, || format!("{t} days"));
        }
        time.push(t.map(|d| d as f64 / unit.days()));
    }
    bad.check(
        rows,
        &format!("endpoint `{name}`: the end date comes before `{start_col}`"),
    )?;
    Ok(EndpointData {
        time,
        event: flags,
        cause,
        order: Default::default(),
    })
}

/// Per row, whether it ended in an event, and with competing risks which cause.
type Events = (Vec<Option<bool>>, Option<Vec<u8>>);

/// An event indicator: 0/1, booleans, or the endpoint's declared event codes; with
/// competing risks also each row's cause (1 for the first declared, 0 for a censoring).
fn events(name: &str, event: &EventColumn, series: &Series, rows: &Rows) -> Result<Events> {
    let col = &event.column;
    let zero_one = || format!("endpoint `{name}`: event column `{col}` must be 0/1 or true/false");
    match &event.codes {
        // 0/1 integers or booleans, the common case, are read without going through text.
        None if series.dtype().is_integer() || series.dtype().is_bool() => {
            let cast = series.cast(&DataType::Int64).map_err(|e| rows.polars(e))?;
            let ints = cast.i64().map_err(|e| rows.polars(e))?;
            let mut bad = Bad::default();
            let out = ints
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    None => None,
                    Some(0) => Some(false),
                    Some(1) => Some(true),
                    Some(v) => {
                        bad.push(i, || format!("`{v}`"));
                        None
                    }
                })
                .collect();
            bad.check(rows, &zero_one())
                .map_err(|err| err.hint(EVENT_CODES_HINT))?;
            Ok((out, None))
        }
        None => {
            let (out, bad) = decode(series, rows, |v| match v.to_ascii_lowercase().as_str() {
                "1" | "true" => Some(true),
                "0" | "false" => Some(false),
                _ => None,
            })?;
            bad.check(rows, &zero_one())
                .map_err(|err| err.hint(EVENT_CODES_HINT))?;
            Ok((out, None))
        }
        Some(codes) if codes.causes.is_some() => {
            let causes = codes.causes.as_ref().expect("matched");
            let text = column::as_text(series, rows)?;
            let mut bad = Bad::default();
            let mut cause = vec![0u8; text.len()];
            let out = text
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let v = v.as_deref()?;
                    if codes.censored.iter().any(|c| c == v) {
                        return Some(false);
                    }
                    match causes.values().position(|list| list.iter().any(|c| c == v)) {
                        Some(k) => {
                            cause[i] = k as u8 + 1;
                            Some(true)
                        }
                        None => {
                            bad.push(i, || format!("`{v}`"));
                            None
                        }
                    }
                })
                .collect();
            let listed = causes
                .iter()
                .map(|(name, list)| format!("{name}: {}", list.join(", ")))
                .collect::<Vec<_>>()
                .join("; ");
            bad.check(
                rows,
                &format!(
                    "endpoint `{name}`: event column `{col}` has a value that is neither a censoring code ({}) nor a cause's code ({listed})",
                    codes.censored.join(", ")
                ),
            )?;
            Ok((out, Some(cause)))
        }
        Some(codes) => {
            let (out, bad) = decode(series, rows, |v| {
                if codes.event.iter().any(|c| c == v) {
                    Some(true)
                } else if codes.censored.iter().any(|c| c == v) {
                    Some(false)
                } else {
                    None
                }
            })?;
            bad.check(
                rows,
                &format!(
                    "endpoint `{name}`: event column `{col}` has a value that is neither an event code ({}) nor a censoring code ({})",
                    codes.event.join(", "),
                    codes.censored.join(", ")
                ),
            )?;
            Ok((out, None))
        }
    }
}

/// Each value's text through `decode`; the values it refuses are collected as bad rows.
fn decode(
    series: &Series,
    rows: &Rows,
    decode: impl Fn(&str) -> Option<bool>,
) -> Result<(Vec<Option<bool>>, Bad)> {
    let text = column::as_text(series, rows)?;
    let mut bad = Bad::default();
    let out = text
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let v = v.as_deref()?;
            let decoded = decode(v);
            if decoded.is_none() {
                bad.push(i, || format!("`{v}`"));
            }
            decoded
        })
        .collect();
    Ok((out, bad))
}
