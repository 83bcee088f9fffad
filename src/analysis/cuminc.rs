//! `kind: cuminc`: the cumulative incidence of each cause of a competing-risks endpoint,
//! per group, as R's `survfit(Surv(time, status) ~ by)` with a factor status (the
//! Aalen-Johansen estimate), and Gray's test between groups as `cmprsk::cuminc` gives it.

use serde::{Deserialize, Serialize};

use super::rows::grouped;
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, WhereResult};
use crate::error::Result;
use crate::figures::km::{Curve, KmPlot, Step};
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format, relabel};
use crate::spec::{FigureKind, FigureSpec};
use crate::stats::{self, StatsError};
use crate::tables::{Row, Table};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The endpoint, by its id under `endpoints` (required): one with competing risks
    /// (`event_codes.causes`).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    endpoint: Option<String>,
    /// The column whose groups get curves of their own, compared by Gray's test; absent,
    /// one curve per cause of every patient.
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    by: Option<String>,
    /// Times to report each cause's cumulative incidence at (`at` in results.json, the
    /// incidence table), in the endpoint's unit: increasing, ≥ 0; default none.
    times: Option<Vec<f64>>,
    /// Confidence level of the incidences' intervals, between 0 and 1 (default 0.95).
    conf_level: Option<f64>,
    /// A SQL condition over the data's columns: only the rows where it is true are analysed
    /// (a null is false); default every row.
    #[serde(default, rename = "where")]
    where_: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cuminc {
    pub endpoint: String,
    pub by: Option<String>,
    pub times: Vec<f64>,
    pub conf_level: f64,
    pub causes: Vec<String>,
    pub scope: Scope,
}

/// `results.json` for a cumulative incidence analysis.
#[derive(Debug, Clone, Serialize)]
pub struct CumincResult {
    pub kind: &'static str,
    pub endpoint: String,
    pub by: Option<String>,
    pub conf_level: f64,
    pub n: u64,
    pub n_dropped_missing: u64,
    pub causes: Vec<Cause>,
    pub gray_test: Option<Vec<GrayRow>>,
    #[serde(flatten)]
    pub scope: WhereResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    pub cause: String,
    pub strata: Vec<Stratum>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stratum {
    pub label: String,
    pub n: u64,
    pub events: u64,
    pub at: Vec<stats::cuminc::AtRow>,
    pub table: Vec<stats::cuminc::TableRow>,
    #[serde(skip)]
    pub steps: Vec<stats::cuminc::TableRow>,
}

/// Gray's test for one cause; null statistic where cmprsk reports none.
#[derive(Debug, Clone, Serialize)]
pub struct GrayRow {
    pub cause: String,
    pub statistic: Option<f64>,
    pub df: usize,
    pub p: Option<f64>,
}

impl Kind for Cuminc {
    const NAME: &'static str = "cuminc";
    const NOUN: &'static str = "cumulative incidence";
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Cuminc> {
        let id = cx.id;
        let endpoint = cx.endpoint(p.endpoint.as_ref())?;
        let causes = cx.causes(&endpoint);
        if causes.is_empty() {
            return Err(cx
                .error_at(
                    &["endpoint"],
                    format!(
                        "analysis `{id}`: cumulative incidence needs competing risks, but endpoint `{endpoint}` has one kind of event"
                    ),
                )
                .hint("declare the causes: `event_codes: { censored: [..], causes: { relapse: [..], death: [..] } }`; with one kind of event use `kind: km`"));
        }
        let times = cx.times(p.times)?;
        Ok(Cuminc {
            conf_level: cx.conf_level(p.conf_level)?,
            scope: Scope::plan(cx, None, p.where_, None, None, None)?,
            endpoint,
            by: p.by,
            times,
            causes,
        })
    }

