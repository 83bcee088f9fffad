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

pub use column::{Column, Numbers, Values, number_label};

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use polars::prelude::*;
use rayon::prelude::*;

use crate::error::{Error, Location, Result};
use crate::spec::{Seg, Study};

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
    /// For a cohort in a database: where its rows are, for the analyses that have the
    /// server sum over them. The rows above are then the server's counts per
    /// combination of the columns the count-based analyses read.
    pub database: Option<std::sync::Arc<InDatabase>>,
}

/// A database's counts: the columns they are over, then each count row's values as the
/// server printed them.
pub type Groups = (Vec<String>, Vec<Vec<Option<String>>>);

/// A cohort's rows in a database.
#[derive(Debug)]
pub struct InDatabase {
    pub source: database::Source,
    /// `SHOW server_version`.
    pub server: String,
    /// The relation's columns and what they hold.
    pub columns: Vec<(String, database::SqlKind)>,
    /// How the spec names the relation: `database table cohort` or `database query`.
    pub name: String,
    /// The declared columns, which say how a covariate is read.
    pub declared: IndexMap<String, crate::spec::ColumnSpec>,
    /// Each endpoint's columns, by endpoint.
    pub endpoint_columns: IndexMap<String, Vec<String>>,
    /// The columns the counts are over (the count last) and each count row's values as
    /// the server printed them: the cohort's rows, by which an endpoint's raw values are
    /// matched to its times and events.
    pub groups: std::sync::Arc<Groups>,
    /// The sha256 of every aggregate the statistics used, added as analyses ask the
    /// server for more (a Cox model's sums at each step); the cohort's counts first.
    pub hashes: std::sync::Mutex<Vec<(String, String)>>,
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
    /// For a database's counts: the columns they are over and each row's values, by
    /// which a row is named (it is no row of any file).
    groups: Option<std::sync::Arc<Groups>>,
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
            groups: None,
        }
    }

    /// Whether the rows are a database's counts.
    pub fn aggregated(&self) -> bool {
        self.groups.is_some()
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
        if let Some(groups) = &self.groups {
            let (columns, cells) = &**groups;
            let values: Vec<String> = columns
                .iter()
                .zip(&cells[i])
                .map(|(c, v)| format!("{c} = {}", v.as_deref().unwrap_or("NULL")))
                .collect();
            return format!("the rows where {}", values.join(", "));
        }
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
    let Some(file) = study.spec.data.file() else {
        return from_database(study);
    };
    let path = study.resolve(file);
    let bytes = read::file(study, &path)?;
    let rows = Rows::of(&path);
    let (sha256, df) = read::hash_and_parse(study, &rows, bytes);
    let _columns = crate::progress::timed("  check and convert the columns");
    read::check_pin(study, &path, &sha256)?;
    let mut df = df?;
    declared::check(study, &df, &rows)?;
    let levels = derive::apply(study, &mut df, &rows)?;
    let columns = analysis_columns(study, &df, &levels, &rows, |_| true)?;
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
        database: None,
    })
}

