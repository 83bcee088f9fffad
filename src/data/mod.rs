//! The cohort: a CSV or Parquet file read with polars, checked against the spec's declared
//! schema, extended with derived columns, and handed to the statistics as plain vectors.
//!
//! This is the only stage that knows about polars. What leaves it ([`Cohort`]) is columns
//! of `Option<f64>`, `Option<bool>` or level codes, so `stats` works on slices and knows
//! nothing of files or dataframes. Every problem with the data names the file and the
//! offending rows (CSV rows also by line, counting the header as line 1).

mod column;
mod derive;
mod scan;

pub use column::{Column, Values, number_label};

use std::io::Cursor;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Location, Result, nearest};
use crate::spec::{ColType, Endpoint, Seg, Study};

/// A time-to-event endpoint, one entry per data row; `None` where the data are missing.
#[derive(Debug, Clone)]
pub struct EndpointData {
    pub time: Vec<Option<f64>>,
    pub event: Vec<Option<bool>>,
    /// The complete rows in time order, computed once by the first Cox model of the
    /// endpoint and shared by the others (see `results`).
    pub order: std::sync::OnceLock<TimeOrder>,
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
    pub masks: std::collections::HashMap<String, Vec<bool>>,
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
    let spec = &study.spec;
    let path = study.resolve(&spec.data.path);
    let data_at = study.location(&[Seg::Key("data"), Seg::Key("path")]);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::in_file(
                data_at,
                format!("data file not found: {}", crate::error::display_path(&path)),
            )
            .hint("`data.path` is resolved against the folder of the study file"));
        }
        Err(e) => {
            return Err(Error::in_file(
                data_at,
                format!("cannot read data file {}: {e}", path.display()),
            ));
        }
    };
    let csv = !path
        .to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".parquet");
    let rows = Rows {
        path: path.clone(),
        csv,
    };
    // Hashing and parsing each read the whole file: do both at once.
    let parsing = crate::progress::timed("  hash and parse the data");
    let (sha256, df) = rayon::join(
        || crate::hash::sha256_hex(&bytes),
        || {
            // Both readers check the spec's column names against the header before
            // parsing rows.
            if csv {
                read_csv(study, &path, &bytes)
            } else {
                read_parquet(study, &path, &bytes)
            }
        },
    );
    drop(bytes);
    drop(parsing);
    let _columns = crate::progress::timed("  check and convert the columns");
    if let Some(pin) = &spec.data.sha256
        && !pin.eq_ignore_ascii_case(&sha256)
    {
        return Err(Error::in_file(
                study.location(&[Seg::Key("data"), Seg::Key("sha256")]),
                format!("data file {} does not match its pinned sha256\n  pinned: {pin}\n  actual: {sha256}", crate::error::display_path(&path)),
            )
            .hint("the data changed since the study was pinned: restore the pinned file, or update `data.sha256` if the change is intended"));
    }
    let mut df = df?;
    check_declared(study, &df, &rows)?;
    let levels = derive::apply(study, &mut df, &rows)?;

    let n = df.height();
    let mut names: Vec<&str> = Vec::new();
    for planned in &study.analyses {
        for (_, name) in planned.analysis.columns() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    // Each column converts on its own; at registry scale that is worth both cores. The
    // first error in spec order is the one reported, as if done in turn.
    let converted: Vec<Result<Column>> = names
        .par_iter()
        .map(|&name| {
            let series = df
                .column(name)
                .map_err(|e| rows.polars(e))?
                .as_materialized_series();
            Column::from_series(
                name,
                series,
                spec.data.columns.get(name),
                levels.get(name),
                &rows,
            )
        })
        .collect();
    let mut columns = IndexMap::new();
    for (name, col) in names.iter().zip(converted) {
        columns.insert(name.to_string(), col?);
    }
    let ends: Vec<(&String, &Endpoint)> = spec.endpoints.iter().collect();
    let converted: Vec<Result<EndpointData>> = ends
        .par_iter()
        .map(|(name, e)| endpoint(name, e, &df, &rows))
        .collect();
    let mut endpoints = IndexMap::new();
    for ((name, _), e) in ends.iter().zip(converted) {
        endpoints.insert((*name).clone(), e?);
    }
    let masks = flow_masks(study, &df, &rows)?;
    let count = match &spec.data.count {
        None => None,
        Some(col) => Some(counts(col, &df, &rows)?),
    };
    Ok(Cohort {
        masks,
        count,
        n,
        columns,
        endpoints,
        sha256,
    })
}

