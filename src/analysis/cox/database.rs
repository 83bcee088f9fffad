//! A Cox model of a cohort in a database, fitted without its rows: the server stages the
//! model's complete rows and, at each Newton step, sums the risk scores per time
//! (`data::database::cox`); the iterations, tests and intervals are those of the
//! in-memory fit (`stats::cox`), so the numbers agree with it to rounding.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::Cox;
use crate::data::InDatabase;
use crate::data::database::SqlKind;
use crate::data::database::cox::{self as sql, Stage, Step, Term};
use crate::spec::ColType;
use crate::stats::coxfit::TimeSums;
use crate::stats::{self, StatsError};

/// A model fitted where its rows are, and each category's reference level.
pub struct InDatabaseFit {
    pub fit: stats::CoxFit,
    pub references: Vec<(String, String)>,
    /// How far the concordance, from counts per band of the linear predictor, can be
    /// from the exact one.
    pub concordance_bound: Option<f64>,
}

/// How one covariate is read: as a number (its own term) or as a category (a term per
/// level but its reference).
enum Read {
    Number(usize),
    Category(usize),
}

pub fn fit(
    cox: &Cox,
    cohort: &crate::data::Cohort,
    db: &InDatabase,
    covariates: &[String],
) -> Result<InDatabaseFit, StatsError> {
    refuse_what_is_not_summed(cox)?;
    let failed =
        |e: crate::data::database::DbError| StatsError(format!("{}: {}", db.name, e.message));
    let mut client = db.source.connect().map_err(failed)?;

    let endpoint = endpoint_map(db, &cohort.endpoints[&cox.endpoint], &cox.endpoint);
    let endpoint_columns: Vec<&str> = db.endpoint_columns[&cox.endpoint]
        .iter()
        .map(String::as_str)
        .collect();

    let kind_of: HashMap<&str, SqlKind> =
        db.columns.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    let mut numbers: Vec<(&str, SqlKind)> = Vec::new();
    let mut texts: Vec<&str> = Vec::new();
    let mut reads = Vec::new();
    for c in covariates {
        let declared = db.declared.get(c).map(|d| d.col_type);
        let kind = kind_of[c.as_str()];
        match (declared, kind) {
            (Some(ColType::Category) | Some(ColType::String), _) | (None, SqlKind::Text) => {
                reads.push(Read::Category(texts.len()));
                texts.push(c);
            }
            (Some(ColType::Date), _) => {
                return Err(StatsError(format!(
                    "covariate `{c}` is a date, which a model fitted in the database does not take; give it as a number (days since a date) in the query"
                )));
            }
            (Some(ColType::Bool), SqlKind::Text) => {
                return Err(StatsError(format!(
                    "covariate `{c}` is declared bool but the database holds it as text; store it as boolean or 0/1"
                )));
            }
            _ => {
                reads.push(Read::Number(numbers.len()));
                numbers.push((c, kind));
            }
        }
    }
    let strata: Vec<&str> = cox.strata.iter().map(String::as_str).collect();
    let from = crate::data::database::from(db.source.relation());
    let staging = crate::progress::timed("  server: stage the model's rows");
    sql::stage(
        &mut client,
        &Stage {
            from: &from,
            endpoint_columns: &endpoint_columns,
            endpoint: &endpoint,
            numbers: &numbers,
            texts: &texts,
            strata: &strata,
        },
    )
    .map_err(failed)?;
    drop(staging);

    // The design's terms, named as the in-memory design names them.
    let mut terms = Vec::new();
    let mut names = Vec::new();
    let mut references = Vec::new();
    for (c, read) in covariates.iter().zip(&reads) {
        match read {
            Read::Number(j) => {
                terms.push(Term::Number(*j));
                names.push(c.clone());
            }
            Read::Category(j) => {
                let present = sql::levels(&mut client, *j).map_err(failed)?;
                let (reference, shown) = split_levels(db, c, present)?;
                for level in shown {
                    names.push(format!("{c}={level}"));
                    terms.push(Term::Level { text: *j, level });
                }
                references.push((c.clone(), reference));
            }
        }
    }

    let summary = crate::progress::timed("  server: the terms' sums and ranges");
    let described = sql::describe(&mut client, &terms).map_err(failed)?;
    if described.n > 0
        && let Some(j) = (0..terms.len()).find(|&j| described.min[j] == described.max[j])
    {
        return Err(stats::cox::constant_term(&names[j]));
    }
    // R's centring and scaling, from the server's sums.
    let n = described.n as f64;
    let means: Vec<f64> = (0..terms.len())
        .map(|j| {
            if described.centred[j] {
                described.sum[j] / n
            } else {
                0.0
            }
        })
        .collect();
    let deviations = sql::absolute_deviations(&mut client, &terms, &means).map_err(failed)?;
    drop(summary);
    let scale: Vec<f64> = (0..terms.len())
        .map(|j| {
            if described.centred[j] && deviations[j] > 0.0 {
                n / deviations[j]
            } else {
                1.0
            }
        })
        .collect();
    // The largest |x| on the centred and scaled covariates bounds every linear predictor.
    let reach: Vec<f64> = (0..terms.len())
        .map(|j| {
            let lo = (described.min[j] - means[j]) * scale[j];
            let hi = (described.max[j] - means[j]) * scale[j];
            lo.abs().max(hi.abs())
        })
        .collect();
    let step = Step::prepare(&mut client, &terms, &means, &scale, strata.len()).map_err(failed)?;
    let mut hash = Sha256::new();
    let model = stats::cox::Summed {
        names,
        n: described.n,
        events: described.events,
        means: means.clone(),
        scale,
    };
    let mut fitted = stats::cox::cox_by_sums(&model, cox.ties, cox.conf_level, |beta| {
        // exp overflows past 709: the risk scores are scaled down only when some linear
        // predictor could come near it, so that ordinary models add R's very numbers.
        let bound: f64 = beta.iter().zip(&reach).map(|(b, r)| b.abs() * r).sum();
        let shift = if bound > 600.0 { bound - 600.0 } else { 0.0 };
        let sums = {
            let _step = crate::progress::timed("  server: the sums of a Newton step");
            step.run(&mut client, beta, shift)?
        };
        fingerprint(&mut hash, &sums);
        Ok::<_, crate::data::database::DbError>((sums, shift))
    })?
    .map_err(failed)?;
    // The concordance from counts per (time, event, band of the linear predictor): as
    // many bands as keep the counts to about two million rows.
    let times = endpoint
        .iter()
        .map(|e| e.1)
        .max()
        .map_or(1, |k| k as usize + 1);
    let wanted = (2_000_000 / (2 * times)).clamp(64, 4096);
    let beta: Vec<f64> = fitted.terms.iter().map(|t| t.coef.unwrap_or(0.0)).collect();
    let (counts, bands) = {
        let _step = crate::progress::timed("  server: counts for the concordance");
        sql::bands(
            &mut client,
            &terms,
            &means,
            &beta,
            wanted,
            described.n,
            strata.len(),
        )
        .map_err(failed)?
    };
    let banded = stats::concordance_counts::concordance_counts(&counts, bands);
    let mut bytes = Vec::new();
    for (k, s, b, n) in counts.iter().flatten() {
        bytes.extend(k.to_le_bytes());
        bytes.push(*s as u8);
        bytes.extend(b.to_le_bytes());
        bytes.extend(n.to_le_bytes());
    }
    hash.update(&bytes);
    fitted.concordance = (banded.map(|b| b.estimate), None);
    {
        // Dropped now, not when the session ends, so that the server frees the rows'
        // copy before the next model stages its own.
        let _step = crate::progress::timed("  server: drop the staged rows");
        drop(step);
        sql::unstage(&mut client).map_err(failed)?;
        drop(client);
    }
    db.record(
        format!("cox {} ~ {}", cox.endpoint, covariates.join(" + ")),
        crate::hash::hex(&hash.finalize()),
    );
    Ok(InDatabaseFit {
        fit: fitted,
        references,
        concordance_bound: banded.map(|b| b.bound),
    })
}