    fn methods(all: &[&Cuminc], _cx: &Present) -> Vec<Sentence> {
        let levels = format::distinct(all.iter().map(|c| format::level(c.conf_level)));
        let gray = if all.iter().any(|c| c.by.is_some()) {
            "; groups were compared with Gray's test"
        } else {
            ""
        };
        vec![Sentence::new(
            Paragraph::Estimation,
            format!(
                "With competing risks, the cumulative incidence of each cause was estimated with the Aalen-Johansen estimator, which counts the other causes as competing events rather than as censorings, with {} confidence intervals on the log scale{gray}.",
                format::list(&levels)
            ),
        )]
    }
}

impl Analysis for Cuminc {
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
        let e = super::rows::endpoint(cx.cohort, &self.endpoint);
        let all = e.cause.as_ref().expect("an endpoint with causes");
        let cause: Vec<u8> = b.rows.iter().map(|&i| all[i]).collect();
        let curves = stats::cuminc::cumulative_incidence(
            &b.time,
            &cause,
            self.causes.len(),
            codes.as_deref(),
            &self.times,
            self.conf_level,
        )?;
        let causes = self
            .causes
            .iter()
            .zip(curves)
            .map(|(name, strata)| Cause {
                cause: name.clone(),
                strata: strata
                    .into_iter()
                    .zip(&labels)
                    .map(|(c, label)| Stratum {
                        label: label.clone(),
                        n: c.n,
                        events: c.events,
                        at: c.at,
                        table: c.table,
                        steps: c.steps,
                    })
                    .collect(),
            })
            .collect();
        let gray_test = codes.as_ref().filter(|_| labels.len() > 1).map(|codes| {
            let cause32: Vec<u32> = cause.iter().map(|&c| u32::from(c)).collect();
            self.causes
                .iter()
                .enumerate()
                .map(|(k, name)| {
                    let t = stats::gray::gray_test(
                        &b.time,
                        &cause32,
                        codes,
                        labels.len(),
                        k as u32 + 1,
                    );
                    GrayRow {
                        cause: name.clone(),
                        statistic: t.map(|t| t.statistic),
                        df: t.map_or(labels.len() - 1, |t| t.df),
                        p: t.and_then(|t| stats::finite(stats::chisq_sf(t.statistic, t.df as f64))),
                    }
                })
                .collect()
        });
        Ok(Outcome::new(CumincResult {
            kind: Self::NAME,
            endpoint: self.endpoint.clone(),
            by: self.by.clone(),
            conf_level: self.conf_level,
            n: b.patients,
            n_dropped_missing: b.dropped,
            causes,
            gray_test,
            scope: cx.scope.where_only(),
        }))
    }

    fn tables(&self, at: &Planned, out: &Outcome, cx: &Present) -> Vec<Table> {
        let r = out.get::<CumincResult>().expect("a cuminc result");
        vec![self.table(at, r, cx)]
    }

    fn default_figure(&self, id: &str) -> Option<FigureSpec> {
        Some(FigureSpec {
            analysis: Some(id.to_string()),
            ..FigureSpec::blank(FigureKind::Cuminc)
        })
    }
}

/// Cumulative incidence curves: one per cause and group, with Gray's p per cause and the
/// number still free of any event under them.
pub fn figure(spec: &FigureSpec, cx: &Present) -> (String, String) {
    let id = spec.analysis.as_deref().expect("validated");
    let r = cx.output::<CumincResult>(id).expect("a cuminc result");
    let labels = &cx.labels;
    let causes: Vec<&Cause> = r
        .causes
        .iter()
        .filter(|c| spec.causes.as_ref().is_none_or(|s| s.contains(&c.cause)))
        .collect();
    let several = causes.len() > 1;
    let grouped = r.by.is_some();
    let mut curves = Vec::new();
    for (ci, c) in causes.iter().enumerate() {
        for (g, s) in c.strata.iter().enumerate() {
            let group = relabel(
                &labels.group(r.by.as_deref(), &s.label),
                spec.labels.as_ref(),
            );
            let label = match (several, grouped) {
                (true, true) => format!("{}, {group}", labels.cause(&c.cause)),
                (true, false) => labels.cause(&c.cause),
                _ => group,
            };
            // A group keeps its colour across causes; the second cause is dashed, a third
            // and later ones take the next colours.
            curves.push(Curve {
                label,
                color: if ci < 2 { g } else { g + ci * c.strata.len() },
                line: ci,
                median: None,
                n: s.n,
                steps: s
                    .steps
                    .iter()
                    .map(|row| Step {
                        time: row.time,
                        surv: row.estimate.unwrap_or(0.0),
                        lower: row.lower,
                        upper: row.upper,
                        n_risk: row.n_risk.whole(),
                        n_event: row.n_event.0.ceil() as u64,
                        n_censor: 0,
                    })
                    .collect(),
            });
        }
    }
    let (xmax, breaks) = crate::figures::km::time_axis(spec, &curves);
    let top = curves
        .iter()
        .flat_map(|c| c.steps.iter().filter(|s| s.time <= xmax))
        .map(|s| {
            if spec.ci.unwrap_or(false) {
                s.upper.unwrap_or(s.surv)
            } else {
                s.surv
            }
        })
        .fold(0.0, f64::max);
    let ymax = if top > 0.6 {
        1.0
    } else {
        (top * 1.15 * 10.0).ceil() / 10.0
    }
    .max(0.1);
    let unit = labels.unit(&r.endpoint).unwrap_or("time");
    let gray = r.gray_test.as_ref().map(|tests| {
        tests
            .iter()
            .filter(|t| causes.iter().any(|c| c.cause == t.cause))
            .map(|t| {
                cx.style
                    .named_p(&format!("Gray's test, {}:", labels.cause(&t.cause)), t.p)
            })
            .collect::<Vec<_>>()
            .join("; ")
    });
    // The number at risk (free of every event) is the same for each cause: one row per
    // group, read from the first cause's curves.
    let risk: Vec<(usize, String)> = causes
        .first()
        .map(|c| {
            c.strata
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    let l = relabel(
                        &labels.group(r.by.as_deref(), &s.label),
                        spec.labels.as_ref(),
                    );
                    (k, if grouped { l } else { "All".to_string() })
                })
                .collect()
        })
        .unwrap_or_default();
    let plot = KmPlot {
        curves,
        xlab: spec
            .xlab
            .clone()
            .unwrap_or_else(|| format!("Time ({unit})")),
        ylab: spec.ylab.clone().unwrap_or_else(|| match &causes[..] {
            [one] => format!("Cumulative incidence of {} (%)", labels.cause(&one.cause)),
            _ => "Cumulative incidence (%)".to_string(),
        }),
        breaks,
        xmax,
        ci: spec.ci.unwrap_or(false),
        risk_table: spec.risk_table.unwrap_or(true),
        annotation: gray,
        legend_title: r.by.as_ref().map(|b| labels.column(b)),
        start: 0.0,
        ymax,
        risk_rows: several.then_some(risk),
        censor_marks: spec.censor_marks.unwrap_or(false),
        median_line: false,
        cumevents: spec.cumevents.unwrap_or(false),
        cumcensor: spec.cumcensor.unwrap_or(false),
        style: cx.style,
        width: spec.canvas.unwrap_or(crate::figures::km::WIDTH),
    };
    let svg = crate::figures::km::svg(&plot);
    let what = causes
        .iter()
        .map(|c| labels.cause(&c.cause))
        .collect::<Vec<_>>();
    let caption = format!(
        "Cumulative incidence of {} ({}){}.",
        format::list(&what),
        cx.labels.inline(&labels.endpoint(&r.endpoint)),
        r.by.as_ref().map_or(String::new(), |b| format!(
            " by {}",
            cx.labels.inline(&labels.column(b))
        ))
    );
    (svg, caption)
}

