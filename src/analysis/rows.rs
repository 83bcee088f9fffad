//! The rows an analysis uses: complete cases of the columns it reads, in row order or in
//! time order, and with `data.count` how many patients each row stands for.

use rayon::prelude::*;

use crate::data::{Cohort, Column, EndpointData};
use crate::stats;

/// The rows where every listed column is present, in row order.
pub fn complete_rows(cohort: &Cohort, columns: &[&Column]) -> Vec<usize> {
    rows_where(&complete(cohort.n, None, columns))
}

/// Per row: whether the endpoint (when given) and every listed column are present. Column
/// by column, so that each is read in order.
pub fn complete(n: usize, endpoint: Option<&EndpointData>, columns: &[&Column]) -> Vec<bool> {
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

pub fn rows_where(keep: &[bool]) -> Vec<usize> {
    (0..keep.len()).filter(|&i| keep[i]).collect()
}

/// The rows a survival analysis uses: complete on the endpoint and its columns.
pub struct Subset {
    /// In row order: what covariates and groups are built over (sequential reads).
    pub rows: Vec<usize>,
    /// In time order, each as its position in `rows`, with its time and event.
    pub sorted: Vec<u32>,
    pub time: Vec<f64>,
    pub event: Vec<bool>,
}

impl Subset {
    pub fn new(e: &EndpointData, columns: &[&Column]) -> Subset {
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
}

/// The rows complete on the endpoint and the columns, in row order, with their times and
/// events: for the estimators that work from counts per time (Kaplan-Meier, log-rank,
/// follow-up, restricted means), which need no sort.
pub fn by_rows(cohort: &Cohort, e: &EndpointData, columns: &[&Column]) -> ByRows {
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

/// The rows of an endpoint complete on `by` (and the columns `also`), each with its
/// group's code, and the groups' labels; without `by`, one group labelled `all` and no
/// codes.
pub fn grouped(
    cohort: &Cohort,
    endpoint_name: &str,
    by: Option<&str>,
    also: &[&str],
) -> (ByRows, Option<Vec<u32>>, Vec<String>) {
    let e = endpoint(cohort, endpoint_name);
    let by_col = by.map(|b| column(cohort, b));
    let mut columns: Vec<&Column> = by_col.into_iter().collect();
    columns.extend(also.iter().map(|c| column(cohort, c)));
    let b = by_rows(cohort, e, &columns);
    let (codes, labels) = match by_col {
        Some(c) => {
            let (codes, labels) = c.groups(&b.rows);
            (Some(codes), labels)
        }
        None => (None, vec!["all".to_string()]),
    };
    (b, codes, labels)
}

/// Complete rows in row order, and with `data.count`, how many patients each stands for.
pub struct ByRows {
    pub rows: Vec<usize>,
    pub time: Vec<f64>,
    pub event: Vec<bool>,
    pub weight: Option<Vec<u64>>,
    /// Patients used, and dropped for missing values.
    pub patients: u64,
    pub dropped: u64,
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

pub fn column<'a>(cohort: &'a Cohort, name: &str) -> &'a Column {
    cohort
        .columns
        .get(name)
        .expect("the data stage loads every column an analysis names")
}

pub fn endpoint<'a>(cohort: &'a Cohort, name: &str) -> &'a EndpointData {
    cohort.endpoints.get(name).expect("validated endpoint")
}

/// Each covariate's own model, as gtsummary's `tbl_uvregression` fits them: `fit` on
/// that covariate alone, an error naming the covariate whose model failed.
pub fn univariable<T>(
    covariates: &[String],
    fit: impl Fn(&[String]) -> std::result::Result<T, crate::stats::StatsError>,
) -> std::result::Result<Vec<(String, T)>, crate::stats::StatsError> {
    covariates
        .iter()
        .map(|c| {
            fit(std::slice::from_ref(c))
                .map(|u| (c.clone(), u))
                .map_err(|e| {
                    crate::stats::StatsError(format!("the univariable model of `{c}`: {}", e.0))
                })
        })
        .collect()
}

/// A univariable model's warnings as the analysis reports them, naming its covariate.
pub fn univariable_warnings<'a>(
    covariate: &'a str,
    warnings: &'a [String],
) -> impl Iterator<Item = String> + 'a {
    warnings
        .iter()
        .map(move |w| format!("univariable model of {covariate}: {w}"))
}
