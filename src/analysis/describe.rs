//! `kind: describe`: Table 1, patient characteristics overall and by group, by
//! gtsummary's rules: numbers with fewer than 10 distinct values, booleans and text are
//! categorical; continuous variables get quartiles by `quantile(type = 2)`; groups are
//! compared by Wilcoxon or Kruskal-Wallis, and by chi-square or Fisher's exact test.

use serde::{Deserialize, Serialize};

use super::rows::{column, complete_rows};
use super::{Analysis, Kind, Outcome, ParseCx, Planned, RunCx, Scope, WhereResult};
use crate::data::{Cohort, Column, Values};
use crate::error::Result;
use crate::methods::{Paragraph, Sentence};
use crate::present::{Present, format};
use crate::stats::{StatsError, describe, tests};
use crate::tables::{Row, Table};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default, deserialize_with = "crate::spec::scalar_list_opt")]
    variables: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::spec::scalar_opt")]
    by: Option<String>,
    #[serde(default, rename = "where")]
    where_: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Describe {
    pub variables: Vec<String>,
    pub by: Option<String>,
    pub scope: Scope,
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
        Ok(Describe {
            variables,
            by: p.by,
            scope: Scope::plan(cx, None, p.where_, None, None, None)?,
        })
    }

    fn methods(all: &[&Describe], _cx: &Present) -> Vec<Sentence> {
        if all.iter().all(|d| d.by.is_none()) {
            return Vec::new();
        }
        vec![Sentence::new(
            Paragraph::Characteristics,
            "Patient characteristics are summarised as n (%) and median (range). Groups were compared with Pearson's chi-square test without continuity correction, or Fisher's exact test when an expected count was below 5, for categorical characteristics, and with the Wilcoxon rank-sum test (two groups) or the Kruskal-Wallis test (more groups) for continuous ones.",
        )]
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
        vec![table_one(at, r, cx)]
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
            .map(|name| {
                let col = column(cohort, name);
                if is_categorical(col, &g.rows) {
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
            let mut distinct: Vec<f64> = rows
                .iter()
                .filter_map(|&i| v[i])
                .filter(|x| !x.is_nan())
                .collect();
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
        .map(|&i| v[i].expect("present"))
        .collect();
    let mut per_group: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut missing_per_group = vec![0usize; k];
    if k > 0 {
        for (r, &i) in g.rows.iter().enumerate() {
            let group = g.codes[r] as usize;
            match v[i] {
                Some(x) if !x.is_nan() => per_group[group].push(x),
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
    let (level_codes, levels) = col.groups(&present_rows);
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

/// Table 1 as printed: one row per continuous or yes/no characteristic, a heading row
/// and one row per level for the others, and a "Missing" row where values are missing.
fn table_one(at: &Planned, r: &DescribeResult, cx: &Present) -> Table {
    let labels = &cx.labels;
    let mut header = vec![
        "Characteristic".to_string(),
        format!("Overall (N = {})", r.n),
    ];
    header.extend(
        r.groups
            .iter()
            .map(|g| format!("{} (N = {})", g.label, g.n)),
    );
    let with_p = r.by.is_some();
    if with_p {
        header.push("p".into());
    }
    let mut rows = Vec::new();
    let mut tests_used: Vec<&str> = Vec::new();
    for v in &r.variables {
        let (label, test) = match v {
            Variable::Continuous(c) => (&c.label, &c.test),
            Variable::Categorical(c) => (&c.label, &c.test),
        };
        if let Some(t) = test
            && !tests_used.contains(&t.method)
        {
            tests_used.push(t.method);
        }
        let p = format::p_cell(test.as_ref().and_then(|t| t.p));
        let mut printed = variable_rows(v, &labels.column(label), r.groups.len(), p);
        if !with_p {
            printed.iter_mut().for_each(|row| {
                row.cells.pop();
            });
        }
        rows.extend(printed);
    }
    let mut notes =
        vec!["Percentages are of patients with the characteristic recorded.".to_string()];
    if !tests_used.is_empty() {
        let names: Vec<&str> = tests_used.iter().map(|t| test_name(t)).collect();
        notes.push(format!("p: {}.", names.join("; ")));
    }
    let title = at.title.clone().unwrap_or_else(|| match &r.by {
        Some(b) => format!(
            "Characteristics of the patients by {}",
            labels.column(b).to_lowercase()
        ),
        None => "Characteristics of the patients".into(),
    });
    Table {
        id: at.id.clone(),
        title,
        header,
        rows,
        notes,
    }
}

/// One characteristic's rows, each ending in a p-value cell (the first row's p, blank
/// below it) that the caller drops when there are no groups to compare.
fn variable_rows(v: &Variable, name: &str, k: usize, p: String) -> Vec<Row> {
    let row = |mut cells: Vec<String>, last: String, indent: bool| {
        cells.push(last);
        Row { cells, indent }
    };
    let np = |n: u64, pct: Option<f64>| format!("{n} ({})", format::num(pct, 1));
    let mut rows = Vec::new();
    let missing = match v {
        Variable::Continuous(c) => {
            let s = |st: &describe::Summary| {
                format!(
                    "{} ({}–{})",
                    format::num(st.median, 1),
                    format::num(st.min, 1),
                    format::num(st.max, 1)
                )
            };
            let mut cells = vec![format!("{name}, median (range)"), s(&c.stats)];
            cells.extend(c.groups.iter().map(|g| s(&g.stats)));
            rows.push(row(cells, p, false));
            let mut cells = vec!["Missing".to_string(), c.missing.to_string()];
            cells.extend(c.groups.iter().map(|g| g.missing.to_string()));
            (c.missing, cells)
        }
        Variable::Categorical(c) => {
            if let Some(yes) = dichotomous(c) {
                // A yes/no characteristic takes one row: the patients who have it.
                let mut cells = vec![format!("{name}, n (%)")];
                match yes {
                    Some(y) => {
                        cells.push(np(y.n, y.pct));
                        cells.extend(y.groups.iter().map(|g| np(g.n, g.pct)));
                    }
                    None => cells.extend(std::iter::repeat_n("0 (0.0)".to_string(), k + 1)),
                }
                rows.push(row(cells, p, false));
            } else {
                let mut cells = vec![format!("{name}, n (%)"), String::new()];
                cells.extend(std::iter::repeat_n(String::new(), k));
                rows.push(row(cells, p, false));
                for level in &c.levels {
                    let mut cells = vec![level.label.clone(), np(level.n, level.pct)];
                    cells.extend(level.groups.iter().map(|g| np(g.n, g.pct)));
                    rows.push(row(cells, String::new(), true));
                }
            }
            let mut cells = vec!["Missing".to_string(), c.missing.to_string()];
            cells.extend(c.groups.iter().map(|g| g.missing.to_string()));
            (c.missing, cells)
        }
    };
    if missing.0 > 0 {
        rows.push(row(missing.1, String::new(), true));
    }
    rows
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
