//! The study spec: `study.yaml` parsed into typed structs and checked.
//!
//! Parsing is strict (unknown keys are refused, with the nearest known key suggested) so a
//! typo never silently changes an analysis. Checks that need only the spec run here, before
//! any data is touched; checks against the data's columns run in [`crate::data`] as soon as
//! the header is known. Every error names `file:line:column`.

mod endpoint;
mod locate;
mod model;
pub mod schema;
mod validate;

pub use endpoint::{DateEvent, EndpointSource, EventColumn};
pub use locate::{OwnedSeg, Seg, locate};
pub use model::*;

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::analysis::Planned;
use crate::error::{Error, Location, Result, nearest};

/// The format this version of reprise reads.
pub const FORMAT: u64 = 1;

/// A parsed, checked spec together with where it came from.
#[derive(Debug, Clone)]
pub struct Study {
    pub spec: Spec,
    /// The spec file as given (absolute).
    pub path: PathBuf,
    /// The spec's folder: relative paths in the spec resolve against it.
    pub root: PathBuf,
    /// The spec's text, kept to place later errors at a line and column.
    pub text: String,
    /// Each endpoint's source, read from `spec.endpoints`, in spec order.
    pub endpoints: IndexMap<String, EndpointSource>,
    /// The analyses, each read and checked by its kind, in spec order.
    pub analyses: Vec<Planned>,
    /// `study.date`, the report's date.
    pub date: (i32, u32, u32),
}

impl Study {
    /// The house style of the report (`report.style`).
    pub fn style(&self) -> crate::present::StyleName {
        self.spec
            .report
            .as_ref()
            .map(|r| r.style)
            .unwrap_or_default()
    }

    /// The house style with the study's own overrides (`report.ci_separator`).
    pub fn house_style(&self) -> crate::present::Style {
        let style = crate::present::Style::of(self.style());
        match self.spec.report.as_ref().and_then(|r| r.ci_separator) {
            Some(sep) => style.with_ci_separator(sep),
            None => style,
        }
    }

    /// The spec's file name, as reports and bundles name it.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map_or("study.yaml".into(), |n| n.to_string_lossy().to_string())
    }

    /// The formats the manuscript is written in (`report.formats`), `[pdf]` by default.
    pub fn formats(&self) -> Vec<Format> {
        self.spec
            .report
            .as_ref()
            .and_then(|r| r.formats.clone())
            .unwrap_or_else(|| vec![Format::Pdf])
    }

    /// The study-wide Table 1 defaults (`report.describe`).
    pub fn describe_defaults(&self) -> model::DescribeDefaults {
        self.spec
            .report
            .as_ref()
            .and_then(|r| r.describe.clone())
            .unwrap_or_default()
    }

    /// Reads, parses and checks a spec file.
    pub fn load(path: &Path) -> Result<Study> {
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|d| d.join(path))
                .unwrap_or_else(|_| path.to_path_buf())
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::in_file(Location::file(&path), "study file not found").hint(
                    "pass the path of a study.yaml, or run reprise in the folder that holds one",
                ));
            }
            Err(e) => {
                return Err(Error::in_file(
                    Location::file(&path),
                    format!("cannot read the study file: {e}"),
                ));
            }
        };
        Study::from_text(&path, &text)
    }

    /// Parses and checks a spec held in memory; `path` names it in errors and anchors its
    /// relative paths.
    pub fn from_text(path: &Path, text: &str) -> Result<Study> {
        let spec = parse(path, text)?;
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut study = Study {
            spec,
            path: path.to_path_buf(),
            root,
            text: text.to_string(),
            endpoints: IndexMap::new(),
            analyses: Vec::new(),
            date: (1970, 1, 1),
        };
        crate::analysis::read(&study)?;
        study.date = study.validate_meta()?;
        study.validate_derive()?;
        study.endpoints = study.endpoint_sources()?;
        study.analyses = crate::analysis::plan(&study)?;
        study.validate_figures()?;
        study.validate_report()?;
        study.validate_claims()?;
        study.read_printed()?;
        Ok(study)
    }

    /// The analysis planned under `id`.
    pub fn analysis(&self, id: &str) -> Option<&Planned> {
        self.analyses.iter().find(|p| p.id == id)
    }

    /// An error placed at the key `path` names (or the nearest enclosing key found).
    pub fn error_at(&self, path: &[Seg], message: impl Into<String>) -> Error {
        Error::in_file(self.location(path), message)
    }

    pub fn location(&self, path: &[Seg]) -> Location {
        location_in(&self.path, &self.text, path)
    }

    /// A path from the spec resolved against the spec's folder.
    pub fn resolve(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// A file named as a report records it: relative to the study's folder with `/`
    /// between parts, so that a manifest reads the same on any machine. A file outside the
    /// folder gets a `../` path (or stays absolute when no part of the two paths is shared).
    pub fn relative(&self, file: &Path) -> String {
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let root = canonical(match self.root.as_os_str().is_empty() {
            true => Path::new("."),
            false => &self.root,
        });
        let file = canonical(file);
        let (r, f): (Vec<_>, Vec<_>) = (root.components().collect(), file.components().collect());
        let common = r.iter().zip(&f).take_while(|(a, b)| a == b).count();
        if common == 0 {
            return file.to_string_lossy().replace('\\', "/");
        }
        let mut parts: Vec<String> = vec!["..".into(); r.len() - common];
        parts.extend(
            f[common..]
                .iter()
                .map(|c| c.as_os_str().to_string_lossy().to_string()),
        );
        parts.join("/")
    }

    /// The output folder: `--out` if given, else `reports/<version>/` beside the spec.
    pub fn out_dir(&self, out: Option<&Path>) -> PathBuf {
        match out {
            Some(out) => out.to_path_buf(),
            None => self.root.join("reports").join(&self.spec.study.version),
        }
    }
}

