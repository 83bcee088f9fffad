//! Regression tables as gtsummary's `tbl_regression` prints them, and as `tbl_merge` sets
//! univariable beside multivariable models: one block of rows per covariate, a category's
//! reference level as its own row with "—", each model's estimate with its interval and
//! its p-value under the model's name, and the model's size and fit in a note.

use indexmap::IndexMap;

use super::{Row, Spanner};
use crate::present::Present;

/// What prints in a reference level's estimate and interval cells (gtsummary's em dash).
pub const REFERENCE: &str = "—";

/// One term's estimate as a table prints it.
#[derive(Debug, Clone)]
pub struct Term {
    pub term: String,
    pub estimate: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub p: Option<f64>,
    /// Patients in the model the term came from, when the column's models differ (the
    /// univariable ones).
    pub n: Option<u64>,
}

impl Term {
    /// A term of a model whose columns all have one size.
    pub fn of(
        term: &str,
        estimate: Option<f64>,
        lower: Option<f64>,
        upper: Option<f64>,
        p: Option<f64>,
    ) -> Term {
        Term {
            term: term.to_string(),
            estimate,
            lower,
            upper,
            p,
            n: None,
        }
    }
}

/// A column of models: one multivariable model, or the univariable models together.
#[derive(Debug, Clone)]
pub struct Model {
    /// The spanner over its columns; absent for a table of one model.
    pub name: Option<String>,
    pub terms: Vec<Term>,
    /// Each category's reference level, by column.
    pub references: Vec<(String, String)>,
    /// Whether its terms come from models of different sizes: an N column then.
    pub per_term_n: bool,
}

impl Model {
    /// Whether any of its terms belongs to `column`.
    pub fn has(&self, column: &str) -> bool {
        self.terms
            .iter()
            .any(|t| t.term == column || t.term.split_once('=').is_some_and(|(c, _)| c == column))
    }
}

/// The header, spanners and rows of a regression table: "Characteristic", then per model
/// its ("N",) "HR (95% CI)" and "P value"; `estimate` names the ratio ("HR", "OR", "SHR")
/// and `level` the confidence level ("95%").
pub fn layout(
    models: &[Model],
    estimate: &str,
    level: &str,
    labels: Option<&IndexMap<String, String>>,
    cx: &Present,
) -> (Vec<String>, Vec<Spanner>, Vec<Row>) {
    let style = &cx.style;
    let mut header = vec!["Characteristic".to_string()];
    let mut spanners = Vec::new();
    for m in models {
        let start = header.len();
        if m.per_term_n {
            header.push("N".into());
        }
        header.push(format!("{estimate} ({level} CI)"));
        header.push(style.p_header());
        if let Some(name) = &m.name {
            spanners.push(Spanner {
                title: name.clone(),
                start,
                span: header.len() - start,
            });
        }
    }
    let width = header.len();
    let mut rows = Vec::new();
    for block in blocks(models) {
        let reference = reference(models, &block.column);
        let categorical = block.levels.iter().any(Option::is_some);
        if !categorical {
            let mut cells = vec![cx.labels.term(&block.column, labels)];
            for m in models {
                cells.extend(term_cells(m, &block.column, cx));
            }
            rows.push(Row::new(cells));
            continue;
        }
        let mut head = vec![cx.labels.column(&block.column)];
        head.resize(width, String::new());
        rows.push(Row::new(head));
        if let Some(r) = &reference {
            let mut cells = vec![r.clone()];
            for m in models {
                if m.per_term_n {
                    cells.push(String::new());
                }
                // A model without the category has no reference level either.
                cells.push(if m.has(&block.column) {
                    REFERENCE.into()
                } else {
                    String::new()
                });
                cells.push(String::new());
            }
            rows.push(Row::indented(cells));
        }
        for level in block.levels.iter().flatten() {
            let term = format!("{}={level}", block.column);
            let label = match labels.and_then(|l| l.get(&term)) {
                Some(l) => l.clone(),
                None => level.clone(),
            };
            let mut cells = vec![label];
            for m in models {
                cells.extend(term_cells(m, &term, cx));
            }
            rows.push(Row::indented(cells));
        }
    }
    (header, spanners, rows)
}

/// What a table's note says of a univariable column.
pub const UNIVARIABLE_NOTE: &str =
    "Univariable: one model per characteristic; N, the patients with it recorded.";

/// A fitted model's terms as a table prints them, its size and its reference levels.
pub struct Printed {
    pub n: u64,
    pub terms: Vec<Term>,
    pub references: Vec<(String, String)>,
}

