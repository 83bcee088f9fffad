//! `kind: cox`: Cox proportional hazards regression, as R's `coxph(Surv(time, event) ~
//! ..., ties)` with its model tests, concordance and `cox.zph`; covariates given, or
//! chosen from univariable models by their p-value. Drawn as a forest plot, printed as a
//! table of hazard ratios with univariable and multivariable models side by side.

mod database;
pub(super) mod design;
mod forest;

pub use forest::{figure as forest_figure, table as forest_table};

use serde::{Deserialize, Serialize};

use super::rows::{Subset, column, endpoint};
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, ScopeResult};
use crate::data::Column;
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format};
use crate::spec::{FigureSpec, Select, Ties};
use crate::stats::{self, ChisqTest, CoxTerm, StatsError};
use crate::tables::{Row, Table};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The endpoint modelled, by its id under `endpoints` (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    endpoint: Option<String>,
    /// The columns in the model: a number or boolean is one term, a category one
    /// term per level against its `ref`. Required unless `select` is given.
    #[serde(default, deserialize_with = "crate::spec::scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    covariates: Option<Vec<String>>,
    /// Choose the covariates from univariable models by their p-value.
    select: Option<Select>,
    /// How tied event times are handled: `efron` (default) or `breslow`.
    ties: Option<Ties>,
    /// Confidence level of the hazard ratios' intervals, between 0 and 1 (default 0.95).
    conf_level: Option<f64>,
    /// Columns whose levels each get a baseline hazard of their own (R's `strata()`).
    #[serde(default, deserialize_with = "crate::spec::scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    strata: Option<Vec<String>>,
    /// Rows with the same value are one cluster for the robust variance.
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    cluster: Option<String>,
    /// Robust (sandwich) standard errors. Default: on with `cluster` or with
    /// weights that are not whole numbers, else off.
    robust: Option<bool>,
    /// Case weights.
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    weights: Option<String>,
    /// A SQL condition over the data's columns: only the rows where it is true are analysed
    /// (a null is false); default every row.
    #[serde(default, rename = "where")]
    where_: Option<String>,
    /// Keep the patients still under follow-up after this time (time > landmark) and measure
    /// time from it, in the endpoint's unit.
    landmark: Option<f64>,
    /// On a competing-risks endpoint (required there): the cause counted as the event, the
    /// others censored (cause-specific).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    cause: Option<String>,
    /// Administrative censoring: times beyond it are censored at it, in the endpoint's unit,
    /// before any landmark (with the endpoint's own `censor_at`, the earlier applies).
    censor_at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cox {
    pub endpoint: String,
    /// The covariates; with `select`, the candidates (every covariate of the univariable
    /// models), of which the run keeps those the rule chooses.
    pub covariates: Vec<String>,
    pub ties: Ties,
    pub conf_level: f64,
    pub select: Option<Select>,
    pub strata: Vec<String>,
    pub cluster: Option<String>,
    /// The robust (sandwich) variance as asked for; without `robust`, R's default: with a
    /// cluster, or with case weights that are not whole numbers.
    pub robust: Option<bool>,
    pub weights: Option<String>,
    pub scope: Scope,
}

/// `results.json` for a Cox model: a fit, or, when a selection chose nothing, no model.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum CoxResult {
    Fitted(Box<Fitted>),
    NoModel(Box<NoModel>),
}

