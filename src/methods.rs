//! The statistical-methods paragraphs, written from the spec: what was estimated, with which
//! confidence transform, ties method and tests, so the text always matches what ran; and
//! the opening sentences of the results, written from the results. Each analysis kind
//! writes its own sentences; this module orders them into paragraphs.

use crate::analysis::{Analysis, KINDS};
use crate::present::{Present, format};

/// Which paragraph of the methods a sentence belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paragraph {
    /// Estimators and tests of the endpoints.
    Estimation,
    /// How patient characteristics are summarised and compared.
    Characteristics,
}

#[derive(Debug, Clone)]
pub struct Sentence {
    pub paragraph: Paragraph,
    pub text: String,
}

impl Sentence {
    pub fn new(paragraph: Paragraph, text: impl Into<String>) -> Sentence {
        Sentence {
            paragraph,
            text: text.into(),
        }
    }
}

pub fn paragraphs(cx: &Present) -> Vec<String> {
    let study = cx.study;
    let mut out = Vec::new();
    let endpoints: Vec<String> = study
        .spec
        .endpoints
        .iter()
        .filter(|(name, _)| {
            study
                .analyses
                .iter()
                .any(|p| p.analysis.endpoint() == Some(name.as_str()))
        })
        .map(|(name, e)| {
            let label = cx.labels.endpoint(name).to_lowercase();
            match (&e.start, &e.unit) {
                (Some(start), Some(u)) => format!("{label} (from {start}, in {})", u.name()),
                (_, Some(u)) => format!("{label} (in {})", u.name()),
                _ => label,
            }
        })
        .collect();
    if !endpoints.is_empty() {
        out.push(format!(
            "The time-to-event endpoints were {}.",
            format::list(&endpoints)
        ));
    }
    let all: Vec<&dyn Analysis> = study.analyses.iter().map(|p| p.analysis.as_ref()).collect();
    let sentences: Vec<Sentence> = KINDS.iter().flat_map(|k| k.methods(&all, cx)).collect();
    for paragraph in [Paragraph::Estimation, Paragraph::Characteristics] {
        let texts: Vec<&str> = sentences
            .iter()
            .filter(|s| s.paragraph == paragraph)
            .map(|s| s.text.as_str())
            .collect();
        if !texts.is_empty() {
            out.push(texts.join(" "));
        }
    }
    out.push(format!(
        "Each analysis used the patients with complete data for the variables it involves. All tests are two-sided. The analyses were run with reprise {}, whose statistics agree with R's survival package to within 1e-9; the inputs are identified by their SHA-256 hashes in the colophon.",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

/// Sentences for the start of the results, written from the results.
pub fn summary(cx: &Present) -> Vec<String> {
    cx.study
        .analyses
        .iter()
        .filter_map(|p| Some(p.analysis.summary(cx.results.analyses.get(&p.id)?, cx)))
        .flatten()
        .collect()
}
