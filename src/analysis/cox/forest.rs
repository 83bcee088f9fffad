//! Cox models side by side: the forest plot and the table of hazard ratios share one
//! arrangement, the univariable models as one column, then each multivariable model.

use super::{Cox, CoxResult};
use crate::figures::forest::{Estimate, ForestPlot, Row as ForestRow};
use crate::present::{Present, format};
use crate::spec::FigureSpec;
use crate::stats::CoxTerm;
use crate::tables::{Row, Table};

/// The columns of a forest plot or its table: the univariable models as one column
/// (`None`), then each multivariable model (its id); with the terms of each, and the
/// order of the rows, the multivariable model's terms first.
struct Columns<'a> {
    columns: Vec<Column<'a>>,
    order: Vec<String>,
}

struct Column<'a> {
    id: Option<&'a str>,
    terms: Vec<&'a CoxTerm>,
    /// The confidence level of the column's models, as printed.
    level: String,
}

impl<'a> Columns<'a> {
    fn new(spec: &'a FigureSpec, cx: &'a Present) -> Columns<'a> {
        let terms = |id: &str| -> Vec<&'a CoxTerm> {
            cx.output::<CoxResult>(id)
                .map(|r| r.terms().iter().collect())
                .unwrap_or_default()
        };
        let level = |id: Option<&String>| {
            let model = id
                .and_then(|id| cx.planned(id))
                .and_then(|p| p.get::<Cox>());
            format::level(model.map_or(0.95, |m| m.conf_level))
        };
        let mut columns = Vec::new();
        if let Some(uni) = &spec.univariable {
            columns.push(Column {
                id: None,
                terms: uni.iter().flat_map(|id| terms(id)).collect(),
                level: level(uni.first()),
            });
        }
        for id in spec.analyses.iter().flatten() {
            columns.push(Column {
                id: Some(id.as_str()),
                terms: terms(id),
                level: level(Some(id)),
            });
        }
        let mut order: Vec<String> = Vec::new();
        for c in columns.iter().rev() {
            for t in &c.terms {
                if !order.contains(&t.term) {
                    order.push(t.term.clone());
                }
            }
        }
        Columns { columns, order }
    }

    /// The models every column shows: univariable ones first.
    fn ids(spec: &'a FigureSpec) -> Vec<&'a String> {
        spec.univariable
            .iter()
            .flatten()
            .chain(spec.analyses.iter().flatten())
            .collect()
    }
}

impl Column<'_> {
    fn term(&self, name: &str) -> Option<&CoxTerm> {
        self.terms.iter().copied().find(|t| t.term == name)
    }
}

/// A forest plot of the Cox models a figure names.
pub fn figure(spec: &FigureSpec, cx: &Present) -> (String, String) {
    let Columns { columns, order } = Columns::new(spec, cx);
    let multi = spec.analyses.clone().unwrap_or_default();
    let names: Vec<String> = columns
        .iter()
        .map(|c| match c.id {
            None => "Univariable".to_string(),
            Some(_) if multi.len() == 1 && spec.univariable.is_some() => {
                "Multivariable".to_string()
            }
            Some(_) if multi.len() == 1 => "Cox model".to_string(),
            Some(id) => cx
                .planned(id)
                .and_then(|p| p.title.clone())
                .unwrap_or_else(|| id.to_string()),
        })
        .collect();
    let estimate = |t: &CoxTerm| -> Option<Estimate> {
        Some(Estimate {
            hr: t.hr?,
            lower: t.lower.unwrap_or(f64::NAN),
            upper: t.upper.unwrap_or(f64::NAN),
            p: t.p,
        })
    };
    // A term no model could estimate has no row.
    let rows = order
        .iter()
        .map(|t| ForestRow {
            label: cx.labels.term(t, spec.labels.as_ref()),
            estimates: columns
                .iter()
                .map(|c| c.term(t).and_then(estimate))
                .collect(),
        })
        .filter(|r| r.estimates.iter().any(Option::is_some))
        .collect();
    let endpoint = multi
        .first()
        .or(spec.univariable.as_ref().and_then(|u| u.first()))
        .and_then(|id| cx.planned(id))
        .and_then(|p| p.analysis.endpoint().map(str::to_string));
    let label = endpoint
        .map(|e| cx.labels.endpoint(&e))
        .unwrap_or_else(|| "the endpoint".into());
    let plot = ForestPlot {
        models: names,
        rows,
        xlab: spec
            .xlab
            .clone()
            .unwrap_or_else(|| "Hazard ratio (log scale)".into()),
        levels: columns.iter().map(|c| c.level.clone()).collect(),
    };
    (
        crate::figures::forest::svg(&plot),
        format!("Hazard ratios for {}", label.to_lowercase()),
    )
}

/// The table of hazard ratios beside a forest plot (or of a model no plot shows).
pub fn table(fid: &str, spec: &FigureSpec, cx: &Present) -> Table {
    let Columns { columns, order } = Columns::new(spec, cx);
    let multi = spec.analyses.clone().unwrap_or_default();
    let mut header = vec!["Term".to_string()];
    for c in &columns {
        let name = match (c.id, spec.univariable.is_some(), multi.len()) {
            (None, _, _) => "Univariable".to_string(),
            (Some(_), true, 1) => "Multivariable".to_string(),
            (Some(_), false, 1) => String::new(),
            (Some(id), _, _) => id.to_string(),
        };
        header.push(format!("{name} HR ({} CI)", c.level).trim().to_string());
        header.push("p".into());
    }
    let rows = order
        .iter()
        .map(|term| {
            let mut cells = vec![cx.labels.term(term, spec.labels.as_ref())];
            for c in &columns {
                match c.term(term) {
                    Some(t) => {
                        cells.push(format::estimate_ci(t.hr, t.lower, t.upper, 2));
                        cells.push(format::p_cell(t.p));
                    }
                    None => {
                        cells.push(format::MISSING.into());
                        cells.push(String::new());
                    }
                }
            }
            Row {
                cells,
                indent: false,
            }
        })
        .collect();
    let ids = Columns::ids(spec);
    let results: Vec<(&String, &CoxResult)> = ids
        .iter()
        .filter_map(|id| Some((*id, cx.output::<CoxResult>(id)?)))
        .collect();
    Table {
        id: format!("tab_{}", fid.trim_start_matches("fig_")),
        title: spec.title.clone().unwrap_or_else(|| {
            let endpoint = results.first().map_or("", |(_, r)| r.endpoint());
            format!(
                "Cox regression for {}",
                cx.labels.endpoint(endpoint).to_lowercase()
            )
        }),
        header,
        rows,
        notes: notes(&results, cx),
    }
}

fn notes(results: &[(&String, &CoxResult)], cx: &Present) -> Vec<String> {
    let ties = match results.first().map_or("efron", |(_, r)| r.ties()) {
        "breslow" => "Breslow's",
        _ => "Efron's",
    };
    let mut notes = vec![format!(
        "Cox proportional hazards regression, {ties} method for tied times; HR, hazard ratio; CI, confidence interval."
    )];
    for (_, r) in results {
        if let Some(sel) = r.selection() {
            let chosen: Vec<String> = sel.selected.iter().map(|c| cx.labels.column(c)).collect();
            let chosen = if chosen.is_empty() {
                "none".to_string()
            } else {
                chosen.join(", ")
            };
            notes.push(format!(
                "Multivariable model: the factors with {} entered it (here: {chosen}).",
                sel.rule
            ));
        }
    }
    for (id, r) in results {
        for w in r.warnings() {
            notes.push(format!("Warning ({id}): {w}."));
        }
    }
    notes
}
