//! `kind: subgroups`: a two-valued term's hazard ratio overall and within each level of
//! each subgroup variable, with the likelihood-ratio test of their interaction, as the
//! subgroup forest plots of trial reports show them.
//!
//! In R's terms: `overall` is `coxph(Surv ~ term + covariates)`; each level's row is the
//! same model fitted within that level; `interaction_p` compares `term * variable +
//! covariates` with `term + variable + covariates`.

use serde::{Deserialize, Serialize};

use super::cox::design;
use super::rows::{column, complete, endpoint, rows_where};
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, WhereResult};
use crate::data::{Column, Values};
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format, relabel};
use crate::spec::{FigureKind, FigureSpec, Ties};
use crate::stats::{self, Design, StatsError};
use crate::tables::{Row, Table};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The endpoint of the Cox models, by its id under `endpoints` (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    endpoint: Option<String>,
    /// The two-valued column (the arm) whose hazard ratio is compared across subgroups
    /// (required); its reference is a category's `ref`, else its first value.
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    term: Option<String>,
    /// The columns whose levels form the subgroups (required), each with its
    /// interaction test.
    #[serde(default, deserialize_with = "crate::spec::scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    subgroups: Option<Vec<String>>,
    /// Columns every model adjusts for besides `term` (default none).
    #[serde(default, deserialize_with = "crate::spec::scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    covariates: Option<Vec<String>>,
    /// Confidence level of the hazard ratios' intervals, between 0 and 1 (default 0.95).
    conf_level: Option<f64>,
    /// A SQL condition over the data's columns: only the rows where it is true are analysed
    /// (a null is false); default every row.
    #[serde(default, rename = "where")]
    where_: Option<String>,
    /// On a competing-risks endpoint: the cause (cause-specific Cox models).
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    cause: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subgroups {
    pub endpoint: String,
    pub term: String,
    pub subgroups: Vec<String>,
    pub covariates: Vec<String>,
    pub conf_level: f64,
    pub scope: Scope,
}

/// `results.json` for a subgroup analysis.
#[derive(Debug, Clone, Serialize)]
pub struct SubgroupsResult {
    pub kind: &'static str,
    pub endpoint: String,
    pub term: String,
    /// The term's two values: the reference first.
    pub arms: Vec<String>,
    pub covariates: Vec<String>,
    pub conf_level: f64,
    pub n_dropped_missing: u64,
    pub overall: Level,
    pub subgroups: Vec<Subgroup>,
    pub warnings: Vec<String>,
    #[serde(flatten)]
    pub scope: WhereResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subgroup {
    pub variable: String,
    pub interaction_p: Option<f64>,
    pub levels: Vec<Level>,
}

/// One row of the plot: patients and events in all and per arm, and the term's hazard
/// ratio within the rows (null, with a warning, where it cannot be estimated).
#[derive(Debug, Clone, Serialize)]
pub struct Level {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub n: u64,
    pub events: u64,
    pub per_arm: Vec<Arm>,
    pub hr: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub p: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Arm {
    pub arm: String,
    pub n: u64,
    pub events: u64,
}

impl Kind for Subgroups {
    const NAME: &'static str = "subgroups";
    const NOUN: &'static str = "subgroup analyses";
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Subgroups> {
        let id = cx.id;
        let endpoint = cx.endpoint(p.endpoint.as_ref())?;
        let Some(term) = p.term else {
            return Err(cx
                .error(format!("analysis `{id}`: a subgroup analysis needs `term`, the two-valued column whose effect is compared across subgroups (the treatment arm)"))
                .hint("e.g. `term: arm`"));
        };
        let subgroups = p.subgroups.unwrap_or_default();
        if subgroups.is_empty() {
            return Err(cx
                .error(format!("analysis `{id}`: a subgroup analysis needs `subgroups: [column, ...]`"))
                .hint("the columns whose levels form the subgroups, e.g. `subgroups: [sex, age_group]`"));
        }
        let covariates = p.covariates.unwrap_or_default();
        for (key, list) in [("subgroups", &subgroups), ("covariates", &covariates)] {
            if list.contains(&term) {
                return Err(cx.error_at(
                    &[key],
                    format!("analysis `{id}`: the term `{term}` is also listed in `{key}`"),
                ));
            }
        }
        if let Some(both) = subgroups.iter().find(|s| covariates.contains(s)) {
            return Err(cx
                .error_at(&["covariates"], format!("analysis `{id}`: `{both}` is both a subgroup variable and a covariate"))
                .hint("within a subgroup it has one value, so it cannot be adjusted for there: list it once"));
        }
        Ok(Subgroups {
            conf_level: cx.conf_level(p.conf_level)?,
            scope: Scope::plan(cx, Some(&endpoint), p.where_, None, p.cause, None)?,
            endpoint,
            term,
            subgroups,
            covariates,
        })
    }

    fn methods(_all: &[&Subgroups], _cx: &Present) -> Vec<Sentence> {
        vec![Sentence::new(
            Paragraph::Estimation,
            "Treatment effects within subgroups were estimated by Cox models fitted within each subgroup, and their heterogeneity was tested by the likelihood-ratio test of the treatment-by-subgroup interaction.",
        )]
    }
}

impl Analysis for Subgroups {
    fn endpoint(&self) -> Option<&str> {
        Some(&self.endpoint)
    }

    fn columns(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("term", self.term.as_str())];
        out.extend(self.subgroups.iter().map(|s| ("subgroups", s.as_str())));
        out.extend(self.covariates.iter().map(|c| ("covariates", c.as_str())));
        out
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn long(&self) -> bool {
        true
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let cohort = cx.cohort;
        let e = endpoint(cohort, &self.endpoint);
        let term = column(cohort, &self.term);
        let groups: Vec<&Column> = self.subgroups.iter().map(|s| column(cohort, s)).collect();
        let covariates: Vec<&Column> = self.covariates.iter().map(|c| column(cohort, c)).collect();
        let mut all = vec![term];
        all.extend(&groups);
        all.extend(&covariates);
        let rows = rows_where(&complete(cohort.n, Some(e), &all));
        let (arm, arms) = arms(term, &rows)?;
        let fitter = Fitter {
            term: &self.term,
            time: rows.iter().map(|&i| e.time[i].expect("complete")).collect(),
            event: rows
                .iter()
                .map(|&i| e.event[i].expect("complete"))
                .collect(),
            arm,
            arms: &arms,
            rows: &rows,
            covariates: &covariates,
            conf_level: self.conf_level,
        };
        let mut warnings = Vec::new();
        let everyone: Vec<usize> = (0..rows.len()).collect();
        let overall = fitter.level(None, None, &everyone, &mut warnings);
        let subgroups = groups
            .iter()
            .map(|g| fitter.subgroup(g, &mut warnings))
            .collect();
        Ok(Outcome::new(SubgroupsResult {
            kind: Self::NAME,
            endpoint: self.endpoint.clone(),
            term: self.term.clone(),
            arms,
            covariates: self.covariates.clone(),
            conf_level: self.conf_level,
            n_dropped_missing: (cohort.n - rows.len()) as u64,
            overall,
            subgroups,
            warnings: warnings.clone(),
            scope: cx.scope.where_only(),
        })
        .with_warnings(warnings))
    }

    fn tables(&self, at: &Planned, out: &Outcome, cx: &Present) -> Vec<Table> {
        let r = out.get::<SubgroupsResult>().expect("a subgroups result");
        vec![table(at, r, cx)]
    }

    fn default_figure(&self, id: &str) -> Option<FigureSpec> {
        Some(FigureSpec {
            analysis: Some(id.to_string()),
            ..FigureSpec::blank(FigureKind::Subgroups)
        })
    }
}

/// The subgroup forest plot: all patients, then each variable with its interaction p and
/// its levels.
pub fn figure(spec: &FigureSpec, cx: &Present) -> (String, String) {
    use crate::figures::forest::Estimate;
    use crate::figures::subgroups::{Row as PlotRow, SubgroupPlot};
    let id = spec.analysis.as_deref().expect("validated");
    let r = cx
        .output::<SubgroupsResult>(id)
        .expect("a subgroups result");
    let labels = &cx.labels;
    let estimate = |l: &Level| match (l.hr, l.lower, l.upper) {
        (Some(hr), Some(lower), Some(upper)) => Some(Estimate {
            hr,
            lower,
            upper,
            p: l.p,
        }),
        _ => None,
    };
    let counts = |l: &Level| {
        l.per_arm
            .iter()
            .map(|a| format!("{}/{}", cx.style.count(a.events), cx.style.count(a.n)))
            .collect::<Vec<_>>()
    };
    let mut rows = vec![PlotRow {
        label: "All patients".into(),
        heading: true,
        indent: false,
        counts: counts(&r.overall),
        estimate: estimate(&r.overall),
        p: None,
    }];
    for s in &r.subgroups {
        rows.push(PlotRow {
            label: relabel(&labels.column(&s.variable), spec.labels.as_ref()),
            heading: true,
            indent: false,
            counts: Vec::new(),
            estimate: None,
            p: Some(cx.style.p_cell(s.interaction_p)),
        });
        for l in &s.levels {
            let label = level_label(l.label.as_deref().unwrap_or(""));
            rows.push(PlotRow {
                label: relabel(&label, spec.labels.as_ref()),
                heading: false,
                indent: true,
                counts: counts(l),
                estimate: estimate(l),
                p: None,
            });
        }
    }
    let arm = |a: &str| relabel(&labels.group(Some(&r.term), a), spec.labels.as_ref());
    let plot = SubgroupPlot {
        arms: r.arms.iter().map(|a| arm(a)).collect(),
        rows,
        xlab: spec
            .xlab
            .clone()
            .unwrap_or_else(|| format!("Hazard ratio, {} vs {}", arm(&r.arms[1]), arm(&r.arms[0]))),
        level: format::level(r.conf_level),
        style: cx.style,
        width: spec.canvas,
    };
    let caption = format!(
        "{} by subgroup: hazard ratios of {} with {} confidence intervals, and the p-value of each subgroup's interaction.",
        labels.endpoint(&r.endpoint),
        cx.labels.inline(&labels.column(&r.term)),
        format::level(r.conf_level)
    );
    (crate::figures::subgroups::svg(&plot), caption)
}

/// The term as a 0/1 indicator over the rows, and its two values, the reference first
/// (a category's declared `ref`, else the first in label order).
fn arms(
    term: &Column,
    rows: &[usize],
) -> std::result::Result<(Vec<bool>, Vec<String>), StatsError> {
    let (codes, labels) = term.groups(rows);
    if labels.len() != 2 {
        return Err(StatsError(format!(
            "the term `{}` must have exactly two values among the rows used, but has {} ({}); compare two arms, e.g. with `where:` or a derived 0/1 column",
            term.name,
            labels.len(),
            labels.join(", ")
        )));
    }
    let reference = match &term.values {
        Values::Cat {
            levels, reference, ..
        } => labels
            .iter()
            .position(|l| *l == levels[*reference])
            .unwrap_or(0),
        _ => 0,
    };
    let arm = codes.iter().map(|&c| c as usize != reference).collect();
    let mut ordered = labels.clone();
    if reference == 1 {
        ordered.swap(0, 1);
    }
    Ok((arm, ordered))
}

/// Fits the term's Cox model over subsets of the rows used.
struct Fitter<'a> {
    /// The term's name, which the models' warnings use.
    term: &'a str,
    time: Vec<f64>,
    event: Vec<bool>,
    /// Per row used: in the second arm.
    arm: Vec<bool>,
    arms: &'a [String],
    /// The data rows used; the subsets index into them.
    rows: &'a [usize],
    covariates: &'a [&'a Column],
    conf_level: f64,
}

impl Fitter<'_> {
    /// Counts and the term's hazard ratio within `subset` (positions in the rows used).
    /// `place` names the subset in warnings ("celltype adeno").
    fn level(
        &self,
        label: Option<&str>,
        place: Option<&str>,
        subset: &[usize],
        warnings: &mut Vec<String>,
    ) -> Level {
        let count = |pick: &dyn Fn(usize) -> bool| {
            let kept: Vec<usize> = subset.iter().copied().filter(|&k| pick(k)).collect();
            let events = kept.iter().filter(|&&k| self.event[k]).count() as u64;
            (kept.len() as u64, events)
        };
        let (n, events) = count(&|_| true);
        let per_arm = self
            .arms
            .iter()
            .enumerate()
            .map(|(a, name)| {
                let (n, events) = count(&|k| self.arm[k] == (a == 1));
                Arm {
                    arm: name.clone(),
                    n,
                    events,
                }
            })
            .collect();
        let fit = self.design(subset, None).and_then(|d| self.fit(subset, d));
        let t = match fit {
            Ok(fit) => {
                warnings.extend(fit.warnings.iter().map(|w| within(place, w)));
                fit.terms.into_iter().next()
            }
            Err(e) => {
                warnings.push(within(place, &format!("no hazard ratio: {e}")));
                None
            }
        };
        Level {
            label: label.map(str::to_string),
            n,
            events,
            per_arm,
            hr: t.as_ref().and_then(|t| t.hr),
            lower: t.as_ref().and_then(|t| t.lower),
            upper: t.as_ref().and_then(|t| t.upper),
            p: t.as_ref().and_then(|t| t.p),
        }
    }

    fn subgroup(&self, variable: &Column, warnings: &mut Vec<String>) -> Subgroup {
        let (codes, labels) = variable.groups(self.rows);
        let levels = labels
            .iter()
            .enumerate()
            .map(|(g, label)| {
                let subset: Vec<usize> = (0..self.rows.len())
                    .filter(|&k| codes[k] as usize == g)
                    .collect();
                let place = format!("{} {label}", variable.name);
                self.level(Some(label), Some(&place), &subset, warnings)
            })
            .collect();
        let everyone: Vec<usize> = (0..self.rows.len()).collect();
        let test = (|| {
            let reduced = self.fit(&everyone, self.design(&everyone, Some((variable, false)))?)?;
            let full = self.fit(&everyone, self.design(&everyone, Some((variable, true)))?)?;
            // As R's anova: an interaction a level cannot show (one arm only) is aliased
            // and adds no degree of freedom.
            let prefix = format!("{}:", self.term);
            let df = full
                .terms
                .iter()
                .filter(|t| t.term.starts_with(&prefix) && t.coef.is_some())
                .count();
            if df == 0 {
                return Err(StatsError(
                    "no subgroup has patients in both arms beyond the first".into(),
                ));
            }
            Ok::<_, StatsError>(stats::finite(stats::chisq_sf(
                2.0 * (full.loglik - reduced.loglik),
                df as f64,
            )))
        })();
        let interaction_p = match test {
            Ok(p) => p,
            Err(e) => {
                warnings.push(format!("no interaction test for `{}`: {e}", variable.name));
                None
            }
        };
        Subgroup {
            variable: variable.name.clone(),
            interaction_p,
            levels,
        }
    }

    /// The design over `subset`: the arm indicator first, then with `by` the variable's
    /// indicators (and with `interaction`, their products with the arm), then the
    /// covariates.
    fn design(
        &self,
        subset: &[usize],
        by: Option<(&Column, bool)>,
    ) -> std::result::Result<Design, StatsError> {
        let data_rows: Vec<usize> = subset.iter().map(|&k| self.rows[k]).collect();
        let mut front: Vec<(String, Vec<f64>)> = vec![(
            self.term.to_string(),
            subset
                .iter()
                .map(|&k| f64::from(u8::from(self.arm[k])))
                .collect(),
        )];
        if let Some((variable, interaction)) = by {
            // The variable as a factor over the levels its subgroups are, whatever its
            // type: a number with three values is three subgroups, not a slope.
            let (codes, labels) = variable.groups(&data_rows);
            let levels: Vec<(String, Vec<f64>)> = (1..labels.len())
                .map(|l| {
                    let name = format!("{}={}", variable.name, labels[l]);
                    let values = codes
                        .iter()
                        .map(|&c| f64::from(u8::from(c as usize == l)))
                        .collect();
                    (name, values)
                })
                .collect();
            let arm = front[0].1.clone();
            if interaction {
                let products: Vec<(String, Vec<f64>)> = levels
                    .iter()
                    .map(|(name, v)| {
                        let values = v.iter().zip(&arm).map(|(a, b)| a * b).collect();
                        (format!("{}:{name}", self.term), values)
                    })
                    .collect();
                front.extend(levels);
                front.extend(products);
            } else {
                front.extend(levels);
            }
        }
        let rest = if self.covariates.is_empty() {
            None
        } else {
            Some(design::design(self.covariates, &data_rows)?)
        };
        Ok(join(front, rest, subset.len()))
    }

    fn fit(
        &self,
        subset: &[usize],
        design: Design,
    ) -> std::result::Result<stats::CoxFit, StatsError> {
        let time: Vec<f64> = subset.iter().map(|&k| self.time[k]).collect();
        let event: Vec<bool> = subset.iter().map(|&k| self.event[k]).collect();
        stats::cox(&time, &event, design, Ties::Efron, self.conf_level)
    }
}

