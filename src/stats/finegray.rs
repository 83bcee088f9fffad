//! The Fine-Gray model for the subdistribution hazard of one cause, as R fits it:
//! `survival::finegray(Surv(time, status) ~ ., etype = cause)`, then `coxph(Surv(fgstart,
//! fgstop, fgstatus) ~ x, weights = fgwt, cluster = id)` with the robust variance.
//!
//! R's `finegray` keeps a patient with a competing event in the risk set by adding rows,
//! one per interval of the censoring distribution that holds an event of the cause, each
//! weighted by how far the censoring survival G has fallen since the patient's event. At a
//! time t that weight is G(t−)/G(T−), a time-only factor over a patient-only one, so every
//! risk-set sum splits into the patients still under follow-up plus G(t−) times a running
//! sum over the competing events before t. The fit here forms those sums directly, in one
//! pass each way per Newton step: the same estimating equations, iterations and robust
//! variance as coxph on the expanded rows, without making rows whose number grows with
//! the competing events times the distinct censoring times (tens of millions at registry
//! scale).

// The sums run over covariates and rows of several parallel arrays at once; indexes say
// which is which more plainly than zipped iterators would.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use super::linalg::{chinv2, cholesky2, chsolve2};
use super::{ChisqTest, Result, StatsError};

/// `coxph.control()`: iterations, convergence and the rank tolerance of the Cholesky.
const ITER_MAX: usize = 20;
const EPS: f64 = 1e-9;
const TOLER_CHOL: f64 = 1.818_989_403_545_856_5e-12;

/// The fitted model, on the covariates' own scale.
#[derive(Debug, Clone, PartialEq)]
pub struct FineGrayFit {
    /// `None` for an aliased column.
    pub coef: Vec<Option<f64>>,
    /// Model-based standard errors (R's `sqrt(diag(fit$naive.var))`).
    pub naive_se: Vec<Option<f64>>,
    /// Robust standard errors over patients (R's `sqrt(diag(fit$var))`).
    pub robust_se: Vec<Option<f64>>,
    pub loglik: [f64; 2],
    /// The Wald test of all coefficients with the robust variance (R's `fit$wald.test`
    /// for a model with `cluster`): the model's test, where the likelihood-ratio and
    /// score tests would treat a patient's weighted rows as independent.
    pub wald_test: ChisqTest,
    /// Harrell's concordance and its standard error over the weighted rows, as coxph
    /// reports them for the finegray data (`fit$concordance`).
    pub concordance: (f64, f64),
    pub iterations: usize,
    pub warnings: Vec<String>,
    /// Events of the cause, and of the competing causes.
    pub events: u64,
    pub competing: u64,
    /// The rows R's `finegray` makes of these data, which the fit stands in for.
    pub expanded_rows: u64,
}

/// The data in time order with the censoring weights each time needs.
struct Prepared {
    /// The times, ascending (through `timefix`).
    time: Vec<f64>,
    /// Covariates centred, row-major, in time order.
    x: Vec<f64>,
    p: usize,
    /// Per row: 0 censored, 1 the cause, 2 a competing event.
    kind: Vec<u8>,
    /// Per row: G(T−) for a competing event (1 otherwise).
    g_own: Vec<f64>,
    /// The distinct times of events of the cause, each with its first row (in time order)
    /// and its number of events, and G(t−).
    events: Vec<EventTime>,
    /// For each row, the index of the first event time at or after its time.
    first_event: Vec<usize>,
}

struct EventTime {
    /// Rows [start, end) have this time.
    start: usize,
    end: usize,
    deaths: usize,
    g: f64,
}

