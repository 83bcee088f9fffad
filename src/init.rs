//! `reprise init`: a study folder that builds at once, written from a data file.
//!
//! Every column is read and declared (type, levels, range, a label from its name); the
//! columns that look like a survival time and its event indicator become an endpoint; a
//! Table 1 of every column, Kaplan-Meier curves and a log-rank test by the first
//! grouping-like column and a Cox model start the analyses. Whatever is a guess says so
//! in a comment beside it. Nothing that exists is overwritten.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Location, Result, display_path};

/// What `init` wrote.
pub struct Created {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    /// What the study guessed, for the terminal.
    pub guesses: Vec<String>,
}

/// A column as `init` sees it.
#[derive(Debug, Clone)]
struct Col {
    name: String,
    kind: Inferred,
    missing: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Inferred {
    /// Numbers; `whole` when every value is an integer.
    Number {
        min: f64,
        max: f64,
        whole: bool,
    },
    /// A few distinct values, in their order (numbers numerically, text alphabetically).
    Category {
        levels: Vec<String>,
    },
    Bool,
    Date,
    Text,
}

/// The most distinct values a column may have to be read as a category.
const MAX_LEVELS: usize = 12;

/// Writes the study folder for `data` into `out` (default: a folder named after the
/// data file, in the current one), or a commented skeleton when there is no data.
pub fn init(data: Option<&Path>, out: Option<&Path>, today: (i32, u32, u32)) -> Result<Created> {
    let date = format!("{:04}-{:02}-{:02}", today.0, today.1, today.2);
    let Some(data) = data else {
        let dir = out.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let study = dir.join("study.yaml");
        let schema = dir.join(crate::spec::schema::FILE_NAME);
        refuse_existing(&[&study, &schema])?;
        write(
            &dir,
            &[
                (&study, skeleton(&date)),
                (&schema, crate::spec::schema::text()),
            ],
        )?;
        return Ok(Created {
            dir,
            files: vec![study, schema],
            guesses: Vec::new(),
        });
    };
    let df = crate::data::read::table(data)?;
    let cols: Vec<Col> = df
        .columns()
        .iter()
        .map(|c| infer(c.as_materialized_series()))
        .collect();
    let stem = data
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "study".into());
    let dir = out.map_or_else(|| PathBuf::from(&stem), Path::to_path_buf);
    let file_name = data
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data.csv".into());
    let copy = dir.join("data").join(&file_name);
    let study = dir.join("study.yaml");
    let schema = dir.join(crate::spec::schema::FILE_NAME);
    refuse_existing(&[&study, &schema, &copy])?;
    let mut guesses = Vec::new();
    let text = study_text(
        &stem,
        &date,
        &format!("data/{file_name}"),
        df.height(),
        &cols,
        &mut guesses,
    );
    let bytes = std::fs::read(data).map_err(|e| {
        Error::in_file(
            Location::file(data),
            format!("cannot read the data file: {e}"),
        )
    })?;
    write(
        &dir,
        &[(&study, text), (&schema, crate::spec::schema::text())],
    )?;
    std::fs::create_dir_all(dir.join("data"))
        .and_then(|_| std::fs::write(&copy, bytes))
        .map_err(|e| cannot_write(&copy, e))?;
    Ok(Created {
        dir,
        files: vec![study, schema, copy],
        guesses,
    })
}

fn cannot_write(path: &Path, e: std::io::Error) -> Error {
    Error::in_file(Location::file(path), format!("cannot write: {e}"))
}

/// Every file `init` would write must not exist yet: it never replaces one.
fn refuse_existing(paths: &[&Path]) -> Result<()> {
    match paths.iter().find(|p| p.exists()) {
        Some(p) => Err(Error::input(format!(
            "{} already exists; reprise init never replaces a file",
            display_path(p)
        ))
        .hint("give --out a new folder, or move the file away first")),
        None => Ok(()),
    }
}

fn write(dir: &Path, files: &[(&PathBuf, String)]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| cannot_write(dir, e))?;
    for (path, text) in files {
        // create_new: a file that appeared since the check is not replaced either.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|e| cannot_write(path, e))?;
    }
    Ok(())
}

fn infer(series: &Series) -> Col {
    let name = series.name().to_string();
    let missing = series.null_count();
    let kind = match series.dtype() {
        DataType::Boolean => Inferred::Bool,
        DataType::Date | DataType::Datetime(..) => Inferred::Date,
        dt if dt.is_primitive_numeric() => numbers(series),
        _ => text(series),
    };
    Col {
        name,
        kind,
        missing,
    }
}

