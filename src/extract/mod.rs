//! `reprise extract`: a paper's text into the statistics it reports.
//!
//! The text is read into tokens once (`printed::lex`), and at every number the grammar of a
//! printed statistic (`printed::parse_at`) takes the longest statistic it can. What the
//! grammar cannot know, the words around the number say: "hazard ratio" earlier in the
//! sentence (or in the table's header) makes an interval a ratio's CI, "median" makes it a
//! median's range, "of 142 patients" is a percentage's denominator, "Table 2" or
//! "Fig. 3" or "2013" is not a statistic at all. A p printed after two rates compares
//! them, so it is a claim of its own; a p printed with a ratio is part of the ratio.

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::printed::{Interval, Kind, PValue, Statistic, Token};

mod paper;
mod propose;
mod scan;

pub use paper::{Paper, read_paper};
pub use propose::propose;

/// One statistic found in a paper, as `extract --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub id: String,
    pub kind: Kind,
    pub value: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub p: Option<PValue>,
    pub count: Option<f64>,
    pub percent: Option<f64>,
    pub denominator: Option<f64>,
    pub conf_level: Option<f64>,
    pub sd: Option<f64>,
    /// What the two numbers after the estimate are: `ci`, `range`, `iqr`, `unlabelled`.
    pub interval: Option<Interval>,
    /// The statistic exactly as printed (a line break inside it read as one space).
    pub text: String,
    pub line: usize,
    pub page: Option<usize>,
    /// The sentence (or table row) around it.
    pub context: String,
    /// Whether it ends its line as a table's cells do (nothing but numbers after it).
    #[serde(skip)]
    pub row: bool,
    #[serde(skip)]
    pub stat: Statistic,
}

/// Every statistic in `paper`, in reading order.
pub fn extract(paper: &Paper) -> Vec<Found> {
    scan::scan(paper)
}

/// `extract --json`: the paper's path and hash, and what was found.
#[derive(Debug, Serialize)]
pub struct Extracted {
    pub source: Source,
    pub claims: Vec<Found>,
}

#[derive(Debug, Serialize)]
pub struct Source {
    pub path: String,
    pub sha256: String,
}

/// Reads and extracts the paper at `path`.
pub fn extract_file(path: &Path) -> Result<Extracted> {
    let paper = read_paper(path)?;
    let claims = extract(&paper);
    Ok(Extracted {
        source: Source {
            path: path.display().to_string(),
            sha256: paper.sha256.clone(),
        },
        claims,
    })
}

/// The found statistics as claims to paste into a study: the printed text as `reported`,
/// the sentence as `quote`, and `result` where `proposed` names the one result that fits
/// (else left for the author to map).
pub fn to_yaml(found: &[Found], proposed: &[Option<String>]) -> String {
    let mut out = String::from(
        "# Claims read from the paper by `reprise extract`. Map each to a result (a path into\n\
         # results.json, or an expression such as `1 - km/strata/all/at/36/surv`) or leave\n\
         # `result` out for numbers the study does not compute; `audit` checks them all.\n\
         claims:\n",
    );
    for (i, f) in found.iter().enumerate() {
        out.push_str(&format!(
            "  - id: {}\n    reported: {}\n    quote: {}\n",
            f.id,
            yaml_str(&f.text),
            yaml_str(&f.context),
        ));
        let at = format!(
            "{} at line {}{}",
            f.kind.name(),
            f.line,
            f.page.map(|p| format!(", page {p}")).unwrap_or_default()
        );
        match proposed.get(i).and_then(Option::as_deref) {
            Some(path) => out.push_str(&format!(
                "    result: {}   # proposed, the only result that fits every printed part: confirm it ({at})\n",
                yaml_str(path)
            )),
            None => out.push_str(&format!("    # {at}; result: \n")),
        }
    }
    out
}

/// A YAML double-quoted string.
fn yaml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text of `tokens[a..b]` as printed, line breaks read as one space.
fn span_text(text: &str, tokens: &[Token], a: usize, b: usize) -> String {
    let raw = &text[tokens[a].start..tokens[b - 1].end];
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A file that is not a paper reprise reads.
fn unreadable(path: &Path, why: impl Into<String>) -> Error {
    Error::input(format!("{}: {}", path.display(), why.into()))
}

/// What was found, as the numbers `audit` checks: a count's percentage and a ratio's p
/// linked to their estimate, as in a study's claims.
pub fn audit_claims(found: &[Found]) -> Vec<crate::audit::Claim> {
    found
        .iter()
        .flat_map(|f| crate::audit::Claim::from_statistic(&f.id, &f.stat))
        .collect()
}

#[cfg(test)]
mod tests;
