//! The cohort: a CSV or Parquet file read with polars, checked against the spec's declared
//! schema, extended with derived columns, and handed to the statistics as plain vectors.
//!
//! This is the only stage that knows about polars. What leaves it ([`Cohort`]) is columns
//! of `Option<f64>`, `Option<bool>` or level codes, so `stats` works on slices and knows
//! nothing of files or dataframes. Every problem with the data names the file and the
//! offending rows (CSV rows also by line, counting the header as line 1).

mod column;
pub mod database;
mod declared;
mod derive;
mod endpoint;
mod filters;
pub mod read;
mod references;
mod scan;
mod sql;

pub use column::{Column, Values, number_label};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Location, Result};
use crate::spec::Study;

/// A time-to-event endpoint, one entry per data row; `None` where the data are missing.
#[derive(Debug, Clone)]
pub struct EndpointData {
    pub time: Vec<Option<f64>>,
    pub event: Vec<Option<bool>>,
    /// With competing risks: each row's cause, 1 for the first declared and 0 for a
    /// censoring (where `event` is present).
    pub cause: Option<Vec<u8>>,
    /// The complete rows in time order, computed once by the first Cox model of the
    /// endpoint and shared by the others (see `results`).
    pub order: std::sync::OnceLock<TimeOrder>,
}

impl EndpointData {
    /// Administrative censoring: a time beyond `at` becomes a censoring at `at`.
    pub fn censor_at(&mut self, at: f64) {
        for i in 0..self.time.len() {
            if let Some(t) = self.time[i]
                && t > at
            {
                self.time[i] = Some(at);
                if self.event[i].is_some() {
                    self.event[i] = Some(false);
                }
                if let Some(c) = &mut self.cause {
                    c[i] = 0;
                }
            }
        }
        self.order = Default::default();
    }
}

/// An endpoint's complete rows sorted by time, with their times and events.
#[derive(Debug, Clone)]
pub struct TimeOrder {
    pub order: Vec<u32>,
    pub time: Vec<f64>,
    pub event: Vec<bool>,
}

/// The data an analysis run needs, in plain Rust types.
#[derive(Debug, Clone)]
pub struct Cohort {
    pub n: usize,
    pub columns: IndexMap<String, Column>,
    pub endpoints: IndexMap<String, EndpointData>,
    /// sha256 of the data file's bytes.
    pub sha256: String,
    /// Row filters of flow analyses, by their SQL text: true where a row passes.
    pub masks: HashMap<String, Vec<bool>>,
    /// With `data.count`: how many patients each row stands for.
    pub count: Option<Vec<u64>>,
}

impl Cohort {
    /// Patients, not rows: with `data.count` each row stands for several.
    pub fn patients(&self) -> u64 {
        self.count
            .as_ref()
            .map_or(self.n as u64, |c| c.iter().sum())
    }
}

/// How to name a data row in a message.
#[derive(Debug, Clone)]
pub struct Rows {
    path: PathBuf,
    csv: bool,
}

impl Rows {
    /// Rows of the data file at `path`: a CSV unless it is a Parquet file.
    fn of(path: &Path) -> Rows {
        let csv = !path
            .to_string_lossy()
            .to_ascii_lowercase()
            .ends_with(".parquet");
        Rows {
            path: path.to_path_buf(),
            csv,
        }
    }

    /// A failure inside polars while reading the data, named by the data file.
    pub fn polars(&self, e: PolarsError) -> Error {
        let first = e.to_string().lines().next().unwrap_or("").to_string();
        Error::in_file(
            Location::file(&self.path),
            format!("cannot read the data: {first}"),
        )
        .caused_by(e)
    }

    pub fn name(&self, i: usize) -> String {
        if self.csv {
            format!("row {} (line {})", i + 1, i + 2)
        } else {
            format!("row {}", i + 1)
        }
    }

    /// "3 rows ...: row 5 (line 6): `x`; ..." with the first few shown.
    pub fn error(&self, what: &str, bad: &[(usize, String)], total: usize) -> Error {
        let shown: Vec<String> = bad
            .iter()
            .take(5)
            .map(|(i, v)| format!("{}: {v}", self.name(*i)))
            .collect();
        let more = if total > shown.len() {
            format!("; and {} more", total - shown.len())
        } else {
            String::new()
        };
        let noun = if total == 1 { "row" } else { "rows" };
        Error::in_file(
            Location::file(&self.path),
            format!("{what} in {total} {noun}: {}{more}", shown.join("; ")),
        )
    }
}

/// Collects offending rows: the first few and the count.
#[derive(Default)]
pub(crate) struct Bad {
    pub rows: Vec<(usize, String)>,
    pub total: usize,
}

impl Bad {
    pub fn push(&mut self, row: usize, shown: impl FnOnce() -> String) {
        if self.rows.len() < 5 {
            self.rows.push((row, shown()));
        }
        self.total += 1;
    }