/// The `data.count` column: a whole number ≥ 0 in every row.
fn counts(col: &str, df: &DataFrame, rows: &Rows) -> Result<Vec<u64>> {
    let series = df
        .column(col)
        .map_err(|e| rows.polars(e))?
        .as_materialized_series();
    let what = format!("the count column `{col}` must hold a whole number ≥ 0 in every row");
    let values = Column::numbers(col, series, rows, &what)?;
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

/// Evaluates every flow step's filter; a row where the filter is null does not pass.
fn flow_masks(
    study: &Study,
    df: &DataFrame,
    rows: &Rows,
) -> Result<std::collections::HashMap<String, Vec<bool>>> {
    let mut masks = std::collections::HashMap::new();
    for planned in &study.analyses {
        let id = &planned.id;
        for f in planned.analysis.filters() {
            let filter = f.sql;
            if masks.contains_key(filter) {
                continue;
            }
            let at = || {
                let mut path = vec![Seg::Key("analyses"), Seg::Key(id)];
                path.extend(f.path.iter().map(crate::spec::OwnedSeg::seg));
                study.location(&path)
            };
            let expr = polars::sql::sql_expr(filter).map_err(|e| {
                Error::in_file(
                    at(),
                    format!(
                        "analysis `{id}`: cannot parse the filter `{filter}`: {}",
                        e.to_string().lines().next().unwrap_or("")
                    ),
                )
            })?;
            let out = df
                .clone()
                .lazy()
                .select([expr.alias("__mask")])
                .collect()
                .map_err(|e| {
                    Error::in_file(
                        at(),
                        format!(
                            "analysis `{id}`: cannot evaluate the filter `{filter}`: {}",
                            e.to_string().lines().next().unwrap_or("")
                        ),
                    )
                })?;
            let column = out.column("__mask").map_err(|e| rows.polars(e))?;
            let mask = column.bool().map_err(|_| {
                Error::in_file(at(), format!("analysis `{id}`: the filter `{filter}` is not a condition (true/false for each row)"))
                    .hint("write a comparison, e.g. \"completed = 1\" or \"age >= 18 AND stage = 'IV'\"")
            })?;
            masks.insert(
                filter.to_string(),
                mask.iter().map(|v| v == Some(true)).collect(),
            );
        }
    }
    Ok(masks)
}

fn read_csv(study: &Study, path: &Path, bytes: &[u8]) -> Result<DataFrame> {
    let file = Location::file(path);
    let shape = scan::scan(bytes);
    if shape.header.is_empty() || shape.header.iter().all(|h| h.is_empty()) {
        return Err(Error::in_file(file, "the data file is empty")
            .hint("a CSV needs a header row naming the columns, then one row per patient"));
    }
    if shape.rows == 0 {
        return Err(Error::in_file(
            file,
            "the data file has a header but no data rows",
        ));
    }
    if shape.ragged_total > 0 {
        let shown: Vec<String> = shape
            .ragged
            .iter()
            .map(|(line, n)| format!("line {line} has {n}"))
            .collect();
        let more = if shape.ragged_total > shape.ragged.len() {
            format!(
                " (and {} more rows)",
                shape.ragged_total - shape.ragged.len()
            )
        } else {
            String::new()
        };
        return Err(Error::in_file(
            Location::at(path, shape.ragged[0].0, 1),
            format!(
                "the header has {} fields but {}{more}",
                shape.header.len(),
                shown.join(", ")
            ),
        )
        .hint("a field with a comma in it must be quoted: \"a, b\""));
    }
    if let Some(dup) = shape
        .header
        .iter()
        .enumerate()
        .find(|(i, h)| shape.header[..*i].contains(h))
        .map(|(_, h)| h)
    {
        return Err(Error::in_file(
            Location::at(path, 1, 1),
            format!("column `{dup}` appears twice in the header"),
        ));
    }
    check_references(study, &shape.header)?;
    let columns =
        used_columns(study, &shape.header).map(|c| c.into_iter().map(PlSmallStr::from).collect());
    let read = |infer: Option<usize>| {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_columns(columns.clone())
            .with_infer_schema_length(infer)
            .with_parse_options(
                CsvParseOptions::default()
                    .with_null_values(Some(NullValues::AllColumns(vec!["".into(), "NA".into()]))),
            )
            .into_reader_with_file_handle(Cursor::new(bytes))
            .finish()
    };
    // Inference looks at the first rows only; a late value of another type makes polars
    // fail. Then every column is read as text, and our own checks name the row.
    match read(Some(10_000)) {
        Ok(df) => Ok(df),
        Err(_) => {
            read(Some(0)).map_err(|e| Error::in_file(file, format!("cannot parse the CSV: {e}")))
        }
    }
}

fn read_parquet(study: &Study, path: &Path, bytes: &[u8]) -> Result<DataFrame> {
    let mut reader = ParquetReader::new(Cursor::new(bytes));
    let schema = reader.schema().map_err(|e| {
        Error::in_file(
            Location::file(path),
            format!("cannot read the Parquet file: {e}"),
        )
    })?;
    let header: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    check_references(study, &header)?;
    let df = reader
        .with_columns(used_columns(study, &header))
        .finish()
        .map_err(|e| {
            Error::in_file(
                Location::file(path),
                format!("cannot read the Parquet file: {e}"),
            )
        })?;
    if df.height() == 0 {
        return Err(Error::in_file(
            Location::file(path),
            "the data file has no rows",
        ));
    }
    Ok(df)
}

/// The data columns a study reads, in the file's order; `None` (all of them) when a SQL
/// expression (a derived `expr`, a flow filter) may read any column. A registry extract
/// often carries dozens of columns a study never looks at, and parsing them is most of
/// the load.
fn used_columns(study: &Study, header: &[String]) -> Option<Vec<String>> {
    let spec = &study.spec;
    if spec.derive.iter().any(|(_, d)| d.expr.is_some())
        || study
            .analyses
            .iter()
            .any(|p| !p.analysis.filters().is_empty())
    {
        return None;
    }
    let mut names: Vec<&str> = spec.data.columns.iter().map(|(n, _)| n.as_str()).collect();
    names.extend(spec.data.count.as_deref());
    for (_, d) in spec.derive.iter() {
        names.extend(d.cut.as_ref().map(|c| c.column.as_str()));
        names.extend(d.recode.as_ref().map(|r| r.column.as_str()));
    }
    for (_, e) in spec.endpoints.iter() {
        for col in [&e.time, &e.event, &e.start, &e.event_date, &e.last_contact]
            .into_iter()
            .flatten()
        {
            names.push(col);
        }
    }
    for p in &study.analyses {
        names.extend(p.analysis.columns().into_iter().map(|(_, c)| c));
    }
    let used: Vec<String> = header
        .iter()
        .filter(|h| names.contains(&h.as_str()))
        .cloned()
        .collect();
    (!used.is_empty()).then_some(used)
}

/// Every column a spec names must exist in the data or be derived before it is used.
fn check_references(study: &Study, header: &[String]) -> Result<()> {
    let spec = &study.spec;
    let mut known: Vec<&str> = header.iter().map(String::as_str).collect();
    let missing = |path: Vec<Seg>, name: &str, known: &[&str], what: &str| -> Error {
        let mut e = study.error_at(
            &path,
            format!("{what} `{name}` is not a column of the data"),
        );
        if let Some(best) = nearest(name, known.iter().copied()) {
            e = e.hint(format!("did you mean `{best}`?"));
        } else {
            e = e.hint(format!("the data have: {}", known.join(", ")));
        }
        e
    };
    for (name, _) in spec.data.columns.iter() {
        if !known.contains(&name.as_str()) {
            return Err(missing(
                vec![Seg::Key("data"), Seg::Key("columns"), Seg::Key(name)],
                name,
                &known,
                "declared column",
            ));
        }
    }
    if let Some(col) = &spec.data.count
        && !known.contains(&col.as_str())
    {
        return Err(missing(
            vec![Seg::Key("data"), Seg::Key("count")],
            col,
            &known,
            "count column",
        ));
    }
    for (name, d) in spec.derive.iter() {
        let source = d
            .cut
            .as_ref()
            .map(|c| c.column.as_str())
            .or(d.recode.as_ref().map(|r| r.column.as_str()));
        if let Some(src) = source
            && !known.contains(&src)
        {
            let key = if d.cut.is_some() { "cut" } else { "recode" };
            return Err(missing(
                vec![Seg::Key("derive"), Seg::Key(name), Seg::Key(key)],
                src,
                &known,
                "derived from column",
            ));
        }
        if known.contains(&name.as_str()) {
            return Err(study
                .error_at(
                    &[Seg::Key("derive"), Seg::Key(name)],
                    format!("derived column `{name}` already exists in the data"),
                )
                .hint("choose another name for the derived column"));
        }
        known.push(name);
    }
    for (name, e) in spec.endpoints.iter() {
        let fields = [
            ("time", &e.time),
            ("event", &e.event),
            ("start", &e.start),
            ("event_date", &e.event_date),
            ("last_contact", &e.last_contact),
        ];
        for (key, col) in fields {
            if let Some(col) = col
                && !known.contains(&col.as_str())
            {
                return Err(missing(
                    vec![Seg::Key("endpoints"), Seg::Key(name), Seg::Key(key)],
                    col,
                    &known,
                    &format!("endpoint `{name}`: {key} column"),
                ));
            }
        }
    }
    for planned in &study.analyses {
        let id = &planned.id;
        for (key, col) in planned.analysis.columns() {
            if !known.contains(&col) {
                return Err(missing(
                    vec![Seg::Key("analyses"), Seg::Key(&id), Seg::Key(key)],
                    col,
                    &known,
                    &format!("analysis `{id}`: {}", key.trim_end_matches('s')),
                ));
            }
        }
    }
    Ok(())
}

/// Checks the declared schema: types, levels and ranges, naming the offending rows.
fn check_declared(study: &Study, df: &DataFrame, rows: &Rows) -> Result<()> {
    for (name, decl) in study.spec.data.columns.iter() {
        let series = df
            .column(name)
            .map_err(|e| rows.polars(e))?
            .as_materialized_series();
        let col = Column::from_series(name, series, Some(decl), None, rows)?;
        if let (Values::Num(values), true) = (&col.values, decl.min.is_some() || decl.max.is_some())
        {
            let (lo, hi) = (
                decl.min.unwrap_or(f64::NEG_INFINITY),
                decl.max.unwrap_or(f64::INFINITY),
            );
            let mut bad = Bad::default();
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v
                    && (*v < lo || *v > hi)
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
            )?;
        }
        if decl.col_type == ColType::Date {
            dates(name, series, rows)?;
        }
    }
    Ok(())
}