/// A cohort in a database: the server counts its patients per combination of the
/// columns the count-based analyses read (endpoints and groups), and those counts are
/// read as a file's rows with `data.count` would be; the analyses that need sums over
/// the rows themselves (Cox) ask the server for them as they run.
fn from_database(study: &Study) -> Result<Cohort> {
    let spec = study
        .spec
        .data
        .database
        .as_ref()
        .expect("validated: a path or a database");
    let at = |key: &str| study.location(&[Seg::Key("data"), Seg::Key("database"), Seg::Key(key)]);
    let db_error = |key: &str, e: database::DbError| {
        let err = Error::in_file(at(key), e.message);
        match e.hint {
            Some(h) => err.hint(h),
            None => err,
        }
    };
    if let Some((name, _)) = study.spec.derive.iter().next() {
        return Err(study
            .error_at(
                &[Seg::Key("derive"), Seg::Key(name)],
                format!("derived column `{name}`: derived columns are computed over a file's rows, and this cohort is in a database"),
            )
            .hint("compute it in the database instead: `query: SELECT *, <expression> AS name FROM ...`"));
    }
    for planned in &study.analyses {
        if planned.analysis.scope().is_some_and(|s| s.where_.is_some()) {
            let id = &planned.id;
            return Err(study
                .error_at(
                    &[Seg::Key("analyses"), Seg::Key(id), Seg::Key("where")],
                    format!("analysis `{id}`: `where` is evaluated over a file's rows, and this cohort is in a database"),
                )
                .hint("select those rows in the database: `query: SELECT * FROM ... WHERE ...`, in a study of its own"));
        }
    }
    let source = database::Source::new(spec);
    let relation_key = if spec.table.is_some() {
        "table"
    } else {
        "query"
    };
    let mut client = source.connect().map_err(|e| db_error("url", e))?;
    let columns =
        database::columns(&mut client, source.relation()).map_err(|e| db_error(relation_key, e))?;
    let names: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
    references::check(study, &names)?;
    // The columns counted over: every endpoint's, then the count-based analyses' own.
    let mut over: Vec<String> = Vec::new();
    for source in study.endpoints.values() {
        for (_, c) in source.columns() {
            if !over.iter().any(|o| o == c) {
                over.push(c.to_string());
            }
        }
    }
    for planned in &study.analyses {
        if !on_counts(planned) {
            continue;
        }
        for (_, c) in planned.analysis.columns() {
            if !over.iter().any(|o| o == c) {
                over.push(c.to_string());
            }
        }
    }
    let wanted: Vec<&str> = over.iter().map(String::as_str).collect();
    let aggregated = {
        let _step = crate::progress::timed("  server: count the patients");
        database::aggregate(&mut client, source.relation(), &wanted)
            .map_err(|e| db_error(relation_key, e))?
    };
    let name = spec.relation_name();
    let sha256 = crate::hash::sha256_hex(&aggregated.csv);
    if let Some(pin) = &study.spec.data.sha256
        && !pin.eq_ignore_ascii_case(&sha256)
    {
        return Err(Error::in_file(
            study.location(&[Seg::Key("data"), Seg::Key("sha256")]),
            format!("the counts of {name} do not match their pinned sha256\n  pinned: {pin}\n  actual: {sha256}"),
        )
        .hint("the rows changed since the study was pinned: restore them, or update `data.sha256` if the change is intended"));
    }
    let mut header = over.clone();
    header.push(database::COUNT.into());
    let groups = std::sync::Arc::new((header, aggregated.cells));
    let rows = Rows {
        path: PathBuf::from(&name),
        csv: false,
        groups: Some(groups.clone()),
    };
    let df = read::csv_frame(Path::new(&name), &aggregated.csv, None)?;
    declared::check(study, &df, &rows)?;
    let levels = HashMap::new();
    let columns_used = analysis_columns(study, &df, &levels, &rows, on_counts)?;
    let endpoints = endpoint::read_all(study, &df, &rows)?;
    let count = counts(database::COUNT, &df, &rows)?;
    {
        let _step = crate::progress::timed("  server: close the session");
        drop(client);
    }
    Ok(Cohort {
        n: df.height(),
        columns: columns_used,
        endpoints,
        sha256: sha256.clone(),
        masks: HashMap::new(),
        count: Some(count),
        database: Some(std::sync::Arc::new(InDatabase {
            source,
            server: aggregated.server,
            columns,
            name,
            declared: study
                .spec
                .data
                .columns
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            endpoint_columns: study
                .endpoints
                .iter()
                .map(|(k, e)| {
                    (
                        k.clone(),
                        e.columns().iter().map(|(_, c)| c.to_string()).collect(),
                    )
                })
                .collect(),
            groups,
            hashes: std::sync::Mutex::new(vec![("counts".into(), sha256)]),
        })),
    })
}

impl InDatabase {
    /// One sha256 over every aggregate recorded so far, in the order of their labels
    /// (analyses add theirs in whatever order they finish).
    pub fn sha256(&self) -> String {
        let mut hashes = self.hashes.lock().expect("no panic while held").clone();
        hashes.sort();
        let text: String = hashes.iter().map(|(l, h)| format!("{h}  {l}\n")).collect();
        crate::hash::sha256_hex(text.as_bytes())
    }

    /// Records the sha256 of an aggregate a statistic used.
    pub fn record(&self, label: String, sha256: String) {
        self.hashes
            .lock()
            .expect("no panic while held")
            .push((label, sha256));
    }

    /// What the manifest says of the database: its server, the rows, and the hash of each
    /// aggregate the statistics used (never the URL, which can name a user).
    pub fn manifest(&self) -> serde_json::Value {
        let mut hashes = self.hashes.lock().expect("no panic while held").clone();
        hashes.sort();
        let mut out = serde_json::json!({ "server_version": self.server });
        match self.source.relation() {
            database::Relation::Table(t) => out["table"] = t.into(),
            database::Relation::Query(q) => out["query"] = q.into(),
        }
        out["sha256"] = self.sha256().into();
        out["aggregates"] = hashes
            .iter()
            .map(|(l, h)| serde_json::json!({ "what": l, "sha256": h }))
            .collect();
        out
    }
}

/// Whether an analysis runs on counts per row.
fn on_counts(planned: &crate::analysis::Planned) -> bool {
    crate::analysis::kind(planned.kind).is_some_and(|k| k.on_counts)
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
    wanted: impl Fn(&crate::analysis::Planned) -> bool,
) -> Result<IndexMap<String, Column>> {
    let mut names: Vec<&str> = Vec::new();
    for planned in study.analyses.iter().filter(|p| wanted(p)) {
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
                    Some(w) if w.is_finite() && w > 0.0 => {}
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