    pub fn check(self, rows: &Rows, what: &str) -> Result<()> {
        if self.total == 0 {
            Ok(())
        } else {
            Err(rows.error(what, &self.rows, self.total))
        }
    }
}

/// Reads, checks and prepares the study's data.
pub fn load(study: &Study) -> Result<Cohort> {
    let path = study.resolve(&study.spec.data.path);
    let bytes = read::file(study, &path)?;
    let rows = Rows::of(&path);
    let (sha256, df) = read::hash_and_parse(study, &rows, bytes);
    let _columns = crate::progress::timed("  check and convert the columns");
    read::check_pin(study, &path, &sha256)?;
    let mut df = df?;
    declared::check(study, &df, &rows)?;
    let levels = derive::apply(study, &mut df, &rows)?;
    let columns = analysis_columns(study, &df, &levels, &rows)?;
    let endpoints = endpoint::read_all(study, &df, &rows)?;
    let masks = filters::flow_masks(study, &df, &rows)?;
    check_weights(study, &columns, &masks, &rows)?;
    let count = match &study.spec.data.count {
        None => None,
        Some(col) => Some(counts(col, &df, &rows)?),
    };
    Ok(Cohort {
        n: df.height(),
        columns,
        endpoints,
        sha256,
        masks,
        count,
    })
}

/// The column `name` of the data, which the checks against the header have seen.
fn series<'a>(df: &'a DataFrame, name: &str, rows: &Rows) -> Result<&'a Series> {
    Ok(df
        .column(name)
        .map_err(|e| rows.polars(e))?
        .as_materialized_series())
}

/// Every column an analysis reads, converted once, in the order the analyses name them.
fn analysis_columns(
    study: &Study,
    df: &DataFrame,
    levels: &HashMap<String, Vec<String>>,
    rows: &Rows,
) -> Result<IndexMap<String, Column>> {
    let mut names: Vec<&str> = Vec::new();
    for planned in &study.analyses {
        for (_, name) in planned.analysis.columns() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    // Each column converts on its own; at registry scale that is worth a thread each. The
    // first error in spec order is the one reported, as if done in turn.
    let converted: Vec<Result<Column>> = names
        .par_iter()
        .map(|&name| {
            Column::from_series(
                name,
                series(df, name, rows)?,
                study.spec.data.columns.get(name),
                levels.get(name),
                rows,
            )
        })
        .collect();
    let mut columns = IndexMap::new();
    for (name, col) in names.iter().zip(converted) {
        columns.insert(name.to_string(), col?);
    }
    Ok(columns)
}

/// A column of case weights holds a number > 0 in every row: a missing weight is not a
/// missing value to drop quietly, and a weight of 0 or below is no patient.
fn check_weights(
    study: &Study,
    columns: &IndexMap<String, Column>,
    masks: &HashMap<String, Vec<bool>>,
    rows: &Rows,
) -> Result<()> {
    for planned in &study.analyses {
        let used = planned
            .analysis
            .scope()
            .and_then(|s| s.where_.as_ref())
            .map(|w| &masks[w.as_str()]);
        for (key, name) in planned.analysis.columns() {
            if key != "weights" {
                continue;
            }
            let id = &planned.id;
            let column::Values::Num(values) = &columns[name].values else {
                use crate::spec::Seg;
                return Err(study
                    .error_at(
                        &[Seg::Key("analyses"), Seg::Key(id), Seg::Key("weights")],
                        format!("analysis `{id}`: the weights column `{name}` is not numeric"),
                    )
                    .hint("case weights are numbers > 0, one per row"));
            };
            let mut bad = Bad::default();
            for (i, v) in values.iter().enumerate() {
                if used.is_some_and(|m| !m[i]) {
                    continue;
                }
                match v {
                    Some(w) if w.is_finite() && *w > 0.0 => {}
                    Some(w) => bad.push(i, || format!("{w}")),
                    None => bad.push(i, || "a missing value".into()),
                }
            }
            bad.check(
                rows,
                &format!("analysis `{id}`: the weights column `{name}` must hold a number > 0"),
            )
            .map_err(|e| e.hint("give every row its weight; leave rows out with `where:`, not with a weight of 0 or a blank"))?;
        }
    }
    Ok(())
}

/// The `data.count` column: a whole number ≥ 0 in every row.
fn counts(col: &str, df: &DataFrame, rows: &Rows) -> Result<Vec<u64>> {
    let what = format!("the count column `{col}` must hold a whole number ≥ 0 in every row");
    let values = Column::numbers(col, series(df, col, rows)?, rows, &what)?;
    let mut bad = Bad::default();
    let out = values
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Some(x) if x.fract() == 0.0 && *x >= 0.0 && x.is_finite() => *x as u64,
            other => {
                bad.push(i, || {
                    other.map_or("a missing value".into(), |x| format!("{x}"))
                });
                0
            }
        })
        .collect();
    bad.check(rows, &what)?;
    Ok(out)
}
