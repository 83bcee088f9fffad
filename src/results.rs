//! Running the analyses over a cohort and writing `results.json` in the contract's form.
//!
//! Each analysis takes the complete cases of the columns it uses, reports how many rows it
//! dropped, and turns the `stats` structs into JSON whose key order follows the contract.
//! A value that does not exist is `null`; a warning (non-convergence, an infinite
//! coefficient) is kept in the result and shown on the terminal.

use indexmap::IndexMap;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::data::{Cohort, Column, EndpointData, Values};
use crate::error::Result;
use crate::spec::{Analysis, Seg, Study};
use crate::stats::{self, Estimate, describe, tests};

/// `results.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub reprise: Meta,
    pub analyses: IndexMap<String, Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub version: String,
    pub build_id: String,
    /// sha256 of each input file, so a changed build id can say what changed.
    pub inputs: IndexMap<String, String>,
}

/// A warning about one analysis, for the terminal.
#[derive(Debug, Clone)]
pub struct Warning {
    pub analysis: String,
    pub message: String,
}

/// Runs every analysis in spec order.
pub fn run(
    study: &Study,
    cohort: &Cohort,
    build_id: &str,
    inputs: IndexMap<String, String>,
) -> Result<(Results, Vec<Warning>)> {
    let mut analyses = IndexMap::new();
    let mut warnings = Vec::new();
    let list = study.analyses()?;
    // Analyses are independent of one another, except a Cox model that selects its
    // covariates from earlier ones: the rest run in parallel, and their results are
    // taken in spec order, so the output (and the first error) is as if run in turn.
    // The Cox models go first, so that one core starts on the longest job while the
    // other works through the rest. The jobs are handed out by plain threads rather than
    // as rayon tasks: a rayon worker waiting inside one analysis's parallel loop may take
    // up a whole other analysis, which would hold up the longest one.
    let mut jobs: Vec<usize> = (0..list.len()).collect();
    jobs.sort_by_key(|&k| !matches!(list[k].1, Analysis::Cox { .. }));
    let ran: Vec<std::sync::Mutex<Option<stats::Result<Value>>>> =
        (0..list.len()).map(|_| Default::default()).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let j = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&k) = jobs.get(j) else { break };
                    let (id, a) = &list[k];
                    if matches!(
                        a,
                        Analysis::Cox {
                            select: Some(_),
                            ..
                        }
                    ) {
                        continue;
                    }
                    let _step = crate::progress::timed(format!("analysis {id}"));
                    let value = run_analysis(a, cohort);
                    *ran[k].lock().expect("no panic while held") = Some(value);
                }
            });
        }
    });
    let mut ran: Vec<Option<stats::Result<Value>>> = ran
        .into_iter()
        .map(|m| m.into_inner().expect("no panic while held"))
        .collect();
    for (k, (id, analysis)) in list.into_iter().enumerate() {
        let fail = |e: stats::StatsError| {
            study.error_at(
                &[Seg::Key("analyses"), Seg::Key(&id)],
                format!("analysis `{id}`: {e}"),
            )
        };
        let value = match selected(&analysis, &analyses) {
            Some((analysis, selection)) => {
                let chosen =
                    matches!(&analysis, Analysis::Cox { covariates, .. } if !covariates.is_empty());
                let mut value = if chosen {
                    run_analysis(&analysis, cohort).map_err(fail)?
                } else {
                    let Analysis::Cox { endpoint, ties, .. } = &analysis else {
                        unreachable!("a selection is a Cox model")
                    };
                    json!({
                        "kind": "cox", "endpoint": endpoint, "ties": ties.name(), "n": null, "events": null, "terms": [],
                        "warnings": ["no covariate met the selection rule, so there is no multivariable model"],
                    })
                };
                value["selection"] = selection;
                value
            }
            None => ran[k]
                .take()
                .expect("run above: it selects nothing")
                .map_err(fail)?,
        };
        if let Some(list) = value.get("warnings").and_then(Value::as_array) {
            for w in list.iter().filter_map(Value::as_str) {
                warnings.push(Warning {
                    analysis: id.clone(),
                    message: w.to_string(),
                });
            }
        }
        analyses.insert(id, value);
    }
    let meta = Meta {
        version: env!("CARGO_PKG_VERSION").to_string(),
        build_id: build_id.to_string(),
        inputs,
    };
    Ok((
        Results {
            reprise: meta,
            analyses,
        },
        warnings,
    ))
}