/// A date column as days since 1970-01-01: a Date column, or text `YYYY-MM-DD`.
fn dates(name: &str, series: &Series, rows: &Rows) -> Result<Vec<Option<i64>>> {
    if let Ok(ca) = series.date() {
        return Ok(ca.physical().iter().map(|d| d.map(i64::from)).collect());
    }
    let text = series.cast(&DataType::String).map_err(|e| rows.polars(e))?;
    let text = text.str().map_err(|e| rows.polars(e))?;
    let mut bad = Bad::default();
    let out = text
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.and_then(|s| match crate::spec::parse_date(s) {
                Some((y, m, d)) => Some(crate::spec::days_from_civil(y, m, d)),
                None => {
                    bad.push(i, || format!("`{s}`"));
                    None
                }
            })
        })
        .collect();
    bad.check(
        rows,
        &format!("column `{name}` has a value that is not a date (YYYY-MM-DD)"),
    )?;
    Ok(out)
}

fn endpoint(name: &str, e: &Endpoint, df: &DataFrame, rows: &Rows) -> Result<EndpointData> {
    let get = |col: &str| -> Result<&Series> {
        Ok(df
            .column(col)
            .map_err(|e| rows.polars(e))?
            .as_materialized_series())
    };
    let event_col = match &e.event {
        Some(col) => Some(events(name, col, get(col)?, e, rows)?),
        None => None,
    };
    if let Some(time_col) = &e.time {
        let time = Column::numbers(
            time_col,
            get(time_col)?,
            rows,
            &format!(
                "endpoint `{name}`: time column `{time_col}` has a value that is not a number"
            ),
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
        let event = event_col.expect("validated: a time endpoint has an event column");
        return Ok(EndpointData {
            time,
            event,
            order: Default::default(),
        });
    }
    let start_col = e.start.as_deref().expect("validated");
    let last_col = e.last_contact.as_deref().expect("validated");
    let start = dates(start_col, get(start_col)?, rows)?;
    let last = dates(last_col, get(last_col)?, rows)?;
    let event_date = match &e.event_date {
        Some(col) => Some(dates(col, get(col)?, rows)?),
        None => None,
    };
    let unit = e.unit.unwrap_or(crate::spec::Unit::Days);
    let n = df.height();
    let mut time = Vec::with_capacity(n);
    let mut event = Vec::with_capacity(n);
    let mut bad = Bad::default();
    for i in 0..n {
        let ev = match &event_col {
            Some(ev) => ev[i],
            None => Some(event_date.as_ref().expect("validated")[i].is_some()),
        };
        let end = match ev {
            Some(true) => event_date.as_ref().and_then(|d| d[i]).or(last[i]),
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
        event.push(ev);
    }
    bad.check(
        rows,
        &format!("endpoint `{name}`: the end date comes before `{start_col}`"),
    )?;
    Ok(EndpointData {
        time,
        event,
        order: Default::default(),
    })
}

/// An event indicator: 0/1, booleans, or the endpoint's declared event codes.
fn events(
    name: &str,
    col: &str,
    series: &Series,
    e: &Endpoint,
    rows: &Rows,
) -> Result<Vec<Option<bool>>> {
    // 0/1 integers or booleans, the common case, are read without going through text.
    if e.event_codes.is_none() && (series.dtype().is_integer() || series.dtype().is_bool()) {
        let cast = series.cast(&DataType::Int64).map_err(|e| rows.polars(e))?;
        let ints = cast.i64().map_err(|e| rows.polars(e))?;
        let mut bad = Bad::default();
        let out: Vec<Option<bool>> = ints
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
        bad.check(rows, &format!("endpoint `{name}`: event column `{col}` must be 0/1 or true/false"))
            .map_err(|err| err.hint("if events are coded otherwise (R's 1 = censored, 2 = event), declare them: `event_codes: { event: [2], censored: [1] }`"))?;
        return Ok(out);
    }
    let text = column::as_text(series, rows)?;
    let mut bad = Bad::default();
    let out: Vec<Option<bool>> = text
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let v = v.as_deref()?;
            let decoded = match &e.event_codes {
                Some(codes) if codes.event.iter().any(|c| c == v) => Some(true),
                Some(codes) if codes.censored.iter().any(|c| c == v) => Some(false),
                Some(_) => None,
                None => match v.to_ascii_lowercase().as_str() {
                    "1" | "true" => Some(true),
                    "0" | "false" => Some(false),
                    _ => None,
                },
            };
            if decoded.is_none() {
                bad.push(i, || format!("`{v}`"));
            }
            decoded
        })
        .collect();
    let what = match &e.event_codes {
        Some(codes) => format!(
            "endpoint `{name}`: event column `{col}` has a value that is neither an event code ({}) nor a censoring code ({})",
            codes.event.join(", "),
            codes.censored.join(", ")
        ),
        None => format!("endpoint `{name}`: event column `{col}` must be 0/1 or true/false"),
    };
    bad.check(rows, &what).map_err(|err| {
        if e.event_codes.is_none() {
            err.hint("if events are coded otherwise (R's 1 = censored, 2 = event), declare them: `event_codes: { event: [2], censored: [1] }`")
        } else {
            err
        }
    })?;
    Ok(out)
}
