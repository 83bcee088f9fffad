//! Running a study's analyses: independent ones side by side, the long ones first, and
//! those that read other results after them; results are taken in spec order, so the
//! output (and the first error) is as if each ran in turn.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use indexmap::IndexMap;

use super::{KINDS, Outcome, Planned, RunCx};
use crate::data::Cohort;
use crate::error::{Error, Result};
use crate::present::format;
use crate::results::{Meta, Results, Warning};
use crate::spec::{Seg, Study};
use crate::stats::StatsError;

/// Runs every analysis of the study over the cohort.
pub fn run(
    study: &Study,
    cohort: &Cohort,
    build_id: &str,
    inputs: IndexMap<String, String>,
) -> Result<(Results, Vec<Warning>)> {
    let list = &study.analyses;
    let mut ran = in_parallel(list, cohort);
    let mut analyses: IndexMap<String, Outcome> = IndexMap::new();
    let mut warnings = Vec::new();
    for (k, planned) in list.iter().enumerate() {
        let outcome = match ran[k].take() {
            Some(outcome) => outcome,
            None => run_one(planned, &RunCx::new(cohort, &analyses)),
        }
        .map_err(|e| failed(study, planned, e))?;
        warnings.extend(outcome.warnings.iter().map(|w| Warning {
            analysis: planned.id.clone(),
            message: w.clone(),
        }));
        analyses.insert(planned.id.clone(), outcome);
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

/// The analyses that read no other results, run on every core. The long ones go first,
/// so that one thread starts on the longest job while the others work through the rest.
/// The jobs are handed out by plain threads rather than as rayon tasks: a rayon worker
/// waiting inside one analysis's parallel loop may take up a whole other analysis, which
/// would hold up the longest one.
fn in_parallel(
    list: &[Planned],
    cohort: &Cohort,
) -> Vec<Option<std::result::Result<Outcome, StatsError>>> {
    let mut jobs: Vec<usize> = (0..list.len())
        .filter(|&k| list[k].analysis.reads().is_empty())
        .collect();
    jobs.sort_by_key(|&k| !list[k].analysis.long());
    let ran: Vec<Mutex<Option<_>>> = (0..list.len()).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let nothing = IndexMap::new();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&k) = jobs.get(j) else { break };
                    let cx = RunCx::new(cohort, &nothing);
                    let outcome = run_one(&list[k], &cx);
                    *ran[k].lock().expect("no panic while held") = Some(outcome);
                }
            });
        }
    });
    ran.into_iter()
        .map(|m| m.into_inner().expect("no panic while held"))
        .collect()
}

/// Runs one analysis: refused on count data unless it can use them.
pub fn run_one(planned: &Planned, cx: &RunCx) -> std::result::Result<Outcome, StatsError> {
    let on_counts = super::kind(planned.kind).is_some_and(|e| e.on_counts);
    if let Some(db) = &cx.cohort.database
        && !on_counts
        && planned.kind != <super::cox::Cox as super::Kind>::NAME
    {
        let nouns: Vec<String> = KINDS
            .iter()
            .filter(|k| k.on_counts)
            .map(|k| k.noun.to_string())
            .chain(["Cox models".to_string()])
            .collect();
        return Err(StatsError(format!(
            "the cohort is in a {}, where the server computes the aggregates the statistics need, and this kind of analysis is not yet computed from aggregates: {} are",
            db.name,
            format::list(&nouns)
        )));
    }
    if cx.cohort.count.is_some() && !on_counts && cx.cohort.database.is_none() {
        let nouns = |on: bool| -> Vec<String> {
            KINDS
                .iter()
                .filter(|k| k.on_counts == on)
                .map(|k| k.noun.to_string())
                .collect()
        };
        return Err(StatsError(format!(
            "the data are counts per row (`data.count`), and this analysis needs each patient's own values: {} run on counts; {} need patient-level data",
            format::list(&nouns(true)),
            format::list(&nouns(false))
        )));
    }
    let _step = crate::progress::timed(format!("analysis {}", planned.id));
    match planned.analysis.scope() {
        Some(scope) if !scope.is_empty() => {
            let (cohort, result) =
                super::scope::scoped(cx.cohort, planned.analysis.as_ref(), scope)?;
            planned.analysis.run(&RunCx {
                cohort: &cohort,
                done: cx.done,
                scope: result,
            })
        }
        Some(scope) => planned.analysis.run(&RunCx {
            cohort: cx.cohort,
            done: cx.done,
            scope: scope.unscoped(),
        }),
        None => planned.analysis.run(cx),
    }
}

/// A statistic that could not be computed, placed at its analysis in the spec.
fn failed(study: &Study, planned: &Planned, e: StatsError) -> Error {
    let id = &planned.id;
    study
        .error_at(
            &[Seg::Key("analyses"), Seg::Key(id)],
            format!("analysis `{id}`: {e}"),
        )
        .caused_by(e)
}