impl Cuminc {
    /// Per cause and group: n, events, the incidence at each time with its interval, and
    /// Gray's p.
    fn table(&self, at: &Planned, r: &CumincResult, cx: &Present) -> Table {
        let labels = &cx.labels;
        let unit = labels.unit(&self.endpoint).unwrap_or_default();
        let level = format::level(r.conf_level);
        let mut header = vec![
            "Cause".to_string(),
            "Group".into(),
            "n".into(),
            "Events".into(),
        ];
        header.extend(
            self.times
                .iter()
                .map(|t| format!("{}, % ({level} CI)", cx.style.time_point(*t, unit))),
        );
        let gray = r.gray_test.is_some();
        if gray {
            header.push(format!("Gray's test {}", cx.style.p_header()));
        }
        let mut rows = Vec::new();
        for (k, c) in r.causes.iter().enumerate() {
            for (g, s) in c.strata.iter().enumerate() {
                let mut cells = vec![
                    if g == 0 {
                        labels.cause(&c.cause)
                    } else {
                        String::new()
                    },
                    labels.group(r.by.as_deref(), &s.label),
                    cx.style.count(s.n),
                    cx.style.count(s.events),
                ];
                cells.extend(s.at.iter().map(|a| {
                    let pct = |x: Option<f64>| x.map(|v| 100.0 * v);
                    cx.style
                        .estimate_ci(pct(a.estimate), pct(a.lower), pct(a.upper), 1)
                }));
                if gray {
                    cells.push(if g == 0 {
                        cx.style.p_cell(r.gray_test.as_ref().and_then(|t| t[k].p))
                    } else {
                        String::new()
                    });
                }
                rows.push(Row {
                    cells,
                    indent: g > 0,
                });
            }
        }
        let label = labels.endpoint(&self.endpoint);
        Table {
            spanners: Vec::new(),
            id: at.id.clone(),
            title: at
                .title
                .clone()
                .unwrap_or_else(|| format!("Cumulative incidence, {}", cx.labels.inline(&label))),
            header,
            rows,
            notes: vec![format!(
                "Aalen-Johansen estimates with {level} confidence intervals (log scale); each cause's competing causes are competing events, not censorings{}.",
                if gray {
                    "; p from Gray's test of equal incidence across groups"
                } else {
                    ""
                }
            )],
        }
    }
}
