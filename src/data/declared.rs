//! The schema `data.columns` declares, checked against every row: each declared column
//! converts to its type, numbers stay in their `min`/`max` range, dates are dates.

use polars::prelude::*;

use super::{Bad, Column, Rows, Values, series};
use crate::error::Result;
use crate::spec::{ColumnSpec, Study};

/// Checks the declared columns in spec order, naming the offending rows. Converting a
/// column to its declared type checks the type (a date column's dates among them).
pub(super) fn check(study: &Study, df: &DataFrame, rows: &Rows) -> Result<()> {
    for (name, decl) in study.spec.data.columns.iter() {
        // A database's aggregates hold the columns the counts are formed over; the others
        // stay on the server.
        if rows.aggregated() && df.column(name).is_err() {
            continue;
        }
        let col = Column::from_series(name, series(df, name, rows)?, Some(decl), None, rows)?;
        if let Values::Num(values) = &col.values {
            in_range(name, values, decl, rows)?;
        }
    }
    Ok(())
}

fn in_range(name: &str, values: &super::Numbers, decl: &ColumnSpec, rows: &Rows) -> Result<()> {
    if decl.min.is_none() && decl.max.is_none() {
        return Ok(());
    }
    let (lo, hi) = (
        decl.min.unwrap_or(f64::NEG_INFINITY),
        decl.max.unwrap_or(f64::INFINITY),
    );
    let mut bad = Bad::default();
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v
            && (v < lo || v > hi)
        {
            bad.push(i, || format!("{v}"));
        }
    }
    let range = format!(
        "[{}, {}]",
        decl.min.map_or("-inf".into(), |v| v.to_string()),
        decl.max.map_or("inf".into(), |v| v.to_string())
    );
    bad.check(
        rows,
        &format!("column `{name}` is outside its declared range {range}"),
    )
}