/// The columns of a table of one model, or of its covariates' univariable models (as one
/// column, each term with its model's size) beside it, as `tbl_merge` sets them.
pub fn merged(univariable: Option<Vec<Printed>>, model: Printed) -> Vec<Model> {
    let merged = univariable.is_some();
    let mut models = Vec::new();
    if let Some(uni) = univariable {
        models.push(Model {
            name: Some("Univariable".into()),
            terms: uni
                .iter()
                .flat_map(|u| {
                    u.terms.iter().map(|t| Term {
                        n: Some(u.n),
                        ..t.clone()
                    })
                })
                .collect(),
            references: uni.into_iter().flat_map(|u| u.references).collect(),
            per_term_n: true,
        });
    }
    models.push(Model {
        name: merged.then(|| "Multivariable".into()),
        terms: model.terms,
        references: model.references,
        per_term_n: false,
    });
    models
}

/// What a model's note calls it: "Multivariable" beside univariable models, else "Model".
pub fn model_name(merged: bool) -> &'static str {
    if merged { "Multivariable" } else { "Model" }
}

/// A category's reference level, from the first model that has the category.
pub fn reference(models: &[Model], column: &str) -> Option<String> {
    models
        .iter()
        .find_map(|m| m.references.iter().find(|(c, _)| c == column))
        .map(|(_, r)| r.clone())
}

/// A model's cells for one term: its estimate and p, or a dash where it has no such term.
fn term_cells(m: &Model, term: &str, cx: &Present) -> Vec<String> {
    let mut cells = Vec::new();
    match m.terms.iter().find(|t| t.term == term) {
        Some(t) => {
            if m.per_term_n {
                cells.push(t.n.map(|n| cx.style.count(n)).unwrap_or_default());
            }
            cells.push(cx.style.ratio_ci(t.estimate, t.lower, t.upper));
            cells.push(cx.style.p_cell(t.p));
        }
        // Not in this model: blank, as gtsummary's tbl_merge leaves it.
        None => {
            if m.per_term_n {
                cells.push(String::new());
            }
            cells.push(String::new());
            cells.push(String::new());
        }
    }
    cells
}

/// A covariate's rows: its column, and its levels (`None` for a term that is the column
/// itself), in the order the models give them, the last model's first.
pub struct Block {
    pub column: String,
    pub levels: Vec<Option<String>>,
}

pub fn blocks(models: &[Model]) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for m in models.iter().rev() {
        for t in &m.terms {
            let (column, level) = match t.term.split_once('=') {
                Some((c, l)) => (c.to_string(), Some(l.to_string())),
                None => (t.term.clone(), None),
            };
            match out.iter_mut().find(|b| b.column == column) {
                Some(b) if !b.levels.contains(&level) => b.levels.push(level),
                Some(_) => {}
                None => out.push(Block {
                    column,
                    levels: vec![level],
                }),
            }
        }
    }
    out
}

/// The note that explains the reference rows' dash, where a table has any.
pub fn reference_note(rows: &[Row]) -> Option<String> {
    rows.iter()
        .any(|r| r.cells.iter().any(|c| c == REFERENCE))
        .then(|| format!("{REFERENCE} : reference level."))
}

/// "N = 1,387; 140 events" for a model's note or spanner.
pub fn size(n: u64, events: u64, cx: &Present) -> String {
    format!(
        "N = {}; {} events",
        cx.style.count(n),
        cx.style.count(events)
    )
}

/// A likelihood-ratio test as a note prints it: "likelihood-ratio test χ² = 12.31 on 3 df,
/// P=0.006".
pub fn lr(chisq: Option<f64>, df: usize, p: Option<f64>, cx: &Present) -> String {
    format!("likelihood-ratio test {}", statistic(chisq, df, p, cx))
}

/// A chi-square test's statistic as a note prints it: "χ² = 12.31 on 3 df, P=0.006".
pub fn chisq(t: &crate::stats::ChisqTest, cx: &Present) -> String {
    statistic(t.chisq, t.df, t.p, cx)
}

fn statistic(chisq: Option<f64>, df: usize, p: Option<f64>, cx: &Present) -> String {
    match chisq {
        Some(c) => format!(
            "χ² = {} on {df} df, {}",
            cx.style.num(Some(c), 2),
            cx.style.p_stated(p)
        ),
        None => "not available".into(),
    }
}

/// A model's concordance as a note prints it: "0.68 (SE 0.021)".
pub fn concordance(estimate: Option<f64>, se: Option<f64>, cx: &Present) -> String {
    match estimate {
        Some(e) => format!("{} (SE {})", cx.style.num(Some(e), 2), cx.style.num(se, 3)),
        None => "not available".into(),
    }
}
