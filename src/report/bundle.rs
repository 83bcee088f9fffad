//! `reprise bundle`: one zip for a journal or a reviewer, laid out as the study's folder
//! so that, unpacked, `reprise verify` runs in it: the spec, its template and synth spec,
//! the report in every format under `reports/<version>/`, the tables also as one Excel
//! workbook, a dictionary of the data's columns (never the data, unless
//! `bundle.include_data`), a README, and `SHA256SUMS` over every entry.
//!
//! `reprise verify` given a bundle checks every entry against `SHA256SUMS` and the
//! report's manifest; when the bundle holds the data, it also rebuilds the report from
//! them and compares.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use super::{Analysed, Difference, Verified, analyse, outside, portable, produce};
use crate::data::Values;
use crate::error::{Error, Result, display_path};
use crate::hash::sha256_hex;
use crate::spec::Format;
use crate::tables::{Table, csv_field};

const SUMS: &str = "SHA256SUMS";

/// What a bundle run wrote.
pub struct Bundled {
    pub path: PathBuf,
    pub entries: usize,
    pub bytes: usize,
    pub build_id: String,
    pub warnings: Vec<String>,
}

/// The bundle's file name: `<id>-<version>.zip`.
fn file_name(a: &Analysed) -> String {
    let meta = &a.study.spec.study;
    format!("{}-{}.zip", meta.id, meta.version)
}

/// Builds the report in every format in memory and packs it with what a reader needs
/// to check it. The zip goes to `out`, or to `reports/` beside the spec.
pub fn bundle(spec_path: &Path, out: Option<&Path>, force: bool) -> Result<Bundled> {
    let mut a = analyse(spec_path)?;
    a.formats = Format::ALL.to_vec();
    let report = produce(&mut a)?;
    let mut warnings = report.warnings.clone();
    let study = &a.study;
    let version = &study.spec.study.version;
    let mut entries: IndexMap<String, Vec<u8>> = IndexMap::new();
    entries.insert("README.txt".into(), readme(&a).into_bytes());
    entries.insert(study.file_name(), study.text.clone().into_bytes());
    let mut own = |name: &str, what: &str, warnings: &mut Vec<String>| -> Result<()> {
        let recorded = portable(study, name);
        if outside(&recorded) {
            warnings.push(format!(
                "the {what} {recorded} lies outside the study's folder and is not in the bundle"
            ));
            return Ok(());
        }
        let bytes = std::fs::read(study.resolve(name))
            .map_err(|e| Error::input(format!("cannot read the {what} {recorded}: {e}")))?;
        entries.insert(recorded, bytes);
        Ok(())
    };
    if let Some(t) = study.spec.report.as_ref().and_then(|r| r.template.as_ref()) {
        own(t, "template", &mut warnings)?;
    }
    if let Some(s) = &study.spec.data.synth {
        own(s, "synth spec", &mut warnings)?;
    }
    let include_data = study.spec.bundle.as_ref().is_some_and(|b| b.include_data);
    if include_data {
        match study.spec.data.file() {
            Some(file) => own(file, "data file", &mut warnings)?,
            None => warnings.push(format!(
                "`bundle.include_data`: the cohort is in a {}, which a bundle cannot hold; the bundle records its counts' sha256 in the manifest",
                study.spec.data.name()
            )),
        }
    }
    entries.insert("data-dictionary.csv".into(), dictionary(&a).into_bytes());
    let dir = format!("reports/{version}");
    for (name, bytes) in &report.files {
        entries.insert(format!("{dir}/{name}"), bytes.clone());
    }
    entries.insert(
        format!("{dir}/tables.xlsx"),
        workbook(&report.tables, study.date)?,
    );
    let sums: String = entries
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", sha256_hex(bytes)))
        .collect();
    entries.insert(SUMS.into(), sums.into_bytes());
    let zip = crate::archive::zip(entries.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
        .map_err(|e| Error::input(format!("cannot write the bundle: {e}")))?;

    let path = match out {
        Some(p) if p.is_dir() => p.join(file_name(&a)),
        Some(p) => p.to_path_buf(),
        None => study.root.join("reports").join(file_name(&a)),
    };
    if let Ok(old) = std::fs::read(&path) {
        // Only a bundle reprise wrote may be replaced, and only when asked to.
        let is_bundle = crate::archive::entries(&old)
            .is_ok_and(|parts| parts.iter().any(|(name, _)| name == SUMS));
        if !is_bundle {
            return Err(Error::input(format!(
                "{} exists and is not a reprise bundle; reprise never replaces a file it did not write",
                display_path(&path)
            ))
            .hint("give --out another file name, or a folder"));
        }
        if !force && old != zip {
            return Err(Error::check(format!(
                "{} already holds another bundle",
                display_path(&path)
            ))
            .hint("give the study a new `version`, or pass --force to replace it"));
        }
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::input(format!("cannot create {}: {e}", display_path(parent))))?;
    }
    super::write_atomic(&path, &zip)?;
    Ok(Bundled {
        path,
        entries: entries.len(),
        bytes: zip.len(),
        build_id: report.build_id,
        warnings,
    })
}

