//! `kind: km`: Kaplan-Meier curves, as R's `survfit(Surv(time, event) ~ by)` with the
//! Greenwood variance, their landmark table and their figure.

use serde::{Deserialize, Serialize};

use super::logrank::{Logrank, LogrankResult};
use super::rows::grouped;
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, ScopeResult};
use crate::error::Result;
use crate::figures::km::{Curve, KmPlot, Step};
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format};
use crate::spec::{ConfType, FigureKind, FigureSpec};
use crate::stats::{self, Estimate, StatsError};
use crate::tables::{Row, Table};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The endpoint analysed, by its id under `endpoints` (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    endpoint: Option<String>,
    /// The column whose groups get a curve each; absent, one curve of every patient
    /// (`all`).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    by: Option<String>,
    /// Times to report survival at (`at` in results.json, the survival table), in the
    /// endpoint's unit: increasing, ≥ 0; default none.
    times: Option<Vec<f64>>,
    /// The scale of the confidence intervals: `log` (default), `log-log` or `plain`,
    /// as survfit's `conf.type`.
    conf_type: Option<ConfType>,
    /// Confidence level of the survival and median intervals, between 0 and 1 (default 0.95).
    conf_level: Option<f64>,
    /// Case weights (R's `survfit(..., weights = w)`).
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
pub struct Km {
    pub endpoint: String,
    pub by: Option<String>,
    /// Landmark times for `at` (R's `summary(fit, times)`).
    pub times: Vec<f64>,
    pub conf_type: ConfType,
    pub conf_level: f64,
    pub weights: Option<String>,
    pub scope: Scope,
}

/// `results.json` for a km analysis.
#[derive(Debug, Clone, Serialize)]
pub struct KmResult {
    pub kind: &'static str,
    pub endpoint: String,
    pub by: Option<String>,
    pub conf_type: &'static str,
    pub conf_level: f64,
    pub n_dropped_missing: u64,
    pub strata: Vec<Stratum>,
    #[serde(flatten)]
    pub scope: ScopeResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stratum {
    pub label: String,
    pub n: u64,
    pub events: stats::Count,
    pub median: Estimate,
    pub at: Vec<stats::km::AtRow>,
    pub table: Vec<stats::km::TableRow>,
}

impl Kind for Km {
    const NAME: &'static str = "km";
    const NOUN: &'static str = "Kaplan-Meier";
    const ON_COUNTS: bool = true;
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Km> {
        let conf_level = cx.conf_level(p.conf_level)?;
        let times = cx.times(p.times)?;
        let endpoint = cx.endpoint(p.endpoint.as_ref())?;
        let scope = Scope::plan(
            cx,
            Some(&endpoint),
            p.where_,
            p.landmark,
            p.cause,
            p.censor_at,
        )?;
        if p.weights.is_some() && cx.study.spec.data.count.is_some() {
            return Err(cx
                .error_at(
                    &["weights"],
                    format!(
                        "analysis `{}`: `weights` on data that are counts per row (`data.count`)",
                        cx.id
                    ),
                )
                .hint("each row already stands for `count` patients; give one or the other"));
        }
        Ok(Km {
            endpoint,
            scope,
            weights: p.weights,
            by: p.by,
            times,
            conf_type: p.conf_type.unwrap_or(ConfType::Log),
            conf_level,
        })
    }

    fn methods(all: &[&Km], _cx: &Present) -> Vec<Sentence> {
        let levels = format::distinct(all.iter().map(|k| format::level(k.conf_level)));
        let transforms = format::distinct(all.iter().map(|k| conf_name(k.conf_type).to_string()));
        vec![Sentence::new(
            Paragraph::Estimation,
            format!(
                "Survival was estimated with the Kaplan-Meier method, with {} confidence intervals from Greenwood's variance on the {} scale; medians and their confidence intervals follow Brookmeyer and Crowley as R's survival package computes them.",
                format::list(&levels),
                format::list(&transforms)
            ),
        )]
    }
}

fn conf_name(c: ConfType) -> &'static str {
    match c {
        ConfType::Log => "log",
        ConfType::LogLog => "log-log (complementary log-log)",
        ConfType::Plain => "plain (linear)",
    }
}

impl Analysis for Km {
    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn columns(&self) -> Vec<(&'static str, &str)> {
        let by = self.by.iter().map(|b| ("by", b.as_str()));
        by.chain(self.weights.iter().map(|w| ("weights", w.as_str())))
            .collect()
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let also: Vec<&str> = self.weights.iter().map(String::as_str).collect();
        let (b, codes, labels) = grouped(cx.cohort, &self.endpoint, self.by.as_deref(), &also);
        let case = self
            .weights
            .as_ref()
            .map(|w| super::rows::column(cx.cohort, w).numbers_at(&b.rows));
        let weights = match (&case, &b.weight) {
            (Some(w), _) => stats::Weights::Case(w),
            (None, Some(c)) => stats::Weights::Counts(c),
            (None, None) => stats::Weights::None,
        };
        let options = stats::KmOptions {
            conf_type: self.conf_type,
            conf_level: self.conf_level,
            times: self.times.clone(),
        };
        let curves = stats::kaplan_meier(&b.time, &b.event, codes.as_deref(), weights, &options)?;
        let strata = curves
            .into_iter()
            .zip(labels)
            .map(|(c, label)| Stratum {
                label,
                n: c.n,
                events: c.events,
                median: c.median,
                at: c.at,
                table: c.table,
            })
            .collect();
        Ok(Outcome::new(KmResult {
            kind: Self::NAME,
            endpoint: self.endpoint.clone(),
            by: self.by.clone(),
            conf_type: self.conf_type.name(),
            conf_level: self.conf_level,
            n_dropped_missing: b.dropped,
            strata,
            scope: cx.scope.clone(),
        }))
    }

    fn default_figure(&self, id: &str) -> Option<FigureSpec> {
        Some(FigureSpec {
            analysis: Some(id.to_string()),
            ..FigureSpec::blank(FigureKind::Km)
        })
    }

    fn tables(&self, at: &Planned, out: &Outcome, cx: &Present) -> Vec<Table> {
        let r = out.get::<KmResult>().expect("a km result");
        vec![self.landmarks(at, r, cx)]
    }
}

impl Km {
    /// Median and landmark survival per group, with their intervals.
    fn landmarks(&self, at: &Planned, r: &KmResult, cx: &Present) -> Table {
        let labels = &cx.labels;
        let unit = labels.unit(&self.endpoint).unwrap_or_default();
        let label = labels.endpoint(&self.endpoint);
        let level = format::level(r.conf_level);
        let mut header = vec![
            "Group".to_string(),
            "n".into(),
            "Events".into(),
            format!("Median ({level} CI), {unit}"),
        ];
        header.extend(
            self.times
                .iter()
                .map(|t| format!("{} (%)", cx.style.time_point(*t, unit))),
        );
        let rows = r
            .strata
            .iter()
            .map(|s| {
                let m = &s.median;
                let mut cells = vec![
                    labels.group(r.by.as_deref(), &s.label),
                    cx.style.count(s.n),
                    s.events.to_string(),
                    cx.style.time_ci(m.estimate, m.lower, m.upper, 1),
                ];
                for at in &s.at {
                    let p100 = |v: Option<f64>| v.map(|x| 100.0 * x);
                    let d = p100(at.surv).map_or(1, |v| cx.style.percent_digits(v));
                    cells.push(cx.style.estimate_ci(
                        p100(at.surv),
                        p100(at.lower),
                        p100(at.upper),
                        d,
                    ));
                }
                Row {
                    cells,
                    indent: false,
                }
            })
            .collect();
        let notes = vec![format!(
            "Kaplan-Meier estimates with {level} confidence intervals ({} transformation, Greenwood variance); – : not reached.",
            r.conf_type
        )];
        let title = at.title.clone().unwrap_or_else(|| match &r.by {
            Some(b) => format!("{label} by {}", cx.labels.inline(&labels.column(b))),
            None => label.clone(),
        });
        Table {
            spanners: Vec::new(),
            id: at.id.clone(),
            title,
            header,
            rows,
            notes,
        }
    }
}

/// A km figure: the curves of the analysis it names, the log-rank p of the test on the
/// same endpoint and grouping (or the one it names), and the number at risk.
pub fn figure(spec: &FigureSpec, cx: &Present) -> (String, String) {
    let id = spec.analysis.as_deref().expect("validated");
    let km = cx
        .planned(id)
        .and_then(|p| p.get::<Km>())
        .expect("validated km");
    let r = cx.output::<KmResult>(id).expect("a km result");
    let labels = &cx.labels;
    // survminer's `fun = "event"`: the curve and its limits as 1 − S.
    let event = spec.fun == Some(crate::spec::KmFun::Event);
    let flip = |v: f64| if event { 1.0 - v } else { v };
    let single = r.strata.len() == 1;
    let curves: Vec<Curve> = r
        .strata
        .iter()
        .enumerate()
        .map(|(k, s)| Curve {
            // One curve has no label to give its risk row: it is everyone.
            label: match spec.labels.as_ref().and_then(|l| l.get(&s.label)) {
                Some(l) => l.clone(),
                None if single && r.by.is_none() => String::new(),
                None => labels.group(r.by.as_deref(), &s.label),
            },
            color: k,
            line: k,
            median: s.median.estimate,
            n: s.n,
            steps: s
                .table
                .iter()
                .map(|row| Step {
                    time: row.time,
                    surv: flip(row.surv.unwrap_or(0.0)),
                    lower: if event {
                        row.upper.map(flip)
                    } else {
                        row.lower
                    },
                    upper: if event {
                        row.lower.map(flip)
                    } else {
                        row.upper
                    },
                    n_risk: row.n_risk.whole(),
                    n_event: row.n_event.0.ceil() as u64,
                    n_censor: row.n_censor.0.ceil() as u64,
                })
                .collect(),
        })
        .collect();
    let (xmax, breaks) = crate::figures::km::time_axis(spec, &curves);
    let label = labels.endpoint(&km.endpoint);
    let unit = labels.unit(&km.endpoint);
    let logrank = spec.logrank.clone().or_else(|| {
        cx.study.analyses.iter().find_map(|p| {
            let lr = p.get::<Logrank>()?;
            (lr.endpoint == km.endpoint && Some(&lr.by) == km.by.as_ref()).then(|| p.id.clone())
        })
    });
    let annotation = logrank
        .and_then(|l| cx.output::<LogrankResult>(&l).and_then(|r| r.p))
        .map(|p| cx.style.named_p("Log-rank", Some(p)));
    let plot = KmPlot {
        curves,
        xlab: spec.xlab.clone().unwrap_or_else(|| match unit {
            Some(u) => format!("Time ({u})"),
            None => "Time".into(),
        }),
        // "Overall survival (%)" reads well; "Time to recurrence (%)" does not.
        ylab: spec.ylab.clone().unwrap_or_else(|| {
            if event {
                "Cumulative event (%)".into()
            } else if label.to_lowercase().contains("survival") {
                format!("{label} (%)")
            } else {
                "Survival probability (%)".into()
            }
        }),
        breaks,
        xmax,
        ci: spec.ci.unwrap_or(false),
        risk_table: spec.risk_table.unwrap_or(true),
        annotation,
        legend_title: km.by.as_ref().map(|b| labels.column(b)),
        start: if event { 0.0 } else { 1.0 },
        ymax: 1.0,
        risk_rows: None,
        censor_marks: spec.censor_marks.unwrap_or(true),
        median_line: spec.median_line.unwrap_or(false),
        cumevents: spec.cumevents.unwrap_or(false),
        cumcensor: spec.cumcensor.unwrap_or(false),
        style: cx.style,
        width: spec.canvas.unwrap_or(crate::figures::km::WIDTH),
    };
    let caption = match &km.by {
        Some(b) => format!("{label} by {}", cx.labels.inline(&labels.column(b))),
        None => label,
    };
    (crate::figures::km::svg(&plot), caption)
}