#[derive(Debug, Clone, Serialize)]
pub struct Fitted {
    pub kind: &'static str,
    pub endpoint: String,
    pub ties: &'static str,
    pub conf_level: f64,
    pub covariates: Vec<String>,
    pub n: u64,
    pub n_dropped_missing: usize,
    pub events: u64,
    pub terms: Vec<CoxTerm>,
    pub loglik: Loglik,
    pub lr_test: ChisqTest,
    pub wald_test: ChisqTest,
    pub score_test: ChisqTest,
    pub concordance: Concordance,
    pub zph: Option<Zph>,
    pub iterations: usize,
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection: Option<Selection>,
    pub strata: Option<Vec<String>>,
    #[serde(flatten)]
    pub scope: ScopeResult,
    /// Each category's reference level, for tables; not part of `results.json`.
    #[serde(skip)]
    pub references: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoModel {
    pub kind: &'static str,
    pub endpoint: String,
    pub ties: &'static str,
    pub n: Option<u64>,
    pub events: Option<u64>,
    pub terms: Vec<CoxTerm>,
    pub warnings: Vec<String>,
    pub selection: Selection,
}

#[derive(Debug, Clone, Serialize)]
pub struct Loglik {
    pub null: f64,
    pub fitted: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Concordance {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    /// For a cohort in a database: `|estimate - exact| <= bound`, the estimate being
    /// formed from counts per band of the linear predictor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound: Option<f64>,
}

/// `cox.zph(fit, transform = "km", terms = TRUE)`.
#[derive(Debug, Clone, Serialize)]
pub struct Zph {
    pub transform: &'static str,
    pub terms: Vec<ZphTerm>,
    pub global: ChisqTest,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZphTerm {
    pub term: String,
    pub chisq: Option<f64>,
    pub df: usize,
    pub p: Option<f64>,
}

/// How a multivariable model's covariates were chosen: each candidate model's smallest p,
/// and what the rule kept.
#[derive(Debug, Clone, Serialize)]
pub struct Selection {
    pub rule: String,
    pub p_below: f64,
    pub candidates: Vec<Candidate>,
    pub selected: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub analysis: String,
    pub covariates: Vec<String>,
    pub p: Option<f64>,
    pub selected: bool,
}

impl CoxResult {
    pub fn terms(&self) -> &[CoxTerm] {
        match self {
            CoxResult::Fitted(f) => &f.terms,
            CoxResult::NoModel(m) => &m.terms,
        }
    }

    pub fn ties(&self) -> &'static str {
        match self {
            CoxResult::Fitted(f) => f.ties,
            CoxResult::NoModel(m) => m.ties,
        }
    }

    pub fn endpoint(&self) -> &str {
        match self {
            CoxResult::Fitted(f) => &f.endpoint,
            CoxResult::NoModel(m) => &m.endpoint,
        }
    }

    pub fn warnings(&self) -> &[String] {
        match self {
            CoxResult::Fitted(f) => &f.warnings,
            CoxResult::NoModel(m) => &m.warnings,
        }
    }

    /// Patients in the model.
    pub fn n(&self) -> Option<u64> {
        match self {
            CoxResult::Fitted(f) => Some(f.n),
            CoxResult::NoModel(m) => m.n,
        }
    }

    /// Each category's reference level.
    pub fn references(&self) -> &[(String, String)] {
        match self {
            CoxResult::Fitted(f) => &f.references,
            CoxResult::NoModel(_) => &[],
        }
    }

    pub fn selection(&self) -> Option<&Selection> {
        match self {
            CoxResult::Fitted(f) => f.selection.as_ref(),
            CoxResult::NoModel(m) => Some(&m.selection),
        }
    }
}

impl Kind for Cox {
    const NAME: &'static str = "cox";
    const NOUN: &'static str = "Cox models";
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Cox> {
        let id = cx.id;
        let conf_level = cx.conf_level(p.conf_level)?;
        let mut covariates = p.covariates.clone().unwrap_or_default();
        if let Some(select) = &p.select {
            if p.covariates.is_some() {
                return Err(cx.error_at(
                    &["select"],
                    format!("analysis `{id}`: give `covariates` or `select`, not both"),
                ));
            }
            // The candidates are the univariable models' covariates, in order; those
            // models must come earlier, so their results exist.
            for from in &select.from {
                let Some(model) = cx
                    .earlier(from)
                    .and_then(|e| e.get::<Cox>())
                    .filter(|c| c.select.is_none())
                else {
                    return Err(cx.error_at(&["select"], format!("analysis `{id}`: `select.from` names `{from}`, which must be a Cox model with `covariates` defined above `{id}`")));
                };
                for c in &model.covariates {
                    if !covariates.contains(c) {
                        covariates.push(c.clone());
                    }
                }
            }
        }
        if covariates.is_empty() {
            return Err(cx
                .error(format!(
                    "analysis `{id}`: a Cox model needs at least one covariate"
                ))
                .hint("add `covariates: [column, ...]`"));
        }
        if let Some(dup) = covariates
            .iter()
            .enumerate()
            .find(|(i, c)| covariates[..*i].contains(c))
            .map(|(_, c)| c)
        {
            return Err(cx.error_at(
                &["covariates"],
                format!("analysis `{id}`: covariate `{dup}` is listed twice"),
            ));
        }
        let endpoint = cx.endpoint(p.endpoint.as_ref())?;
        let scope = Scope::plan(
            cx,
            Some(&endpoint),
            p.where_,
            p.landmark,
            p.cause,
            p.censor_at,
        )?;
        let strata = p.strata.unwrap_or_default();
        if let Some(both) = strata.iter().find(|s| covariates.contains(s)) {
            return Err(cx
                .error_at(
                    &["strata"],
                    format!("analysis `{id}`: `{both}` is both a covariate and a stratum"),
                )
                .hint("a stratum gets its own baseline hazard and no hazard ratio: list it in one of the two"));
        }
        if p.robust == Some(false) && p.cluster.is_some() {
            return Err(cx
                .error_at(
                    &["robust"],
                    format!("analysis `{id}`: `cluster` with `robust: false`"),
                )
                .hint("a cluster is only used by the robust variance: drop one of the two"));
        }
        Ok(Cox {
            robust: if p.cluster.is_some() {
                Some(true)
            } else {
                p.robust
            },
            strata,
            cluster: p.cluster,
            weights: p.weights,
            endpoint,
            scope,
            covariates,
            ties: p.ties.unwrap_or(Ties::Efron),
            conf_level,
            select: p.select,
        })
    }

