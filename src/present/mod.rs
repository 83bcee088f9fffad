//! Presentation: what a reader sees of a name or a number, decided in one place.
//!
//! [`Labels`] turns the spec's names (columns, levels, Cox terms, strata, endpoints) into
//! the words a paper prints; [`format`] turns numbers into text. Tables, figures, the
//! methods text and the templates all go through here, so a label or a rule for p-values
//! changes everywhere at once.

pub mod claims;
pub mod format;
mod style;

pub use style::{CiSeparator, P, Style, StyleName, time_digits};

use std::any::Any;

use indexmap::IndexMap;

use crate::analysis::Planned;
use crate::results::Results;
use crate::spec::{FigureSpec, Study};

/// Display names from the spec.
#[derive(Clone, Copy)]
pub struct Labels<'a> {
    study: &'a Study,
}

impl<'a> Labels<'a> {
    pub fn new(study: &'a Study) -> Labels<'a> {
        Labels { study }
    }

    /// A column's display name: its declared `label`, else its name as words ("wt_loss"
    /// reads "Wt loss"), so that no table prints a raw column name.
    pub fn column(&self, column: &str) -> String {
        let spec = &self.study.spec;
        spec.data
            .columns
            .get(column)
            .and_then(|c| c.label.clone())
            .or_else(|| spec.derive.get(column).and_then(|d| d.label.clone()))
            .unwrap_or_else(|| as_words(column))
    }

    /// A Cox term's display name: `column=level` becomes "Label: level"; a figure's
    /// `labels` override.
    pub fn term(&self, term: &str, labels: Option<&IndexMap<String, String>>) -> String {
        if let Some(l) = labels.and_then(|m| m.get(term)) {
            return l.clone();
        }
        match term.split_once('=') {
            Some((col, level)) => format!("{}: {level}", self.column(col)),
            None => self.column(term),
        }
    }

    /// A label inside a sentence or a title: "Age" reads "age" after "by", but "PCM", "T
    /// stage" and "ECOG score" keep their capitals.
    pub fn inline(&self, label: &str) -> String {
        let first = label.split_whitespace().next().unwrap_or("");
        let mut chars = first.chars();
        let lower_rest = chars.next().is_some_and(|c| c.is_uppercase())
            && first.chars().count() > 1
            && chars.all(|c| !c.is_uppercase());
        if lower_rest {
            let mut c = label.chars();
            let head = c.next().expect("a first letter");
            head.to_lowercase().chain(c).collect()
        } else {
            label.to_string()
        }
    }

    /// An endpoint's display name: its `label`, else its name.
    pub fn endpoint(&self, endpoint: &str) -> String {
        self.study
            .spec
            .endpoints
            .get(endpoint)
            .and_then(|e| e.label.clone())
            .unwrap_or_else(|| endpoint.to_string())
    }

    /// The unit an endpoint's times are in, if declared.
    pub fn unit(&self, endpoint: &str) -> Option<&'static str> {
        self.study
            .spec
            .endpoints
            .get(endpoint)
            .and_then(|e| e.unit)
            .map(|u| u.name())
    }

    /// A cause of a competing-risks endpoint as printed: a name written in lower case
    /// ("death", "pcm") starts with a capital, a short one is an abbreviation ("PCM").
    pub fn cause(&self, cause: &str) -> String {
        if cause.len() <= 3 && cause.chars().all(|c| c.is_ascii_lowercase()) {
            return cause.to_ascii_uppercase();
        }
        let mut chars = cause.chars();
        match chars.next() {
            Some(first) => first
                .to_uppercase()
                .chain(chars)
                .collect::<String>()
                .replace('_', " "),
            None => String::new(),
        }
    }

    /// A group's label as printed: a boolean grouping reads "Completed: yes" rather than
    /// "true".
    pub fn group(&self, by: Option<&str>, label: &str) -> String {
        match (by, label) {
            (Some(b), "true") => format!("{}: yes", self.column(b)),
            (Some(b), "false") => format!("{}: no", self.column(b)),
            _ => label.to_string(),
        }
    }
}

/// A column name as words: underscores become spaces, and a name in lower case starts with
/// a capital ("wt_loss" reads "Wt loss"; "eGFR" and "pH" keep their case).
fn as_words(name: &str) -> String {
    let spaced = name.replace('_', " ");
    if spaced.chars().any(char::is_uppercase) {
        return spaced;
    }
    let mut chars = spaced.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// A figure's own display names for strata, levels or terms, where it gives them.
pub fn relabel(label: &str, labels: Option<&IndexMap<String, String>>) -> String {
    labels
        .and_then(|m| m.get(label))
        .cloned()
        .unwrap_or_else(|| label.to_string())
}

/// What tables, figures and sentences are written from: the study, its results and the
/// figures it draws.
pub struct Present<'a> {
    pub study: &'a Study,
    pub labels: Labels<'a>,
    pub results: &'a Results,
    /// The house style every number is printed in.
    pub style: Style,
    /// The figures drawn: the study's own, or one per analysis that has a default.
    pub figures: &'a [(String, FigureSpec)],
}

impl<'a> Present<'a> {
    pub fn new(
        study: &'a Study,
        results: &'a Results,
        figures: &'a [(String, FigureSpec)],
    ) -> Present<'a> {
        Present {
            study,
            labels: Labels::new(study),
            style: study.house_style(),
            results,
            figures,
        }
    }

    /// An analysis's output as its own type.
    pub fn output<T: Any>(&self, id: &str) -> Option<&T> {
        self.results.analyses.get(id).and_then(|o| o.get::<T>())
    }

    pub fn planned(&self, id: &str) -> Option<&'a Planned> {
        self.study.analysis(id)
    }
}
