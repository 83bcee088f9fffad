//! `kind: logistic`: logistic regression of a 0/1 outcome, as R's `glm(outcome ~ ...,
//! family = binomial)`, with the profile-likelihood intervals `confint()` prints (and
//! gtsummary shows) or Wald ones, and the likelihood-ratio test against the null model.

use serde::{Deserialize, Serialize};

use super::cox::{Concordance, design};
use super::rows::{self, column, complete_rows};
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, WhereResult};
use crate::data::{Column, Values};
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format};
use crate::stats::{self, StatsError};
use crate::tables::Table;
use crate::tables::regression::{
    self, Printed, UNIVARIABLE_NOTE, concordance, layout, lr, merged, model_name, reference_note,
    size,
};

/// Which interval `lower` and `upper` are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfInt {
    /// Profile likelihood, as `confint(fit)`.
    Profile,
    /// Wald, as `confint.default(fit)`.
    Wald,
}

impl ConfInt {
    fn name(self) -> &'static str {
        match self {
            ConfInt::Profile => "profile",
            ConfInt::Wald => "wald",
        }
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The 0/1 or true/false column modelled (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    outcome: Option<String>,
    /// The columns in the model (at least one): a number or boolean is one term, a
    /// category one term per level against its `ref`.
    #[serde(default, deserialize_with = "crate::spec::scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    covariates: Option<Vec<String>>,
    /// The odds ratios' intervals: `profile` likelihood (default, R's `confint`) or
    /// `wald`.
    conf_int: Option<ConfInt>,
    /// Confidence level of the odds ratios' intervals, between 0 and 1 (default 0.95).
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
pub struct Logistic {
    pub outcome: String,
    pub covariates: Vec<String>,
    pub conf_int: ConfInt,
    pub conf_level: f64,
    /// Also one model per covariate, printed beside the multivariable one.
    pub univariable: bool,
    pub scope: Scope,
}

/// `results.json` for a logistic regression.
#[derive(Debug, Clone, Serialize)]
pub struct LogisticResult {
    pub kind: &'static str,
    pub outcome: String,
    pub covariates: Vec<String>,
    pub conf_int: &'static str,
    pub conf_level: f64,
    pub n: u64,
    pub n_dropped_missing: u64,
    pub events: u64,
    pub terms: Vec<Term>,
    pub deviance: Deviance,
    pub aic: Option<f64>,
    pub lr_test: LrTest,
    /// The concordance of the fitted probabilities with the outcome (the area under the
    /// ROC curve), as `concordance(fit)`.
    pub concordance: Concordance,
    pub iterations: usize,
    pub warnings: Vec<String>,
    /// With `univariable: true`, one model per covariate, each on the patients with the
    /// outcome and that covariate recorded (gtsummary's `tbl_uvregression`).
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
    pub lr_test: LrTest,
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub references: Vec<(String, String)>,
}

/// A term, "(Intercept)" first; `or`, `lower`, `upper` and the Wald limits on the odds
/// ratio scale.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    pub term: String,
    pub coef: Option<f64>,
    pub se: Option<f64>,
    pub or: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub z: Option<f64>,
    pub p: Option<f64>,
    pub wald_lower: Option<f64>,
    pub wald_upper: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deviance {
    pub null: Option<f64>,
    pub residual: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LrTest {
    pub chisq: Option<f64>,
    pub df: usize,
    pub p: Option<f64>,
}

impl Kind for Logistic {
    const NAME: &'static str = "logistic";
    const NOUN: &'static str = "logistic regression";
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Logistic> {
        let id = cx.id;
        let Some(outcome) = p.outcome else {
            return Err(cx
                .error(format!("analysis `{id}`: a logistic regression needs `outcome`, a 0/1 or true/false column"))
                .hint("e.g. `outcome: response`; derive one with `derive: { response: { expr: \"best_response IN ('CR', 'PR')\" } }`"));
        };
        let covariates = p.covariates.unwrap_or_default();
        if covariates.is_empty() {
            return Err(cx
                .error(format!(
                    "analysis `{id}`: a logistic regression needs at least one covariate"
                ))
                .hint("add `covariates: [column, ...]`"));
        }
        if covariates.contains(&outcome) {
            return Err(cx.error_at(
                &["covariates"],
                format!("analysis `{id}`: the outcome `{outcome}` is also a covariate"),
            ));
        }
        Ok(Logistic {
            conf_level: cx.conf_level(p.conf_level)?,
            conf_int: p.conf_int.unwrap_or(ConfInt::Profile),
            univariable: p.univariable.unwrap_or(false),
            scope: Scope::plan(cx, None, p.where_, None, None, None)?,
            outcome,
            covariates,
        })
    }

    fn methods(all: &[&Logistic], _cx: &Present) -> Vec<Sentence> {
        let levels = format::distinct(all.iter().map(|c| format::level(c.conf_level)));
        let kinds = format::distinct(all.iter().map(|c| match c.conf_int {
            ConfInt::Profile => "profile-likelihood".to_string(),
            ConfInt::Wald => "Wald".to_string(),
        }));
        vec![Sentence::new(
            Paragraph::Estimation,
            format!(
                "Odds ratios with {} {} confidence intervals were estimated by logistic regression (maximum likelihood); each model is compared with the intercept-only model by the likelihood-ratio test.",
                format::list(&levels),
                format::list(&kinds)
            ),
        )]
    }
}

impl Analysis for Logistic {
    fn columns(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("outcome", self.outcome.as_str())];
        out.extend(self.covariates.iter().map(|c| ("covariates", c.as_str())));
        out
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
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
                        events: u.events,
                        terms: u.terms,
                        lr_test: u.lr_test,
                        warnings: u.warnings,
                        references: u.references,
                    })
                    .collect::<Vec<_>>(),
            )
        } else {
            None
        };
        let mut warnings = m.warnings.clone();
        for u in univariable.iter().flatten() {
            warnings.extend(rows::univariable_warnings(&u.covariate, &u.warnings));
        }
        Ok(Outcome::new(LogisticResult {
            kind: Self::NAME,
            outcome: self.outcome.clone(),
            covariates: self.covariates.clone(),
            conf_int: self.conf_int.name(),
            conf_level: self.conf_level,
            n: m.n,
            n_dropped_missing: cx.cohort.n as u64 - m.n,
            events: m.events,
            terms: m.terms,
            deviance: m.deviance,
            aic: m.aic,
            lr_test: m.lr_test,
            concordance: m.concordance,
            iterations: m.iterations,
            warnings: m.warnings,
            univariable,
            scope: cx.scope.where_only(),
            references: m.references,
        })
        .with_warnings(warnings))
    }

    fn tables(&self, at: &Planned, out: &Outcome, cx: &Present) -> Vec<Table> {
        let r = out.get::<LogisticResult>().expect("a logistic result");
        let level = format::level(r.conf_level);
        // The intercept is no odds ratio and has no row.
        let fitted = |n: u64, terms: &[Term], references: &[(String, String)]| Printed {
            n,
            terms: terms
                .iter()
                .filter(|t| t.term != "(Intercept)")
                .map(|t| regression::Term::of(&t.term, t.or, t.lower, t.upper, t.p))
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
        let (header, spanners, rows) = layout(&models, "OR", &level, None, cx);
        let outcome = cx.labels.column(&r.outcome);
        let interval = match self.conf_int {
            ConfInt::Profile => "profile-likelihood",
            ConfInt::Wald => "Wald",
        };
        let mut notes = vec![format!(
            "OR: odds ratio of {}, which {} of {} patients had; {level} {interval} confidence intervals, Wald {} values.",
            cx.labels.inline(&outcome),
            cx.style.count(r.events),
            cx.style.count(r.n),
            cx.style.p_letter,
        )];
        notes.extend(reference_note(&rows));
        if r.univariable.is_some() {
            notes.push(UNIVARIABLE_NOTE.into());
        }
        notes.push(format!(
            "{}: {}; concordance {}; {}; AIC {}.",
            model_name(r.univariable.is_some()),
            size(r.n, r.events, cx),
            concordance(r.concordance.estimate, r.concordance.se, cx),
            lr(r.lr_test.chisq, r.lr_test.df, r.lr_test.p, cx),
            cx.style.num(r.aic, 1)
        ));
        notes.extend(r.warnings.iter().map(|w| format!("Note: {w}.")));
        vec![Table {
            id: at.id.clone(),
            title: at.title.clone().unwrap_or_else(|| {
                format!("Logistic regression of {}", cx.labels.inline(&outcome))
            }),
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
    events: u64,
    terms: Vec<Term>,
    deviance: Deviance,
    aic: Option<f64>,
    lr_test: LrTest,
    concordance: Concordance,
    iterations: usize,
    warnings: Vec<String>,
    references: Vec<(String, String)>,
}

impl Logistic {
    /// The model of the outcome on `covariates`, over the rows that have them all.
    fn fit(&self, cx: &RunCx, covariates: &[String]) -> std::result::Result<Fitted, StatsError> {
        let cohort = cx.cohort;
        let y_col = column(cohort, &self.outcome);
        let cols: Vec<&Column> = covariates.iter().map(|c| column(cohort, c)).collect();
        let mut all = vec![y_col];
        all.extend(&cols);
        let rows = complete_rows(cohort, &all);
        let y = outcome(y_col, &rows)?;
        let design = design::design(&cols, &rows)?;
        let p = design.names.len();
        let fit = stats::logistic::logistic(&design.x, p, &y, None, &design.names, self.conf_level)
            .map_err(StatsError)?;
        let profile = self.conf_int == ConfInt::Profile;
        let terms = fit
            .terms
            .iter()
            .map(|t| Term {
                term: t.term.clone(),
                coef: t.coef,
                se: t.se,
                or: t.or,
                lower: if profile { t.lower } else { t.wald_lower },
                upper: if profile { t.upper } else { t.wald_upper },
                z: t.z,
                p: t.p,
                wald_lower: t.wald_lower,
                wald_upper: t.wald_upper,
            })
            .collect();
        // The linear predictor ranks patients as the fitted probabilities do; an aliased
        // term adds nothing to it, as in R's `predict`.
        let coef: Vec<f64> = fit.terms.iter().map(|t| t.coef.unwrap_or(0.0)).collect();
        let eta: Vec<f64> = (0..rows.len())
            .map(|i| {
                coef[0]
                    + (0..p)
                        .map(|j| design.x[i * p + j] * coef[j + 1])
                        .sum::<f64>()
            })
            .collect();
        let (c, se) = stats::concordance::binary(&y, &eta);
        let mut warnings = fit.warnings.clone();
        if profile {
            warnings.extend(fit.terms.iter().filter_map(|t| {
                t.profile_note
                    .as_ref()
                    .map(|n| format!("{}: profile interval incomplete: {n}", t.term))
            }));
        }
        Ok(Fitted {
            n: rows.len() as u64,
            events: y.iter().filter(|&&v| v == 1.0).count() as u64,
            terms,
            deviance: Deviance {
                null: stats::finite(fit.deviance.null),
                residual: stats::finite(fit.deviance.residual),
            },
            aic: stats::finite(fit.aic),
            lr_test: LrTest {
                chisq: stats::finite(fit.lr_test.chisq),
                df: fit.lr_test.df,
                p: fit.lr_test.p,
            },
            concordance: Concordance {
                estimate: stats::finite(c),
                se: stats::finite(se),
                bound: None,
            },
            iterations: fit.iterations,
            warnings,
            references: design::references(&cols, &rows),
        })
    }
}

/// The outcome at `rows` as 0/1: a boolean, or numbers that are all 0 or 1.
fn outcome(col: &Column, rows: &[usize]) -> std::result::Result<Vec<f64>, StatsError> {
    match &col.values {
        Values::Bool(v) => Ok(rows
            .iter()
            .map(|&i| f64::from(u8::from(v[i].expect("complete row"))))
            .collect()),
        Values::Num(v) => {
            let y: Vec<f64> = rows
                .iter()
                .map(|&i| v.get(i).expect("complete row"))
                .collect();
            match y.iter().find(|&&x| x != 0.0 && x != 1.0) {
                None => Ok(y),
                Some(bad) => Err(StatsError(format!(
                    "the outcome `{}` must be 0/1 or true/false, but has the value {}; derive a 0/1 column, e.g. `{}_yes: {{ expr: \"{} = ...\" }}`",
                    col.name,
                    crate::data::number_label(*bad),
                    col.name,
                    col.name
                ))),
            }
        }
        Values::Cat { levels, .. } => Err(StatsError(format!(
            "the outcome `{}` is a category ({}); a logistic outcome must be 0/1 or true/false: derive one, e.g. `{}_yes: {{ expr: \"{} = '{}'\" }}`",
            col.name,
            levels.join(", "),
            col.name,
            col.name,
            levels.last().map_or("", String::as_str)
        ))),
    }
}