fn numbers(series: &Series) -> Inferred {
    let Ok(cast) = series.cast(&DataType::Float64) else {
        return Inferred::Text;
    };
    let values: Vec<f64> = cast
        .f64()
        .map(|c| c.iter().flatten().filter(|v| v.is_finite()).collect())
        .unwrap_or_default();
    if values.is_empty() {
        return Inferred::Text;
    }
    let whole = values.iter().all(|v| v.fract() == 0.0);
    let mut distinct = values.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    // A handful of whole codes (1/2, 0–4) is a category, however it is stored; but 0/1 is
    // left a number, since it is as likely an event indicator as a yes/no.
    let binary01 = distinct.iter().all(|v| *v == 0.0 || *v == 1.0);
    // Codes run consecutively from 0 or 1 (ECOG 0–3, a 1/2 sex code); a score in steps
    // of ten (Karnofsky 50–100) stays a number.
    let codes = distinct[0] >= 0.0
        && distinct[distinct.len() - 1] <= 10.0
        && distinct[distinct.len() - 1] - distinct[0] + 1.0 == distinct.len() as f64;
    if whole && !binary01 && codes && distinct.len() <= 6 && values.len() >= 4 * distinct.len() {
        return Inferred::Category {
            levels: distinct.iter().map(|v| format!("{}", *v as i64)).collect(),
        };
    }
    Inferred::Number {
        min: distinct[0],
        max: distinct[distinct.len() - 1],
        whole,
    }
}

fn text(series: &Series) -> Inferred {
    let Ok(cast) = series.cast(&DataType::String) else {
        return Inferred::Text;
    };
    let Ok(values) = cast.str() else {
        return Inferred::Text;
    };
    let present: Vec<&str> = values.iter().flatten().collect();
    if !present.is_empty() && present.iter().all(|v| looks_like_date(v)) {
        return Inferred::Date;
    }
    let mut distinct: Vec<&str> = present.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if !distinct.is_empty() && distinct.len() <= MAX_LEVELS && present.len() >= 2 * distinct.len() {
        Inferred::Category {
            levels: distinct.iter().map(|s| s.to_string()).collect(),
        }
    } else {
        Inferred::Text
    }
}