/// Where the value of the key `segs` names starts, after `key:` on the key's line; the
/// key itself when the value is on lines below. Columns count bytes, as [`locate`]'s do.
pub fn value_location(file: &Path, text: &str, segs: &[Seg]) -> Location {
    let Some((line, column)) = locate(text, segs) else {
        return Location::file(file);
    };
    let Some(Seg::Key(key)) = segs.last() else {
        return Location::at(file, line, column);
    };
    let here = text.lines().nth(line - 1).unwrap_or("");
    let after_key = here
        .get(column - 1..)
        .map(|rest| rest.trim_start_matches(['"', '\'']))
        .and_then(|rest| rest.strip_prefix(key))
        .and_then(|rest| {
            rest.trim_start_matches(['"', '\''])
                .trim_start()
                .strip_prefix(':')
        });
    match after_key {
        Some(value) if !value.trim().is_empty() => {
            let skipped = here.len() - value.trim_start().len();
            Location::at(file, line, skipped + 1)
        }
        _ => Location::at(file, line, column),
    }
}

/// Where the key `segs` names sits in the YAML `text` of `file` (the file alone when the
/// key cannot be found).
pub fn location_in(file: &Path, text: &str, segs: &[Seg]) -> Location {
    match locate(text, segs) {
        Some((line, column)) => Location::at(file, line, column),
        None => Location::file(file),
    }
}

fn parse(path: &Path, text: &str) -> Result<Spec> {
    if text.trim().is_empty() {
        return Err(Error::in_file(Location::file(path), "the study file is empty")
            .hint("a study needs at least `reprise: 1`, `study`, `data`, `endpoints` and `analyses`; see examples/colon/study.yaml"));
    }
    // Read the format version before the typed parse, so a future format gets a message
    // about versions rather than a list of keys this version does not know.
    let value: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| yaml_error(path, text, &e))?;
    let serde_yaml::Value::Mapping(map) = &value else {
        return Err(Error::in_file(
            Location::at(path, 1, 1),
            "a study file must be a mapping of keys (`reprise:`, `study:`, ...)",
        ));
    };
    let version_at = locate(text, &[Seg::Key("reprise")]).map_or_else(
        || Location::at(path, 1, 1),
        |(l, c)| Location::at(path, l, c),
    );
    match map.get("reprise") {
        None => {
            return Err(Error::in_file(
                Location::at(path, 1, 1),
                "missing the format version `reprise: 1`",
            )
            .hint("add `reprise: 1` as the first line"));
        }
        Some(v) if v.as_u64() == Some(FORMAT) => {}
        Some(v) => {
            let shown = serde_yaml::to_string(v).unwrap_or_default();
            return Err(Error::in_file(
                version_at,
                format!("unsupported format version `{}`", shown.trim()),
            )
            .hint(format!(
                "this reprise ({}) reads `reprise: {FORMAT}`",
                env!("CARGO_PKG_VERSION")
            )));
        }
    }
    serde_yaml::from_str::<Spec>(text).map_err(|e| yaml_error(path, text, &e))
}

