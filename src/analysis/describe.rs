//! `kind: describe`: Table 1, patient characteristics overall and by group, by
//! gtsummary's rules: numbers with fewer than 10 distinct values, booleans and text are
//! categorical; continuous variables get quartiles by `quantile(type = 2)`; groups are
//! compared by Wilcoxon or Kruskal-Wallis, and by chi-square or Fisher's exact test.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::rows::{column, complete_rows};
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, WhereResult};
use crate::data::{Cohort, Column, Values};
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::Present;
use crate::spec::{MissingRow, Statistic};
use crate::stats::{StatsError, describe, tests};
use crate::tables::{Row, Table};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The columns summarised, in the order printed (required).
    #[serde(default, deserialize_with = "crate::spec::scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    variables: Option<Vec<String>>,
    /// The column whose groups get a column each, compared by tests; absent, only the
    /// Overall column. Rows missing it are left out.
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    by: Option<String>,
    /// A SQL condition over the data's columns: only the rows where it is true are analysed
    /// (a null is false); default every row.
    #[serde(default, rename = "where")]
    where_: Option<String>,
    /// One statistic for every continuous variable, or one per variable.
    #[serde(default)]
    statistic: Option<PerVariable<Statistic>>,
    /// Decimals of continuous statistics: one number for all, or one per variable;
    /// default `report.describe.digits`, else gtsummary's guess from the values.
    #[serde(default)]
    digits: Option<PerVariable<usize>>,
    /// Whether an "Unknown" row counts missing values: `ifany`, `no` or `always`;
    /// default `report.describe.missing`, else `ifany`.
    #[serde(default)]
    missing: Option<MissingRow>,
    /// An Overall column beside the groups (default: yes).
    #[serde(default)]
    overall: Option<bool>,
}

/// A setting for every variable (`statistic: mean_sd`) or per variable (`statistic: { age:
/// mean_sd, nodes: median_iqr }`), as gtsummary's `statistic = list(...)`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PerVariable<T> {
    /// One value for every variable.
    All(T),
    /// A value per variable, by column name; a variable not named takes the
    /// default.
    Each(IndexMap<String, T>),
}

impl<T: Copy> PerVariable<T> {
    fn get(&self, variable: &str) -> Option<T> {
        match self {
            PerVariable::All(t) => Some(*t),
            PerVariable::Each(m) => m.get(variable).copied(),
        }
    }