/// For a Cox model whose covariates are chosen by a rule, the model with the chosen ones
/// and a record of the choice: each candidate model's smallest p, and what it selected.
fn selected(analysis: &Analysis, done: &IndexMap<String, Value>) -> Option<(Analysis, Value)> {
    let Analysis::Cox {
        endpoint,
        ties,
        conf_level,
        select: Some(select),
        ..
    } = analysis
    else {
        return None;
    };
    let mut covariates = Vec::new();
    let mut candidates = Vec::new();
    for from in &select.from {
        let r = &done[from.as_str()];
        let p = r["terms"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["p"].as_f64())
            .fold(f64::INFINITY, f64::min);
        let chosen = p < select.p_below;
        let names: Vec<String> = r["covariates"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect();
        if chosen {
            covariates.extend(
                names
                    .iter()
                    .filter(|&c| !covariates.contains(c))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
        }
        candidates.push(json!({ "analysis": from, "covariates": names, "p": if p.is_finite() { json!(p) } else { Value::Null }, "selected": chosen }));
    }
    let selection = json!({ "rule": format!("univariable p < {}", select.p_below), "p_below": select.p_below, "candidates": candidates, "selected": covariates });
    Some((
        Analysis::Cox {
            endpoint: endpoint.clone(),
            covariates,
            ties: *ties,
            conf_level: *conf_level,
            select: None,
        },
        selection,
    ))
}

/// The rows where every listed column is present, in row order.
fn complete_rows(cohort: &Cohort, columns: &[&Column]) -> Vec<usize> {
    rows_where(&complete(cohort.n, None, columns))
}

/// Per row: whether the endpoint (when given) and every listed column are present. Column
/// by column, so that each is read in order.
fn complete(n: usize, endpoint: Option<&EndpointData>, columns: &[&Column]) -> Vec<bool> {
    let mut keep: Vec<bool> = match endpoint {
        Some(e) => (0..n)
            .map(|i| e.time[i].is_some() && e.event[i].is_some())
            .collect(),
        None => vec![true; n],
    };
    for c in columns {
        for (i, k) in keep.iter_mut().enumerate() {
            *k = *k && !c.is_missing(i);
        }
    }
    keep
}

fn rows_where(keep: &[bool]) -> Vec<usize> {
    (0..keep.len()).filter(|&i| keep[i]).collect()
}

/// The rows a survival analysis uses: complete on the endpoint and its columns.
struct Subset {
    /// In row order: what covariates and groups are built over (sequential reads).
    rows: Vec<usize>,
    /// In time order, each as its position in `rows`, with its time and event.
    sorted: Vec<u32>,
    time: Vec<f64>,
    event: Vec<bool>,
}

impl Subset {
    fn new(e: &EndpointData, columns: &[&Column]) -> Subset {
        let ordered = time_order(e);
        let _step = crate::progress::timed("  complete rows in time order");
        let n = e.time.len();
        let keep = complete(n, Some(e), columns);
        if keep.iter().all(|&k| k) {
            // Nothing missing, the usual case in a registry extract: the time order is
            // the subset's own.
            return Subset {
                rows: (0..n).collect(),
                sorted: ordered.order.clone(),
                time: ordered.time.clone(),
                event: ordered.event.clone(),
            };
        }
        let mut pos = vec![0u32; n];
        let mut rows = Vec::new();
        for i in 0..n {
            if keep[i] {
                pos[i] = rows.len() as u32;
                rows.push(i);
            }
        }
        let mut sorted = Vec::with_capacity(rows.len());
        let mut time = Vec::with_capacity(rows.len());
        let mut event = Vec::with_capacity(rows.len());
        for (k, &i) in ordered.order.iter().enumerate() {
            if keep[i as usize] {
                sorted.push(pos[i as usize]);
                time.push(ordered.time[k]);
                event.push(ordered.event[k]);
            }
        }
        Subset {
            rows,
            sorted,
            time,
            event,
        }
    }

    /// Per-row values (built over `rows`) put in time order.
    fn in_time_order<T: Copy + Default + Send + Sync>(&self, values: &[T], width: usize) -> Vec<T> {
        let mut out = vec![T::default(); self.sorted.len() * width];
        if width > 0 {
            out.par_chunks_mut(width)
                .zip(self.sorted.par_iter())
                .for_each(|(o, &k)| {
                    o.copy_from_slice(&values[k as usize * width..(k as usize + 1) * width])
                });
        }
        out
    }
}

/// The rows complete on the endpoint and the columns, in row order, with their times and
/// events: for the estimators that work from counts per time (Kaplan-Meier, log-rank),
/// which need no sort.
fn by_rows(cohort: &Cohort, e: &EndpointData, columns: &[&Column]) -> ByRows {
    let _step = crate::progress::timed("  complete rows");
    // A row standing for no patients (count 0) is no data: it must not make a group, a
    // time or a follow-up extreme.
    let mut keep = complete(e.time.len(), Some(e), columns);
    if let Some(count) = &cohort.count {
        for (k, &c) in keep.iter_mut().zip(count) {
            *k = *k && c > 0;
        }
    }
    let rows = rows_where(&keep);
    let time = rows.iter().map(|&i| e.time[i].expect("complete")).collect();
    let event = rows
        .iter()
        .map(|&i| e.event[i].expect("complete"))
        .collect();
    let weight: Option<Vec<u64>> = cohort
        .count
        .as_ref()
        .map(|c| rows.iter().map(|&i| c[i]).collect());
    let patients = weight
        .as_ref()
        .map_or(rows.len() as u64, |w| w.iter().sum());
    ByRows {
        dropped: cohort.patients() - patients,
        patients,
        rows,
        time,
        event,
        weight,
    }
}

/// Complete rows in row order, and with `data.count`, how many patients each stands for.
struct ByRows {
    rows: Vec<usize>,
    time: Vec<f64>,
    event: Vec<bool>,
    weight: Option<Vec<u64>>,
    /// Patients used, and dropped for missing values.
    patients: u64,
    dropped: u64,
}

/// The endpoint's complete rows sorted by time (ties in row order), with their times and
/// events: sorted once per endpoint, shared by its Cox models.
fn time_order(e: &EndpointData) -> &crate::data::TimeOrder {
    e.order.get_or_init(|| {
        let _step = crate::progress::timed("  sort an endpoint by time");
        let rows: Vec<u32> = (0..e.time.len() as u32)
            .filter(|&i| e.time[i as usize].is_some() && e.event[i as usize].is_some())
            .collect();
        let time: Vec<f64> = rows
            .iter()
            .map(|&i| e.time[i as usize].expect("complete"))
            .collect();
        let (time, order) = stats::sorted::sort_times(&time);
        let order: Vec<u32> = order.into_par_iter().map(|k| rows[k as usize]).collect();
        crate::data::TimeOrder {
            event: order
                .par_iter()
                .map(|&i| e.event[i as usize].expect("complete"))
                .collect(),
            time,
            order,
        }
    })
}

fn column<'a>(cohort: &'a Cohort, name: &str) -> &'a Column {
    cohort
        .columns
        .get(name)
        .expect("the data stage loads every column an analysis names")
}