    fn methods(all: &[&Cox], _cx: &Present) -> Vec<Sentence> {
        let ties = format::distinct(all.iter().map(|c| match c.ties {
            Ties::Efron => "Efron's".to_string(),
            Ties::Breslow => "Breslow's".to_string(),
        }));
        let levels = format::distinct(all.iter().map(|c| format::level(c.conf_level)));
        vec![Sentence::new(
            Paragraph::Estimation,
            format!(
                "Hazard ratios with {} Wald confidence intervals were estimated by Cox proportional hazards regression, with {} method for tied event times; the models are summarised by likelihood-ratio, Wald and score tests and Harrell's concordance, and proportional hazards were checked with the test of Grambsch and Therneau (Kaplan-Meier time transform).",
                format::list(&levels),
                format::list(&ties)
            ),
        )]
        .into_iter()
        .chain(options(all))
        .collect()
    }

    /// The proportional-hazards checks of every Cox model in one table, as R's
    /// `cox.zph(fit)` prints them: per model its terms and the global test.
    fn study_tables(all: &[&Planned], cx: &Present) -> Vec<Table> {
        let style = &cx.style;
        let labels = &cx.labels;
        let mut rows = Vec::new();
        let mut transform = None;
        for p in all {
            let Some(CoxResult::Fitted(f)) = cx.output::<CoxResult>(&p.id) else {
                continue;
            };
            let Some(zph) = &f.zph else { continue };
            transform.get_or_insert(zph.transform);
            let covariates: Vec<String> = f.covariates.iter().map(|c| labels.column(c)).collect();
            let name = p.title.clone().unwrap_or_else(|| {
                format!(
                    "{}: {}",
                    labels.endpoint(&f.endpoint),
                    covariates.join(", ")
                )
            });
            let mut head = vec![name];
            head.resize(4, String::new());
            rows.push(Row::new(head));
            let test = |label: String, chisq: Option<f64>, df: usize, p: Option<f64>| {
                Row::indented(vec![
                    label,
                    style.num(chisq, 2),
                    df.to_string(),
                    style.p_cell(p),
                ])
            };
            if zph.terms.len() > 1 {
                for t in &zph.terms {
                    rows.push(test(labels.column(&t.term), t.chisq, t.df, t.p));
                }
            }
            rows.push(test(
                "Global".into(),
                zph.global.chisq,
                zph.global.df,
                zph.global.p,
            ));
        }
        if rows.is_empty() {
            return Vec::new();
        }
        vec![Table {
            id: "cox_zph".into(),
            title: "Tests of proportional hazards".into(),
            header: vec![
                "Model and term".into(),
                "χ²".into(),
                "df".into(),
                style.p_header(),
            ],
            spanners: Vec::new(),
            rows,
            notes: vec![format!(
                "Score tests of the scaled Schoenfeld residuals against {} time (R: cox.zph); a small {} value suggests the hazard ratio changes over time. A model of one term has only its global test.",
                match transform.unwrap_or("km") {
                    "km" => "Kaplan-Meier-transformed",
                    other => other,
                },
                style.p_letter
            )],
        }]
    }
}

/// What the stratified, weighted or robust models add to the methods.
fn options(all: &[&Cox]) -> Option<Sentence> {
    let mut parts = Vec::new();
    if all.iter().any(|c| !c.strata.is_empty()) {
        parts.push("stratified models had a baseline hazard of their own for each stratum");
    }
    if all.iter().any(|c| c.weights.is_some()) {
        parts.push("weighted models used case weights");
    }
    if all.iter().any(|c| c.cluster.is_some()) {
        parts.push("standard errors of models with clustered patients are robust (sandwich) estimates over the clusters");
    } else if all
        .iter()
        .any(|c| c.robust != Some(false) && (c.robust.is_some() || c.weights.is_some()))
    {
        parts.push("robust (sandwich) standard errors were used where stated");
    }
    if parts.is_empty() {
        return None;
    }
    let mut text = format::list(&parts.iter().map(|p| p.to_string()).collect::<Vec<_>>());
    text[..1].make_ascii_uppercase();
    Some(Sentence::new(Paragraph::Estimation, format!("{text}.")))
}

impl Analysis for Cox {
    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn columns(&self) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = self
            .covariates
            .iter()
            .map(|c| ("covariates", c.as_str()))
            .collect();
        out.extend(self.strata.iter().map(|s| ("strata", s.as_str())));
        out.extend(self.cluster.iter().map(|c| ("cluster", c.as_str())));
        out.extend(self.weights.iter().map(|w| ("weights", w.as_str())));
        out
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn reads(&self) -> Vec<&str> {
        self.select
            .iter()
            .flat_map(|s| s.from.iter().map(String::as_str))
            .collect()
    }

