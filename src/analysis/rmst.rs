//! `kind: rmst`: the restricted mean survival time up to a horizon `tau`, per group, as
//! R's `summary(survfit(...), rmean = tau)$table`, and each group against the first as
//! survRM2 contrasts them (difference and ratio). The usual summary when hazards are not
//! proportional.

use serde::{Deserialize, Serialize};

use super::rows::grouped;
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, ScopeResult};
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format};
use crate::stats::{self, StatsError};
use crate::tables::{Row, Table};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The endpoint analysed, by its id under `endpoints` (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    endpoint: Option<String>,
    /// The column whose groups get a restricted mean each, every later group contrasted
    /// with the first; absent, one mean of every patient.
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    by: Option<String>,
    /// The horizon: the area under the curve from 0 to `tau`, in the endpoint's unit.
    tau: Option<f64>,
    /// Confidence level of the means' and the contrasts' intervals, between 0 and 1
    /// (default 0.95).
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
pub struct Rmst {
    pub endpoint: String,
    pub by: Option<String>,
    pub tau: f64,
    pub conf_level: f64,
    pub scope: Scope,
}

/// `results.json` for a restricted mean.
#[derive(Debug, Clone, Serialize)]
pub struct RmstResult {
    pub kind: &'static str,
    pub endpoint: String,
    pub by: Option<String>,
    pub tau: f64,
    pub conf_level: f64,
    pub n_dropped_missing: u64,
    pub strata: Vec<Stratum>,
    pub contrasts: Vec<Contrast>,
    #[serde(flatten)]
    pub scope: ScopeResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stratum {
    pub label: String,
    #[serde(flatten)]
    pub mean: stats::Rmst,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contrast {
    pub group: String,
    pub reference: String,
    pub difference: Difference,
    pub ratio: Ratio,
}

#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub p: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub estimate: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub p: Option<f64>,
}

impl Kind for Rmst {
    const NAME: &'static str = "rmst";
    const NOUN: &'static str = "restricted means";
    const ON_COUNTS: bool = true;
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Rmst> {
        let conf_level = cx.conf_level(p.conf_level)?;
        let tau = match p.tau {
            Some(t) if t.is_finite() && t > 0.0 => t,
            Some(t) => {
                return Err(cx.error_at(
                    &["tau"],
                    format!("analysis `{}`: tau {t} is not a time > 0", cx.id),
                ));
            }
            None => {
                return Err(cx
                    .error(format!(
                        "analysis `{}`: a restricted mean needs `tau`, the horizon it is restricted to",
                        cx.id
                    ))
                    .hint("add `tau: 365` (in the endpoint's unit), a time most patients could be followed to"));
            }
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
        Ok(Rmst {
            endpoint,
            scope,
            by: p.by,
            tau,
            conf_level,
        })
    }

    fn methods(all: &[&Rmst], _cx: &Present) -> Vec<Sentence> {
        let levels = format::distinct(all.iter().map(|r| format::level(r.conf_level)));
        let compared = if all.iter().any(|r| r.by.is_some()) {
            "; groups were compared by the difference and the ratio of their restricted means"
        } else {
            ""
        };
        vec![Sentence::new(
            Paragraph::Estimation,
            format!(
                "Restricted mean survival times were estimated as the area under the Kaplan-Meier curve up to a fixed horizon, with Miller's variance and {} normal confidence intervals{compared}.",
                format::list(&levels)
            ),
        )]
    }
}

impl Analysis for Rmst {
    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn columns(&self) -> Vec<(&'static str, &str)> {
        self.by.iter().map(|b| ("by", b.as_str())).collect()
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let (b, codes, labels) = grouped(cx.cohort, &self.endpoint, self.by.as_deref(), &[]);
        let means = stats::rmst(
            &b.time,
            &b.event,
            codes.as_deref(),
            b.weight.as_deref(),
            self.tau,
            self.conf_level,
        )?;
        // survRM2's rule: past the shortest group's last time a curve is not observed,
        // and carrying it flat to tau (as survfit does) would make up the rest.
        if let Some((m, label)) = means
            .iter()
            .zip(&labels)
            .filter(|(m, _)| m.last_time < self.tau)
            .min_by(|a, b| a.0.last_time.total_cmp(&b.0.last_time))
        {
            let last = format::trimmed(m.last_time, 4);
            return Err(StatsError(format!(
                "tau {} is past the last follow-up time of {} ({last}): the curve is not observed up to tau there, and a restricted mean would have to guess the rest (survRM2 refuses such a tau); set `tau` to at most {last}",
                format::trimmed(self.tau, 4),
                if labels.len() > 1 {
                    format!("group `{label}`")
                } else {
                    "the data".to_string()
                },
            )));
        }
        let contrasts = means
            .iter()
            .zip(&labels)
            .skip(1)
            .map(|(m, label)| contrast(label, &labels[0], m, &means[0], self.conf_level))
            .collect();
        let strata = means
            .iter()
            .zip(labels)
            .map(|(&mean, label)| Stratum { label, mean })
            .collect();
        Ok(Outcome::new(RmstResult {
            kind: Self::NAME,
            endpoint: self.endpoint.clone(),
            by: self.by.clone(),
            tau: self.tau,
            conf_level: self.conf_level,
            n_dropped_missing: b.dropped,
            strata,
            contrasts,
            scope: cx.scope.clone(),
        }))
    }

    fn tables(&self, at: &Planned, out: &Outcome, cx: &Present) -> Vec<Table> {
        let r = out.get::<RmstResult>().expect("an rmst result");
        let mut table = table(at, r, cx);
        table
            .notes
            .extend(out.warnings.iter().map(|w| format!("Note: {w}.")));
        vec![table]
    }
}

fn contrast(
    group: &str,
    reference: &str,
    m: &stats::Rmst,
    m0: &stats::Rmst,
    conf_level: f64,
) -> Contrast {
    let c = stats::rmst_contrast(m, m0, conf_level);
    let f = |x: fn(&stats::RmstContrast) -> f64| c.as_ref().and_then(|c| stats::finite(x(c)));
    Contrast {
        group: group.to_string(),
        reference: reference.to_string(),
        difference: Difference {
            estimate: f(|c| c.difference),
            se: f(|c| c.difference_se),
            lower: f(|c| c.difference_lower),
            upper: f(|c| c.difference_upper),
            p: f(|c| c.difference_p),
        },
        ratio: Ratio {
            estimate: f(|c| c.ratio),
            lower: f(|c| c.ratio_lower),
            upper: f(|c| c.ratio_upper),
            p: f(|c| c.ratio_p),
        },
    }
}

/// Each group's restricted mean, and its difference from the first group.
fn table(at: &Planned, r: &RmstResult, cx: &Present) -> Table {
    let labels = &cx.labels;
    let unit = labels.unit(&r.endpoint).unwrap_or_default();
    let level = format::level(r.conf_level);
    let mut header = vec![
        "Group".to_string(),
        "n".into(),
        "Events".into(),
        format!("RMST ({level} CI), {unit}"),
    ];
    let compared = !r.contrasts.is_empty();
    if compared {
        header.push(format!("Difference ({level} CI)"));
        header.push(cx.style.p_header());
    }
    let rows = r
        .strata
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mut cells = vec![
                labels.group(r.by.as_deref(), &s.label),
                cx.style.count(s.mean.n),
                cx.style.count(s.mean.events),
                cx.style
                    .estimate_ci(s.mean.rmst, s.mean.lower, s.mean.upper, 1),
            ];
            if compared {
                match k.checked_sub(1).and_then(|c| r.contrasts.get(c)) {
                    Some(c) => {
                        let d = &c.difference;
                        cells.push(cx.style.estimate_ci(d.estimate, d.lower, d.upper, 1));
                        cells.push(cx.style.p_cell(d.p));
                    }
                    None => {
                        cells.push("reference".into());
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
    let label = labels.endpoint(&r.endpoint);
    let horizon = format!("{} {unit}", cx.style.trimmed(r.tau, 2))
        .trim()
        .to_string();
    Table {
        spanners: Vec::new(),
        id: at.id.clone(),
        title: at.title.clone().unwrap_or_else(|| {
            format!(
                "Restricted mean {} up to {horizon}",
                cx.labels.inline(&label)
            )
        }),
        header,
        rows,
        notes: vec![format!(
            "Restricted mean survival time (RMST): the area under the Kaplan-Meier curve from 0 to {horizon}, with Miller's variance and {level} normal confidence intervals{}; events are counted over the whole follow-up.",
            if compared {
                "; differences against the first group"
            } else {
                ""
            }
        )],
    }
}