    fn named(&self) -> Vec<&str> {
        match self {
            PerVariable::All(_) => Vec::new(),
            PerVariable::Each(m) => m.keys().map(String::as_str).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Describe {
    pub variables: Vec<String>,
    pub by: Option<String>,
    pub scope: Scope,
    /// Per variable, the statistic set for it, if any (the analysis's, else the study's).
    pub statistic: Vec<Option<Statistic>>,
    pub digits: Vec<Option<usize>>,
    pub missing: MissingRow,
    pub overall: bool,
}

/// `results.json` for a Table 1.
#[derive(Debug, Clone, Serialize)]
pub struct DescribeResult {
    pub kind: &'static str,
    pub by: Option<String>,
    pub n: usize,
    pub n_dropped_missing: usize,
    pub groups: Vec<GroupN>,
    pub variables: Vec<Variable>,
    #[serde(flatten)]
    pub scope: WhereResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupN {
    pub label: String,
    pub n: usize,
}

/// One characteristic: a distribution or counts per level.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Variable {
    Continuous(Continuous),
    Categorical(Categorical),
}

#[derive(Debug, Clone, Serialize)]
pub struct Continuous {
    pub label: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub n: usize,
    pub missing: usize,
    pub stats: describe::Summary,
    pub groups: Vec<ContinuousGroup>,
    pub test: Option<Test>,
    /// The decimals gtsummary would guess for it; for the table, not `results.json`.
    #[serde(skip)]
    pub digits: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContinuousGroup {
    pub label: String,
    pub n: usize,
    pub missing: usize,
    pub stats: describe::Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Categorical {
    pub label: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub n: usize,
    pub missing: usize,
    pub levels: Vec<Level>,
    pub groups: Vec<CategoricalGroup>,
    pub test: Option<Test>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Level {
    pub label: String,
    pub n: u64,
    pub pct: Option<f64>,
    pub groups: Vec<LevelGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LevelGroup {
    pub label: String,
    pub n: u64,
    pub pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoricalGroup {
    pub label: String,
    pub n: u64,
    pub missing: usize,
}

/// A test between groups, named as R names it.
#[derive(Debug, Clone, Serialize)]
pub struct Test {
    pub method: &'static str,
    pub statistic: Option<f64>,
    pub df: Option<usize>,
    pub p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

impl Test {
    fn new(method: &'static str, statistic: Option<f64>, df: Option<usize>, p: f64) -> Test {
        Test {
            method,
            statistic,
            df,
            p: Some(p),
            note: None,
        }
    }
}

impl Kind for Describe {
    const NAME: &'static str = "describe";
    const NOUN: &'static str = "Table 1";
    type Params = Params;

    fn plan(p: Params, cx: &ParseCx) -> Result<Describe> {
        let variables = p.variables.unwrap_or_default();
        if variables.is_empty() {
            return Err(cx.error(format!(
                "analysis `{}`: describe needs `variables: [column, ...]`",
                cx.id
            )));
        }
        for (key, named) in [
            ("statistic", p.statistic.as_ref().map(PerVariable::named)),
            ("digits", p.digits.as_ref().map(PerVariable::named)),
        ] {
            if let Some(bad) = named
                .unwrap_or_default()
                .into_iter()
                .find(|v| !variables.iter().any(|x| x == v))
            {
                return Err(cx
                    .error_at(
                        &[key],
                        format!(
                            "analysis `{}`: `{key}` names `{bad}`, which is not one of its variables",
                            cx.id
                        ),
                    )
                    .hint(format!("its variables: {}", variables.join(", "))));
            }
        }
        let defaults = cx.study.describe_defaults();
        let statistic = variables
            .iter()
            .map(|v| {
                p.statistic
                    .as_ref()
                    .and_then(|s| s.get(v))
                    .or(defaults.statistic)
            })
            .collect();
        let digits = variables
            .iter()
            .map(|v| p.digits.as_ref().and_then(|d| d.get(v)).or(defaults.digits))
            .collect();
        Ok(Describe {
            variables,
            by: p.by,
            scope: Scope::plan(cx, None, p.where_, None, None, None)?,
            statistic,
            digits,
            missing: p.missing.or(defaults.missing).unwrap_or_default(),
            overall: p.overall.unwrap_or(true),
        })
    }

    fn methods(all: &[&Describe], cx: &Present) -> Vec<Sentence> {
        // The statistics the tables print: those of the variables shown as continuous.
        let stats: Vec<String> = crate::present::format::distinct(
            cx.study
                .analyses
                .iter()
                .filter_map(|p| Some((p.get::<Describe>()?, cx.output::<DescribeResult>(&p.id)?)))
                .flat_map(|(d, r)| {
                    r.variables
                        .iter()
                        .zip(&d.statistic)
                        .filter(|(v, _)| matches!(v, Variable::Continuous(_)))
                        .map(|(_, s)| statistic_name(s.unwrap_or(Statistic::MedianIqr)).to_string())
                        .collect::<Vec<_>>()
                }),
        );
        let mut text = format!(
            "Patient characteristics are summarised as n (%){}.",
            if stats.is_empty() {
                String::new()
            } else {
                format!(" and {}", crate::present::format::list(&stats))
            }
        );
        if all.iter().any(|d| d.by.is_some()) {
            text.push_str(" Groups were compared with Pearson's chi-square test without continuity correction, or Fisher's exact test when an expected count was below 5, for categorical characteristics, and with the Wilcoxon rank-sum test (two groups) or the Kruskal-Wallis test (more groups) for continuous ones.");
        }
        vec![Sentence::new(Paragraph::Characteristics, text)]
    }
}

impl Analysis for Describe {
    fn columns(&self) -> Vec<(&'static str, &str)> {
        self.variables
            .iter()
            .map(|v| ("variables", v.as_str()))
            .chain(self.by.iter().map(|b| ("by", b.as_str())))
            .collect()
    }

    fn scope(&self) -> Option<&Scope> {
        Some(&self.scope)
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
        let mut table = self.table(cx.cohort);
        table.scope = cx.scope.where_only();
        Ok(Outcome::new(table))
    }

    fn tables(&self, at: &Planned, out: &Outcome, cx: &Present) -> Vec<Table> {
        let r = out.get::<DescribeResult>().expect("a describe result");
        vec![table_one(at, self, r, cx)]
    }
}

/// Rows complete on `by`, each with its group's code.
struct Grouping {
    rows: Vec<usize>,
    codes: Vec<u32>,
    labels: Vec<String>,
}

impl Describe {
    fn table(&self, cohort: &Cohort) -> DescribeResult {
        let by_col = self.by.as_deref().map(|b| column(cohort, b));
        let rows = complete_rows(cohort, &by_col.into_iter().collect::<Vec<_>>());
        let (codes, labels) = match by_col {
            Some(c) => c.groups(&rows),
            None => (vec![0; rows.len()], vec![]),
        };
        let groups = labels
            .iter()
            .enumerate()
            .map(|(g, l)| GroupN {
                label: l.clone(),
                n: codes.iter().filter(|&&c| c as usize == g).count(),
            })
            .collect();
        let g = Grouping {
            rows,
            codes,
            labels,
        };
        let variables = self
            .variables
            .iter()
            .zip(&self.statistic)
            .map(|(name, statistic)| {
                let col = column(cohort, name);
                let numeric = matches!(col.values, Values::Num(_));
                let as_counts = match statistic {
                    Some(Statistic::NPercent) => true,
                    Some(_) if numeric => false,
                    _ => is_categorical(col, &g.rows),
                };
                if as_counts {
                    Variable::Categorical(categorical(name, col, &g))
                } else {
                    Variable::Continuous(continuous(name, col, &g))
                }
            })
            .collect();
        DescribeResult {
            kind: Self::NAME,
            by: self.by.clone(),
            n: g.rows.len(),
            n_dropped_missing: cohort.n - g.rows.len(),
            groups,
            variables,
            scope: WhereResult::default(),
        }
    }
}

/// Whether a Table 1 shows a variable as counts (categorical) or as a distribution:
/// gtsummary's rule, with numbers of fewer than 10 distinct values counted as categories.
fn is_categorical(col: &Column, rows: &[usize]) -> bool {
    match &col.values {
        Values::Num(v) => {
            let mut distinct: Vec<f64> = rows.iter().filter_map(|&i| v.get(i)).collect();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            distinct.len() < 10
        }
        _ => true,
    }
}

fn continuous(name: &str, col: &Column, g: &Grouping) -> Continuous {
    let Values::Num(v) = &col.values else {
        unreachable!("only numbers are continuous")
    };
    let k = g.labels.len();
    let all: Vec<f64> = g
        .rows
        .iter()
        .filter(|&&i| !col.is_missing(i))
        .map(|&i| v.get(i).expect("present"))
        .collect();
    let mut per_group: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut missing_per_group = vec![0usize; k];
    if k > 0 {
        for (r, &i) in g.rows.iter().enumerate() {
            let group = g.codes[r] as usize;
            match v.get(i) {
                Some(x) => per_group[group].push(x),
                _ => missing_per_group[group] += 1,
            }
        }
    }
    let groups = (0..k)
        .map(|j| ContinuousGroup {
            label: g.labels[j].clone(),
            n: per_group[j].len(),
            missing: missing_per_group[j],
            stats: describe::summary(&per_group[j]),
        })
        .collect();
    let test = (k >= 2 && per_group.iter().all(|x| !x.is_empty())).then(|| {
        if k == 2 {
            let t = tests::wilcox(&per_group[0], &per_group[1]);
            Test::new("wilcox.test", t.statistic, None, t.p)
        } else {
            let values: Vec<f64> = per_group.concat();
            let codes: Vec<u32> = per_group
                .iter()
                .enumerate()
                .flat_map(|(j, xs)| std::iter::repeat_n(j as u32, xs.len()))
                .collect();
            let t = tests::kruskal(&values, &codes, k);
            Test::new("kruskal.test", t.statistic, t.df, t.p)
        }
    });
    Continuous {
        label: name.to_string(),
        kind: "continuous",
        n: all.len(),
        missing: g.rows.len() - all.len(),
        stats: describe::summary(&all),
        digits: describe::digits_guess(&all),
        groups,
        test,
    }
}

fn categorical(name: &str, col: &Column, g: &Grouping) -> Categorical {
    let k = g.labels.len();
    let present: Vec<usize> = (0..g.rows.len())
        .filter(|&r| !col.is_missing(g.rows[r]))
        .collect();
    let present_rows: Vec<usize> = present.iter().map(|&r| g.rows[r]).collect();
    let (level_codes, levels) = col.levels_of(&present_rows);
    let n = present.len();
    let mut counts = vec![vec![0u64; k.max(1)]; levels.len()];
    let mut group_n = vec![0u64; k.max(1)];
    for (idx, &r) in present.iter().enumerate() {
        let group = if k > 0 { g.codes[r] as usize } else { 0 };
        counts[level_codes[idx] as usize][group] += 1;
        group_n[group] += 1;
    }
    let mut missing_per_group = vec![0usize; k];
    if k > 0 {
        for (r, &i) in g.rows.iter().enumerate() {
            if col.is_missing(i) {
                missing_per_group[g.codes[r] as usize] += 1;
            }
        }
    }
    let pct = |a: u64, b: u64| (b > 0).then(|| 100.0 * a as f64 / b as f64);
    let level_values = levels
        .iter()
        .enumerate()
        .map(|(l, label)| {
            let total: u64 = counts[l].iter().sum();
            Level {
                label: label.clone(),
                n: total,
                pct: pct(total, n as u64),
                groups: (0..k)
                    .map(|j| LevelGroup {
                        label: g.labels[j].clone(),
                        n: counts[l][j],
                        pct: pct(counts[l][j], group_n[j]),
                    })
                    .collect(),
            }
        })
        .collect();
    let groups = (0..k)
        .map(|j| CategoricalGroup {
            label: g.labels[j].clone(),
            n: group_n[j],
            missing: missing_per_group[j],
        })
        .collect();
    let test = (k >= 2 && levels.len() >= 2 && group_n.iter().all(|&c| c > 0))
        .then(|| categorical_test(&counts));
    Categorical {
        label: name.to_string(),
        kind: "categorical",
        n,
        missing: g.rows.len() - n,
        levels: level_values,
        groups,
        test,
    }
}

/// Pearson's chi-square, or Fisher's exact test when an expected count is below 5.
fn categorical_test(counts: &[Vec<u64>]) -> Test {
    let expected = tests::expected(counts);
    if expected.iter().flatten().any(|&e| e < 5.0) {
        // Past ten million tables an exact answer would take too long; say so.
        match tests::fisher(counts, 10_000_000) {
            Some(p) => Test::new("fisher.test", None, None, p),
            None => Test {
                method: "fisher.test",
                statistic: None,
                df: None,
                p: None,
                note: Some("too many tables to enumerate for an exact test"),
            },
        }
    } else {
        let t = tests::chisq(counts);
        Test::new("chisq.test", t.statistic, t.df, t.p)
    }
}

fn statistic_name(s: Statistic) -> &'static str {
    match s {
        Statistic::MedianIqr => "median (IQR)",
        Statistic::MedianRange => "median (range)",
        Statistic::MeanSd => "mean (SD)",
        Statistic::NPercent => "n (%)",
    }
}

/// Table 1 as gtsummary's `tbl_summary` prints it: an Overall column and one per group
/// with its N in the header, one row per continuous or yes/no characteristic, a heading
/// row and one row per level for the others, an "Unknown" row of missing values, and the
/// p-value of the test between groups with the test named in a note.
fn table_one(at: &Planned, d: &Describe, r: &DescribeResult, cx: &Present) -> Table {
    let labels = &cx.labels;
    let style = &cx.style;
    let mut header = vec!["Characteristic".to_string()];
    if d.overall || r.groups.is_empty() {
        header.push(format!(
            "Overall (N\u{a0}=\u{a0}{})",
            style.count(r.n as u64)
        ));
    }
    header.extend(r.groups.iter().map(|g| {
        format!(
            "{} (N\u{a0}=\u{a0}{})",
            labels.group(r.by.as_deref(), &g.label),
            style.count(g.n as u64)
        )
    }));
    let with_p = r.by.is_some();
    if with_p {
        header.push(style.p_header());
    }
    let mut rows = Vec::new();
    let mut tests_used: Vec<(&str, Vec<String>)> = Vec::new();
    let mut not_computed: Vec<(String, &str)> = Vec::new();
    for (k, v) in r.variables.iter().enumerate() {
        let (name, test) = match v {
            Variable::Continuous(c) => (&c.label, &c.test),
            Variable::Categorical(c) => (&c.label, &c.test),
        };
        let label = labels.column(name);
        if let Some(t) = test {
            match tests_used.iter_mut().find(|(m, _)| *m == t.method) {
                Some((_, vars)) => vars.push(label.clone()),
                None => tests_used.push((t.method, vec![label.clone()])),
            }
        }
        if let Some(Test {
            p: None,
            note: Some(why),
            ..
        }) = test
        {
            not_computed.push((label.clone(), why));
        }
        let p = style.p_cell(test.as_ref().and_then(|t| t.p));
        let how = Summarise {
            statistic: d.statistic.get(k).copied().flatten(),
            digits: d.digits.get(k).copied().flatten(),
            missing: d.missing,
            overall: d.overall || r.groups.is_empty(),
        };
        let mut printed = variable_rows(v, &label, r.groups.len(), p, &how, cx);
        if !with_p {
            printed.iter_mut().for_each(|row| {
                row.cells.pop();
            });
        }
        rows.extend(printed);
    }
    let mut notes = vec![
        "Percentages are of patients with the characteristic recorded; IQR, interquartile range; SD, standard deviation.".to_string(),
    ];
    if !tests_used.is_empty() {
        let names: Vec<String> = tests_used
            .iter()
            .map(|(t, vars)| format!("{} ({})", test_name(t), vars.join(", ")))
            .collect();
        notes.push(format!("{} values: {}.", style.p_letter, names.join("; ")));
    }
    for (variable, why) in not_computed {
        notes.push(format!("{variable}: no {} value, {why}.", style.p_letter));
    }
    let title = at.title.clone().unwrap_or_else(|| match &r.by {
        Some(b) => format!(
            "Characteristics of the patients by {}",
            labels.inline(&labels.column(b))
        ),
        None => "Characteristics of the patients".into(),
    });
    Table {
        id: at.id.clone(),
        title,
        header,
        spanners: Vec::new(),
        rows,
        notes,
    }
}

/// How one variable is summarised.
struct Summarise {
    statistic: Option<Statistic>,
    digits: Option<usize>,
    missing: MissingRow,
    overall: bool,
}

/// One characteristic's rows, each ending in a p-value cell (the first row's p, blank
/// below it) that the caller drops when there are no groups to compare.
fn variable_rows(
    v: &Variable,
    name: &str,
    k: usize,
    p: String,
    how: &Summarise,
    cx: &Present,
) -> Vec<Row> {
    let style = &cx.style;
    // The Overall column, then the groups'.
    let columns = |overall: String, groups: Vec<String>| -> Vec<String> {
        let mut cells = Vec::new();
        if how.overall {
            cells.push(overall);
        }
        cells.extend(groups);
        cells
    };
    let row = |label: String, cells: Vec<String>, last: String, indent: bool| {
        let mut all = vec![label];
        all.extend(cells);
        all.push(last);
        Row { cells: all, indent }
    };
    let np = |n: u64, pct: Option<f64>| style.table_n_percent(n, pct);
    let mut rows = Vec::new();
    // Each arm gives the missing count overall and per group, for the Unknown row.
    let (missing, per_group) = match v {
        Variable::Continuous(c) => {
            let statistic = how.statistic.unwrap_or(Statistic::MedianIqr);
            let digits = how.digits.unwrap_or(c.digits);
            let s = |st: &describe::Summary| summary_cell(st, statistic, digits, cx);
            rows.push(row(
                format!("{name}, {}", statistic_name(statistic)),
                columns(s(&c.stats), c.groups.iter().map(|g| s(&g.stats)).collect()),
                p,
                false,
            ));
            let missing: Vec<usize> = c.groups.iter().map(|g| g.missing).collect();
            (c.missing, missing)
        }
        Variable::Categorical(c) => {
            if let Some(yes) = dichotomous(c) {
                // A yes/no characteristic takes one row: the patients who have it.
                let cells = match yes {
                    Some(y) => columns(
                        np(y.n, y.pct),
                        y.groups.iter().map(|g| np(g.n, g.pct)).collect(),
                    ),
                    None => columns(np(0, Some(0.0)), vec![np(0, Some(0.0)); k]),
                };
                rows.push(row(format!("{name}, n (%)"), cells, p, false));
            } else {
                let blank = columns(String::new(), vec![String::new(); k]);
                rows.push(row(format!("{name}, n (%)"), blank, p, false));
                for level in &c.levels {
                    rows.push(row(
                        level.label.clone(),
                        columns(
                            np(level.n, level.pct),
                            level.groups.iter().map(|g| np(g.n, g.pct)).collect(),
                        ),
                        String::new(),
                        true,
                    ));
                }
            }
            let missing: Vec<usize> = c.groups.iter().map(|g| g.missing).collect();
            (c.missing, missing)
        }
    };
    let shown = match how.missing {
        MissingRow::Ifany => missing > 0,
        MissingRow::Always => true,
        MissingRow::No => false,
    };
    if shown {
        let count = |n: usize| style.count(n as u64);
        let cells = columns(count(missing), per_group.into_iter().map(count).collect());
        rows.push(row("Unknown".into(), cells, String::new(), true));
    }
    rows
}

/// A continuous variable's cell: "54 (45–63)", "54 (18–81)", "53.1 (9.4)".
fn summary_cell(
    st: &describe::Summary,
    statistic: Statistic,
    digits: usize,
    cx: &Present,
) -> String {
    let s = &cx.style;
    let n = |x: Option<f64>| s.num(x, digits);
    match statistic {
        Statistic::MeanSd => format!("{} ({})", n(st.mean), n(st.sd)),
        Statistic::MedianRange => format!("{} ({})", n(st.median), s.range(&n(st.min), &n(st.max))),
        _ => format!("{} ({})", n(st.median), s.range(&n(st.q1), &n(st.q3))),
    }
}

fn test_name(method: &str) -> &str {
    match method {
        "wilcox.test" => "Wilcoxon rank-sum test",
        "kruskal.test" => "Kruskal-Wallis test",
        "chisq.test" => "Pearson's chi-square test",
        "fisher.test" => "Fisher's exact test",
        other => other,
    }
}

/// A categorical variable whose levels are false/true or 0/1: `Some` with the "yes"
/// level (absent when no patient has it).
fn dichotomous(c: &Categorical) -> Option<Option<&Level>> {
    let labels: Vec<&str> = c.levels.iter().map(|l| l.label.as_str()).collect();
    let yes_no = labels.iter().all(|l| ["false", "true"].contains(l))
        || labels.iter().all(|l| ["0", "1"].contains(l));
    if !yes_no || labels.is_empty() {
        return None;
    }
    Some(
        c.levels
            .iter()
            .find(|l| matches!(l.label.as_str(), "true" | "1")),
    )
}