/// Fits the model of cause `of` (1 for the first cause) over rows with `time`, `cause`
/// (0 censored) and `x` (`p` columns, row-major, in the same row order).
pub fn finegray(time: &[f64], cause: &[u8], of: u8, x: &[f64], p: usize) -> Result<FineGrayFit> {
    let n = time.len();
    if !cause.contains(&of) {
        return Err(StatsError(
            "the cause has no events among the rows used, so there is nothing to fit".into(),
        ));
    }
    let prep = prepare(time, cause, of, x, p);
    let events = prep.kind.iter().filter(|&&k| k == 1).count() as u64;
    let competing = prep.kind.iter().filter(|&&k| k == 2).count() as u64;
    let expanded_rows = n as u64 + expansion(&prep);

    let mut warnings = Vec::new();
    let newton = newton(&prep)?;
    if !newton.converged {
        warnings.push(format!(
            "the fit did not converge in {} iterations; its estimates are not reliable",
            ITER_MAX
        ));
    }
    let beta = &newton.beta;
    let var = &newton.var;
    let aliased: Vec<bool> = (0..p).map(|j| var[j * p + j] == 0.0).collect();
    if aliased.iter().any(|&a| a) {
        warnings.push(
            "singular design: a term is a linear combination of the others; not estimable".into(),
        );
    }
    let robust = robust_variance(&prep, beta, var);
    let se = |m: &[f64], j: usize| (!aliased[j]).then(|| m[j * p + j].sqrt());
    let kept: Vec<usize> = (0..p).filter(|&j| !aliased[j]).collect();
    let wald = super::cox::wald_test(&robust, p, beta, &kept);
    Ok(FineGrayFit {
        coef: (0..p).map(|j| (!aliased[j]).then_some(beta[j])).collect(),
        naive_se: (0..p).map(|j| se(var, j)).collect(),
        robust_se: (0..p).map(|j| se(&robust, j)).collect(),
        loglik: newton.loglik,
        wald_test: ChisqTest::new(wald, kept.len()),
        concordance: concordance(&prep, beta),
        iterations: newton.iterations,
        warnings,
        events,
        competing,
        expanded_rows,
    })
}

/// Sorts the rows by time (R's `timefix` applied), centres the covariates, and finds G,
/// the Kaplan-Meier curve of the censoring, where a censoring tied with an event falls
/// after it (R's finegray lowers event times by a fraction of a rank for this).
fn prepare(time: &[f64], cause: &[u8], of: u8, x: &[f64], p: usize) -> Prepared {
    let n = time.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| time[a].total_cmp(&time[b]));
    let mut t: Vec<f64> = order.iter().map(|&i| time[i]).collect();
    super::sorted::timefix(&mut t);
    let kind: Vec<u8> = order
        .iter()
        .map(|&i| match cause[i] {
            0 => 0,
            c if c == of => 1,
            _ => 2,
        })
        .collect();
    let mut xs = vec![0.0; n * p];
    for j in 0..p {
        let mean = (0..n).map(|i| x[i * p + j]).sum::<f64>() / n as f64;
        for (k, &i) in order.iter().enumerate() {
            xs[k * p + j] = x[i * p + j] - mean;
        }
    }

    // Runs of equal times.
    let mut runs = Vec::new();
    let mut s = 0;
    while s < n {
        let mut e = s + 1;
        while e < n && t[e] == t[s] {
            e += 1;
        }
        runs.push((s, e));
        s = e;
    }
    // G just after each censoring time, and the intervals it defines: a time s lies in
    // the interval of the first censoring time ≥ s, whose G is the one before that drop.
    let mut cut_g = Vec::new(); // (censoring time, G before its drop)
    let mut g = 1.0;
    for &(s, e) in &runs {
        let censored = (s..e).filter(|&k| kind[k] == 0).count();
        if censored > 0 {
            let events = e - s - censored;
            let at_risk = (n - s - events) as f64;
            cut_g.push((t[s], g));
            g *= 1.0 - censored as f64 / at_risk;
        }
    }
    // g(s) = G(s−): the G of the interval s falls in; after the last censoring time,
    // G after it.
    let g_at = |s: f64| -> f64 {
        let j = cut_g.partition_point(|&(c, _)| c < s);
        cut_g.get(j).map_or(g, |&(_, before)| before)
    };
    let g_own: Vec<f64> = (0..n)
        .map(|k| if kind[k] == 2 { g_at(t[k]) } else { 1.0 })
        .collect();
    let mut events = Vec::new();
    let mut first_event = vec![0usize; n];
    for &(s, e) in &runs {
        let deaths = (s..e).filter(|&k| kind[k] == 1).count();
        for f in first_event.iter_mut().take(e).skip(s) {
            *f = events.len();
        }
        if deaths > 0 {
            events.push(EventTime {
                start: s,
                end: e,
                deaths,
                g: g_at(t[s]),
            });
        }
    }
    Prepared {
        time: t,
        x: xs,
        p,
        kind,
        g_own,
        events,
        first_event,
    }
}

