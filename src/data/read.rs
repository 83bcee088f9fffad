//! Reading the data file: its bytes, their hash against the pin, and the CSV or Parquet
//! parse of the columns the study uses.
//!
//! Both readers check the spec's column names against the header before parsing any row,
//! so a misspelt column is reported at its key in the spec rather than as a polars error.

use std::io::Cursor;
use std::path::Path;

use polars::prelude::*;

use super::{Rows, references, scan};
use crate::error::{Error, Location, Result};
use crate::spec::{Seg, Study};

/// The data file's bytes; `data.path` is where a missing file is reported.
pub(super) fn file(study: &Study, path: &Path) -> Result<Vec<u8>> {
    let data_at = study.location(&[Seg::Key("data"), Seg::Key("path")]);
    match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::in_file(
            data_at,
            format!("data file not found: {}", crate::error::display_path(path)),
        )
        .hint("`data.path` is resolved against the folder of the study file")),
        Err(e) => Err(Error::in_file(
            data_at,
            format!("cannot read data file {}: {e}", path.display()),
        )),
    }
}

/// The sha256 of the bytes and the parsed data frame. Hashing and parsing each read the
/// whole file, so they run at once.
pub(super) fn hash_and_parse(
    study: &Study,
    rows: &Rows,
    bytes: Vec<u8>,
) -> (String, Result<DataFrame>) {
    let parsing = crate::progress::timed("  hash and parse the data");
    let out = rayon::join(
        || crate::hash::sha256_hex(&bytes),
        || {
            if rows.csv {
                read_csv(study, &rows.path, &bytes)
            } else {
                read_parquet(study, &rows.path, &bytes)
            }
        },
    );
    drop(bytes);
    drop(parsing);
    out
}

/// With `data.sha256`, the data must be the bytes the study was pinned to.
pub(super) fn check_pin(study: &Study, path: &Path, sha256: &str) -> Result<()> {
    let Some(pin) = &study.spec.data.sha256 else {
        return Ok(());
    };
    if pin.eq_ignore_ascii_case(sha256) {
        return Ok(());
    }
    let shown = crate::error::display_path(path);
    Err(Error::in_file(
        study.location(&[Seg::Key("data"), Seg::Key("sha256")]),
        format!("data file {shown} does not match its pinned sha256\n  pinned: {pin}\n  actual: {sha256}"),
    )
    .hint("the data changed since the study was pinned: restore the pinned file, or update `data.sha256` if the change is intended"))
}

fn read_csv(study: &Study, path: &Path, bytes: &[u8]) -> Result<DataFrame> {
    let shape = scan::scan(bytes);
    check_shape(path, &shape)?;
    references::check(study, &shape.header)?;
    let columns = used_columns(study, &shape.header);
    csv_frame(path, bytes, columns)
}

/// The CSV's `columns` (all of them when `None`): empty fields and `NA` are missing.
pub(super) fn csv_frame(
    path: &Path,
    bytes: &[u8],
    columns: Option<Vec<String>>,
) -> Result<DataFrame> {
    let file = Location::file(path);
    let columns = columns.map(|c| c.into_iter().map(PlSmallStr::from).collect());
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

/// A data file read whole, before any study names its columns (`reprise init`).
pub fn table(path: &Path) -> Result<DataFrame> {
    let bytes = std::fs::read(path).map_err(|e| {
        Error::in_file(
            Location::file(path),
            format!("cannot read the data file: {e}"),
        )
    })?;
    let parquet = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if parquet {
        return parquet_frame(path, &bytes, |_| Ok(None));
    }
    let shape = scan::scan(&bytes);
    check_shape(path, &shape)?;
    csv_frame(path, &bytes, None)
}

/// A CSV that polars would read wrongly or unhelpfully: empty, without data rows, with
/// ragged rows, or with a column named twice.
fn check_shape(path: &Path, shape: &scan::CsvShape) -> Result<()> {
    let file = Location::file(path);
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
    Ok(())
}

fn read_parquet(study: &Study, path: &Path, bytes: &[u8]) -> Result<DataFrame> {
    parquet_frame(path, bytes, |header| {
        references::check(study, header)?;
        Ok(used_columns(study, header))
    })
}

/// The Parquet file's columns that `columns` chooses from its header (all for `None`).
fn parquet_frame(
    path: &Path,
    bytes: &[u8],
    columns: impl FnOnce(&[String]) -> Result<Option<Vec<String>>>,
) -> Result<DataFrame> {
    let mut reader = ParquetReader::new(Cursor::new(bytes));
    let schema = reader.schema().map_err(|e| {
        Error::in_file(
            Location::file(path),
            format!("cannot read the Parquet file: {e}"),
        )
    })?;
    let header: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let chosen = columns(&header)?;
    let df = reader.with_columns(chosen).finish().map_err(|e| {
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
/// expression (a derived `expr`, a flow filter, a `where`) may read any column. A registry extract
/// often carries dozens of columns a study never looks at, and parsing them is most of
/// the load.
fn used_columns(study: &Study, header: &[String]) -> Option<Vec<String>> {
    let spec = &study.spec;
    if spec.derive.iter().any(|(_, d)| d.expr.is_some())
        || study.analyses.iter().any(|p| {
            !p.analysis.filters().is_empty()
                || p.analysis.scope().is_some_and(|s| s.where_.is_some())
        })
    {
        return None;
    }
    let mut names: Vec<&str> = spec.data.columns.iter().map(|(n, _)| n.as_str()).collect();
    names.extend(spec.data.count.as_deref());
    for (_, d) in spec.derive.iter() {
        names.extend(d.cut.as_ref().map(|c| c.column.as_str()));
        names.extend(d.recode.as_ref().map(|r| r.column.as_str()));
    }
    for source in study.endpoints.values() {
        names.extend(source.columns().into_iter().map(|(_, c)| c));
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
