//! Derived columns, evaluated in the order the spec lists them so each may use the ones
//! before it: `expr` (a polars SQL expression), `cut` (numeric intervals, as R's `cut`)
//! and `recode` (a value map).

use std::collections::HashMap;

use polars::prelude::*;

use super::column::{as_text, number_label};
use super::{Column, Rows};
use crate::error::{Error, Result};
use crate::spec::{Cut, Recode, Seg, Study};

/// Adds the derived columns to `df`; returns the level order of derived categories.
pub fn apply(
    study: &Study,
    df: &mut DataFrame,
    rows: &Rows,
) -> Result<HashMap<String, Vec<String>>> {
    let mut levels = HashMap::new();
    for (name, d) in study.spec.derive.iter() {
        let here = |key: &str| study.location(&[Seg::Key("derive"), Seg::Key(name), Seg::Key(key)]);
        if let Some(expr) = &d.expr {
            let parsed = super::sql::parse(expr).map_err(|e| {
                let err = Error::in_file(here("expr"), format!("derived column `{name}`: cannot parse `{expr}`: {}", first_line(&e)));
                if super::sql::unknown_function(&e) {
                    err.hint(format!("the functions available: {}", super::sql::FUNCTIONS))
                } else {
                    err.hint("`expr` is a SQL expression over the data's columns, e.g. \"age > 60\", \"log(bili)\" or \"CASE WHEN stage = 4 THEN 'IV' ELSE 'I-III' END\"")
                }
            })?;
            let out = df
                .clone()
                .lazy()
                .with_column(parsed.alias(name.as_str()))
                .collect()
                .map_err(|e| {
                    let err = Error::in_file(
                        here("expr"),
                        format!(
                            "derived column `{name}`: cannot evaluate `{expr}`: {}",
                            first_line(&e)
                        ),
                    );
                    if super::sql::unknown_function(&e) {
                        err.hint(format!(
                            "the functions available: {}",
                            super::sql::FUNCTIONS
                        ))
                    } else {
                        err
                    }
                })?;
            *df = out;
        } else if let Some(cut) = &d.cut {
            let (series, labels) = cut_column(name, cut, df, rows)?;
            df.with_column(series.into_column())
                .map_err(|e| rows.polars(e))?;
            levels.insert(name.clone(), labels);
        } else if let Some(recode) = &d.recode {
            let (series, labels) = recode_column(name, recode, df, rows)?;
            df.with_column(series.into_column())
                .map_err(|e| rows.polars(e))?;
            levels.insert(name.clone(), labels);
        }
    }
    Ok(levels)
}

fn first_line(e: &PolarsError) -> String {
    e.to_string().lines().next().unwrap_or("").to_string()
}

/// R's `cut(x, c(-Inf, breaks, Inf), right = right)`: labels default to R's interval names.
fn cut_column(name: &str, cut: &Cut, df: &DataFrame, rows: &Rows) -> Result<(Series, Vec<String>)> {
    let source = df
        .column(&cut.column)
        .map_err(|e| rows.polars(e))?
        .as_materialized_series();
    let values = Column::numbers(
        &cut.column,
        source,
        rows,
        &format!(
            "derived column `{name}`: cut needs a numeric column, but `{}` has a value that is not a number",
            cut.column
        ),
    )?;
    let labels: Vec<String> = match &cut.labels {
        Some(labels) => labels.clone(),
        None => {
            let edges: Vec<String> = std::iter::once("-Inf".to_string())
                .chain(cut.breaks.iter().map(|b| number_label(*b)))
                .chain(std::iter::once("Inf".to_string()))
                .collect();
            edges
                .windows(2)
                .map(|w| {
                    if cut.right {
                        format!("({},{}]", w[0], w[1])
                    } else {
                        format!("[{},{})", w[0], w[1])
                    }
                })
                .collect()
        }
    };
    let out: Vec<Option<&str>> = values
        .iter()
        .map(|v| {
            let v = (*v).filter(|x| !x.is_nan())?;
            // Interval index: how many breaks lie below v (right-closed) or at/below v.
            let k = if cut.right {
                cut.breaks.partition_point(|b| *b < v)
            } else {
                cut.breaks.partition_point(|b| *b <= v)
            };
            Some(labels[k].as_str())
        })
        .collect();
    Ok((Series::new(name.into(), out), labels))
}

fn recode_column(
    name: &str,
    recode: &Recode,
    df: &DataFrame,
    rows: &Rows,
) -> Result<(Series, Vec<String>)> {
    let source = df
        .column(&recode.column)
        .map_err(|e| rows.polars(e))?
        .as_materialized_series();
    let text = as_text(source, rows)?;
    let mut labels: Vec<String> = Vec::new();
    for v in recode.map.values().chain(recode.default.iter()) {
        if !labels.contains(v) {
            labels.push(v.clone());
        }
    }
    let out: Vec<Option<&str>> = text
        .iter()
        .map(|v| {
            let v = v.as_deref()?;
            recode
                .map
                .get(v)
                .or(recode.default.as_ref())
                .map(String::as_str)
        })
        .collect();
    Ok((Series::new(name.into(), out), labels))
}