/// The rows R's expansion adds: for each competing event, one per later interval of the
/// censoring distribution that holds an event of the cause.
fn expansion(prep: &Prepared) -> u64 {
    // Event times share an interval when their G is the same object; count distinct
    // intervals (by G value change) among event times after each competing event.
    let m = prep.events.len();
    let mut distinct_after = vec![0u64; m + 1];
    for k in (0..m).rev() {
        let new = k + 1 == m || prep.events[k + 1].g != prep.events[k].g;
        distinct_after[k] = distinct_after[k + 1] + u64::from(new);
    }
    let mut added = 0;
    for (k, &kind) in prep.kind.iter().enumerate() {
        if kind != 2 {
            continue;
        }
        // Intervals strictly after the one the event lies in.
        let own = prep.g_own[k];
        let first = prep.first_event[k];
        let later = prep.events[first..].iter().position(|e| e.g != own);
        if let Some(offset) = later {
            added += distinct_after[first + offset];
        }
    }
    added
}

/// Weighted counts over the ranks of the linear predictor, with the sums below, at and
/// above a rank (a Fenwick tree of doubles).
struct Counts {
    tree: Vec<f64>,
    at: Vec<f64>,
    total: f64,
}

impl Counts {
    fn new(m: usize) -> Counts {
        Counts {
            tree: vec![0.0; m + 1],
            at: vec![0.0; m],
            total: 0.0,
        }
    }

    fn add(&mut self, rank: usize, w: f64) {
        self.at[rank] += w;
        self.total += w;
        let mut i = rank + 1;
        while i < self.tree.len() {
            self.tree[i] += w;
            i += i & i.wrapping_neg();
        }
    }

    /// Weight below, at and above `rank`.
    fn split(&self, rank: usize) -> [f64; 3] {
        let mut below = 0.0;
        let mut i = rank;
        while i > 0 {
            below += self.tree[i];
            i -= i & i.wrapping_neg();
        }
        let at = self.at[rank];
        [below, at, self.total - below - at]
    }
}

/// Harrell's concordance of the fitted model over the rows finegray makes, as coxph
/// computes it for them (`concordancefit(..., weights = fgwt, cluster = id, reverse =
/// TRUE)`), and its infinitesimal-jackknife standard error over patients.
///
/// An event of the cause at t is compared with everyone in its risk set, each with the
/// weight of their row there: 1 for a patient still under follow-up (or censored, or with
/// a competing event, at t itself), G(t−)/G(T−) for a patient whose competing event came
/// at T < t; events at the same time are tied on time and not compared. Its pairs are
/// counted from both sides: the event's (weighted by the others) and each member of the
/// risk set's (its row weight times the events that count it), summed per patient.
fn concordance(prep: &Prepared, beta: &[f64]) -> (f64, f64) {
    let p = prep.p;
    let n = prep.kind.len();
    let lp: Vec<f64> = (0..n)
        .map(|i| (0..p).map(|j| prep.x[i * p + j] * beta[j]).sum())
        .collect();
    let mut sorted = lp.clone();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let rank: Vec<usize> = lp
        .iter()
        .map(|v| sorted.partition_point(|s| s < v))
        .collect();
    let m = sorted.len();

    // Rows still under follow-up; competing events passed, by 1/G(T−); events of the
    // cause passed, and the same weighted by their G(t−).
    let mut remaining = Counts::new(m);
    for &r in &rank {
        remaining.add(r, 1.0);
    }
    let mut competing = Counts::new(m);
    let mut events = Counts::new(m);
    let mut events_g = Counts::new(m);
    // Per patient: concordant − discordant, and all comparable pairs, weighted.
    let mut diff = vec![0.0; n];
    let mut pairs = vec![0.0; n];
    let mut snapshot = vec![[0.0; 3]; n];
    let (mut concordant, mut discordant, mut tied) = (0.0, 0.0, 0.0);
    let mut s = 0;
    while s < n {
        let mut e = s + 1;
        while e < n && prep.time[e] == prep.time[s] {
            e += 1;
        }
        let event_time = prep
            .events
            .get(prep.first_event[s])
            .filter(|t| t.start == s);
        let run = s..e;
        if let Some(t) = event_time {
            for i in run.clone().filter(|&i| prep.kind[i] == 1) {
                remaining.add(rank[i], -1.0);
            }
            for i in run.clone().filter(|&i| prep.kind[i] == 1) {
                let [below, at, above] = remaining.split(rank[i]);
                let [cb, ca, cu] = competing.split(rank[i]);
                let (c, d, x) = (below + t.g * cb, above + t.g * cu, at + t.g * ca);
                concordant += c;
                discordant += d;
                tied += x;
                // Its own time in others' risk sets: the events before it.
                let [eb, ea, eu] = events.split(rank[i]);
                diff[i] += c - d + eu - eb;
                pairs[i] += c + d + x + eb + ea + eu;
            }
            for i in run.clone().filter(|&i| prep.kind[i] == 1) {
                events.add(rank[i], 1.0);
                events_g.add(rank[i], t.g);
            }
        }
        for i in run.clone().filter(|&i| prep.kind[i] != 1) {
            let [eb, ea, eu] = events.split(rank[i]);
            diff[i] += eu - eb;
            pairs[i] += eb + ea + eu;
            remaining.add(rank[i], -1.0);
            if prep.kind[i] == 2 {
                snapshot[i] = events_g.split(rank[i]);
                competing.add(rank[i], 1.0 / prep.g_own[i]);
            }
        }
        s = e;
    }
    // A competing event's later rows: the events after it, by G(t−)/G(T−).
    for i in (0..n).filter(|&i| prep.kind[i] == 2) {
        let [b, a, u] = events_g.split(rank[i]);
        let [b0, a0, u0] = snapshot[i];
        let w = 1.0 / prep.g_own[i];
        diff[i] += w * ((u - u0) - (b - b0));
        pairs[i] += w * ((b - b0) + (a - a0) + (u - u0));
    }
    let npair = concordant + discordant + tied;
    let somer = (concordant - discordant) / npair;
    let var: f64 = diff
        .iter()
        .zip(&pairs)
        .map(|(d, q)| ((d - somer * q) / (2.0 * npair)).powi(2))
        .sum();
    ((somer + 1.0) / 2.0, var.sqrt())
}

