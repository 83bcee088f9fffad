//! Cox models side by side: the forest plot and the table of hazard ratios share one
//! arrangement, the univariable models as one column, then each multivariable model.

use super::{Cox, CoxResult};
use crate::figures::forest::{Estimate, ForestPlot, Row as ForestRow};
use crate::present::{Present, format};
use crate::spec::FigureSpec;
use crate::stats::CoxTerm;
use crate::tables::Table;
use crate::tables::regression::{Model, Term, blocks, concordance, layout, lr, reference, size};

/// The columns of a forest plot or its table: the univariable models as one column
/// (`None`), then each multivariable model (its id), with the terms of each.
struct Columns<'a> {
    columns: Vec<Column<'a>>,
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
        Columns { columns }
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

/// What a column is called: "Univariable" and "Multivariable" where a figure sets them
/// side by side, else a model's title, else "Model k" (never an analysis id).
fn names(columns: &[Column], spec: &FigureSpec, cx: &Present) -> Vec<String> {
    let multi = spec.analyses.clone().unwrap_or_default();
    columns
        .iter()
        .enumerate()
        .map(|(k, c)| match c.id {
            None => "Univariable".to_string(),
            Some(_) if multi.len() == 1 && spec.univariable.is_some() => {
                "Multivariable".to_string()
            }
            Some(id) => cx
                .planned(id)
                .and_then(|p| p.title.clone())
                .unwrap_or_else(|| {
                    if multi.len() == 1 {
                        "Cox model".to_string()
                    } else {
                        format!("Model {}", k + 1 - usize::from(spec.univariable.is_some()))
                    }
                }),
        })
        .collect()
}

/// Each column as a regression table's model: its terms, each with the size of the
/// model it came from, and the categories' reference levels.
fn models(columns: &[Column], names: &[String], cx: &Present, spec: &FigureSpec) -> Vec<Model> {
    let single = columns.len() == 1;
    columns
        .iter()
        .zip(names)
        .map(|(c, name)| {
            let ids: Vec<&String> = match c.id {
                None => spec.univariable.iter().flatten().collect(),
                Some(_) => Vec::new(),
            };
            let of = |term: &str| -> Option<&CoxResult> {
                match c.id {
                    Some(id) => cx.output::<CoxResult>(id),
                    None => ids
                        .iter()
                        .filter_map(|id| cx.output::<CoxResult>(id))
                        .find(|r| r.terms().iter().any(|t| t.term == term)),
                }
            };
            let terms = c
                .terms
                .iter()
                .map(|t| Term {
                    term: t.term.clone(),
                    estimate: t.hr,
                    lower: t.lower,
                    upper: t.upper,
                    p: t.p,
                    n: of(&t.term).and_then(CoxResult::n),
                })
                .collect();
            let references = match c.id {
                Some(id) => cx
                    .output::<CoxResult>(id)
                    .map(|r| r.references().to_vec())
                    .unwrap_or_default(),
                None => ids
                    .iter()
                    .filter_map(|id| cx.output::<CoxResult>(id))
                    .flat_map(|r| r.references().to_vec())
                    .collect(),
            };
            Model {
                name: (!single).then(|| name.clone()),
                terms,
                references,
                per_term_n: c.id.is_none(),
            }
        })
        .collect()
}

/// A forest plot of the Cox models a figure names: a category as a heading, its
/// reference level and its other levels, as the table beside it prints them.
pub fn figure(spec: &FigureSpec, cx: &Present) -> (String, String) {
    let Columns { columns } = Columns::new(spec, cx);
    let names = names(&columns, spec, cx);
    let models = models(&columns, &names, cx, spec);
    let estimate = |c: &Column, term: &str| -> Option<Estimate> {
        let t = c.term(term)?;
        Some(Estimate {
            hr: t.hr?,
            lower: t.lower.unwrap_or(f64::NAN),
            upper: t.upper.unwrap_or(f64::NAN),
            p: t.p,
        })
    };
    let mut rows = Vec::new();
    for block in blocks(&models) {
        let categorical = block.levels.iter().any(Option::is_some);
        if !categorical {
            let estimates: Vec<Option<Estimate>> =
                columns.iter().map(|c| estimate(c, &block.column)).collect();
            if estimates.iter().any(Option::is_some) {
                rows.push(ForestRow::estimate(
                    cx.labels.term(&block.column, spec.labels.as_ref()),
                    estimates,
                    false,
                ));
            }
            continue;
        }
        rows.push(ForestRow::heading(cx.labels.column(&block.column)));
        if let Some(r) = reference(&models, &block.column) {
            rows.push(ForestRow::reference(
                r,
                models.iter().map(|m| m.has(&block.column)).collect(),
            ));
        }
        for level in block.levels.iter().flatten() {
            let term = format!("{}={level}", block.column);
            let label = spec
                .labels
                .as_ref()
                .and_then(|l| l.get(&term))
                .cloned()
                .unwrap_or_else(|| level.clone());
            let estimates = columns.iter().map(|c| estimate(c, &term)).collect();
            rows.push(ForestRow::estimate(label, estimates, true));
        }
    }
    let endpoint = first_endpoint(spec, cx);
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
        style: cx.style,
        width: spec.canvas.unwrap_or(crate::figures::forest::WIDTH),
    };
    (
        crate::figures::forest::svg(&plot),
        format!("Hazard ratios for {}", cx.labels.inline(&label)),
    )
}

