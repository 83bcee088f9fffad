//! Tables as a paper prints them, built from results: Table 1 from `describe`, landmark
//! survival from `km`, hazard ratios from `cox` (univariable beside multivariable). Each
//! is a plain grid of display strings, rendered by the template and written as CSV.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::figures::{column_label, format_p, term_label};
use crate::spec::{Analysis, FigureKind, Study};

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub cells: Vec<String>,
    /// A level or statistic under a variable: indented in print.
    pub indent: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub id: String,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

impl Table {
    /// The table as CSV (RFC 4180), one header line and one line per row.
    pub fn csv(&self) -> String {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let line = |cells: &[String]| cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",");
        let mut out = line(&self.header);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(&r.cells));
            out.push('\n');
        }
        out
    }
}

/// A number as printed: `digits` decimals, an en dash for a value that does not exist.
pub fn num(x: Option<f64>, digits: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "–".into(),
    }
}

/// "(a to b)": the form that survives a minus sign, unlike "a–b".
pub fn ci(lower: Option<f64>, upper: Option<f64>, digits: usize) -> String {
    format!("({} to {})", num(lower, digits), num(upper, digits))
}

fn pct(x: Option<f64>) -> String {
    num(x, 1)
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

pub fn build(
    study: &Study,
    analyses: &[(String, Analysis)],
    results: &IndexMap<String, Value>,
) -> Vec<Table> {
    let mut tables = Vec::new();
    for (id, a) in analyses {
        let r = &results[id];
        let title = study.spec.analyses[id.as_str()].title.clone();
        match a {
            Analysis::Describe { by, .. } => {
                tables.push(describe(study, id, title, r, by.as_deref()))
            }
            Analysis::Km {
                times, endpoint, ..
            } => tables.push(landmarks(study, id, title, r, times, endpoint)),
            _ => {}
        }
    }
    // Cox models: one table per forest plot (univariable beside multivariable), and one
    // for each model no forest plot shows.
    let specs = crate::figures::specs(study, analyses);
    let mut shown: Vec<&String> = Vec::new();
    for (fid, spec) in &specs {
        if spec.kind == FigureKind::Forest {
            tables.push(cox(study, fid, spec, results));
            shown.extend(
                spec.analyses
                    .iter()
                    .flatten()
                    .chain(spec.univariable.iter().flatten()),
            );
        }
    }
    for (id, a) in analyses {
        if matches!(a, Analysis::Cox { .. }) && !shown.contains(&id) {
            let spec = crate::figures::FigureSpec::forest_of(
                id,
                study.spec.analyses[id.as_str()].title.clone(),
            );
            tables.push(cox(study, &format!("fig_{id}"), &spec, results));
        }
    }
    tables
}

fn describe(study: &Study, id: &str, title: Option<String>, r: &Value, by: Option<&str>) -> Table {
    let groups: Vec<(String, u64)> = r["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            (
                g["label"].as_str().unwrap_or("").to_string(),
                g["n"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut header = vec![
        "Characteristic".to_string(),
        format!("Overall (N = {})", r["n"]),
    ];
    header.extend(groups.iter().map(|(l, n)| format!("{l} (N = {n})")));
    let with_p = by.is_some();
    if with_p {
        header.push("p".into());
    }
    let k = groups.len();
    let mut rows = Vec::new();
    let mut tests_used = Vec::new();
    for v in r["variables"].as_array().into_iter().flatten() {
        let name = column_label(study, v["label"].as_str().unwrap_or(""));
        let p = v["test"]["p"].as_f64();
        if let Some(m) = v["test"]["method"].as_str()
            && !tests_used.contains(&m.to_string())
        {
            tests_used.push(m.to_string());
        }
        let blank_groups = || vec![String::new(); k];
        if v["type"] == "continuous" {
            let s = |st: &Value| {
                format!(
                    "{} ({}–{})",
                    num(f(&st["median"]), 1),
                    num(f(&st["min"]), 1),
                    num(f(&st["max"]), 1)
                )
            };
            let mut cells = vec![format!("{name}, median (range)"), s(&v["stats"])];
            cells.extend(
                v["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|g| s(&g["stats"])),
            );
            if with_p {
                cells.push(format_p(p));
            }
            rows.push(Row {
                cells,
                indent: false,
            });
        } else if let Some(yes) = dichotomous(v) {
            // A yes/no characteristic takes one row: the patients who have it.
            let np = |x: Option<&Value>| match x {
                Some(x) => format!("{} ({})", x["n"], pct(f(&x["pct"]))),
                None => "0 (0.0)".into(),
            };
            let mut cells = vec![format!("{name}, n (%)"), np(yes)];
            for g in 0..k {
                cells.push(np(yes.and_then(|y| y["groups"].get(g))));
            }
            if with_p {
                cells.push(format_p(p));
            }
            rows.push(Row {
                cells,
                indent: false,
            });
        } else {
            let mut cells = vec![format!("{name}, n (%)"), String::new()];
            cells.extend(blank_groups());
            if with_p {
                cells.push(format_p(p));
            }
            rows.push(Row {
                cells,
                indent: false,
            });
            for level in v["levels"].as_array().into_iter().flatten() {
                let np = |x: &Value| format!("{} ({})", x["n"], pct(f(&x["pct"])));
                let mut cells = vec![level["label"].as_str().unwrap_or("").to_string(), np(level)];
                cells.extend(level["groups"].as_array().into_iter().flatten().map(np));
                if with_p {
                    cells.push(String::new());
                }
                rows.push(Row {
                    cells,
                    indent: true,
                });
            }
        }
        if v["missing"].as_u64().unwrap_or(0) > 0 {
            let mut cells = vec!["Missing".to_string(), v["missing"].to_string()];
            cells.extend(
                v["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|g| g["missing"].to_string()),
            );
            if with_p {
                cells.push(String::new());
            }
            rows.push(Row {
                cells,
                indent: true,
            });
        }
    }
    let mut notes =
        vec!["Percentages are of patients with the characteristic recorded.".to_string()];
    if !tests_used.is_empty() {
        let names: Vec<&str> = tests_used
            .iter()
            .map(|t| match t.as_str() {
                "wilcox.test" => "Wilcoxon rank-sum test",
                "kruskal.test" => "Kruskal-Wallis test",
                "chisq.test" => "Pearson's chi-square test",
                "fisher.test" => "Fisher's exact test",
                other => other,
            })
            .collect();
        notes.push(format!("p: {}.", names.join("; ")));
    }
    let title = title.unwrap_or_else(|| match by {
        Some(b) => format!(
            "Characteristics of the patients by {}",
            column_label(study, b).to_lowercase()
        ),
        None => "Characteristics of the patients".into(),
    });
    Table {
        id: id.to_string(),
        title,
        header,
        rows,
        notes,
    }
}

/// A categorical variable whose levels are false/true or 0/1: `Some` with the "yes"
/// level (absent when no patient has it).
fn dichotomous(v: &Value) -> Option<Option<&Value>> {
    let levels = v["levels"].as_array()?;
    let labels: Vec<&str> = levels.iter().filter_map(|l| l["label"].as_str()).collect();
    let yes_no = labels.iter().all(|l| ["false", "true"].contains(l))
        || labels.iter().all(|l| ["0", "1"].contains(l));
    if !yes_no || labels.is_empty() {
        return None;
    }
    Some(
        levels
            .iter()
            .find(|l| matches!(l["label"].as_str(), Some("true" | "1"))),
    )
}

/// A group's label as printed: a boolean grouping reads "Completed: yes" rather than
/// "true".
fn group_label(study: &Study, by: Option<&str>, label: &str) -> String {
    match (by, label) {
        (Some(b), "true") => format!("{}: yes", column_label(study, b)),
        (Some(b), "false") => format!("{}: no", column_label(study, b)),
        _ => label.to_string(),
    }
}

fn landmarks(
    study: &Study,
    id: &str,
    title: Option<String>,
    r: &Value,
    times: &[f64],
    endpoint: &str,
) -> Table {
    let e = &study.spec.endpoints[endpoint];
    let unit = e.unit.map(|u| u.name().to_string()).unwrap_or_default();
    let label = e.label.clone().unwrap_or_else(|| endpoint.to_string());
    let level = r["conf_level"].as_f64().unwrap_or(0.95);
    let pct_level = format!("{}%", (level * 100.0).round());
    let mut header = vec![
        "Group".to_string(),
        "n".into(),
        "Events".into(),
        format!("Median (95% CI), {unit}").replace("95%", &pct_level),
    ];
    header.extend(times.iter().map(|t| {
        // "1 year", "3 years"
        let unit = if *t == 1.0 {
            unit.trim_end_matches('s')
        } else {
            unit.as_str()
        };
        format!("{} {unit} (%)", crate::figures::tick_label(*t)).replace("  ", " ")
    }));
    let rows = r["strata"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let m = &s["median"];
            let mut cells = vec![
                group_label(study, r["by"].as_str(), s["label"].as_str().unwrap_or("")),
                s["n"].to_string(),
                s["events"].to_string(),
                format!(
                    "{} {}",
                    num(f(&m["estimate"]), 1),
                    ci(f(&m["lower"]), f(&m["upper"]), 1)
                ),
            ];
            for at in s["at"].as_array().into_iter().flatten() {
                let p100 = |v: &Value| v.as_f64().map(|x| 100.0 * x);
                cells.push(format!(
                    "{} {}",
                    num(p100(&at["surv"]), 1),
                    ci(p100(&at["lower"]), p100(&at["upper"]), 1)
                ));
            }
            Row {
                cells,
                indent: false,
            }
        })
        .collect();
    let conf = r["conf_type"].as_str().unwrap_or("log");
    let notes = vec![format!(
        "Kaplan-Meier estimates with {pct_level} confidence intervals ({conf} transformation, Greenwood variance); – : not reached."
    )];
    let title = title.unwrap_or_else(|| match r["by"].as_str() {
        Some(b) => format!("{label} by {}", column_label(study, b).to_lowercase()),
        None => label.clone(),
    });
    Table {
        id: id.to_string(),
        title,
        header,
        rows,
        notes,
    }
}

fn cox(
    study: &Study,
    fid: &str,
    spec: &crate::spec::FigureSpec,
    results: &IndexMap<String, Value>,
) -> Table {
    let crate::figures::CoxColumns { columns, order } = crate::figures::cox_columns(spec, results);
    let multi = spec.analyses.clone().unwrap_or_default();
    let mut header = vec!["Term".to_string()];
    for (id, _) in &columns {
        let name = match (id, spec.univariable.is_some(), multi.len()) {
            (None, _, _) => "Univariable".to_string(),
            (Some(_), true, 1) => "Multivariable".to_string(),
            (Some(_), false, 1) => String::new(),
            (Some(id), _, _) => id.clone(),
        };
        header.push(format!("{name} HR (95% CI)").trim().to_string());
        header.push("p".into());
    }
    let rows = order
        .iter()
        .map(|term| {
            let mut cells = vec![term_label(study, term, spec.labels.as_ref())];
            for (_, ts) in &columns {
                match ts.iter().find(|t| t["term"] == term.as_str()) {
                    Some(t) => {
                        cells.push(format!(
                            "{} {}",
                            num(f(&t["hr"]), 2),
                            ci(f(&t["lower"]), f(&t["upper"]), 2)
                        ));
                        cells.push(format_p(f(&t["p"])));
                    }
                    None => {
                        cells.push("–".into());
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
    let ids: Vec<&String> = spec
        .univariable
        .iter()
        .flatten()
        .chain(multi.iter())
        .collect();
    let ties = ids
        .first()
        .and_then(|id| results[id.as_str()]["ties"].as_str())
        .unwrap_or("efron");
    let ties = if ties == "breslow" {
        "Breslow's"
    } else {
        "Efron's"
    };
    let mut notes = vec![format!(
        "Cox proportional hazards regression, {ties} method for tied times; HR, hazard ratio; CI, confidence interval."
    )];
    for id in &ids {
        let sel = &results[id.as_str()]["selection"];
        if let Some(rule) = sel["rule"].as_str() {
            let chosen: Vec<String> = sel["selected"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str())
                .map(|c| column_label(study, c))
                .collect();
            let chosen = if chosen.is_empty() {
                "none".to_string()
            } else {
                chosen.join(", ")
            };
            notes.push(format!(
                "Multivariable model: the factors with {rule} entered it (here: {chosen})."
            ));
        }
    }
    for id in &ids {
        for w in results[id.as_str()]["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            notes.push(format!("Warning ({id}): {w}."));
        }
    }
    let endpoint = ids
        .first()
        .and_then(|id| results[id.as_str()]["endpoint"].as_str())
        .unwrap_or("");
    let label = study
        .spec
        .endpoints
        .get(endpoint)
        .and_then(|e| e.label.clone())
        .unwrap_or_else(|| endpoint.to_string());
    let title = spec
        .title
        .clone()
        .unwrap_or_else(|| format!("Cox regression for {}", label.to_lowercase()));
    Table {
        id: format!("tab_{}", fid.trim_start_matches("fig_")),
        title,
        header,
        rows,
        notes,
    }
}
