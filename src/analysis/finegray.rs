//! `kind: finegray`: the Fine-Gray model of one cause's subdistribution hazard, as R's
//! `finegray()` followed by a weighted `coxph(..., cluster = id)`, printed as a table of
//! subdistribution hazard ratios.

use serde::{Deserialize, Serialize};

use super::cox::{Concordance, design};
use super::rows::{self, column, complete, endpoint, rows_where};
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, WhereResult};
use crate::data::Column;
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format};
use crate::stats::{self, ChisqTest, StatsError};
use crate::tables::Table;
use crate::tables::regression::{
    self, Printed, UNIVARIABLE_NOTE, chisq, concordance, layout, merged, model_name, reference_note,
};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The endpoint, by its id under `endpoints` (required): one with competing risks
    /// (`event_codes.causes`).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    endpoint: Option<String>,
    /// The cause whose cumulative incidence is modelled (required), one of the
    /// endpoint's causes; the others are competing events.
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    cause: Option<String>,
    /// The columns in the model (at least one): a number or boolean is one term, a
    /// category one term per level against its `ref`.
    #[serde(default, deserialize_with = "crate::spec::scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    covariates: Option<Vec<String>>,
    /// Confidence level of the subdistribution hazard ratios' intervals, between 0 and 1
    /// (default 0.95).
    conf_level: Option<f64>,
    /// Also fit each covariate alone, on the patients with it recorded, and print those
    /// models beside the multivariable one (default: no).
    univariable: Option<bool>,
    /// A SQL condition over the data's columns: only the rows where it is true are analysed
    /// (a null is false); default every row.
    #[serde(default, rename = "where")]
    where_: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finegray {
    pub endpoint: String,
    /// The cause modelled, and its code (1 for the first declared).
    pub cause: (String, u8),
    pub causes: Vec<String>,
    pub covariates: Vec<String>,
    pub conf_level: f64,
    /// Also one model per covariate, printed beside the multivariable one.
    pub univariable: bool,
    pub scope: Scope,
}

/// `results.json` for a Fine-Gray model.
#[derive(Debug, Clone, Serialize)]
pub struct FinegrayResult {
    pub kind: &'static str,
    pub endpoint: String,
    pub cause: String,
    pub conf_level: f64,
    pub covariates: Vec<String>,
    pub n: u64,
    pub n_dropped_missing: u64,
    pub events: u64,
    pub competing_events: u64,
    /// The rows R's `finegray` makes of the data (the fit forms the same sums without
    /// them).
    pub expanded_rows: u64,
    pub terms: Vec<Term>,
    /// The model's test: Wald with the robust variance (a likelihood-ratio or score test
    /// would take a patient's weighted rows as independent).
    pub wald_test: ChisqTest,
    /// Harrell's concordance over finegray's weighted rows, as coxph reports it for them.
    pub concordance: Concordance,
    pub iterations: usize,
    pub warnings: Vec<String>,
    /// With `univariable: true`, one model per covariate, each on the patients with the
    /// endpoint and that covariate recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub univariable: Option<Vec<Univariable>>,
    #[serde(flatten)]
    pub scope: WhereResult,
    /// Each category's reference level, for tables; not part of `results.json`.
    #[serde(skip)]
    pub references: Vec<(String, String)>,
}

/// A model of one covariate.
#[derive(Debug, Clone, Serialize)]
pub struct Univariable {
    pub covariate: String,
    pub n: u64,
    pub events: u64,
    pub terms: Vec<Term>,
    pub wald_test: ChisqTest,
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub references: Vec<(String, String)>,
}

/// A term: `se` is the robust one, which the interval, z and p use; `naive_se` the
/// model-based one.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    pub term: String,
    pub coef: Option<f64>,
    pub se: Option<f64>,
    pub naive_se: Option<f64>,
    pub hr: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub z: Option<f64>,
    pub p: Option<f64>,
}