fn first_endpoint(spec: &FigureSpec, cx: &Present) -> Option<String> {
    spec.analyses
        .iter()
        .flatten()
        .chain(spec.univariable.iter().flatten())
        .filter_map(|id| cx.planned(id))
        .find_map(|p| p.analysis.endpoint().map(str::to_string))
}

/// The table of hazard ratios beside a forest plot (or of a model no plot shows), as
/// gtsummary's `tbl_uvregression` and `tbl_regression` merged by `tbl_merge`.
pub fn table(fid: &str, spec: &FigureSpec, cx: &Present) -> Table {
    let Columns { columns } = Columns::new(spec, cx);
    let names = names(&columns, spec, cx);
    let models = models(&columns, &names, cx, spec);
    let level = columns
        .first()
        .map_or("95%".to_string(), |c| c.level.clone());
    let (header, spanners, rows) = layout(&models, "HR", &level, spec.labels.as_ref(), cx);
    let ids = Columns::ids(spec);
    let results: Vec<(&String, &CoxResult)> = ids
        .iter()
        .filter_map(|id| Some((*id, cx.output::<CoxResult>(id)?)))
        .collect();
    let fitted: Vec<(String, &CoxResult)> = columns
        .iter()
        .zip(&names)
        .filter_map(|(c, n)| Some((n.clone(), cx.output::<CoxResult>(c.id?)?)))
        .collect();
    let notes = notes(&results, &fitted, spec.univariable.is_some(), &rows, cx);
    Table {
        id: format!("tab_{}", fid.trim_start_matches("fig_")),
        title: spec.title.clone().unwrap_or_else(|| {
            let endpoint = results.first().map_or("", |(_, r)| r.endpoint());
            format!(
                "Cox regression for {}",
                cx.labels.inline(&cx.labels.endpoint(endpoint))
            )
        }),
        header,
        spanners,
        rows,
        notes,
    }
}

/// A model's covariates by their labels, to name a model that has no title.
fn covariate_list(r: &CoxResult, cx: &Present) -> String {
    match r {
        CoxResult::Fitted(f) => {
            let names: Vec<String> = f.covariates.iter().map(|c| cx.labels.column(c)).collect();
            format::list(&names)
        }
        CoxResult::NoModel(_) => "no covariate".into(),
    }
}

fn notes(
    results: &[(&String, &CoxResult)],
    fitted: &[(String, &CoxResult)],
    univariable: bool,
    rows: &[crate::tables::Row],
    cx: &Present,
) -> Vec<String> {
    let ties = match results.first().map_or("efron", |(_, r)| r.ties()) {
        "breslow" => "Breslow's",
        _ => "Efron's",
    };
    let mut notes = vec![format!(
        "Cox proportional hazards regression, {ties} method for tied times; HR, hazard ratio; CI, confidence interval."
    )];
    notes.extend(crate::tables::regression::reference_note(rows));
    if univariable {
        notes.push(crate::tables::regression::UNIVARIABLE_NOTE.into());
    }
    for (name, r) in fitted {
        if let CoxResult::Fitted(f) = r {
            let who = if fitted.len() == 1 && !univariable {
                "Model".to_string()
            } else {
                name.clone()
            };
            notes.push(format!(
                "{who}: {}; concordance {}; {}.",
                size(f.n, f.events, cx),
                concordance(f.concordance.estimate, f.concordance.se, cx),
                lr(f.lr_test.chisq, f.lr_test.df, f.lr_test.p, cx)
            ));
        }
    }
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
            let name = cx
                .planned(id)
                .and_then(|p| p.title.clone())
                .unwrap_or_else(|| format!("the model of {}", covariate_list(r, cx)));
            notes.push(format!("Warning ({name}): {w}."));
        }
    }
    notes
}