fn readme(a: &Analysed) -> String {
    let meta = &a.study.spec.study;
    let spec = a.study.file_name();
    let data = if a.study.spec.bundle.as_ref().is_some_and(|b| b.include_data) {
        "The data file is included, so the report can be rebuilt from it."
    } else {
        "The patient data are not included (set `bundle: { include_data: true }` to include\nthem); data-dictionary.csv describes each column. Put the data file where the spec\nnames it to rebuild."
    };
    format!(
        "{title}
{id}, version {version}: a reprise bundle (reprise {reprise}).

reports/{version}/ holds the report as PDF, Word (report.docx) and HTML (report.html),
results.json with every number, the tables as CSV and as one Excel workbook
(tables.xlsx), and the figures as SVG, PNG, PDF and TIFF. manifest.json records the
SHA-256 of every input and output; SHA256SUMS that of every file in this bundle.

{data}

To check this bundle as it is:
    reprise verify {id}-{version}.zip
and, unpacked, to rebuild the report and compare it with its manifest:
    reprise verify {spec}
",
        title = meta.title,
        id = meta.id,
        version = meta.version,
        reprise = env!("CARGO_PKG_VERSION"),
    )
}

/// Each data column: its name, label, type, levels and missing count.
fn dictionary(a: &Analysed) -> String {
    let labels = crate::present::Labels::new(&a.study);
    let mut out = String::from("column,label,type,levels,missing\n");
    for (name, column) in &a.cohort.columns {
        let (kind, levels) = match &column.values {
            Values::Num(_) => ("number", String::new()),
            Values::Bool(_) => ("bool", "false; true".to_string()),
            Values::Cat { levels, .. } => ("category", levels.join("; ")),
        };
        let missing = (0..column.len()).filter(|&r| column.is_missing(r)).count();
        out.push_str(&format!(
            "{},{},{kind},{},{missing}\n",
            csv_field(name),
            csv_field(&labels.column(name)),
            csv_field(&levels)
        ));
    }
    out
}

/// The tables as one workbook, a sheet each, in print order, as printed.
fn workbook(tables: &[Table], date: (i32, u32, u32)) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as Cell, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| {
        Error::input(format!("cannot write the tables' workbook: {e}"))
    };
    let mut book = Workbook::new();
    let day = ExcelDateTime::from_ymd(date.0 as u16, date.1 as u8, date.2 as u8).map_err(fail)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&day));
    let bold = Cell::new().set_bold();
    let mut names: Vec<String> = Vec::new();
    for t in tables {
        let sheet = book.add_worksheet();
        let mut name: String =
            t.id.chars()
                .filter(|c| !"[]:*?/\\".contains(*c))
                .take(28)
                .collect();
        if names.contains(&name) {
            name = format!("{name}{}", names.len());
        }
        names.push(name.clone());
        sheet.set_name(&name).map_err(fail)?;
        sheet
            .write_string_with_format(0, 0, &t.title, &bold)
            .map_err(fail)?;
        let mut row = 2u32;
        if !t.spanners.is_empty() {
            for s in &t.spanners {
                sheet
                    .write_string_with_format(row, s.start as u16, &s.title, &bold)
                    .map_err(fail)?;
            }
            row += 1;
        }
        for (c, h) in t.header.iter().enumerate() {
            sheet
                .write_string_with_format(row, c as u16, h, &bold)
                .map_err(fail)?;
        }
        row += 1;
        for r in &t.rows {
            for (c, cell) in r.cells.iter().enumerate() {
                let text = if c == 0 && r.indent {
                    format!("    {cell}")
                } else {
                    cell.clone()
                };
                sheet.write_string(row, c as u16, &text).map_err(fail)?;
            }
            row += 1;
        }
        row += 1;
        for n in &t.notes {
            sheet.write_string(row, 0, n).map_err(fail)?;
            row += 1;
        }
        let first = t
            .rows
            .iter()
            .map(|r| r.cells.first().map_or(0, |c| c.chars().count()))
            .max()
            .unwrap_or(10);
        sheet
            .set_column_width(0, (first as f64 + 4.0).clamp(12.0, 60.0))
            .map_err(fail)?;
        for c in 1..t.header.len() {
            sheet.set_column_width(c as u16, 18).map_err(fail)?;
        }
    }
    let bytes = book.save_to_buffer().map_err(fail)?;
    crate::archive::normalise(&bytes)
        .map_err(|e| Error::input(format!("cannot write the tables' workbook: {e}")))
}