/// Sums over a risk set: weight, weighted x, weighted x x'.
#[derive(Clone)]
struct Sums {
    s0: f64,
    s1: Vec<f64>,
    s2: Vec<f64>,
}

impl Sums {
    fn new(p: usize) -> Sums {
        Sums {
            s0: 0.0,
            s1: vec![0.0; p],
            s2: vec![0.0; p * p],
        }
    }

    fn add(&mut self, w: f64, x: &[f64]) {
        let p = x.len();
        self.s0 += w;
        for i in 0..p {
            self.s1[i] += w * x[i];
            for j in 0..=i {
                self.s2[i * p + j] += w * x[i] * x[j];
            }
        }
    }
}

struct Evaluated {
    loglik: f64,
    u: Vec<f64>,
    /// The information, lower triangle filled, row-major.
    imat: Vec<f64>,
}

/// The linear predictors at `beta`, and their exponentials.
fn scores(prep: &Prepared, beta: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let p = prep.p;
    let eta: Vec<f64> = prep
        .x
        .par_chunks(p.max(1))
        .map(|row| row.iter().zip(beta).map(|(x, b)| x * b).sum())
        .collect();
    let risk = eta.iter().map(|e| e.exp()).collect();
    (eta, risk)
}

/// One event time's weighted risk set, and its events of the cause.
struct RiskSet {
    all: Sums,
    dead: Sums,
}

/// Each event time's risk-set sums: those still under follow-up (a backward pass) plus
/// G(t−) times the competing events before it, each divided by its own G (a forward pass).
fn risk_sets(prep: &Prepared, risk: &[f64]) -> Vec<RiskSet> {
    let p = prep.p;
    let x = |k: usize| &prep.x[k * p..(k + 1) * p];
    let mut competing = Vec::with_capacity(prep.events.len());
    let mut b = Sums::new(p);
    let mut k = 0;
    for ev in &prep.events {
        while k < ev.start {
            if prep.kind[k] == 2 {
                b.add(risk[k] / prep.g_own[k], x(k));
            }
            k += 1;
        }
        competing.push(b.clone());
    }
    let mut a = Sums::new(p);
    let mut next = prep.kind.len();
    let mut sets = Vec::with_capacity(prep.events.len());
    for (ev, c) in prep.events.iter().zip(&competing).rev() {
        while next > ev.start {
            next -= 1;
            a.add(risk[next], x(next));
        }
        let all = Sums {
            s0: a.s0 + ev.g * c.s0,
            s1: (0..p).map(|i| a.s1[i] + ev.g * c.s1[i]).collect(),
            s2: (0..p * p).map(|i| a.s2[i] + ev.g * c.s2[i]).collect(),
        };
        let mut dead = Sums::new(p);
        for k in (ev.start..ev.end).filter(|&k| prep.kind[k] == 1) {
            dead.add(risk[k], x(k));
        }
        sets.push(RiskSet { all, dead });
    }
    sets.reverse();
    sets
}