/// A level under its variable's heading: a boolean's reads "yes" or "no".
fn level_label(label: &str) -> String {
    match label {
        "true" => "yes".into(),
        "false" => "no".into(),
        other => other.to_string(),
    }
}

/// A warning of the model within one subgroup level names it.
fn within(label: Option<&str>, w: &str) -> String {
    match label {
        Some(l) => format!("within {l}: {w}"),
        None => w.to_string(),
    }
}

/// Columns given as vectors, then a design's columns, as one design.
fn join(front: Vec<(String, Vec<f64>)>, rest: Option<Design>, rows: usize) -> Design {
    let q = rest.as_ref().map_or(0, |d| d.names.len());
    let p = front.len() + q;
    let mut x = Vec::with_capacity(rows * p);
    for r in 0..rows {
        x.extend(front.iter().map(|(_, v)| v[r]));
        if let Some(d) = &rest {
            x.extend_from_slice(&d.x[r * q..(r + 1) * q]);
        }
    }
    let mut names: Vec<String> = front.iter().map(|(n, _)| n.clone()).collect();
    let mut covariates: Vec<(String, Vec<usize>)> = names
        .iter()
        .enumerate()
        .map(|(j, n)| (n.clone(), vec![j]))
        .collect();
    if let Some(d) = rest {
        let offset = names.len();
        names.extend(d.names);
        covariates.extend(
            d.covariates
                .into_iter()
                .map(|(n, cols)| (n, cols.into_iter().map(|c| c + offset).collect())),
        );
    }
    Design {
        x,
        rows,
        names,
        covariates,
    }
}