fn looks_like_date(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// "wt_loss" → "Wt loss", "ph.ecog" → "Ph ecog".
fn label(name: &str) -> String {
    let spaced = name.replace(['_', '.'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => name.to_string(),
    }
}

/// The words of a column name, lower case.
fn words(name: &str) -> Vec<String> {
    name.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

fn named_like(name: &str, stems: &[&str]) -> bool {
    let lower = name.to_lowercase();
    words(name).iter().any(|w| stems.contains(&w.as_str()))
        || stems.iter().any(|s| s.len() >= 4 && lower.contains(s))
}

const EVENT_NAMES: &[&str] = &[
    "status",
    "event",
    "dead",
    "death",
    "died",
    "censor",
    "censored",
    "fustat",
    "relapse",
    "recurrence",
    "progression",
    "fail",
    "failure",
    "cens",
    "evt",
    "d",
];
const TIME_NAMES: &[&str] = &[
    "time", "futime", "days", "months", "years", "weeks", "survival", "surv", "followup", "fu",
    "t", "duration", "stime", "etime",
];
const GROUP_NAMES: &[&str] = &[
    "arm",
    "group",
    "treatment",
    "trt",
    "rx",
    "treat",
    "sex",
    "gender",
    "cohort",
    "stage",
];
const ID_NAMES: &[&str] = &["id", "patient", "subject", "pid", "record"];

/// An event indicator: two values, 0/1 (1 the event), 1/2 (2 the event, R's `status`
/// coding) or a boolean.
fn event_coding(c: &Col) -> Option<Option<(&'static str, &'static str)>> {
    match &c.kind {
        Inferred::Bool => Some(None),
        Inferred::Number {
            min,
            max,
            whole: true,
        } if *min == 0.0 && *max == 1.0 => Some(None),
        Inferred::Category { levels } if levels == &["1", "2"] => Some(Some(("2", "1"))),
        _ => None,
    }
}

fn is_time(c: &Col) -> bool {
    matches!(c.kind, Inferred::Number { min, max, .. } if min >= 0.0 && max > min)
}

fn is_id(c: &Col, n: usize) -> bool {
    named_like(&c.name, ID_NAMES)
        || matches!(&c.kind, Inferred::Number { min, max, whole: true } if (max - min + 1.0) as usize == n && c.missing == 0 && n > 12)
        || (c.kind == Inferred::Text && c.missing == 0)
}

/// The time column's unit, from its name or else from the size of its values.
fn unit(c: &Col) -> &'static str {
    let lower = c.name.to_lowercase();
    for u in ["days", "weeks", "months", "years"] {
        if lower.contains(&u[..u.len() - 1]) {
            return u;
        }
    }
    match c.kind {
        Inferred::Number { max, .. } if max > 200.0 => "days",
        Inferred::Number { max, .. } if max <= 25.0 => "years",
        _ => "months",
    }
}

/// A proposed endpoint: the time and event columns, and how the event is coded.
struct Pair<'a> {
    time: &'a Col,
    event: &'a Col,
    codes: Option<(&'static str, &'static str)>,
}

/// Time and event columns paired by the words they share ("os_time" with "os_status"),
/// else in the order they come.
fn pairs<'a>(cols: &'a [Col], n: usize) -> Vec<Pair<'a>> {
    let events: Vec<(&Col, Option<(&str, &str)>)> = cols
        .iter()
        .filter(|c| named_like(&c.name, EVENT_NAMES))
        .filter_map(|c| event_coding(c).map(|codes| (c, codes)))
        .collect();
    let mut times: Vec<&Col> = cols
        .iter()
        .filter(|c| is_time(c) && !is_id(c, n) && named_like(&c.name, TIME_NAMES))
        .collect();
    let mut out = Vec::new();
    for (event, codes) in events {
        if times.is_empty() {
            break;
        }
        let ew = words(&event.name);
        let best = times
            .iter()
            .enumerate()
            .max_by_key(|(i, t)| {
                let shared = words(&t.name).iter().filter(|w| ew.contains(w)).count();
                (shared, usize::MAX - i)
            })
            .map(|(i, _)| i)
            .expect("a time column");
        let time = times.remove(best);
        out.push(Pair { time, event, codes });
    }
    out
}

fn endpoint_id(p: &Pair, i: usize) -> String {
    let tw = words(&p.time.name);
    let shared: Vec<String> = words(&p.event.name)
        .into_iter()
        .filter(|w| tw.contains(w) && !TIME_NAMES.contains(&w.as_str()))
        .collect();
    match shared.first() {
        Some(w) if w.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) => w.clone(),
        _ if i == 0 => "os".into(),
        _ => format!("endpoint{}", i + 1),
    }
}

/// What papers call the endpoints their abbreviations name.
fn endpoint_label(id: &str) -> String {
    match id {
        "os" => "Overall survival".into(),
        "pfs" => "Progression-free survival".into(),
        "dfs" => "Disease-free survival".into(),
        "efs" => "Event-free survival".into(),
        "rfs" => "Relapse-free survival".into(),
        "recur" | "ttr" => "Time to recurrence".into(),
        other => label(other),
    }
}

/// Today's date (UTC) as (year, month, day).
pub fn today() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil(secs.div_euclid(86_400) as i64)
}

/// The calendar date `days` after 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

/// A YAML scalar, quoted unless it reads back as the same text.
fn yaml(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.' | '(' | ')' | '/'))
        && !s.starts_with(['-', ' ', '.'])
        && !s.ends_with(' ')
        && s.parse::<f64>().is_err()
        && !matches!(
            s.to_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "null" | "on" | "off" | "y" | "n" | "~"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("a string")
    }
}