fn endpoint<'a>(cohort: &'a Cohort, name: &str) -> &'a EndpointData {
    cohort.endpoints.get(name).expect("validated endpoint")
}

fn estimate(e: &Estimate) -> Value {
    json!({ "estimate": e.estimate, "lower": e.lower, "upper": e.upper })
}

fn chisq(t: &stats::ChisqTest) -> Value {
    json!({ "chisq": t.chisq, "df": t.df, "p": t.p })
}

/// Runs one analysis over the cohort: complete cases, the statistic, its JSON.
pub fn run_analysis(analysis: &Analysis, cohort: &Cohort) -> stats::Result<Value> {
    if cohort.count.is_some()
        && matches!(
            analysis,
            Analysis::Cox { .. } | Analysis::Describe { .. } | Analysis::Flow { .. }
        )
    {
        return Err(stats::StatsError(
            "the data are counts per row (`data.count`), and this analysis needs each patient's own values: Kaplan-Meier, log-rank and follow-up run on counts; Cox models, Table 1 and flows need patient-level data".into(),
        ));
    }
    Ok(match analysis {
        Analysis::Km {
            endpoint: ep,
            by,
            times,
            conf_type,
            conf_level,
        } => {
            let e = endpoint(cohort, ep);
            let by_col = by.as_deref().map(|b| column(cohort, b));
            let b = by_rows(cohort, e, &by_col.into_iter().collect::<Vec<_>>());
            let (rows, time, event) = (&b.rows, &b.time, &b.event);
            let (codes, labels) = match by_col {
                Some(c) => {
                    let (codes, labels) = c.groups(rows);
                    (Some(codes), labels)
                }
                None => (None, vec!["all".to_string()]),
            };
            let options = stats::KmOptions {
                conf_type: *conf_type,
                conf_level: *conf_level,
                times: times.clone(),
            };
            let curves =
                stats::kaplan_meier(time, event, codes.as_deref(), b.weight.as_deref(), &options)?;
            let strata: Vec<Value> = curves
                .iter()
                .zip(&labels)
                .map(|(c, label)| {
                    json!({
                        "label": label, "n": c.n, "events": c.events,
                        "median": estimate(&c.median), "at": c.at, "table": c.table,
                    })
                })
                .collect();
            json!({
                "kind": "km", "endpoint": ep, "by": by, "conf_type": conf_type.name(), "conf_level": conf_level,
                "n_dropped_missing": b.dropped, "strata": strata,
            })
        }
        Analysis::Logrank { endpoint: ep, by } => {
            let e = endpoint(cohort, ep);
            let c = column(cohort, by);
            let b = by_rows(cohort, e, &[c]);
            let (rows, time, event) = (&b.rows, &b.time, &b.event);
            let (codes, labels) = c.groups(rows);
            if labels.len() < 2 {
                let only = labels
                    .first()
                    .map(|l| format!(" (`{l}`)"))
                    .unwrap_or_default();
                return Err(stats::StatsError(format!(
                    "a log-rank test needs at least two groups, but `{by}` has one value{only} among the {} rows used",
                    rows.len()
                )));
            }
            let lr = stats::logrank(time, event, &codes, labels.len(), b.weight.as_deref())?;
            let groups: Vec<Value> = lr
                .groups
                .iter()
                .zip(&labels)
                .map(|((n, o, ex), label)| json!({ "label": label, "n": n, "observed": o, "expected": ex }))
                .collect();
            json!({
                "kind": "logrank", "endpoint": ep, "by": by, "n_dropped_missing": b.dropped,
                "chisq": lr.test.chisq, "df": lr.test.df, "p": lr.test.p, "groups": groups,
            })
        }
        Analysis::Cox {
            endpoint: ep,
            covariates,
            ties,
            conf_level,
            select: _,
        } => {
            let e = endpoint(cohort, ep);
            let cols: Vec<&Column> = covariates.iter().map(|c| column(cohort, c)).collect();
            let sub = Subset::new(e, &cols);
            let (rows, time, event) = (&sub.rows, &sub.time, &sub.event);
            let design = {
                let _step = crate::progress::timed("  cox design in time order");
                let mut design = design(&cols, rows)?;
                design.x = sub.in_time_order(&design.x, design.names.len());
                design
            };
            let fit = {
                let _step = crate::progress::timed("  cox fit, concordance, zph");
                stats::cox(time, event, design, *ties, *conf_level)?
            };
            let zph = fit.zph.as_ref().map(|(terms, global)| {
                let terms: Vec<Value> = terms
                    .iter()
                    .map(
                        |(name, t)| json!({ "term": name, "chisq": t.chisq, "df": t.df, "p": t.p }),
                    )
                    .collect();
                json!({ "transform": "km", "terms": terms, "global": chisq(global) })
            });
            json!({
                "kind": "cox", "endpoint": ep, "ties": ties.name(), "conf_level": conf_level, "covariates": covariates,
                "n": fit.n, "n_dropped_missing": cohort.n - rows.len(), "events": fit.events,
                "terms": fit.terms,
                "loglik": { "null": fit.loglik_null, "fitted": fit.loglik },
                "lr_test": chisq(&fit.lr), "wald_test": chisq(&fit.wald), "score_test": chisq(&fit.score),
                "concordance": { "estimate": fit.concordance.0, "se": fit.concordance.1 },
                "zph": zph, "iterations": fit.iterations, "warnings": fit.warnings,
            })
        }
        Analysis::Followup {
            endpoint: ep,
            conf_level,
        } => {
            let e = endpoint(cohort, ep);
            let b = by_rows(cohort, e, &[]);
            let (time, event) = (&b.time, &b.event);
            let median = stats::reverse_km_median(time, event, b.weight.as_deref(), *conf_level)?;
            let min = time.iter().copied().reduce(f64::min);
            let max = time.iter().copied().reduce(f64::max);
            json!({
                "kind": "followup", "endpoint": ep, "n": b.patients, "n_dropped_missing": b.dropped,
                "reverse_km_median": median.estimate, "lower": median.lower, "upper": median.upper,
                "min": min, "max": max,
            })
        }
        Analysis::Describe { variables, by } => describe_table(cohort, variables, by.as_deref()),
        Analysis::Flow { steps, by } => flow(cohort, steps, by.as_deref()),
    })
}

