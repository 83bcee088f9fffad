//! A data column in the form the statistics use, and how a polars series becomes one.

use polars::prelude::*;

use super::{Bad, Rows};
use crate::error::Result;
use crate::spec::{ColType, ColumnSpec};

/// A numeric column with NaN for a missing value: eight bytes a value where
/// `Option<f64>` takes sixteen (a registry's column of ten million is 80 MB, not 160), and
/// a value that is not a number is missing to every reader anyway.
#[derive(Debug, Clone, Default)]
pub struct Numbers(Vec<f64>);

impl Numbers {
    /// The value of row `i`, `None` where it is missing.
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        let v = self.0[i];
        (!v.is_nan()).then_some(v)
    }

    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        self.0.iter().map(|&v| (!v.is_nan()).then_some(v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Option<f64>> for Numbers {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(iter: I) -> Numbers {
        Numbers(iter.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
    }
}

impl From<Vec<Option<f64>>> for Numbers {
    fn from(v: Vec<Option<f64>>) -> Numbers {
        v.into_iter().collect()
    }
}

/// Missing equals missing, as `Option` had it.
impl PartialEq for Numbers {
    fn eq(&self, other: &Numbers) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Num(Numbers),
    Bool(Vec<Option<bool>>),
    /// Level codes into `levels`, which are in the column's order (declared, derived, or
    /// sorted); `reference` indexes the level Cox terms are contrasted against.
    Cat {
        codes: Vec<Option<u32>>,
        levels: Vec<String>,
        reference: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Values,
}

impl Column {
    /// Reads a series, following the declared type when there is one. `levels` fixes the
    /// order of a derived category (a `cut`'s labels, a `recode`'s values).
    pub fn from_series(
        name: &str,
        series: &Series,
        decl: Option<&ColumnSpec>,
        levels: Option<&Vec<String>>,
        rows: &Rows,
    ) -> Result<Column> {
        let values = match decl.map(|d| d.col_type) {
            Some(ColType::Float) => Values::Num(Column::compact_numbers(
                series,
                rows,
                &format!("column `{name}` is declared float but has a value that is not a number"),
            )?),
            Some(ColType::Int) => {
                let v = Column::numbers(
                    name,
                    series,
                    rows,
                    &format!(
                        "column `{name}` is declared int but has a value that is not a number"
                    ),
                )?;
                let mut bad = Bad::default();
                for (i, x) in v.iter().enumerate() {
                    if let Some(x) = x
                        && x.fract() != 0.0
                    {
                        bad.push(i, || format!("{x}"));
                    }
                }
                bad.check(
                    rows,
                    &format!(
                        "column `{name}` is declared int but has a value that is not a whole number"
                    ),
                )?;
                Values::Num(v.into())
            }
            Some(ColType::Bool) => Values::Bool(booleans(name, series, rows)?),
            Some(ColType::Category) | Some(ColType::String) => {
                let decl = decl.expect("matched Some");
                category(
                    name,
                    &as_text(series, rows)?,
                    decl.levels.as_ref().or(levels),
                    decl.reference.as_deref(),
                    rows,
                )?
            }
            Some(ColType::Date) => Values::Num(
                dates(name, series, rows)?
                    .into_iter()
                    .map(|d| d.map(|d| d as f64))
                    .collect(),
            ),
            None => undeclared(name, series, levels, rows)?,
        };
        Ok(Column {
            name: name.to_string(),
            values,
        })
    }

    /// A numeric column as [`Numbers`], read straight from a numeric series without the
    /// `Option` vector in between.
    pub fn compact_numbers(series: &Series, rows: &Rows, what: &str) -> Result<Numbers> {
        if series.dtype().is_primitive_numeric() || series.dtype().is_bool() {
            let cast = series
                .cast(&DataType::Float64)
                .map_err(|e| rows.polars(e))?;
            let ca = cast.f64().map_err(|e| rows.polars(e))?;
            return Ok(Numbers(if ca.null_count() == 0 {
                ca.into_no_null_iter().collect()
            } else {
                ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect()
            }));
        }
        Ok(Column::numbers("", series, rows, what)?.into())
    }

    /// A numeric column; text that does not parse as a number is an error naming rows.
    pub fn numbers(
        _name: &str,
        series: &Series,
        rows: &Rows,
        what: &str,
    ) -> Result<Vec<Option<f64>>> {
        if series.dtype().is_primitive_numeric() || series.dtype().is_bool() {
            let cast = series
                .cast(&DataType::Float64)
                .map_err(|e| rows.polars(e))?;
            let ca = cast.f64().map_err(|e| rows.polars(e))?;
            // Without missing values the validity checks per value can be skipped.
            return Ok(if ca.null_count() == 0 {
                ca.into_no_null_iter().map(Some).collect()
            } else {
                ca.iter().collect()
            });
        }
        let text = as_text(series, rows)?;
        parse_each(text.iter().map(Option::as_deref), rows, what, |s| {
            s.trim().parse::<f64>().ok()
        })
    }

    /// The column at `rows` only, in that order; a category keeps all its levels.
    pub fn take(&self, rows: &[usize]) -> Column {
        fn pick<T: Copy>(v: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().map(|&i| v[i]).collect()
        }
        let values = match &self.values {
            Values::Num(v) => Values::Num(Numbers(pick(&v.0, rows))),
            Values::Bool(v) => Values::Bool(pick(v, rows)),
            Values::Cat {
                codes,
                levels,
                reference,
            } => Values::Cat {
                codes: pick(codes, rows),
                levels: levels.clone(),
                reference: *reference,
            },
        };
        Column {
            name: self.name.clone(),
            values,
        }
    }

    /// The values at `rows` as numbers (a boolean as 0/1); the rows must be complete.
    pub fn numbers_at(&self, rows: &[usize]) -> Vec<f64> {
        rows.iter()
            .map(|&i| match &self.values {
                Values::Num(v) => v.get(i).expect("complete row"),
                Values::Bool(v) => f64::from(u8::from(v[i].expect("complete row"))),
                Values::Cat { codes, .. } => f64::from(codes[i].expect("complete row")),
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        match &self.values {
            Values::Num(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Cat { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_missing(&self, row: usize) -> bool {
        match &self.values {
            Values::Num(v) => v.get(row).is_none(),
            Values::Bool(v) => v[row].is_none(),
            Values::Cat { codes, .. } => codes[row].is_none(),
        }
    }

    /// Groups the given (non-missing) rows by value: a code per row, and the labels of the
    /// groups that occur, in the column's order. Integer values are labelled as integers
    /// ("1", "2"), booleans "false"/"true", categories by level.
    pub fn groups(&self, rows: &[usize]) -> (Vec<u32>, Vec<String>) {
        match &self.values {
            Values::Num(v) => {
                // A grouping column has few values: keep them sorted as they come, and
                // only sort every row when there turn out to be many. `+ 0.0` makes -0.0
                // the same group as 0.0, as R's `factor` does.
                let value = |r: usize| v.get(r).expect("non-missing row") + 0.0;
                let mut distinct: Vec<f64> = Vec::new();
                for &r in rows {
                    let x = value(r);
                    if let Err(at) = distinct.binary_search_by(|d| d.total_cmp(&x)) {
                        distinct.insert(at, x);
                        if distinct.len() > 64 {
                            distinct = rows.iter().map(|&r| value(r)).collect();
                            distinct.sort_by(f64::total_cmp);
                            distinct.dedup();
                            break;
                        }
                    }
                }
                let codes = rows
                    .iter()
                    .map(|&r| {
                        distinct
                            .binary_search_by(|d| d.total_cmp(&value(r)))
                            .expect("value present") as u32
                    })
                    .collect();
                (codes, distinct.iter().map(|x| number_label(*x)).collect())
            }
            Values::Bool(v) => {
                let present = [false, true].map(|b| rows.iter().any(|&r| v[r] == Some(b)));
                let labels: Vec<String> = [false, true]
                    .iter()
                    .filter(|b| present[**b as usize])
                    .map(|b| b.to_string())
                    .collect();
                let first_true = if present[0] { 1 } else { 0 };
                let codes = rows
                    .iter()
                    .map(|&r| if v[r] == Some(true) { first_true } else { 0 })
                    .collect();
                (codes, labels)
            }
            Values::Cat { codes, levels, .. } => {
                let mut present = vec![false; levels.len()];
                for &r in rows {
                    present[codes[r].expect("non-missing row") as usize] = true;
                }
                let mut remap = vec![u32::MAX; levels.len()];
                let mut labels = Vec::new();
                for (i, level) in levels.iter().enumerate() {
                    if present[i] {
                        remap[i] = labels.len() as u32;
                        labels.push(level.clone());
                    }
                }
                (
                    rows.iter()
                        .map(|&r| remap[codes[r].expect("non-missing row") as usize])
                        .collect(),
                    labels,
                )
            }
        }
    }
}

impl Column {
    /// Like [`Column::groups`], but a category keeps every level it declares, present or
    /// not, as R's `table()` of a factor does: a Table 1 row of 0 (0%) is a result.
    pub fn levels_of(&self, rows: &[usize]) -> (Vec<u32>, Vec<String>) {
        match &self.values {
            Values::Cat { codes, levels, .. } => (
                rows.iter()
                    .map(|&r| codes[r].expect("non-missing row"))
                    .collect(),
                levels.clone(),
            ),
            _ => self.groups(rows),
        }
    }
}

/// Integers print without a decimal point, so group 1 is "1" as in R.
pub fn number_label(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Every value as text: integers without a decimal point, booleans as true/false.
pub fn as_text(series: &Series, rows: &Rows) -> Result<Vec<Option<String>>> {
    let err = |e: PolarsError| rows.polars(e);
    if series.dtype().is_primitive_numeric() {
        let cast = series.cast(&DataType::Float64).map_err(err)?;
        return Ok(cast
            .f64()
            .map_err(err)?
            .iter()
            .map(|v| v.map(number_label))
            .collect());
    }
    if let Ok(b) = series.bool() {
        return Ok(b.iter().map(|v| v.map(|b| b.to_string())).collect());
    }
    let cast = series.cast(&DataType::String).map_err(err)?;
    Ok(cast
        .str()
        .map_err(err)?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect())
}

/// A date column as days since 1970-01-01: a Date column, or text `YYYY-MM-DD`.
pub fn dates(name: &str, series: &Series, rows: &Rows) -> Result<Vec<Option<i64>>> {
    if let Ok(ca) = series.date() {
        return Ok(ca.physical().iter().map(|d| d.map(i64::from)).collect());
    }
    let text = series.cast(&DataType::String).map_err(|e| rows.polars(e))?;
    let text = text.str().map_err(|e| rows.polars(e))?;
    parse_each(
        text.iter(),
        rows,
        &format!("column `{name}` has a value that is not a date (YYYY-MM-DD)"),
        |s| crate::spec::parse_date(s).map(|(y, m, d)| crate::spec::days_from_civil(y, m, d)),
    )
}

fn booleans(name: &str, series: &Series, rows: &Rows) -> Result<Vec<Option<bool>>> {
    if let Ok(b) = series.bool() {
        return Ok(b.iter().collect());
    }
    let text = as_text(series, rows)?;
    parse_each(
        text.iter().map(Option::as_deref),
        rows,
        &format!("column `{name}` is declared bool but has a value that is not 0/1 or true/false"),
        parse_bool,
    )
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

fn category(
    name: &str,
    text: &[Option<String>],
    declared: Option<&Vec<String>>,
    reference: Option<&str>,
    rows: &Rows,
) -> Result<Values> {
    let levels: Vec<String> = match declared {
        Some(levels) => levels.clone(),
        None => {
            let mut distinct: Vec<String> = text.iter().flatten().cloned().collect();
            distinct.sort();
            distinct.dedup();
            distinct
        }
    };
    let index: std::collections::HashMap<&str, u32> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i as u32))
        .collect();
    let codes = parse_each(
        text.iter().map(Option::as_deref),
        rows,
        &format!(
            "column `{name}` has a value outside its declared levels [{}]",
            levels.join(", ")
        ),
        |s| index.get(s).copied(),
    )?;
    let reference = reference
        .and_then(|r| levels.iter().position(|l| l == r))
        .unwrap_or(0);
    Ok(Values::Cat {
        codes,
        levels,
        reference,
    })
}

/// An undeclared column: polars' type decides, and text that is all numbers or all
/// true/false (a column read as text after a late odd value) is read as such.
fn undeclared(
    name: &str,
    series: &Series,
    levels: Option<&Vec<String>>,
    rows: &Rows,
) -> Result<Values> {
    if series.dtype().is_bool() {
        return Ok(Values::Bool(
            series.bool().map_err(|e| rows.polars(e))?.iter().collect(),
        ));
    }
    if series.dtype().is_primitive_numeric() && levels.is_none() {
        return Ok(Values::Num(Column::compact_numbers(series, rows, "")?));
    }
    let text = as_text(series, rows)?;
    if levels.is_none() {
        let present: Vec<&str> = text.iter().flatten().map(String::as_str).collect();
        if !present.is_empty() && present.iter().all(|s| s.trim().parse::<f64>().is_ok()) {
            return Ok(Values::Num(
                text.iter()
                    .map(|v| v.as_deref().map(|s| s.trim().parse().expect("checked")))
                    .collect(),
            ));
        }
        if !present.is_empty()
            && present
                .iter()
                .all(|s| parse_bool(s).is_some() && s.parse::<f64>().is_err())
        {
            return Ok(Values::Bool(
                text.iter()
                    .map(|v| v.as_deref().and_then(parse_bool))
                    .collect(),
            ));
        }
    }
    category(name, &text, levels, None, rows)
}

/// Each present text value read by `read`; the rows where it gives nothing are one error
/// saying `what`, with the first few values shown.
fn parse_each<'a, T>(
    text: impl IntoIterator<Item = Option<&'a str>>,
    rows: &Rows,
    what: &str,
    read: impl Fn(&str) -> Option<T>,
) -> Result<Vec<Option<T>>> {
    let mut bad = Bad::default();
    let out = text
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let s = v?;
            let x = read(s);
            if x.is_none() {
                bad.push(i, || format!("`{s}`"));
            }
            x
        })
        .collect();
    bad.check(rows, what)?;
    Ok(out)
}