/// The subgroup table: each variable's levels with patients and events per arm, the
/// hazard ratio and the interaction p, as trial reports print it.
fn table(at: &Planned, r: &SubgroupsResult, cx: &Present) -> Table {
    let labels = &cx.labels;
    let level = format::level(r.conf_level);
    let arm_name = |a: &str| labels.group(Some(&r.term), a);
    let mut header = vec!["Subgroup".to_string()];
    header.extend(r.arms.iter().map(|a| format!("{}, events/n", arm_name(a))));
    header.push(format!("HR ({level} CI)"));
    header.push(format!("Interaction {}", cx.style.p_header()));
    let cells = |l: &Level, name: String| {
        let mut c = vec![name];
        c.extend(
            l.per_arm
                .iter()
                .map(|a| format!("{}/{}", cx.style.count(a.events), cx.style.count(a.n))),
        );
        c.push(cx.style.ratio_ci(l.hr, l.lower, l.upper));
        c
    };
    let mut rows = vec![Row {
        cells: {
            let mut c = cells(&r.overall, "All patients".into());
            c.push(String::new());
            c
        },
        indent: false,
    }];
    for s in &r.subgroups {
        let mut head = vec![labels.column(&s.variable)];
        head.extend(std::iter::repeat_n(String::new(), r.arms.len() + 1));
        head.push(cx.style.p_cell(s.interaction_p));
        rows.push(Row {
            cells: head,
            indent: false,
        });
        for l in &s.levels {
            let label = level_label(l.label.as_deref().unwrap_or(""));
            let mut c = cells(l, label);
            c.push(String::new());
            rows.push(Row {
                cells: c,
                indent: true,
            });
        }
    }
    let term = labels.column(&r.term);
    let mut notes = vec![format!(
        "Hazard ratios of {term} ({} against {}) from Cox models fitted within each subgroup{}; interaction p from the likelihood-ratio test of the {term}-by-subgroup interaction.",
        arm_name(&r.arms[1]),
        arm_name(&r.arms[0]),
        if r.covariates.is_empty() {
            String::new()
        } else {
            format!(
                ", adjusted for {}",
                format::list(
                    &r.covariates
                        .iter()
                        .map(|c| labels.column(c))
                        .collect::<Vec<_>>()
                )
            )
        }
    )];
    notes.extend(r.warnings.iter().map(|w| format!("Note: {w}.")));
    Table {
        spanners: Vec::new(),
        id: at.id.clone(),
        title: at
            .title
            .clone()
            .unwrap_or_else(|| format!("{}: {term} by subgroup", labels.endpoint(&r.endpoint))),
        header,
        rows,
        notes,
    }
}