/// The log partial likelihood, score and information at `beta`, with Efron's handling of
/// tied events of the cause, over the weighted risk sets.
fn evaluate(prep: &Prepared, beta: &[f64]) -> Evaluated {
    let p = prep.p;
    let (eta, risk) = scores(prep, beta);
    let mut loglik = 0.0;
    let mut u = vec![0.0; p];
    let mut imat = vec![0.0; p * p];
    for (ev, set) in prep.events.iter().zip(risk_sets(prep, &risk)).rev() {
        let (all, dead) = (&set.all, &set.dead);
        for k in (ev.start..ev.end).filter(|&k| prep.kind[k] == 1) {
            loglik += eta[k];
            for i in 0..p {
                u[i] += prep.x[k * p + i];
            }
        }
        let d = ev.deaths as f64;
        for step in 0..ev.deaths {
            let f = if ev.deaths > 1 { step as f64 / d } else { 0.0 };
            let d2 = all.s0 - f * dead.s0;
            loglik -= d2.ln();
            let mean: Vec<f64> = (0..p).map(|i| (all.s1[i] - f * dead.s1[i]) / d2).collect();
            for i in 0..p {
                u[i] -= mean[i];
                for j in 0..=i {
                    imat[i * p + j] +=
                        (all.s2[i * p + j] - f * dead.s2[i * p + j]) / d2 - mean[i] * mean[j];
                }
            }
        }
    }
    Evaluated { loglik, u, imat }
}

struct Newton {
    beta: Vec<f64>,
    /// The inverse information at `beta`, row-major.
    var: Vec<f64>,
    loglik: [f64; 2],
    iterations: usize,
    converged: bool,
}

/// Newton-Raphson as R's `agfit4` runs it: from 0, with step halving when the
/// log-likelihood falls, until it changes by less than `EPS` relative.
fn newton(prep: &Prepared) -> Result<Newton> {
    let p = prep.p;
    let mut beta = vec![0.0; p];
    let mut old = beta.clone();
    let first = evaluate(prep, &beta);
    if !first.loglik.is_finite() {
        return Err(StatsError(
            "the log-likelihood is not finite at the start".into(),
        ));
    }
    let loglik0 = first.loglik;
    let mut best = first.loglik;
    let mut imat = to_upper(&first.imat, p);
    let rank = cholesky2(&mut imat, p, TOLER_CHOL);
    let mut step = first.u.clone();
    chsolve2(&imat, p, &mut step);
    for j in 0..p {
        beta[j] += step[j];
    }
    let mut halving = 0usize;
    let mut iterations = 0;
    let mut converged = false;
    let mut last;
    loop {
        iterations += 1;
        last = evaluate(prep, &beta);
        imat = to_upper(&last.imat, p);
        let rank2 = cholesky2(&mut imat, p, TOLER_CHOL);
        let fail = !last.loglik.is_finite()
            || (0..p).any(|i| !last.imat[i * p + i].is_finite())
            || rank != rank2;
        if !fail && halving == 0 && (1.0 - best / last.loglik).abs() <= EPS {
            converged = true;
            break;
        }
        if iterations == ITER_MAX {
            if (last.loglik - best) / best.abs() < -EPS {
                // The last step was worse than the best so far: report the best.
                beta.clone_from(&old);
                last = evaluate(prep, &beta);
                imat = to_upper(&last.imat, p);
                cholesky2(&mut imat, p, TOLER_CHOL);
            }
            break;
        }
        if fail || last.loglik < best {
            halving += 1;
            for j in 0..p {
                beta[j] = (old[j] * halving as f64 + beta[j]) / (halving as f64 + 1.0);
            }
        } else {
            halving = 0;
            best = last.loglik;
            let mut step = last.u.clone();
            chsolve2(&imat, p, &mut step);
            old.copy_from_slice(&beta);
            for (b, s) in beta.iter_mut().zip(&step) {
                *b += s;
            }
        }
    }
    chinv2(&mut imat, p);
    // chinv2 leaves the inverse in the upper triangle: make it whole.
    let mut var = vec![0.0; p * p];
    for i in 0..p {
        for j in i..p {
            var[i * p + j] = imat[i * p + j];
            var[j * p + i] = imat[i * p + j];
        }
    }
    Ok(Newton {
        beta,
        var,
        loglik: [loglik0, last.loglik],
        iterations,
        converged,
    })
}

