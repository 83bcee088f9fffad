//! `kind: followup`: median follow-up by the reverse Kaplan-Meier method (censoring as the
//! event, log CI), and the shortest and longest observed times.

use serde::{Deserialize, Serialize};

use super::rows::{by_rows, endpoint};
use super::{Analysis, Kind, Outcome, ParseCx, RunCx, Scope, ScopeResult};
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format};
use crate::stats::{self, StatsError};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The endpoint whose follow-up is summarised, by its id under `endpoints`
    /// (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    endpoint: Option<String>,
    /// Confidence level of the median follow-up's interval, between 0 and 1 (default 0.95).
    conf_level: Option<f64>,
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
pub struct Followup {
    pub endpoint: String,
    pub conf_level: f64,
    pub scope: Scope,
}

/// `results.json` for a follow-up summary.
#[derive(Debug, Clone, Serialize)]
pub struct FollowupResult {
    pub kind: &'static str,
    pub endpoint: String,
    pub n: u64,
    pub n_dropped_missing: u64,
    pub reverse_km_median: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    #[serde(flatten)]
    pub scope: ScopeResult,
}

impl Kind for Followup {
    const NAME: &'static str = "followup";
    const NOUN: &'static str = "follow-up";
    const ON_COUNTS: bool = true;
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Followup> {
        let conf_level = cx.conf_level(p.conf_level)?;
        let endpoint = cx.endpoint(p.endpoint.as_ref())?;
        let scope = Scope::plan(
            cx,
            Some(&endpoint),
            p.where_,
            p.landmark,
            p.cause,
            p.censor_at,
        )?;
        Ok(Followup {
            endpoint,
            conf_level,
            scope,
        })
    }

    fn methods(_all: &[&Followup], _cx: &Present) -> Vec<Sentence> {
        vec![Sentence::new(
            Paragraph::Estimation,
            "Median follow-up was estimated with the reverse Kaplan-Meier method.",
        )]
    }
}

impl Analysis for Followup {
    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let e = endpoint(cx.cohort, &self.endpoint);
        let b = by_rows(cx.cohort, e, &[]);
        let median =
            stats::reverse_km_median(&b.time, &b.event, b.weight.as_deref(), self.conf_level)?;
        Ok(Outcome::new(FollowupResult {
            kind: Self::NAME,
            endpoint: self.endpoint.clone(),
            n: b.patients,
            n_dropped_missing: b.dropped,
            reverse_km_median: median.estimate,
            lower: median.lower,
            upper: median.upper,
            min: b.time.iter().copied().reduce(f64::min),
            max: b.time.iter().copied().reduce(f64::max),
            scope: cx.scope.clone(),
        }))
    }

    fn summary(&self, out: &super::Outcome, cx: &Present) -> Vec<String> {
        let r = out.get::<FollowupResult>().expect("a followup result");
        let unit = cx.labels.unit(&self.endpoint).unwrap_or("time units");
        // Times print as integers when they all are (days), else to one decimal.
        let d =
            crate::present::time_digits(&[r.reverse_km_median, r.lower, r.upper, r.min, r.max], 1);
        let n = |x: Option<f64>| cx.style.num(x, d);
        let median = match r.reverse_km_median {
            None => "was not reached".to_string(),
            Some(m) => format!(
                "was {} {unit} ({} CI {})",
                n(Some(m)),
                format::level(self.conf_level),
                cx.style.bounds(&n(r.lower), &n(r.upper))
            ),
        };
        vec![format!(
            "Median follow-up by the reverse Kaplan-Meier method {median}; observed times ranged from {} to {} {unit}.",
            n(r.min),
            n(r.max)
        )]
    }
}