impl Kind for Finegray {
    const NAME: &'static str = "finegray";
    const NOUN: &'static str = "Fine-Gray models";
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Finegray> {
        let id = cx.id;
        let endpoint = cx.endpoint(p.endpoint.as_ref())?;
        let causes = cx.causes(&endpoint);
        let Some(cause) = p.cause else {
            let hint = if causes.is_empty() {
                "a Fine-Gray model needs an endpoint with competing risks (`event_codes: { censored: [..], causes: {..} }`)".to_string()
            } else {
                format!("one of: {}", causes.join(", "))
            };
            return Err(cx
                .error(format!(
                    "analysis `{id}`: a Fine-Gray model needs `cause`, the event it models"
                ))
                .hint(hint));
        };
        let cause = cx.cause(Some(&endpoint), &cause, &causes)?;
        let covariates = p.covariates.unwrap_or_default();
        if covariates.is_empty() {
            return Err(cx
                .error(format!(
                    "analysis `{id}`: a Fine-Gray model needs at least one covariate"
                ))
                .hint("add `covariates: [column, ...]`"));
        }
        Ok(Finegray {
            conf_level: cx.conf_level(p.conf_level)?,
            univariable: p.univariable.unwrap_or(false),
            scope: Scope::plan(cx, None, p.where_, None, None, None)?,
            endpoint,
            cause,
            causes,
            covariates,
        })
    }

    fn methods(all: &[&Finegray], _cx: &Present) -> Vec<Sentence> {
        let levels = format::distinct(all.iter().map(|c| format::level(c.conf_level)));
        vec![Sentence::new(
            Paragraph::Estimation,
            format!(
                "Covariate effects on the cumulative incidence of a cause were estimated as subdistribution hazard ratios with the Fine-Gray model (patients with a competing event kept in the risk set with inverse-probability-of-censoring weights, as R's finegray builds them), with robust standard errors and {} confidence intervals.",
                format::list(&levels)
            ),
        )]
    }
}

