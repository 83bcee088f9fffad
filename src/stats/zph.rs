//! The proportional-hazards test of `cox.zph(fit, transform = "km", terms = TRUE)`.
//!
//! R's test is a score test, at the fitted coefficients, for adding each covariate times
//! g(t) to the model, where g is the Kaplan-Meier transform of time (1 - S(t-), centred
//! on its mean over the events). Its score and information come from one sweep over the
//! risk sets, like one evaluation of the Cox likelihood with the covariates doubled:
//! O(n p²), over the rows already in time order.

use rayon::prelude::*;

use super::coxfit::death_terms;
use super::linalg::solve;
use super::sorted::runs as time_runs;

pub struct ZphTest {
    pub chisq: f64,
    pub df: usize,
}

/// `x` is the fitted design, row-major `n × p` (the kept, non-aliased columns only) in
/// ascending time, each column multiplied by its `scale` (which is undone here); `terms`
/// lists, per model term, its columns within `x`. With `runs` (the fit's, when they fit
/// the memory cap for 2p terms) each time's terms are formed in parallel. Returns one
/// test per term and the global test, or `None` when the information matrix is singular.
#[allow(clippy::too_many_arguments)]
pub fn zph(
    time: &[f64],
    event: &[bool],
    x: &[f64],
    scale: &[f64],
    terms: &[Vec<usize>],
    lp: &[f64],
    efron: bool,
    runs: Option<&[(usize, usize)]>,
) -> Option<(Vec<ZphTest>, ZphTest)> {
    let n = time.len();
    let p = scale.len();
    let value = |i: usize, j: usize| x[i * p + j] / scale[j];
    // g(t): 1 - S(t-) of the pooled Kaplan-Meier curve, centred on its mean over events.
    let mut g = vec![0.0; n];
    let mut surv = 1.0;
    for (start, end) in time_runs(time) {
        let d = event[start..end].iter().filter(|&&e| e).count();
        g[start..end].fill(1.0 - surv);
        if d > 0 {
            let at_risk = (n - start) as f64;
            surv *= (at_risk - d as f64) / at_risk;
        }
    }
    let (sum, events) = g
        .iter()
        .zip(event)
        .filter(|(_, e)| **e)
        .fold((0.0, 0usize), |(s, k), (g, _)| (s + g, k + 1));
    let mean_g = sum / events as f64;

    // R recentres the covariates on their plain means first, for stability.
    let mut center = vec![0.0; p];
    for i in 0..n {
        for (j, c) in center.iter_mut().enumerate() {
            *c += value(i, j);
        }
    }
    for c in &mut center {
        *c /= n as f64;
    }

    let q = 2 * p;
    let mut u = vec![0.0; q];
    let mut imat = vec![0.0; q * q];
    // Spreads one time's Cox score and information over the blocks, with the time
    // weight g, g and g².
    let spread = |u: &mut [f64], imat: &mut [f64], gt: f64, us: &[f64], is: &[f64]| {
        for j in 0..p {
            u[j] += us[j];
            u[j + p] += gt * us[j];
            for k in j..p {
                let v = is[j * p + k];
                imat[j * q + k] += v;
                imat[j * q + k + p] += v * gt;
                imat[(j + p) * q + k + p] += v * gt * gt;
            }
        }
    };
    // With many rows on few times, as in the Cox fit: each time's sums and terms on every
    // core, then added up from the last time down.
    if let Some(runs) = runs {
        struct Run {
            all: (f64, Vec<f64>, Vec<f64>),
            tied: (f64, Vec<f64>, Vec<f64>),
            deaths: usize,
            x: Vec<f64>,
        }
        let sums: Vec<Run> = runs
            .par_iter()
            .map(|&(start, end)| {
                let zero = || (0.0, vec![0.0; p], vec![0.0; p * p]);
                let mut run = Run {
                    all: zero(),
                    tied: zero(),
                    deaths: 0,
                    x: vec![0.0; p],
                };
                let mut xs = vec![0.0; p];
                for i in (start..end).rev() {
                    for j in 0..p {
                        xs[j] = value(i, j) - center[j];
                    }
                    let r = lp[i].exp();
                    let add = |s: &mut (f64, Vec<f64>, Vec<f64>)| {
                        s.0 += r;
                        for j in 0..p {
                            let rx = r * xs[j];
                            s.1[j] += rx;
                            for (c, &xk) in s.2[j * p..=j * p + j].iter_mut().zip(&xs) {
                                *c += rx * xk;
                            }
                        }
                    };
                    add(&mut run.all);
                    if event[i] {
                        run.deaths += 1;
                        add(&mut run.tied);
                        for (s, x) in run.x.iter_mut().zip(&xs) {
                            *s += x;
                        }
                    }
                }
                run
            })
            .collect();
        let mut totals = Vec::with_capacity(sums.len());
        let mut all = (0.0, vec![0.0; p], vec![0.0; p * p]);
        for run in sums.iter().rev() {
            all.0 += run.all.0;
            for (a, b) in all.1.iter_mut().zip(&run.all.1) {
                *a += b;
            }
            for (a, b) in all.2.iter_mut().zip(&run.all.2) {
                *a += b;
            }
            totals.push(all.clone());
        }
        totals.reverse();
        let terms: Vec<Option<(Vec<f64>, Vec<f64>)>> = sums
            .par_iter()
            .zip(&totals)
            .map(|(run, all)| {
                (run.deaths > 0).then(|| {
                    let (mut us, mut is) = (vec![0.0; p], vec![0.0; p * p]);
                    death_terms(
                        efron,
                        run.deaths,
                        (&all.0, &all.1, &all.2),
                        (&run.tied.0, &run.tied.1, &run.tied.2),
                        &mut us,
                        &mut is,
                    );
                    (us, is)
                })
            })
            .collect();
        for ((run, term), &(start, _)) in sums.iter().zip(&terms).zip(runs).rev() {
            let Some((us, is)) = term else { continue };
            let gt = g[start] - mean_g;
            for j in 0..p {
                u[j] += run.x[j];
                u[j + p] += gt * run.x[j];
            }
            spread(&mut u, &mut imat, gt, us, is);
        }
    }
    let (mut denom, mut a, mut cmat) = (0.0, vec![0.0; p], vec![0.0; p * p]);
    let (mut denom2, mut a2, mut cmat2) = (0.0, vec![0.0; p], vec![0.0; p * p]);
    let mut xs = vec![0.0; p];
    let (mut us, mut is) = (vec![0.0; p], vec![0.0; p * p]);
    // Otherwise row by row, in R's order.
    let rows = if runs.is_some() { 0 } else { n };
    for (start, end) in time_runs(&time[..rows]).rev() {
        let mut d = 0;
        for i in (start..end).rev() {
            for j in 0..p {
                xs[j] = value(i, j) - center[j];
            }
            let r = lp[i].exp();
            let add = |denom: &mut f64, a: &mut [f64], cmat: &mut [f64]| {
                *denom += r;
                for j in 0..p {
                    let rx = r * xs[j];
                    a[j] += rx;
                    for k in 0..=j {
                        cmat[j * p + k] += rx * xs[k];
                    }
                }
            };
            add(&mut denom, &mut a, &mut cmat);
            if event[i] {
                d += 1;
                add(&mut denom2, &mut a2, &mut cmat2);
                for j in 0..p {
                    u[j] += xs[j];
                    u[j + p] += (g[i] - mean_g) * xs[j];
                }
            }
        }
        if d > 0 {
            // The Cox score and information at this time, then spread over the blocks
            // with the time weight g, g and g².
            let gt = g[start] - mean_g;
            us.fill(0.0);
            is.fill(0.0);
            death_terms(
                efron,
                d,
                (&denom, &a, &cmat),
                (&denom2, &a2, &cmat2),
                &mut us,
                &mut is,
            );
            spread(&mut u, &mut imat, gt, &us, &is);
            denom2 = 0.0;
            a2.fill(0.0);
            cmat2.fill(0.0);
        }
    }
    // Each block is symmetric; fill in from the upper triangles.
    for j in 0..p {
        for k in 0..j {
            imat[j * q + k] = imat[k * q + j];
            imat[j * q + k + p] = imat[k * q + j + p];
            imat[(j + p) * q + k + p] = imat[(k + p) * q + j + p];
        }
    }
    for j in 0..p {
        for k in 0..p {
            imat[(j + p) * q + k] = imat[k * q + j + p];
        }
    }

    // Score tests with the model's own score set to zero, as R does.
    let test = |cols: &[usize]| -> Option<f64> {
        let kk: Vec<usize> = (0..p).chain(cols.iter().map(|c| c + p)).collect();
        let m = kk.len();
        let sub: Vec<f64> = kk
            .iter()
            .flat_map(|&r| kk.iter().map(move |&c| (r, c)))
            .map(|(r, c)| imat[r * q + c])
            .collect();
        let v: Vec<f64> = (0..p)
            .map(|_| 0.0)
            .chain(cols.iter().map(|&c| u[c + p]))
            .collect();
        let s = solve(&sub, m, &v)?;
        Some(s.iter().zip(&v).map(|(a, b)| a * b).sum())
    };
    let mut out = Vec::with_capacity(terms.len());
    for cols in terms {
        out.push(ZphTest {
            chisq: test(cols)?,
            df: cols.len(),
        });
    }
    let all: Vec<usize> = (0..p).collect();
    let global = ZphTest {
        chisq: test(&all)?,
        df: p,
    };
    Some((out, global))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The per-time parallel path (used from 100,000 rows on few times) and the row-by-row
    /// path give the same tests.
    #[test]
    fn summing_by_time_agrees_with_row_by_row() {
        let mut rng = Rng::new(5);
        let n = 4000;
        let mut rows: Vec<(f64, bool, [f64; 2], f64)> = (0..n)
            .map(|_| {
                let x = [(rng.uniform() < 0.5) as u8 as f64, rng.normal()];
                let lp = 0.4 * x[0] - 0.3 * x[1];
                (
                    (-rng.uniform().ln() * 30.0).ceil(),
                    rng.uniform() < 0.6,
                    x,
                    lp,
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        let time: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let event: Vec<bool> = rows.iter().map(|r| r.1).collect();
        let x: Vec<f64> = rows.iter().flat_map(|r| r.2).collect();
        let lp: Vec<f64> = rows.iter().map(|r| r.3).collect();
        let terms = vec![vec![0], vec![1]];
        let runs = super::super::coxfit::runs_of(&time, usize::MAX).unwrap();
        assert!(runs.len() < n / 10, "the test wants heavy ties");
        for efron in [true, false] {
            let zph = |runs| zph(&time, &event, &x, &[1.0, 1.0], &terms, &lp, efron, runs);
            let (a, ga) = zph(None).unwrap();
            let (b, gb) = zph(Some(&runs)).unwrap();
            for (s, t) in a.iter().chain([&ga]).zip(b.iter().chain([&gb])) {
                assert!(
                    (s.chisq / t.chisq - 1.0).abs() < 1e-10,
                    "{} vs {}",
                    s.chisq,
                    t.chisq
                );
            }
        }
    }
}