fn study_text(
    stem: &str,
    date: &str,
    data_path: &str,
    n: usize,
    cols: &[Col],
    guesses: &mut Vec<String>,
) -> String {
    let id: String = stem
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut y = String::new();
    let _ = writeln!(y, "{}", crate::spec::schema::modeline());
    let _ = writeln!(
        y,
        "# Written by `reprise init` from {data_path}: a study that builds as it is. Lines marked\n# \"guess\" are reprise's reading of the data; check them, then edit freely.\n# `reprise watch` rebuilds the report on every save."
    );
    let _ = writeln!(y, "reprise: 1");
    let _ = writeln!(y, "study:");
    let _ = writeln!(y, "  id: {}", yaml(&id));
    let _ = writeln!(y, "  version: 0.1.0");
    let _ = writeln!(y, "  title: {}", yaml(&format!("A study of {stem}")));
    let _ = writeln!(y, "  date: {date}");
    let _ = writeln!(y, "data:");
    let _ = writeln!(y, "  path: {}", yaml(data_path));
    let _ = writeln!(
        y,
        "  columns:   # {n} rows; each column as read, with its range or levels"
    );
    for c in cols {
        let mut fields = match &c.kind {
            Inferred::Number { min, max, whole } => format!(
                "type: {}, min: {}, max: {}",
                if *whole { "int" } else { "float" },
                crate::data::number_label(*min),
                crate::data::number_label(*max)
            ),
            Inferred::Category { levels } => format!(
                "type: category, levels: [{}]",
                levels
                    .iter()
                    .map(|l| yaml(l))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Inferred::Bool => "type: bool".into(),
            Inferred::Date => "type: date".into(),
            Inferred::Text => "type: string".into(),
        };
        let _ = write!(fields, ", label: {}", yaml(&label(&c.name)));
        let missing = if c.missing > 0 {
            format!("   # {} missing", c.missing)
        } else {
            String::new()
        };
        let _ = writeln!(y, "    {}: {{ {fields} }}{missing}", yaml(&c.name));
    }

    let found = pairs(cols, n);
    let used: Vec<&str> = found
        .iter()
        .flat_map(|p| [p.time.name.as_str(), p.event.name.as_str()])
        .collect();
    let _ = writeln!(y, "endpoints:");
    let mut endpoint_ids = Vec::new();
    if found.is_empty() {
        let _ = writeln!(
            y,
            "  {{}}   # no time and event columns recognised: add one as\n  # os: {{ time: <time column>, event: <0/1 event column>, label: Overall survival, unit: months }}"
        );
    }
    for (i, p) in found.iter().enumerate() {
        let id = endpoint_id(p, i);
        let codes = p
            .codes
            .map(|(event, censored)| {
                format!(", event_codes: {{ event: [{event}], censored: [{censored}] }}")
            })
            .unwrap_or_default();
        let unit = unit(p.time);
        let _ = writeln!(
            y,
            "  {id}: {{ time: {}, event: {}{codes}, label: {}, unit: {unit} }}   # guess: the pair, its coding and the unit",
            yaml(&p.time.name),
            yaml(&p.event.name),
            yaml(&endpoint_label(&id))
        );
        guesses.push(format!(
            "endpoint `{id}`: time `{}` in {unit}, event `{}`{}",
            p.time.name,
            p.event.name,
            p.codes
                .map(|(e, c)| format!(" ({e} = event, {c} = censored)"))
                .unwrap_or_default()
        ));
        endpoint_ids.push(id);
    }

    // Another event indicator (`dead` beside `status`) is the outcome again, not a
    // characteristic.
    let described: Vec<&Col> = cols
        .iter()
        .filter(|c| !used.contains(&c.name.as_str()) && !is_id(c, n) && c.kind != Inferred::Date)
        .filter(|c| !(named_like(&c.name, EVENT_NAMES) && event_coding(c).is_some()))
        .collect();
    let group = described
        .iter()
        .filter(|c| match &c.kind {
            Inferred::Category { levels } => levels.len() <= 6,
            Inferred::Bool => true,
            _ => false,
        })
        .max_by_key(|c| (named_like(&c.name, GROUP_NAMES), usize::MAX - c.missing))
        .map(|c| c.name.clone());
    let _ = writeln!(y, "analyses:");
    let vars: Vec<String> = described
        .iter()
        .filter(|c| Some(&c.name) != group.as_ref())
        .map(|c| yaml(&c.name))
        .collect();
    let by = group
        .as_ref()
        .map(|g| format!(", by: {}", yaml(g)))
        .unwrap_or_default();
    if !vars.is_empty() {
        let _ = writeln!(
            y,
            "  table1: {{ kind: describe, variables: [{}]{by}, title: Characteristics of the patients }}",
            vars.join(", ")
        );
    }
    if let Some(g) = &group {
        guesses.push(format!(
            "groups: `{g}`, the first column that looks like one"
        ));
    }
    for ep in &endpoint_ids {
        let _ = writeln!(y, "  km_{ep}: {{ kind: km, endpoint: {ep}{by} }}");
        if group.is_some() {
            let _ = writeln!(y, "  logrank_{ep}: {{ kind: logrank, endpoint: {ep}{by} }}");
        }
        // A stub: the groups and the numeric columns with few missing values; the
        // author chooses the model.
        let mut covariates: Vec<String> = group.iter().map(|g| yaml(g)).collect();
        let numeric = described
            .iter()
            .filter(|c| matches!(c.kind, Inferred::Number { .. }) && c.missing * 10 <= n);
        if let Some(c) = numeric.min_by_key(|c| !words(&c.name).contains(&"age".to_string())) {
            covariates.push(yaml(&c.name));
        }
        if !covariates.is_empty() {
            let _ = writeln!(
                y,
                "  cox_{ep}: {{ kind: cox, endpoint: {ep}, covariates: [{}] }}   # a stub: choose the model's covariates",
                covariates.join(", ")
            );
        }
    }
    if vars.is_empty() && endpoint_ids.is_empty() {
        let _ = writeln!(
            y,
            "  table1: {{ kind: describe, variables: [{}] }}",
            cols.iter()
                .map(|c| yaml(&c.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    y
}

/// The study a user starts from without data: every section, commented.
fn skeleton(date: &str) -> String {
    format!(
        r#"{modeline}
# A study skeleton from `reprise init`. Put the data at data/cohort.csv (or change
# `data.path`), name the columns below, then `reprise build`.
reprise: 1
study:
  id: my-study                  # a short name: the report, the bundle and the build use it
  version: 0.1.0                # the report goes to reports/<version>/
  title: The title of the paper
  date: {date}                  # the report's date (and the PDF's timestamp)
data:
  path: data/cohort.csv         # .csv or .parquet, one row per patient
  # sha256: ...                 # pin the file: a changed file is then refused
  columns:                      # optional: declare types, ranges, levels and labels
    # age: {{ type: float, min: 18, max: 100, label: Age (years) }}
    # arm: {{ type: category, levels: [control, treatment], label: Treatment arm }}
endpoints:
  os: {{ time: time, event: status, label: Overall survival, unit: months }}
analyses:
  # table1: {{ kind: describe, variables: [age, arm], by: arm }}
  km_os: {{ kind: km, endpoint: os }}
  # logrank_os: {{ kind: logrank, endpoint: os, by: arm }}
  # cox_os: {{ kind: cox, endpoint: os, covariates: [arm, age] }}
# figures: {{ }}                  # by default each analysis gets its kind's figure
# report: {{ formats: [pdf, docx, html], style: nejm }}
# claims:                       # numbers the paper prints, checked against the data
#   - {{ id: median_os, result: km_os/median, reported: 24.1, tolerance: 0.05 }}
"#,
        modeline = crate::spec::schema::modeline()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_1970_are_calendar_dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_782), (2024, 2, 29));
        assert_eq!(civil(20_790), (2026, 12, 3));
    }

    #[test]
    fn labels_come_from_column_names() {
        assert_eq!(label("wt_loss"), "Wt loss");
        assert_eq!(label("ph.ecog"), "Ph ecog");
    }

    #[test]
    fn values_yaml_would_misread_are_quoted() {
        assert_eq!(yaml("male"), "male");
        assert_eq!(yaml("1"), "\"1\"");
        assert_eq!(yaml("yes"), "\"yes\"");
        assert_eq!(yaml("a: b"), "\"a: b\"");
    }

    #[test]
    fn a_time_pairs_with_the_event_that_shares_its_words() {
        let col = |name: &str, kind: Inferred| Col {
            name: name.into(),
            kind,
            missing: 0,
        };
        let num = |max| Inferred::Number {
            min: 0.0,
            max,
            whole: true,
        };
        let cols = [
            col("pfs_time", num(40.0)),
            col("os_time", num(60.0)),
            col("os_event", num(1.0)),
            col("pfs_event", num(1.0)),
        ];
        let found = pairs(&cols, 100);
        let names: Vec<(&str, &str)> = found
            .iter()
            .map(|p| (p.time.name.as_str(), p.event.name.as_str()))
            .collect();
        assert_eq!(names, [("os_time", "os_event"), ("pfs_time", "pfs_event")]);
        assert_eq!(endpoint_id(&found[0], 0), "os");
        assert_eq!(endpoint_id(&found[1], 1), "pfs");
    }
}