/// What a model fitted from per-time sums cannot be: one that rewrites the rows
/// (a landmark, a cause, administrative censoring of its own), or one whose variance
/// needs each patient's residual (robust, clustered) or weight.
fn refuse_what_is_not_summed(cox: &Cox) -> Result<(), StatsError> {
    let mut asked = Vec::new();
    if cox.scope.landmark.is_some() {
        asked.push("`landmark`");
    }
    if cox.scope.cause.is_some() {
        asked.push("`cause`");
    }
    if cox.scope.censor_at.is_some() {
        asked.push("`censor_at` (give it on the endpoint instead)");
    }
    if cox.weights.is_some() {
        asked.push("`weights`");
    }
    if cox.cluster.is_some() || cox.robust == Some(true) {
        asked.push("a robust variance (`robust`, `cluster`)");
    }
    if asked.is_empty() {
        return Ok(());
    }
    Err(StatsError(format!(
        "a Cox model of a cohort in a database is fitted from per-time sums, which do not carry {}; fit it from a file of the rows",
        crate::present::format::list(&asked.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    )))
}

/// Each complete combination of the endpoint's columns, as the server printed them, with
/// its time's index among the distinct times (ascending, after R's `timefix`) and its
/// event: read off the cohort's counts, whose rows the endpoint was read from.
fn endpoint_map(
    db: &InDatabase,
    data: &crate::data::EndpointData,
    endpoint: &str,
) -> Vec<(Vec<Option<String>>, u32, bool)> {
    let (header, cells) = &*db.groups;
    let at: Vec<usize> = db.endpoint_columns[endpoint]
        .iter()
        .map(|c| header.iter().position(|h| h == c).expect("counted over"))
        .collect();
    let mut seen: HashMap<Vec<Option<String>>, (f64, bool)> = HashMap::new();
    for (i, row) in cells.iter().enumerate() {
        if let (Some(t), Some(e)) = (data.time[i], data.event[i]) {
            let key: Vec<Option<String>> = at.iter().map(|&j| row[j].clone()).collect();
            seen.entry(key).or_insert((t, e));
        }
    }
    let mut times: Vec<f64> = seen.values().map(|v| v.0).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut fixed = times.clone();
    stats::sorted::timefix(&mut fixed);
    // After timefix, times made equal share an index.
    let mut index = Vec::with_capacity(times.len());
    let mut k = 0u32;
    for (i, t) in fixed.iter().enumerate() {
        if i > 0 && *t != fixed[i - 1] {
            k += 1;
        }
        index.push(k);
    }
    let of = |t: f64| index[times.binary_search_by(|x| x.total_cmp(&t)).expect("listed")];
    let mut out: Vec<(Vec<Option<String>>, u32, bool)> = seen
        .into_iter()
        .map(|(key, (t, e))| (key, of(t), e))
        .collect();
    out.sort();
    out
}

/// A category's reference level and the levels shown against it, from the levels present
/// among the model's rows: declared levels in their order (a value outside them is an
/// error, as for a file), else in byte order; the declared `ref` when present, else the
/// first level present.
fn split_levels(
    db: &InDatabase,
    column: &str,
    present: Vec<(String, u64)>,
) -> Result<(String, Vec<String>), StatsError> {
    let declared = db.declared.get(column);
    let present: Vec<String> = present.into_iter().map(|(l, _)| l).collect();
    let ordered: Vec<String> = match declared.and_then(|d| d.levels.as_ref()) {
        Some(levels) => {
            if let Some(bad) = present.iter().find(|l| !levels.contains(l)) {
                return Err(StatsError(format!(
                    "column `{column}` has a value outside its declared levels [{}]: `{bad}`",
                    levels.join(", ")
                )));
            }
            levels
                .iter()
                .filter(|l| present.contains(l))
                .cloned()
                .collect()
        }
        None => present,
    };
    if ordered.len() < 2 {
        return Err(super::design::single_level(column));
    }
    let reference = declared
        .and_then(|d| d.reference.clone())
        .filter(|r| ordered.contains(r))
        .unwrap_or_else(|| ordered[0].clone());
    let shown = ordered.into_iter().filter(|l| *l != reference).collect();
    Ok((reference, shown))
}

/// Adds a step's sums, bit for bit, to the hash of the aggregates the model used.
fn fingerprint(hash: &mut Sha256, strata: &[Vec<TimeSums>]) {
    for (s, times) in strata.iter().enumerate() {
        hash.update((s as u64).to_le_bytes());
        for t in times {
            hash.update((t.deaths as u64).to_le_bytes());
            let values = [t.all.0, t.tied.0, t.eta]
                .into_iter()
                .chain(t.all.1.iter().copied())
                .chain(t.all.2.iter().copied())
                .chain(t.tied.1.iter().copied())
                .chain(t.tied.2.iter().copied())
                .chain(t.x.iter().copied());
            for v in values {
                hash.update(v.to_bits().to_le_bytes());
            }
        }
    }
}