/// Counts through a patient flow: each step keeps the rows passing its filter and every
/// filter before it; the last step's rows are split by `by` when given.
fn flow(cohort: &Cohort, steps: &[crate::spec::FlowStep], by: Option<&str>) -> Value {
    let mut keep = vec![true; cohort.n];
    let mut previous = cohort.n;
    let mut out = Vec::new();
    for step in steps {
        if let Some(filter) = &step.filter {
            let mask = &cohort.masks[filter];
            keep.iter_mut().zip(mask).for_each(|(k, m)| *k &= *m);
        }
        let n = keep.iter().filter(|k| **k).count();
        let excluded = step
            .excluded
            .as_ref()
            .map(|label| json!({ "label": label, "n": previous - n }));
        out.push(json!({ "label": step.label, "n": n, "excluded": excluded }));
        previous = n;
    }
    let groups: Vec<Value> = match by.map(|b| column(cohort, b)) {
        Some(col) => {
            let rows: Vec<usize> = (0..cohort.n)
                .filter(|&i| keep[i] && !col.is_missing(i))
                .collect();
            let (codes, labels) = col.groups(&rows);
            let mut groups: Vec<Value> = labels
                .iter()
                .enumerate()
                .map(|(g, l)| json!({ "label": l, "n": codes.iter().filter(|&&c| c as usize == g).count() }))
                .collect();
            let missing = previous - rows.len();
            if missing > 0 {
                groups.push(json!({ "label": "missing", "n": missing }));
            }
            groups
        }
        None => Vec::new(),
    };
    json!({ "kind": "flow", "by": by, "steps": out, "groups": groups })
}