    fn long(&self) -> bool {
        true
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let Some(select) = &self.select else {
            return self.fit(cx, &self.covariates, None);
        };
        let selection = selection(select, cx);
        if selection.selected.is_empty() {
            let warning = "no covariate met the selection rule, so there is no multivariable model";
            return Ok(Outcome::new(CoxResult::NoModel(Box::new(NoModel {
                kind: Self::NAME,
                endpoint: self.endpoint.clone(),
                ties: self.ties.name(),
                n: None,
                events: None,
                terms: Vec::new(),
                warnings: vec![warning.to_string()],
                selection,
            })))
            .with_warnings(vec![warning.to_string()]));
        }
        let chosen = selection.selected.clone();
        self.fit(cx, &chosen, Some(selection))
    }

    fn default_figure(&self, id: &str) -> Option<FigureSpec> {
        Some(FigureSpec {
            analyses: Some(vec![id.to_string()]),
            ..FigureSpec::blank(crate::spec::FigureKind::Forest)
        })
    }
}

impl Cox {
    /// Whether the model is the plain `coxph(Surv(time, event) ~ x)`, which the fast path
    /// fits at registry scale.
    fn plain(&self) -> bool {
        self.strata.is_empty()
            && self.cluster.is_none()
            && self.robust != Some(true)
            && self.weights.is_none()
    }

    /// The columns the model reads besides its covariates.
    fn extra_columns(&self) -> Vec<&String> {
        self.strata
            .iter()
            .chain(&self.cluster)
            .chain(&self.weights)
            .collect()
    }

