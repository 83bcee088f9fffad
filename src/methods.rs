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
            let label = cx.labels.inline(&cx.labels.endpoint(name));
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
    let mut sentences: Vec<Sentence> = KINDS.iter().flat_map(|k| k.methods(&all, cx)).collect();
    sentences.extend(scope_sentences(cx));
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
        "Each analysis used the patients with complete data for the variables it involves. All tests are two-sided. The analyses were run with reprise {}, whose statistics agree with R (the survival and cmprsk packages, and glm) to within 1e-9; the inputs are identified by their SHA-256 hashes in the colophon.",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

/// What the shared options did: administrative censoring, landmarks, cause-specific
/// analyses and restrictions to a subset, each said once.
fn scope_sentences(cx: &Present) -> Vec<Sentence> {
    let study = cx.study;
    let labels = &cx.labels;
    let time = |endpoint: &str, t: f64| {
        let unit = labels.unit(endpoint).unwrap_or("");
        format!("{} {unit}", cx.style.trimmed(t, 2))
            .trim()
            .to_string()
    };
    let mut out = Vec::new();
    for (name, e) in study.spec.endpoints.iter() {
        if let Some(c) = e.censor_at {
            out.push(format!(
                "Follow-up for {} was censored at {} (administrative censoring).",
                cx.labels.inline(&labels.endpoint(name)),
                time(name, c)
            ));
        }
    }
    let mut landmark = Vec::new();
    let mut horizon = Vec::new();
    let mut causes = Vec::new();
    let mut subsets = Vec::new();
    for p in &study.analyses {
        let Some(scope) = p.analysis.scope() else {
            continue;
        };
        let endpoint = p.analysis.endpoint().unwrap_or("");
        let title = match &p.title {
            Some(t) => format!("The analysis “{t}”"),
            None => format!("Analysis `{}`", p.id),
        };
        if let Some(l) = scope.landmark {
            landmark.push(time(endpoint, l));
        }
        if let Some(c) = scope.censor_at {
            horizon.push(time(endpoint, c));
        }
        if let Some((cause, _)) = &scope.cause {
            causes.push(labels.cause(cause));
        }
        if let Some(w) = &scope.where_ {
            subsets.push(format!(
                "{title} was restricted to the patients for whom {w}"
            ));
        }
    }
    let landmark = format::distinct(landmark);
    if !landmark.is_empty() {
        out.push(format!(
            "Landmark analyses included only the patients still under follow-up at {}, with time measured from the landmark.",
            format::list(&landmark)
        ));
    }
    let horizon = format::distinct(horizon);
    if !horizon.is_empty() {
        out.push(format!(
            "Where stated, follow-up was censored at {} (administrative censoring).",
            format::list(&horizon)
        ));
    }
    let causes = format::distinct(causes);
    if !causes.is_empty() {
        out.push(format!(
            "Cause-specific analyses of {} counted the competing causes as censorings.",
            format::list(&causes)
        ));
    }
    if !subsets.is_empty() {
        out.push(format!("{}.", subsets.join("; ")));
    }
    out.into_iter()
        .map(|t| Sentence::new(Paragraph::Estimation, t))
        .collect()
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