/// The Cox design: numbers and booleans as they are, categories as indicator columns
/// against their reference level (the declared `ref`, else the first level present).
fn design(cols: &[&Column], rows: &[usize]) -> stats::Result<stats::Design> {
    // Per covariate, how each row fills its columns: the value itself, or a 0/1
    // indicator per non-reference level present.
    enum Fill<'a> {
        Num(&'a [Option<f64>]),
        Bool(&'a [Option<bool>]),
        Cat(&'a [Option<u32>], Vec<u32>),
    }
    let mut names = Vec::new();
    let mut covariates = Vec::new();
    let mut fills = Vec::new();
    for col in cols {
        let start = names.len();
        match &col.values {
            Values::Num(v) => {
                names.push(col.name.clone());
                fills.push(Fill::Num(v));
            }
            Values::Bool(v) => {
                names.push(col.name.clone());
                fills.push(Fill::Bool(v));
            }
            Values::Cat {
                codes,
                levels,
                reference,
            } => {
                let mut seen = vec![false; levels.len()];
                for &i in rows {
                    seen[codes[i].expect("complete row") as usize] = true;
                }
                let present: Vec<usize> = (0..levels.len()).filter(|&l| seen[l]).collect();
                if present.len() < 2 {
                    return Err(stats::StatsError(format!(
                        "covariate `{}` has a single level among the rows used, so its effect cannot be estimated",
                        col.name
                    )));
                }
                let reference = if present.contains(reference) {
                    *reference
                } else {
                    present[0]
                };
                let shown: Vec<u32> = present
                    .into_iter()
                    .filter(|&l| l != reference)
                    .map(|l| l as u32)
                    .collect();
                for &l in &shown {
                    names.push(format!("{}={}", col.name, levels[l as usize]));
                }
                fills.push(Fill::Cat(codes, shown));
            }
        }
        covariates.push((col.name.clone(), (start..names.len()).collect()));
    }
    let p = names.len();
    let mut x = vec![0.0; rows.len() * p];
    x.par_chunks_mut(p.max(1))
        .zip(rows.par_iter())
        .for_each(|(out, &i)| {
            let mut j = 0;
            for fill in &fills {
                match fill {
                    Fill::Num(v) => {
                        out[j] = v[i].expect("complete row");
                        j += 1;
                    }
                    Fill::Bool(v) => {
                        out[j] = v[i].expect("complete row") as u8 as f64;
                        j += 1;
                    }
                    Fill::Cat(codes, shown) => {
                        let code = codes[i].expect("complete row");
                        for &l in shown {
                            out[j] = (code == l) as u8 as f64;
                            j += 1;
                        }
                    }
                }
            }
        });
    Ok(stats::Design {
        x,
        rows: rows.len(),
        names,
        covariates,
    })
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

fn describe_table(cohort: &Cohort, variables: &[String], by: Option<&str>) -> Value {
    let by_col = by.map(|b| column(cohort, b));
    let rows = complete_rows(cohort, &by_col.into_iter().collect::<Vec<_>>());
    let (codes, labels) = match by_col {
        Some(c) => c.groups(&rows),
        None => (vec![0; rows.len()], vec![]),
    };
    let k = labels.len();
    let groups: Vec<Value> = labels
        .iter()
        .enumerate()
        .map(
            |(g, l)| json!({ "label": l, "n": codes.iter().filter(|&&c| c as usize == g).count() }),
        )
        .collect();
    let vars: Vec<Value> = variables
        .iter()
        .map(|name| {
            let col = column(cohort, name);
            let present: Vec<usize> = (0..rows.len())
                .filter(|&r| !col.is_missing(rows[r]))
                .collect();
            let missing = rows.len() - present.len();
            let group_of = |r: usize| codes[r] as usize;
            if is_categorical(col, &rows) {
                categorical(name, col, &rows, &present, missing, k, &labels, &group_of)
            } else {
                continuous(name, col, &rows, &present, missing, k, &labels, &group_of)
            }
        })
        .collect();
    json!({
        "kind": "describe", "by": by, "n": rows.len(), "n_dropped_missing": cohort.n - rows.len(),
        "groups": groups, "variables": vars,
    })
}

#[allow(clippy::too_many_arguments)]
fn continuous(
    name: &str,
    col: &Column,
    rows: &[usize],
    present: &[usize],
    missing: usize,
    k: usize,
    labels: &[String],
    group_of: &dyn Fn(usize) -> usize,
) -> Value {
    let Values::Num(v) = &col.values else {
        unreachable!("only numbers are continuous")
    };
    let value = |r: usize| v[rows[r]].expect("present");
    let all: Vec<f64> = present.iter().map(|&r| value(r)).collect();
    let mut per_group: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut missing_per_group = vec![0usize; k];
    for r in 0..rows.len() {
        if k > 0 {
            match v[rows[r]] {
                Some(x) if !x.is_nan() => per_group[group_of(r)].push(x),
                _ => missing_per_group[group_of(r)] += 1,
            }
        }
    }
    let groups: Vec<Value> = (0..k)
        .map(|g| json!({ "label": labels[g], "n": per_group[g].len(), "missing": missing_per_group[g], "stats": describe::summary(&per_group[g]) }))
        .collect();
    let test = (k >= 2 && per_group.iter().all(|g| !g.is_empty())).then(|| {
        if k == 2 {
            let t = tests::wilcox(&per_group[0], &per_group[1]);
            json!({ "method": "wilcox.test", "statistic": t.statistic, "df": null, "p": t.p })
        } else {
            let values: Vec<f64> = per_group.concat();
            let codes: Vec<u32> = per_group
                .iter()
                .enumerate()
                .flat_map(|(g, xs)| std::iter::repeat_n(g as u32, xs.len()))
                .collect();
            let t = tests::kruskal(&values, &codes, k);
            json!({ "method": "kruskal.test", "statistic": t.statistic, "df": t.df, "p": t.p })
        }
    });
    json!({
        "label": name, "type": "continuous", "n": all.len(), "missing": missing,
        "stats": describe::summary(&all), "groups": groups, "test": test,
    })
}

#[allow(clippy::too_many_arguments)]
fn categorical(
    name: &str,
    col: &Column,
    rows: &[usize],
    present: &[usize],
    missing: usize,
    k: usize,
    labels: &[String],
    group_of: &dyn Fn(usize) -> usize,
) -> Value {
    let present_rows: Vec<usize> = present.iter().map(|&r| rows[r]).collect();
    let (level_codes, levels) = col.groups(&present_rows);
    let n = present.len();
    let mut counts = vec![vec![0u64; k.max(1)]; levels.len()];
    let mut group_n = vec![0u64; k.max(1)];
    for (idx, &r) in present.iter().enumerate() {
        let g = if k > 0 { group_of(r) } else { 0 };
        counts[level_codes[idx] as usize][g] += 1;
        group_n[g] += 1;
    }
    let mut missing_per_group = vec![0usize; k];
    for r in 0..rows.len() {
        if k > 0 && col.is_missing(rows[r]) {
            missing_per_group[group_of(r)] += 1;
        }
    }
    let pct = |a: u64, b: u64| {
        if b == 0 {
            None
        } else {
            Some(100.0 * a as f64 / b as f64)
        }
    };
    let level_values: Vec<Value> = levels
        .iter()
        .enumerate()
        .map(|(l, label)| {
            let total: u64 = counts[l].iter().sum();
            let groups: Vec<Value> = (0..k).map(|g| json!({ "label": labels[g], "n": counts[l][g], "pct": pct(counts[l][g], group_n[g]) })).collect();
            json!({ "label": label, "n": total, "pct": pct(total, n as u64), "groups": groups })
        })
        .collect();
    let groups: Vec<Value> = (0..k)
        .map(|g| json!({ "label": labels[g], "n": group_n[g], "missing": missing_per_group[g] }))
        .collect();
    let test = (k >= 2 && levels.len() >= 2 && group_n.iter().all(|&c| c > 0)).then(|| {
        let expected = tests::expected(&counts);
        if expected.iter().flatten().any(|&e| e < 5.0) {
            // Past ten million tables an exact answer would take too long; say so.
            match tests::fisher(&counts, 10_000_000) {
                Some(p) => {
                    json!({ "method": "fisher.test", "statistic": null, "df": null, "p": p })
                }
                None => json!({ "method": "fisher.test", "statistic": null, "df": null, "p": null,
                                "note": "too many tables to enumerate for an exact test" }),
            }
        } else {
            let t = tests::chisq(&counts);
            json!({ "method": "chisq.test", "statistic": t.statistic, "df": t.df, "p": t.p })
        }
    });
    json!({
        "label": name, "type": "categorical", "n": n, "missing": missing,
        "levels": level_values, "groups": groups, "test": test,
    })
}

/// The value a claim's path names: object keys by name, list elements by their `label`,
/// `time` or `term`. `Ok(None)` when the path exists but holds no number (null).
pub fn lookup(
    analyses: &IndexMap<String, Value>,
    path: &str,
) -> std::result::Result<Option<f64>, String> {
    let mut segments = path.split('/');
    let first = segments.next().unwrap_or("");
    let mut here = analyses
        .get(first)
        .ok_or_else(|| format!("no analysis `{first}`"))?;
    let mut walked = first.to_string();
    for seg in segments {
        here = match here {
            Value::Object(map) => match map.get(seg) {
                Some(v) => v,
                None => {
                    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                    let hint = crate::error::nearest(seg, keys.iter().copied())
                        .map(|b| format!("; did you mean `{b}`?"))
                        .unwrap_or_default();
                    return Err(format!(
                        "`{walked}` has no key `{seg}` (it has: {}){hint}",
                        keys.join(", ")
                    ));
                }
            },
            Value::Array(items) => {
                let found = items.iter().find(|item| {
                    ["label", "term"]
                        .iter()
                        .any(|k| item.get(k).and_then(Value::as_str) == Some(seg))
                        || item
                            .get("time")
                            .and_then(Value::as_f64)
                            .zip(seg.parse::<f64>().ok())
                            .is_some_and(|(a, b)| a == b)
                });
                match found {
                    Some(v) => v,
                    None => {
                        let names: Vec<String> = items
                            .iter()
                            .filter_map(|i| {
                                i.get("label").or(i.get("term")).or(i.get("time")).map(|v| {
                                    v.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| v.to_string())
                                })
                            })
                            .collect();
                        return Err(format!(
                            "`{walked}` has no element `{seg}` (it has: {})",
                            names.join(", ")
                        ));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "`{walked}` is a value, so `{seg}` cannot follow it"
                ));
            }
        };
        walked = format!("{walked}/{seg}");
    }
    match here {
        Value::Number(n) => Ok(n.as_f64()),
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b as u8 as f64)),
        _ => Err(format!(
            "`{walked}` is not a number; a claim must point at one value"
        )),
    }
}