    fn fit(
        &self,
        cx: &RunCx,
        covariates: &[String],
        selection: Option<Selection>,
    ) -> std::result::Result<Outcome, StatsError> {
        let cohort = cx.cohort;
        let (fit, references, n_dropped_missing, bound) = match &cohort.database {
            Some(db) => {
                let fitted = database::fit(self, cohort, db, covariates)?;
                let dropped = (cohort.patients() - fitted.fit.n) as usize;
                (
                    fitted.fit,
                    fitted.references,
                    dropped,
                    fitted.concordance_bound,
                )
            }
            None => {
                let (fit, references, dropped) = self.fit_rows(cohort, covariates)?;
                (fit, references, dropped, None)
            }
        };
        let zph = fit.zph.as_ref().map(|(terms, global)| Zph {
            transform: "km",
            terms: terms
                .iter()
                .map(|(name, t)| ZphTerm {
                    term: name.clone(),
                    chisq: t.chisq,
                    df: t.df,
                    p: t.p,
                })
                .collect(),
            global: *global,
        });
        let warnings = fit.warnings.clone();
        Ok(Outcome::new(CoxResult::Fitted(Box::new(Fitted {
            kind: Self::NAME,
            endpoint: self.endpoint.clone(),
            ties: self.ties.name(),
            conf_level: self.conf_level,
            covariates: covariates.to_vec(),
            n: fit.n,
            n_dropped_missing,
            events: fit.events,
            terms: fit.terms,
            loglik: Loglik {
                null: fit.loglik_null,
                fitted: fit.loglik,
            },
            lr_test: fit.lr,
            wald_test: fit.wald,
            score_test: fit.score,
            concordance: Concordance {
                estimate: fit.concordance.0,
                se: fit.concordance.1,
                bound,
            },
            zph,
            iterations: fit.iterations,
            warnings: fit.warnings,
            selection,
            strata: (!self.strata.is_empty()).then(|| self.strata.clone()),
            scope: cx.scope.clone(),
            references,
        })))
        .with_warnings(warnings))
    }
}

/// A model fitted over rows in memory, each category's reference level, and the rows
/// left out for a missing value.
type RowsFit = (stats::CoxFit, Vec<(String, String)>, usize);

impl Cox {
    /// The model over the cohort's rows in memory, each category's reference level, and
    /// the rows left out for a missing value.
    fn fit_rows(
        &self,
        cohort: &crate::data::Cohort,
        covariates: &[String],
    ) -> std::result::Result<RowsFit, StatsError> {
        let e = endpoint(cohort, &self.endpoint);
        let cols: Vec<&Column> = covariates.iter().map(|c| column(cohort, c)).collect();
        let mut all = cols.clone();
        all.extend(self.extra_columns().iter().map(|c| column(cohort, c)));
        let sub = Subset::new(e, &all);
        let references = design::references(&cols, &sub.rows);
        let dropped = cohort.n - sub.rows.len();
        let fit = if self.plain() {
            let design = {
                // Built straight in time order: a design in row order and its permuted
                // copy would both be held at once, 400 MB each at ten million rows and
                // five terms.
                let _step = crate::progress::timed("  cox design in time order");
                let in_time: Vec<usize> =
                    sub.sorted.iter().map(|&k| sub.rows[k as usize]).collect();
                design::design(&cols, &in_time)?
            };
            let _step = crate::progress::timed("  cox fit, concordance, zph");
            stats::cox(&sub.time, &sub.event, design, self.ties, self.conf_level)?
        } else {
            let design = design::design(&cols, &sub.rows)?;
            let time: Vec<f64> = sub
                .rows
                .iter()
                .map(|&i| e.time[i].expect("complete"))
                .collect();
            let event: Vec<bool> = sub
                .rows
                .iter()
                .map(|&i| e.event[i].expect("complete"))
                .collect();
            let strata = (!self.strata.is_empty()).then(|| {
                let columns: Vec<&Column> = self.strata.iter().map(|s| column(cohort, s)).collect();
                design::strata(&columns, &sub.rows)
            });
            let cluster = self
                .cluster
                .as_ref()
                .map(|c| design::strata(&[column(cohort, c)], &sub.rows));
            let weights = self
                .weights
                .as_ref()
                .map(|w| column(cohort, w).numbers_at(&sub.rows));
            let _step = crate::progress::timed("  cox fit, concordance, zph");
            stats::coxph(
                &time,
                &event,
                design,
                self.ties,
                self.conf_level,
                stats::CoxOptions {
                    strata: strata.as_deref(),
                    weights: weights.as_deref(),
                    cluster: cluster.as_deref(),
                    robust: self.robust.unwrap_or_else(|| {
                        weights
                            .as_ref()
                            .is_some_and(|w| w.iter().any(|x| x.fract() != 0.0))
                    }),
                    entry: None,
                },
            )?
        };
        Ok((fit, references, dropped))
    }
}

/// The univariable models' smallest p each, and the covariates of those below the rule's
/// threshold, in the order the models list them.
fn selection(select: &Select, cx: &RunCx) -> Selection {
    let mut selected: Vec<String> = Vec::new();
    let mut candidates = Vec::new();
    for from in &select.from {
        let r = cx
            .output::<CoxResult>(from)
            .expect("run before the selection");
        let p = r
            .terms()
            .iter()
            .filter_map(|t| t.p)
            .fold(f64::INFINITY, f64::min);
        let chosen = p < select.p_below;
        let names: Vec<String> = match r {
            CoxResult::Fitted(f) => f.covariates.clone(),
            CoxResult::NoModel(_) => Vec::new(),
        };
        if chosen {
            for c in &names {
                if !selected.contains(c) {
                    selected.push(c.clone());
                }
            }
        }
        candidates.push(Candidate {
            analysis: from.clone(),
            covariates: names,
            p: p.is_finite().then_some(p),
            selected: chosen,
        });
    }
    Selection {
        rule: format!("univariable p < {}", select.p_below),
        p_below: select.p_below,
        candidates,
        selected,
    }
}