impl Analysis for Finegray {
    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn columns(&self) -> Vec<(&'static str, &str)> {
        self.covariates
            .iter()
            .map(|c| ("covariates", c.as_str()))
            .collect()
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn long(&self) -> bool {
        true
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let m = self.fit(cx, &self.covariates)?;
        let univariable = if self.univariable {
            let fits = rows::univariable(&self.covariates, |c| self.fit(cx, c))?;
            Some(
                fits.into_iter()
                    .map(|(covariate, u)| Univariable {
                        covariate,
                        n: u.n,
                        events: u.fit.events,
                        terms: u.terms,
                        wald_test: u.fit.wald_test,
                        warnings: u.fit.warnings,
                        references: u.references,
                    })
                    .collect::<Vec<_>>(),
            )
        } else {
            None
        };
        let mut warnings = m.fit.warnings.clone();
        for u in univariable.iter().flatten() {
            warnings.extend(rows::univariable_warnings(&u.covariate, &u.warnings));
        }
        let fit = m.fit;
        Ok(Outcome::new(FinegrayResult {
            kind: Self::NAME,
            endpoint: self.endpoint.clone(),
            cause: self.cause.0.clone(),
            conf_level: self.conf_level,
            covariates: self.covariates.clone(),
            n: m.n,
            n_dropped_missing: cx.cohort.n as u64 - m.n,
            events: fit.events,
            competing_events: fit.competing,
            expanded_rows: fit.expanded_rows,
            terms: m.terms,
            wald_test: fit.wald_test,
            concordance: Concordance {
                estimate: stats::finite(fit.concordance.0),
                se: stats::finite(fit.concordance.1),
                bound: None,
            },
            iterations: fit.iterations,
            warnings: fit.warnings,
            univariable,
            scope: cx.scope.where_only(),
            references: m.references,
        })
        .with_warnings(warnings))
    }

    fn tables(&self, at: &Planned, out: &Outcome, cx: &Present) -> Vec<Table> {
        let r = out.get::<FinegrayResult>().expect("a finegray result");
        let level = format::level(r.conf_level);
        let fitted = |n: u64, terms: &[Term], references: &[(String, String)]| Printed {
            n,
            terms: terms
                .iter()
                .map(|t| regression::Term::of(&t.term, t.hr, t.lower, t.upper, t.p))
                .collect(),
            references: references.to_vec(),
        };
        let models = merged(
            r.univariable.as_ref().map(|uni| {
                uni.iter()
                    .map(|u| fitted(u.n, &u.terms, &u.references))
                    .collect()
            }),
            fitted(r.n, &r.terms, &r.references),
        );
        let (header, spanners, rows) = layout(&models, "SHR", &level, None, cx);
        let cause = cx.labels.inline(&cx.labels.cause(&r.cause));
        let mut notes = vec![format!(
            "SHR: subdistribution hazard ratio of {cause} (Fine-Gray model), robust standard errors; other causes are competing events."
        )];
        notes.extend(reference_note(&rows));
        if r.univariable.is_some() {
            notes.push(UNIVARIABLE_NOTE.into());
        }
        notes.push(format!(
            "{}: N = {}; {} with {cause}, {} with a competing event; concordance {}; robust Wald test {}.",
            model_name(r.univariable.is_some()),
            cx.style.count(r.n),
            cx.style.count(r.events),
            cx.style.count(r.competing_events),
            concordance(r.concordance.estimate, r.concordance.se, cx),
            chisq(&r.wald_test, cx),
        ));
        notes.extend(r.warnings.iter().map(|w| format!("Note: {w}.")));
        vec![Table {
            id: at.id.clone(),
            title: at
                .title
                .clone()
                .unwrap_or_else(|| format!("Fine-Gray model of {}", cause)),
            header,
            spanners,
            rows,
            notes,
        }]
    }
}

/// One fitted model, before it becomes a result.
struct Fitted {
    n: u64,
    terms: Vec<Term>,
    fit: stats::finegray::FineGrayFit,
    references: Vec<(String, String)>,
}

impl Finegray {
    /// The model of the cause on `covariates`, over the rows that have them all.
    fn fit(&self, cx: &RunCx, covariates: &[String]) -> std::result::Result<Fitted, StatsError> {
        let cohort = cx.cohort;
        let e = endpoint(cohort, &self.endpoint);
        let cols: Vec<&Column> = covariates.iter().map(|c| column(cohort, c)).collect();
        let rows = rows_where(&complete(cohort.n, Some(e), &cols));
        let all = e.cause.as_ref().expect("an endpoint with causes");
        let time: Vec<f64> = rows.iter().map(|&i| e.time[i].expect("complete")).collect();
        let cause: Vec<u8> = rows.iter().map(|&i| all[i]).collect();
        let design = design::design(&cols, &rows)?;
        let p = design.names.len();
        let fit = stats::finegray::finegray(&time, &cause, self.cause.1, &design.x, p)?;
        let z_crit = stats::z_for(self.conf_level);
        let terms = design
            .names
            .iter()
            .enumerate()
            .map(|(j, name)| {
                let t = stats::CoxTerm::wald(
                    name.clone(),
                    fit.coef[j].unwrap_or(f64::NAN),
                    fit.naive_se[j].unwrap_or(f64::NAN),
                    Some(fit.robust_se[j].unwrap_or(f64::NAN)),
                    fit.coef[j].is_some(),
                    z_crit,
                );
                Term {
                    term: t.term,
                    coef: t.coef,
                    se: t.robust_se,
                    naive_se: t.se,
                    hr: t.hr,
                    lower: t.lower,
                    upper: t.upper,
                    z: t.z,
                    p: t.p,
                }
            })
            .collect();
        Ok(Fitted {
            n: rows.len() as u64,
            terms,
            fit,
            references: design::references(&cols, &rows),
        })
    }
}