/// A claim's outcome, as `check --json` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimResult {
    pub id: String,
    pub result: Option<String>,
    pub reported: f64,
    pub reproduced: Option<f64>,
    pub tolerance: f64,
    pub within: bool,
    #[serde(skip)]
    pub must: bool,
}

/// Evaluates every claim; a path that names nothing is a spec error.
pub fn claims(study: &Study, results: &Results) -> Result<Vec<ClaimResult>> {
    study
        .spec
        .claims
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let reproduced = match &c.result {
                Some(path) => lookup(&results.analyses, path).map_err(|e| {
                    study.error_at(
                        &[Seg::Key("claims"), Seg::Index(i), Seg::Key("result")],
                        format!("claim `{}`: {e}", c.id),
                    )
                })?,
                None => None,
            };
            let within = reproduced.is_some_and(|r| match c.compare {
                crate::spec::Compare::Within => {
                    (r - c.reported).abs() <= c.tolerance * (1.0 + 1e-12) + 1e-15
                }
                crate::spec::Compare::Below => r < c.reported,
                crate::spec::Compare::Above => r > c.reported,
            });
            Ok(ClaimResult {
                id: c.id.clone(),
                result: c.result.clone(),
                reported: c.reported,
                reproduced,
                tolerance: c.tolerance,
                within,
                // A number the data cannot reproduce cannot fail the check.
                must: c.must && c.result.is_some(),
            })
        })
        .collect()
}
