//! Which rows and times an analysis uses beyond its complete cases: a `where` filter, a
//! landmark, one cause of a competing-risks endpoint, administrative censoring.
//!
//! A scoped analysis runs over a cohort of its own, cut down to the rows it keeps and with
//! its endpoint's times and events rewritten, so that the kinds need not know which of
//! these options were given: a Kaplan-Meier curve after a landmark is a Kaplan-Meier curve.

use serde::Serialize;

use super::{Analysis, ParseCx};
use crate::data::{Cohort, EndpointData};
use crate::error::Result;
use crate::stats::StatsError;

/// The options as planned. `cause` keeps the cause's name and its code in the data
/// stage's numbering (1 for the first declared).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    pub where_: Option<String>,
    pub landmark: Option<f64>,
    pub cause: Option<(String, u8)>,
    pub censor_at: Option<f64>,
}

/// What `results.json` says of an analysis's scope: the options as given (null when not
/// used) and how many patients each removed, beside the missing-value count.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScopeResult {
    pub cause: Option<String>,
    #[serde(rename = "where")]
    pub where_: Option<String>,
    pub landmark: Option<f64>,
    pub censor_at: Option<f64>,
    pub n_dropped_where: Option<u64>,
    pub n_dropped_landmark: Option<u64>,
}

/// The part of [`ScopeResult`] for analyses that take only `where`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WhereResult {
    #[serde(rename = "where")]
    pub where_: Option<String>,
    pub n_dropped_where: Option<u64>,
}

impl ScopeResult {
    pub fn where_only(&self) -> WhereResult {
        WhereResult {
            where_: self.where_.clone(),
            n_dropped_where: self.n_dropped_where,
        }
    }
}

impl Scope {
    /// Plans the options an analysis of endpoint `endpoint` was given. A competing-risks
    /// endpoint needs `cause` unless `needs_cause` is false (the kinds that model every
    /// cause at once).
    pub fn plan(
        cx: &ParseCx,
        endpoint: Option<&str>,
        where_: Option<String>,
        landmark: Option<f64>,
        cause: Option<String>,
        censor_at: Option<f64>,
    ) -> Result<Scope> {
        let id = cx.id;
        if let Some(w) = &where_
            && w.trim().is_empty()
        {
            return Err(cx
                .error_at(&["where"], format!("analysis `{id}`: `where` is empty"))
                .hint("write a SQL condition, e.g. \"age > 60\", or leave the key out"));
        }
        for (key, value) in [("landmark", landmark), ("censor_at", censor_at)] {
            if let Some(t) = value
                && !(t.is_finite() && t >= 0.0)
            {
                return Err(cx.error_at(
                    &[key],
                    format!("analysis `{id}`: `{key}` {t} is not a finite time ≥ 0"),
                ));
            }
        }
        if let (Some(l), Some(c)) = (landmark, censor_at)
            && c <= l
        {
            return Err(cx
                .error_at(
                    &["censor_at"],
                    format!(
                        "analysis `{id}`: `censor_at` {c} is not after the landmark {l}, so no follow-up would remain"
                    ),
                )
                .hint("both are times from the endpoint's origin: censor_at must be later"));
        }
        let endpoint_censor = endpoint
            .and_then(|e| cx.study.spec.endpoints.get(e))
            .and_then(|e| e.censor_at);
        if let (Some(l), Some(c)) = (landmark, endpoint_censor)
            && c <= l
        {
            return Err(cx
                .error_at(
                    &["landmark"],
                    format!(
                        "analysis `{id}`: the landmark {l} is not before the endpoint's `censor_at` {c}, so no follow-up would remain"
                    ),
                )
                .hint("a landmark must come before the administrative censoring"));
        }
        let censor_at = match (censor_at, endpoint_censor) {
            // Both apply: the earlier one is what the data see.
            (Some(a), Some(e)) => Some(a.min(e)),
            (a, _) => a,
        };
        let causes = endpoint.map(|e| cx.causes(e)).unwrap_or_default();
        let cause = match (cause, causes.is_empty()) {
            (None, true) => None,
            (None, false) => {
                let e = endpoint.expect("causes come from an endpoint");
                return Err(cx
                    .error(format!(
                        "analysis `{id}`: endpoint `{e}` has competing risks ({}); say which cause this analysis is of with `cause:`",
                        causes.join(", ")
                    ))
                    .hint(format!(
                        "with `cause: {}` the other causes are censored (cause-specific); for the probability of each cause use `kind: cuminc`, since 1 − Kaplan-Meier treats patients who died of another cause as if they could still have the event, and overstates it",
                        causes[0]
                    )));
            }
            (Some(c), _) => Some(cx.cause(endpoint, &c, &causes)?),
        };
        Ok(Scope {
            where_,
            landmark,
            cause,
            censor_at,
        })
    }