/// The information's lower triangle as the upper triangle `cholesky2` reads.
fn to_upper(lower: &[f64], p: usize) -> Vec<f64> {
    let mut m = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..=i {
            m[j * p + i] = lower[i * p + j];
        }
    }
    m
}

/// R's robust variance: V (Σᵢ Uᵢ Uᵢ') V over patients, where Uᵢ is patient i's score
/// residual summed over all the rows R would give them (`residuals(fit, "dfbeta",
/// collapse = id, weighted = TRUE)`, then `crossprod`), with Efron's correction for tied
/// events as `agscore3` makes it.
fn robust_variance(prep: &Prepared, beta: &[f64], var: &[f64]) -> Vec<f64> {
    let p = prep.p;
    let n = prep.kind.len();
    let (_, risk) = scores(prep, beta);
    let m = prep.events.len();
    // Per event time: the hazard increments and their x̄-weighted sums, and for the
    // events themselves Efron's corrections.
    let mut hazard = vec![0.0; m];
    let mut xhazard = vec![0.0; m * p];
    let mut corrections: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> = Vec::with_capacity(m);
    for (e, (ev, set)) in prep.events.iter().zip(risk_sets(prep, &risk)).enumerate() {
        let (all, dead) = (&set.all, &set.dead);
        let d = ev.deaths as f64;
        let (mut mh1, mut mh2, mut mh3) = (vec![0.0; p], vec![0.0; p], vec![0.0; p]);
        for step in 0..ev.deaths {
            let f = if ev.deaths > 1 { step as f64 / d } else { 0.0 };
            let d2 = all.s0 - f * dead.s0;
            let inc = 1.0 / d2;
            hazard[e] += inc;
            for i in 0..p {
                let mean = (all.s1[i] - f * dead.s1[i]) / d2;
                xhazard[e * p + i] += mean * inc;
                mh1[i] += inc * f;
                mh2[i] += mean * inc * f;
                mh3[i] += mean / d;
            }
        }
        corrections.push((mh1, mh2, mh3));
    }
    // Cumulative sums over event times: up to a time (for those still under follow-up),
    // and G-weighted from a time on (for a competing event's later risk sets).
    let mut cum_h = vec![0.0; m + 1];
    let mut cum_xh = vec![0.0; (m + 1) * p];
    for e in 0..m {
        cum_h[e + 1] = cum_h[e] + hazard[e];
        for i in 0..p {
            cum_xh[(e + 1) * p + i] = cum_xh[e * p + i] + xhazard[e * p + i];
        }
    }
    let mut tail_h = vec![0.0; m + 1];
    let mut tail_xh = vec![0.0; (m + 1) * p];
    for e in (0..m).rev() {
        let g = prep.events[e].g;
        tail_h[e] = tail_h[e + 1] + g * hazard[e];
        for i in 0..p {
            tail_xh[e * p + i] = tail_xh[(e + 1) * p + i] + g * xhazard[e * p + i];
        }
    }
    let mut meat = vec![0.0; p * p];
    let mut resid = vec![0.0; p];
    for k in 0..n {
        let x = &prep.x[k * p..(k + 1) * p];
        let r = risk[k];
        // Event times at or before this row's time (and the event time of its own run).
        let f = prep.first_event[k];
        let upto = if f < m && prep.events[f].start <= k && k < prep.events[f].end {
            f + 1
        } else {
            f
        };
        for i in 0..p {
            resid[i] = -r * (x[i] * cum_h[upto] - cum_xh[upto * p + i]);
        }
        if prep.kind[k] == 2 {
            // At risk, weighted, at every later event time.
            let w = r / prep.g_own[k];
            for i in 0..p {
                resid[i] -= w * (x[i] * tail_h[upto] - tail_xh[upto * p + i]);
            }
        }
        if prep.kind[k] == 1 {
            let (mh1, mh2, mh3) = &corrections[f];
            for i in 0..p {
                resid[i] += (x[i] - mh3[i]) + r * (x[i] * mh1[i] - mh2[i]);
            }
        }
        for i in 0..p {
            for j in 0..p {
                meat[i * p + j] += resid[i] * resid[j];
            }
        }
    }
    // V meat V
    let vm: Vec<f64> = (0..p * p)
        .map(|ij| {
            let (i, j) = (ij / p, ij % p);
            (0..p).map(|k| var[i * p + k] * meat[k * p + j]).sum()
        })
        .collect();
    (0..p * p)
        .map(|ij| {
            let (i, j) = (ij / p, ij % p);
            (0..p).map(|k| vm[i * p + k] * var[k * p + j]).sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::spec::Ties;
    use crate::stats::{CoxOptions, Design, coxph};
    use survival::regression::{FineGrayInput, finegray_expand};

    /// R's way, step by step: the crate's port of `finegray()`, then the weighted
    /// counting-process Cox model with the robust variance over patients.
    fn expanded(
        time: &[f64],
        cause: &[u8],
        of: u8,
        x: &[f64],
        p: usize,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, u64) {
        let status: Vec<i32> = cause.iter().map(|&c| i32::from(c)).collect();
        let id: Vec<i32> = (0..time.len() as i32).collect();
        let out = finegray_expand(&FineGrayInput {
            time,
            status: &status,
            event_type: i32::from(of),
            start: None,
            strata: None,
            id: Some(&id),
            weights: None,
            timefix: true,
        })
        .unwrap();
        let rows: Vec<usize> = out.row.iter().map(|&r| r - 1).collect();
        let design = Design {
            rows: rows.len(),
            x: rows
                .iter()
                .flat_map(|&r| x[r * p..(r + 1) * p].to_vec())
                .collect(),
            names: (0..p).map(|j| format!("x{j}")).collect(),
            covariates: (0..p).map(|j| (format!("x{j}"), vec![j])).collect(),
        };
        let event: Vec<bool> = rows.iter().map(|&r| cause[r] == of).collect();
        let cluster: Vec<i32> = rows.iter().map(|&r| r as i32).collect();
        let fit = coxph(
            &out.end,
            &event,
            design,
            Ties::Efron,
            0.95,
            CoxOptions {
                entry: Some(&out.start),
                weights: Some(&out.wt),
                cluster: Some(&cluster),
                robust: true,
                strata: None,
            },
        )
        .unwrap();
        let coef = fit.terms.iter().map(|t| t.coef.unwrap()).collect();
        let naive = fit.terms.iter().map(|t| t.se.unwrap()).collect();
        let robust = fit.terms.iter().map(|t| t.robust_se.unwrap()).collect();
        (coef, naive, robust, rows.len() as u64)
    }

    fn close(a: f64, b: f64, what: &str) {
        assert!(
            (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
            "{what}: direct {a}, expanded {b}"
        );
    }

    #[test]
    fn the_direct_fit_is_r_s_expanded_fit_without_the_rows() {
        // Heavily tied times (whole units), three causes, events tied with censorings.
        for seed in [7, 11, 2024] {
            let mut rng = Rng::new(seed);
            let n = 300;
            let p = 2;
            let mut time = Vec::new();
            let mut cause = Vec::new();
            let mut x = Vec::new();
            for _ in 0..n {
                let (a, b) = (rng.normal(), (rng.uniform() < 0.4) as u8 as f64);
                x.extend([a, b]);
                let lp = 0.5 * a - 0.4 * b;
                let t1 = -rng.uniform().ln() / (0.2 * lp.exp());
                let t2 = -rng.uniform().ln() / 0.15;
                let t3 = -rng.uniform().ln() / 0.05;
                let c = -rng.uniform().ln() / 0.1;
                let end = t1.min(t2).min(t3).min(c);
                time.push(end.ceil());
                cause.push(if end == c {
                    0
                } else if end == t1 {
                    1
                } else if end == t2 {
                    2
                } else {
                    3
                });
            }
            let direct = finegray(&time, &cause, 1, &x, p).unwrap();
            let (coef, naive, robust, rows) = expanded(&time, &cause, 1, &x, p);
            for j in 0..p {
                close(direct.coef[j].unwrap(), coef[j], "coef");
                close(direct.naive_se[j].unwrap(), naive[j], "naive se");
                close(direct.robust_se[j].unwrap(), robust[j], "robust se");
            }
            assert_eq!(direct.expanded_rows, rows, "the rows R's finegray makes");
            assert!(direct.expanded_rows > n as u64);
        }
    }
}