/// Checks a bundle: every entry against `SHA256SUMS`, every output against the
/// report's manifest, the spec and template against its inputs; then, when the bundle
/// holds the data, rebuilds the report in a temporary folder and compares.
pub fn verify_bundle(path: &Path) -> Result<Verified> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::input(format!("cannot read {}: {e}", display_path(path))))?;
    let entries: IndexMap<String, Vec<u8>> = crate::archive::entries(&bytes)
        .map_err(|e| {
            Error::input(format!("{}: {e}", display_path(path)))
                .hint("a bundle is the zip `reprise bundle` writes")
        })?
        .into_iter()
        .collect();
    let mut differences = Vec::new();
    let mut differ = |file: &str, message: String| {
        differences.push(Difference {
            file: file.to_string(),
            message,
        })
    };
    let sums = entries
        .get(SUMS)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .ok_or_else(|| {
            Error::input(format!(
                "{} is not a reprise bundle: it has no {SUMS}",
                display_path(path)
            ))
        })?;
    let mut checked = 0;
    for line in sums.lines() {
        let Some((hash, name)) = line.split_once("  ") else {
            continue;
        };
        checked += 1;
        match entries.get(name) {
            Some(b) if sha256_hex(b) == hash => {}
            Some(_) => differ(name, format!("differs from its hash in {SUMS}")),
            None => differ(name, format!("listed in {SUMS} but not in the bundle")),
        }
    }
    let (manifest_name, manifest) = entries
        .iter()
        .find(|(n, _)| n.starts_with("reports/") && n.ends_with("/manifest.json"))
        .and_then(|(n, b)| Some((n.clone(), serde_json::from_slice::<Value>(b).ok()?)))
        .ok_or_else(|| {
            Error::input(format!(
                "{} holds no report manifest (reports/<version>/manifest.json)",
                display_path(path)
            ))
        })?;
    let dir = manifest_name.trim_end_matches("manifest.json").to_string();
    for (name, hash) in manifest["outputs"].as_object().into_iter().flatten() {
        checked += 1;
        match entries.get(&format!("{dir}{name}")) {
            Some(b) if Some(sha256_hex(b).as_str()) == hash.as_str() => {}
            Some(_) => differ(name, "differs from its hash in the manifest".into()),
            None => differ(name, "in the manifest, but not in the bundle".into()),
        }
    }
    let mut has_data = true;
    for (name, hash) in manifest["inputs"].as_object().into_iter().flatten() {
        match entries.get(name) {
            Some(b) => {
                checked += 1;
                if Some(sha256_hex(b).as_str()) != hash.as_str() {
                    differ(
                        name,
                        "differs from its hash in the manifest's inputs".into(),
                    );
                }
            }
            None => has_data = false,
        }
    }
    let build_id = manifest["build_id"].as_str().unwrap_or("").to_string();
    if !has_data || !differences.is_empty() {
        let note = (!has_data).then(|| {
            "not rebuilt: the bundle holds no data (`bundle: { include_data: true }` puts them in)".to_string()
        });
        return Ok(Verified {
            out_dir: path.to_path_buf(),
            checked,
            differences,
            build_id,
            note,
        });
    }
    // Every input is in the bundle: unpack it and rebuild.
    let tmp = tempdir(&build_id)?;
    for (name, bytes) in &entries {
        let target = tmp.join(name);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::input(format!("cannot unpack the bundle: {e}")))?;
        }
        std::fs::File::create(&target)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| Error::input(format!("cannot unpack the bundle: {e}")))?;
    }
    let spec = manifest["inputs"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .unwrap_or_else(|| "study.yaml".into());
    let rebuilt = super::verify(&tmp.join(spec), Some(&tmp.join(dir.trim_end_matches('/'))));
    let _ = std::fs::remove_dir_all(&tmp);
    let mut v = rebuilt?;
    v.checked += checked;
    v.out_dir = path.to_path_buf();
    v.note = Some("rebuilt from the data in the bundle".into());
    Ok(v)
}

fn tempdir(build_id: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "reprise-bundle-{}-{}",
        std::process::id(),
        &build_id[..build_id.len().min(12)]
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::input(format!("cannot make a temporary folder: {e}")))?;
    Ok(dir)
}
