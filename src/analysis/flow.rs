//! `kind: flow`: counts through a patient flow (CONSORT), each step a SQL filter over the
//! data, and the final groups; drawn as a flow diagram.

use serde::{Deserialize, Serialize};

use super::rows::column;
use super::{Analysis, Filter, Kind, Outcome, ParseCx, RunCx, Scope, WhereResult};
use crate::error::Result;
use crate::figures::flow::Flow as FlowPlot;
use crate::present::{Present, relabel};
use crate::spec::{FigureKind, FigureSpec, FlowStep, OwnedSeg};
use crate::stats::StatsError;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The boxes in order (required): each keeps the patients who pass its `filter`
    /// and every filter before it.
    steps: Option<Vec<FlowStep>>,
    /// A column that splits the last step's patients into groups, one box each.
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    by: Option<String>,
    /// A SQL condition over the data's columns: only the rows where it is true are analysed
    /// (a null is false); default every row.
    #[serde(default, rename = "where")]
    where_: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub steps: Vec<FlowStep>,
    pub by: Option<String>,
    pub scope: Scope,
}

/// `results.json` for a flow.
#[derive(Debug, Clone, Serialize)]
pub struct FlowResult {
    pub kind: &'static str,
    pub by: Option<String>,
    pub steps: Vec<Step>,
    pub groups: Vec<Group>,
    #[serde(flatten)]
    pub scope: WhereResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub label: String,
    pub n: usize,
    pub excluded: Option<Group>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub label: String,
    pub n: usize,
}

impl Kind for Flow {
    const NAME: &'static str = "flow";
    const NOUN: &'static str = "flows";
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Flow> {
        let steps = p.steps.unwrap_or_default();
        if steps.is_empty() {
            return Err(cx.error(format!(
                "analysis `{}`: a flow needs `steps: [{{ label, filter }}, ...]`",
                cx.id
            )));
        }
        Ok(Flow {
            steps,
            by: p.by,
            scope: Scope::plan(cx, None, p.where_, None, None, None)?,
        })
    }
}

impl Analysis for Flow {
    fn columns(&self) -> Vec<(&'static str, &str)> {
        self.by.iter().map(|b| ("by", b.as_str())).collect()
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn filters(&self) -> Vec<Filter<'_>> {
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                Some(Filter {
                    path: vec![
                        OwnedSeg::Key("steps".into()),
                        OwnedSeg::Index(i),
                        OwnedSeg::Key("filter".into()),
                    ],
                    sql: s.filter.as_deref()?,
                })
            })
            .collect()
    }

    /// Each step keeps the rows passing its filter and every filter before it; the last
    /// step's rows are split by `by` when given.
    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let cohort = cx.cohort;
        let mut keep = vec![true; cohort.n];
        let mut previous = cohort.n;
        let mut steps = Vec::new();
        for step in &self.steps {
            if let Some(filter) = &step.filter {
                let mask = &cohort.masks[filter];
                keep.iter_mut().zip(mask).for_each(|(k, m)| *k &= *m);
            }
            let n = keep.iter().filter(|k| **k).count();
            steps.push(Step {
                label: step.label.clone(),
                n,
                excluded: step.excluded.as_ref().map(|label| Group {
                    label: label.clone(),
                    n: previous - n,
                }),
            });
            previous = n;
        }
        let mut groups = Vec::new();
        if let Some(col) = self.by.as_deref().map(|b| column(cohort, b)) {
            let rows: Vec<usize> = (0..cohort.n)
                .filter(|&i| keep[i] && !col.is_missing(i))
                .collect();
            let (codes, labels) = col.groups(&rows);
            groups = labels
                .iter()
                .enumerate()
                .map(|(g, l)| Group {
                    label: l.clone(),
                    n: codes.iter().filter(|&&c| c as usize == g).count(),
                })
                .collect();
            let missing = previous - rows.len();
            if missing > 0 {
                groups.push(Group {
                    label: "missing".into(),
                    n: missing,
                });
            }
        }
        Ok(Outcome::new(FlowResult {
            kind: Self::NAME,
            by: self.by.clone(),
            steps,
            groups,
            scope: cx.scope.where_only(),
        }))
    }

    fn default_figure(&self, id: &str) -> Option<FigureSpec> {
        Some(FigureSpec {
            analysis: Some(id.to_string()),
            ..FigureSpec::blank(FigureKind::Flow)
        })
    }
}

/// The flow diagram of the analysis a figure names.
pub fn figure(spec: &FigureSpec, cx: &Present) -> (String, String) {
    let id = spec.analysis.as_deref().expect("validated");
    let r = cx.output::<FlowResult>(id).expect("a flow result");
    let flow = FlowPlot {
        steps: r
            .steps
            .iter()
            .map(|s| (s.label.clone(), s.n as u64))
            .collect(),
        // The box beside the arrow into step i + 1 shows who step i + 1 removed.
        excluded: r
            .steps
            .iter()
            .skip(1)
            .map(|s| s.excluded.as_ref().map(|e| (e.label.clone(), e.n as u64)))
            .collect(),
        groups: r
            .groups
            .iter()
            .map(|g| (relabel(&g.label, spec.labels.as_ref()), g.n as u64))
            .collect(),
        width: spec.canvas.unwrap_or(crate::figures::flow::WIDTH),
    };
    (
        crate::figures::flow::svg(&flow),
        "Flow of patients through the study".into(),
    )
}
