//! The row filters of flow analyses: polars SQL conditions, evaluated once per distinct
//! text over the whole data.

use std::collections::HashMap;

use polars::prelude::*;

use super::Rows;
use crate::error::{Error, Location, Result};
use crate::spec::{OwnedSeg, Seg, Study};

/// Evaluates every flow step's filter; a row where the filter is null does not pass.
pub(super) fn flow_masks(
    study: &Study,
    df: &DataFrame,
    rows: &Rows,
) -> Result<HashMap<String, Vec<bool>>> {
    let mut masks = HashMap::new();
    for planned in &study.analyses {
        let id = &planned.id;
        let scope_where = planned.analysis.scope().and_then(|s| s.where_.as_deref());
        let filters = planned
            .analysis
            .filters()
            .into_iter()
            .chain(scope_where.map(|sql| crate::analysis::Filter {
                path: vec![OwnedSeg::Key("where".into())],
                sql,
            }));
        for f in filters {
            if masks.contains_key(f.sql) {
                continue;
            }
            let at = || {
                let mut path = vec![Seg::Key("analyses"), Seg::Key(id)];
                path.extend(f.path.iter().map(OwnedSeg::seg));
                study.location(&path)
            };
            let mask = mask(id, f.sql, at, df, rows)?;
            masks.insert(f.sql.to_string(), mask);
        }
    }
    Ok(masks)
}

/// Where `filter` holds in each row; errors name analysis `id` and are placed `at` the
/// filter's key.
fn mask(
    id: &str,
    filter: &str,
    at: impl Fn() -> Location,
    df: &DataFrame,
    rows: &Rows,
) -> Result<Vec<bool>> {
    let first_line = |e: PolarsError| e.to_string().lines().next().unwrap_or("").to_string();
    let functions = |e: &PolarsError, err: Error| {
        if super::sql::unknown_function(e) {
            err.hint(format!(
                "the functions available: {}",
                super::sql::FUNCTIONS
            ))
        } else {
            err
        }
    };
    let expr = super::sql::parse(filter).map_err(|e| {
        let err = Error::in_file(
            at(),
            format!(
                "analysis `{id}`: cannot parse the filter `{filter}`: {}",
                first_line(e.clone())
            ),
        );
        functions(&e, err)
    })?;
    let out = df
        .clone()
        .lazy()
        .select([expr.alias("__mask")])
        .collect()
        .map_err(|e| {
            let err = Error::in_file(
                at(),
                format!(
                    "analysis `{id}`: cannot evaluate the filter `{filter}`: {}",
                    first_line(e.clone())
                ),
            );
            functions(&e, err)
        })?;
    let column = out.column("__mask").map_err(|e| rows.polars(e))?;
    let mask = column.bool().map_err(|_| {
        Error::in_file(at(), format!("analysis `{id}`: the filter `{filter}` is not a condition (true/false for each row)"))
            .hint("write a comparison, e.g. \"completed = 1\" or \"age >= 18 AND stage = 'IV'\"")
    })?;
    Ok(mask.iter().map(|v| v == Some(true)).collect())
}