/// Turns serde_yaml's message into ours: position as `file:line:col`, and a suggestion for
/// an unknown key or variant.
pub(crate) fn yaml_error(path: &Path, text: &str, e: &serde_yaml::Error) -> Error {
    let mut location = match e.location() {
        Some(l) => Location::at(path, l.line(), l.column()),
        None => Location::file(path),
    };
    // serde_yaml writes positions into the text (" at line L column C"); we print the
    // position in front instead.
    let (mut message, mut hints) = serde_message(&strip_positions(&e.to_string()));
    if let Some(i) = message.find("duplicate entry with key ") {
        let key = message[i + "duplicate entry with key ".len()..]
            .trim_matches(|c| c == '"' || c == '`')
            .to_string();
        // serde_yaml points at the map; point at the repeated key instead.
        if let Some(line) = repeated_key_line(text, &key) {
            let column = text
                .lines()
                .nth(line - 1)
                .map_or(1, |l| l.len() - l.trim_start().len() + 1);
            location = Location::at(path, line, column);
        }
        message = format!("`{key}` is defined twice");
        hints.push(
            "each key may appear once in a mapping; rename or remove the repeated one".into(),
        );
    }
    let mut err = Error::in_file(location, message);
    for h in hints {
        err = err.hint(h);
    }
    err
}

/// serde's message in our words: a mapping is a mapping rather than a Rust struct, an
/// unknown field a key and an unknown variant a value, with the nearest known one
/// suggested.
pub(crate) fn serde_message(message: &str) -> (String, Vec<String>) {
    let mut message = message.to_string();
    while let Some(i) = message.find("expected struct ") {
        let rest = &message[i + "expected struct ".len()..];
        let name_len = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        message.replace_range(
            i..i + "expected struct ".len() + name_len,
            "expected a mapping of keys",
        );
    }
    let mut hints = Vec::new();
    for (what, noun) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        if let Some(start) = message.find(what) {
            let rest = &message[start + what.len()..];
            let word = rest.split('`').next().unwrap_or("").to_string();
            let known: Vec<String> = rest
                .split('`')
                .skip(2)
                .step_by(2)
                .map(str::to_string)
                .collect();
            if let Some(best) = nearest(&word, known.iter().map(String::as_str)) {
                hints.push(format!("did you mean `{best}`?"));
            }
            message = message.replacen(
                &format!("{what}{word}`"),
                &format!("unknown {noun} `{word}`"),
                1,
            );
        }
    }
    if message.contains("invalid type: sequence, expected") {
        hints.push(
            "this key takes a mapping (`key: value` lines, or `{ key: value }`), not a list".into(),
        );
    }
    (message, hints)
}

/// Removes every " at line L column C" that serde_yaml puts into its messages.
fn strip_positions(message: &str) -> String {
    let mut out = message.to_string();
    while let Some(i) = out.find(" at line ") {
        let rest = &out[i + " at line ".len()..];
        let end = rest
            .find(" column ")
            .map(|c| {
                let after = &rest[c + " column ".len()..];
                c + " column ".len()
                    + after
                        .find(|ch: char| !ch.is_ascii_digit())
                        .unwrap_or(after.len())
            })
            .unwrap_or(
                rest.find(|ch: char| !ch.is_ascii_digit())
                    .unwrap_or(rest.len()),
            );
        out.replace_range(i..i + " at line ".len() + end, "");
    }
    out
}

/// The line (1-based) where `key:` appears for the second time at the same indentation.
fn repeated_key_line(text: &str, key: &str) -> Option<usize> {
    let mut seen = std::collections::HashSet::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let bare = trimmed.trim_start_matches("- ");
        if bare
            .strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with(':'))
            && !seen.insert(indent)
        {
            return Some(i + 1);
        }
    }
    None
}
