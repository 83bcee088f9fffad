//! `kind: logrank`: the log-rank test between groups, as R's `survdiff(Surv(time, event) ~
//! by)`.

use serde::{Deserialize, Serialize};

use super::rows::{by_rows, column, endpoint};
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, ScopeResult};
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::Present;
use crate::stats::{self, StatsError};
use crate::tables::{Row, Table};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The endpoint analysed, by its id under `endpoints` (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    endpoint: Option<String>,
    /// The column whose groups are compared (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    by: Option<String>,
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
pub struct Logrank {
    pub endpoint: String,
    pub by: String,
    pub scope: Scope,
}

/// `results.json` for a log-rank test; df = groups − 1.
#[derive(Debug, Clone, Serialize)]
pub struct LogrankResult {
    pub kind: &'static str,
    pub endpoint: String,
    pub by: String,
    pub n_dropped_missing: u64,
    pub chisq: Option<f64>,
    pub df: usize,
    pub p: Option<f64>,
    pub groups: Vec<Group>,
    #[serde(flatten)]
    pub scope: ScopeResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub label: String,
    pub n: u64,
    pub observed: f64,
    pub expected: f64,
}

impl Kind for Logrank {
    const NAME: &'static str = "logrank";
    const NOUN: &'static str = "log-rank";
    const ON_COUNTS: bool = true;
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Logrank> {
        let Some(by) = p.by else {
            return Err(cx.error(format!(
                "analysis `{}`: a log-rank test needs `by`, the column that forms the groups",
                cx.id
            )));
        };
        let endpoint = cx.endpoint(p.endpoint.as_ref())?;
        let scope = Scope::plan(
            cx,
            Some(&endpoint),
            p.where_,
            p.landmark,
            p.cause,
            p.censor_at,
        )?;
        Ok(Logrank {
            endpoint,
            by,
            scope,
        })
    }

    fn methods(_all: &[&Logrank], _cx: &Present) -> Vec<Sentence> {
        vec![Sentence::new(
            Paragraph::Estimation,
            "Survival between groups was compared with the log-rank test.",
        )]
    }

    /// Every log-rank test of the study in one table: per test its groups with N, the
    /// events observed and expected, and the test's χ², df and p on its first row.
    fn study_tables(all: &[&Planned], cx: &Present) -> Vec<Table> {
        let style = &cx.style;
        let labels = &cx.labels;
        let mut rows = Vec::new();
        for p in all {
            let (Some(lr), Some(r)) = (p.get::<Logrank>(), cx.output::<LogrankResult>(&p.id))
            else {
                continue;
            };
            let title = p.title.clone().unwrap_or_else(|| {
                format!(
                    "{} by {}",
                    labels.endpoint(&lr.endpoint),
                    labels.inline(&labels.column(&lr.by))
                )
            });
            let mut head = vec![title];
            head.resize(4, String::new());
            head.push(style.num(r.chisq, 2));
            head.push(r.df.to_string());
            head.push(style.p_cell(r.p));
            rows.push(Row::new(head));
            for g in &r.groups {
                rows.push(Row::indented(vec![
                    labels.group(Some(&r.by), &g.label),
                    style.count(g.n),
                    style.trimmed(g.observed, 1),
                    style.num(Some(g.expected), 1),
                    String::new(),
                    String::new(),
                    String::new(),
                ]));
            }
        }
        if rows.is_empty() {
            return Vec::new();
        }
        vec![Table {
            id: "logrank_tests".into(),
            title: "Log-rank tests".into(),
            header: vec![
                "Comparison and group".into(),
                "N".into(),
                "Observed".into(),
                "Expected".into(),
                "χ²".into(),
                "df".into(),
                style.p_header(),
            ],
            spanners: Vec::new(),
            rows,
            notes: vec!["Observed and expected events per group under the null hypothesis of equal survival (R: survdiff).".into()],
        }]
    }
}

impl Analysis for Logrank {
    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn columns(&self) -> Vec<(&'static str, &str)> {
        vec![("by", self.by.as_str())]
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let cohort = cx.cohort;
        let e = endpoint(cohort, &self.endpoint);
        let c = column(cohort, &self.by);
        let b = by_rows(cohort, e, &[c]);
        let (codes, labels) = c.groups(&b.rows);
        if labels.len() < 2 {
            let only = labels
                .first()
                .map(|l| format!(" (`{l}`)"))
                .unwrap_or_default();
            return Err(StatsError(format!(
                "a log-rank test needs at least two groups, but `{}` has one value{only} among the {} rows used",
                self.by,
                b.rows.len()
            )));
        }
        let lr = stats::logrank(&b.time, &b.event, &codes, labels.len(), b.weight.as_deref())?;
        let groups = lr
            .groups
            .iter()
            .zip(labels)
            .map(|(&(n, observed, expected), label)| Group {
                label,
                n,
                observed,
                expected,
            })
            .collect();
        Ok(Outcome::new(LogrankResult {
            kind: Self::NAME,
            endpoint: self.endpoint.clone(),
            by: self.by.clone(),
            n_dropped_missing: b.dropped,
            chisq: lr.test.chisq,
            df: lr.test.df,
            p: lr.test.p,
            groups,
            scope: cx.scope.clone(),
        }))
    }
}