    /// A scope with only `where`, for the kinds that take no other option.
    pub fn where_only(where_: Option<String>) -> Scope {
        Scope {
            where_,
            ..Scope::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Scope::default()
    }

    /// The result fields for an analysis that was not scoped.
    pub fn unscoped(&self) -> ScopeResult {
        ScopeResult {
            cause: self.cause.as_ref().map(|c| c.0.clone()),
            where_: self.where_.clone(),
            landmark: self.landmark,
            censor_at: self.censor_at,
            n_dropped_where: None,
            n_dropped_landmark: None,
        }
    }
}

/// The cohort an analysis with a scope runs over: the rows `where` keeps and (with a
/// landmark) those still under follow-up after it, with the columns the analysis reads
/// and its endpoint rewritten; and the counts of what was removed.
pub fn scoped(
    cohort: &Cohort,
    analysis: &dyn Analysis,
    scope: &Scope,
) -> std::result::Result<(Cohort, ScopeResult), StatsError> {
    let _step = crate::progress::timed("  rows in scope");
    let weight = |i: usize| cohort.count.as_ref().map_or(1, |c| c[i]);
    let mut keep: Vec<bool> = match &scope.where_ {
        Some(sql) => cohort.masks[sql.as_str()].clone(),
        None => vec![true; cohort.n],
    };
    let dropped_where: u64 = (0..cohort.n).filter(|&i| !keep[i]).map(weight).sum();
    if let Some(sql) = &scope.where_
        && !keep.contains(&true)
    {
        return Err(StatsError(format!(
            "`where: {sql}` keeps none of the {} rows, so there is nothing to analyse; check the condition against the data (a comparison with a missing value is not true)",
            cohort.n
        )));
    }
    let columns: Vec<&str> = analysis.columns().into_iter().map(|(_, c)| c).collect();
    let endpoint = analysis
        .endpoint()
        .map(|name| (name, &cohort.endpoints[name]));
    let mut dropped_landmark = 0u64;
    // Rows that left follow-up before the landmark but are counted with the missing
    // values, because they are incomplete: their time is blanked so that no fit (a
    // selected model reads fewer columns than it was planned with) can take them in.
    let mut blank = vec![false; cohort.n];
    if let (Some(l), Some((_, e))) = (scope.landmark, endpoint) {
        for (i, kept) in keep.iter_mut().enumerate() {
            let Some(t) = e.time[i].filter(|&t| *kept && t <= l) else {
                continue;
            };
            let complete =
                e.event[i].is_some() && columns.iter().all(|c| !cohort.columns[*c].is_missing(i));
            if complete {
                *kept = false;
                dropped_landmark += weight(i);
            } else {
                blank[i] = t <= l;
            }
        }
    }
    let rows: Vec<usize> = (0..cohort.n).filter(|&i| keep[i]).collect();
    if let (Some(l), Some((_, e))) = (scope.landmark, endpoint)
        && !rows.iter().any(|&i| e.time[i].is_some_and(|t| t > l))
    {
        let longest = (0..cohort.n)
            .filter_map(|i| e.time[i])
            .fold(f64::NEG_INFINITY, f64::max);
        return Err(StatsError(format!(
            "no patient is still under follow-up after the landmark {}: the longest time is {}; a landmark must come before the end of follow-up",
            crate::present::format::trimmed(l, 4),
            crate::present::format::trimmed(longest, 4)
        )));
    }
    let mut out = Cohort {
        n: rows.len(),
        columns: columns
            .iter()
            .map(|c| (c.to_string(), cohort.columns[*c].take(&rows)))
            .collect(),
        endpoints: Default::default(),
        sha256: cohort.sha256.clone(),
        masks: cohort
            .masks
            .iter()
            .map(|(k, m)| (k.clone(), rows.iter().map(|&i| m[i]).collect()))
            .collect(),
        count: cohort
            .count
            .as_ref()
            .map(|c| rows.iter().map(|&i| c[i]).collect()),
        database: cohort.database.clone(),
    };
    if let Some((name, e)) = endpoint {
        let mut rewritten = rewrite(e, &rows, scope);
        for (k, &i) in rows.iter().enumerate() {
            if blank[i] {
                rewritten.time[k] = None;
            }
        }
        out.endpoints.insert(name.to_string(), rewritten);
    }
    let result = ScopeResult {
        n_dropped_where: scope.where_.as_ref().map(|_| dropped_where),
        n_dropped_landmark: scope.landmark.map(|_| dropped_landmark),
        ..scope.unscoped()
    };
    Ok((out, result))
}

/// The endpoint at `rows`: one cause's events (the others censored), censored at
/// `censor_at` on the original time scale, then timed from the landmark.
fn rewrite(e: &EndpointData, rows: &[usize], scope: &Scope) -> EndpointData {
    let mut out = EndpointData {
        time: rows.iter().map(|&i| e.time[i]).collect(),
        event: rows.iter().map(|&i| e.event[i]).collect(),
        cause: e
            .cause
            .as_ref()
            .map(|c| rows.iter().map(|&i| c[i]).collect()),
        order: Default::default(),
    };
    if let (Some((_, code)), Some(cause)) = (&scope.cause, &out.cause) {
        for (ev, c) in out.event.iter_mut().zip(cause) {
            if let Some(ev) = ev {
                *ev = c == code;
            }
        }
        out.cause = None;
    }
    if let Some(at) = scope.censor_at {
        out.censor_at(at);
    }
    if let Some(l) = scope.landmark {
        for t in out.time.iter_mut().flatten() {
            *t -= l;
        }
    }
    out
}
