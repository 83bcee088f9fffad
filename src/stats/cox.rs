//! Cox proportional hazards, as R's `coxph(Surv(time, event) ~ x1 + x2 + ...)`, with the
//! likelihood-ratio, Wald and score tests, Harrell's concordance with its standard error,
//! and the proportional-hazards test of `cox.zph(fit, transform = "km")`.
//!
//! A model that cannot be trusted says so: non-convergence, a coefficient that runs off to
//! infinity (R's "Loglik converged before variable ...") and a singular design each add a
//! warning, and a coefficient that is not estimable is `None`, never a number.

use rayon::prelude::*;
use serde::Serialize;

use super::concordance::concordance;
use super::coxfit::{EPS, TOLER_CHOL, coxfit6, few_runs, run_cap};
use super::linalg::{cholesky2, chsolve2};
use super::sorted::Sorted;
use super::zph::zph;
use super::{ChisqTest, Result, StatsError, finite, normal_p, z_for};
use crate::spec::Ties;

/// The design matrix and what its columns mean.
#[derive(Debug, Clone)]
pub struct Design {
    /// Row-major, `rows × names.len()`.
    pub x: Vec<f64>,
    pub rows: usize,
    /// One name per column (Cox term).
    pub names: Vec<String>,
    /// For each covariate, its name and the columns it spans (a category spans several).
    pub covariates: Vec<(String, Vec<usize>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoxTerm {
    pub term: String,
    pub coef: Option<f64>,
    pub se: Option<f64>,
    pub hr: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub z: Option<f64>,
    pub p: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CoxFit {
    pub n: u64,
    pub events: u64,
    pub terms: Vec<CoxTerm>,
    pub loglik_null: f64,
    pub loglik: f64,
    pub lr: ChisqTest,
    pub wald: ChisqTest,
    pub score: ChisqTest,
    pub concordance: (Option<f64>, Option<f64>),
    /// Per covariate, then global; `None` when the test could not be run (see warnings).
    pub zph: Option<(Vec<(String, ChisqTest)>, ChisqTest)>,
    pub iterations: usize,
    pub warnings: Vec<String>,
}

/// R's `coxph.control()$toler.inf`: sqrt(eps).
const TOLER_INF: f64 = 3.162_277_660_168_379_5e-5;

/// Fits the model; `design` (same row order as `time`) is consumed, since a registry's
/// design is the largest thing in memory and the fit works on it in place.
pub fn cox(
    time: &[f64],
    event: &[bool],
    mut design: Design,
    ties: Ties,
    conf_level: f64,
) -> Result<CoxFit> {
    let p = design.names.len();
    if design.rows == 0 {
        return Err(StatsError("no rows with complete data".into()));
    }
    if !event.iter().any(|&e| e) {
        return Err(StatsError(
            "there are no events among the rows used, so no hazard ratio can be estimated".into(),
        ));
    }
    if let Some(j) = (0..p).find(|&j| (0..design.rows).all(|i| design.x[i * p + j] == design.x[j]))
    {
        return Err(StatsError(format!(
            "term `{}` has the same value in every row used, so its effect cannot be estimated",
            design.names[j]
        )));
    }
    // Rows in time order, times equal up to rounding error made equal (timefix).
    let sorted = Sorted::new(time, event);
    let x: Vec<f64> = match &sorted.order {
        None => std::mem::take(&mut design.x),
        Some(order) => order
            .par_iter()
            .flat_map_iter(|&i| {
                design.x[i as usize * p..(i as usize + 1) * p]
                    .iter()
                    .copied()
            })
            .collect(),
    };
    let (time, event) = (&sorted.time[..], &sorted.event[..]);
    let efron = matches!(ties, Ties::Efron);
    // Many rows on few distinct times: the fit and cox.zph form each time's terms in
    // parallel, over runs found once here.
    let runs = few_runs(time, p);
    let mut fit = coxfit6(time, event, x, p, efron, runs.as_deref());
    let x = std::mem::take(&mut fit.x);

    // R's coxph.fit: when the information is rank deficient, the terms whose variance is
    // zero are aliased and reported as NA.
    let aliased: Vec<usize> = if fit.flag < p as i32 && fit.flag != 1000 {
        (0..p).filter(|&j| fit.var[j * p + j] == 0.0).collect()
    } else {
        Vec::new()
    };
    let mut warnings = Vec::new();
    if !aliased.is_empty() {
        let names: Vec<&str> = aliased.iter().map(|&j| design.names[j].as_str()).collect();
        warnings.push(format!(
            "singular design: {} {} a linear combination of other terms; not estimable",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" }
        ));
    }
    let converged = fit.flag != 1000;
    if !converged {
        warnings.push(format!(
            "the fit did not converge in {} iterations; its estimates are not reliable",
            fit.iter.saturating_sub(1)
        ));
    } else {
        // A coefficient whose score, scaled by the variance, is still large when the
        // log-likelihood has converged is heading for infinity.
        let names: Vec<&str> = (0..p)
            .filter(|j| !aliased.contains(j))
            .filter(|&j| {
                let inf: f64 = (0..p)
                    .map(|k| fit.first[k] * fit.var[k * p + j])
                    .sum::<f64>()
                    .abs();
                !fit.first[j].is_finite() || (inf > EPS && inf > TOLER_INF * fit.beta[j].abs())
            })
            .map(|j| design.names[j].as_str())
            .collect();
        if !names.is_empty() {
            warnings.push(format!(
                "the log-likelihood converged before {}; the coefficient may be infinite (a group with no events, or complete separation)",
                names.join(", ")
            ));
        }
    }

    let z_crit = z_for(conf_level);
    let terms = (0..p)
        .map(|j| {
            let coef = fit.beta[j];
            let se = fit.var[j * p + j].sqrt();
            let usable = !aliased.contains(&j);
            let z = coef / se;
            CoxTerm {
                term: design.names[j].clone(),
                coef: usable.then_some(coef).and_then(finite),
                se: usable.then_some(se).and_then(finite),
                hr: usable.then(|| coef.exp()).and_then(finite),
                lower: usable.then(|| (coef - z_crit * se).exp()).and_then(finite),
                upper: usable.then(|| (coef + z_crit * se).exp()).and_then(finite),
                z: usable.then_some(z).and_then(finite),
                p: usable.then(|| normal_p(z)).and_then(finite),
            }
        })
        .collect();

    let kept: Vec<usize> = (0..p).filter(|j| !aliased.contains(j)).collect();
    let df = kept.len();
    let lr = 2.0 * (fit.loglik[1] - fit.loglik[0]);
    let wald = wald_test(&fit.var, p, &fit.beta, &kept);

    // R's linear predictor, x %*% coef - sum(coef * means), is the centred and scaled
    // design times the coefficients on that scale.
    let scaled_beta: Vec<f64> = fit
        .beta
        .iter()
        .zip(&fit.scale)
        .map(|(b, s)| b / s)
        .collect();
    let lp: Vec<f64> = x
        .par_chunks(p)
        .map(|row| {
            row.iter()
                .zip(&scaled_beta)
                .fold(0.0, |s, (x, b)| s + x * b)
        })
        .collect();

    let zph_job = || {
        if !converged {
            return None;
        }
        // Covariates whose columns are all aliased drop out of the test.
        let mut names = Vec::new();
        let mut cols = Vec::new();
        for (name, columns) in &design.covariates {
            let within: Vec<usize> = columns
                .iter()
                .filter_map(|c| kept.iter().position(|k| k == c))
                .collect();
            if !within.is_empty() {
                names.push(name.clone());
                cols.push(within);
            }
        }
        let q = kept.len();
        let xk: std::borrow::Cow<[f64]> = if q == p {
            (&x[..]).into()
        } else {
            x.par_chunks(p)
                .flat_map_iter(|row| kept.iter().map(move |&k| row[k]))
                .collect::<Vec<f64>>()
                .into()
        };
        let scale: Vec<f64> = kept.iter().map(|&k| fit.scale[k]).collect();
        // cox.zph doubles the terms, so its sums take more room a run.
        let zph_runs = runs.as_deref().filter(|r| r.len() <= run_cap(2 * q));
        Some(
            zph(time, event, &xk, &scale, &cols, &lp, efron, zph_runs).map(|(tests, global)| {
                let rows = names
                    .into_iter()
                    .zip(tests)
                    .map(|(name, t)| (name, ChisqTest::new(t.chisq, t.df)))
                    .collect();
                (rows, ChisqTest::new(global.chisq, global.df))
            }),
        )
    };
    let (zph, (c, c_se)) = rayon::join(zph_job, || concordance(time, event, &lp));
    let zph = match zph {
        Some(Some(z)) => Some(z),
        Some(None) => {
            warnings.push(
                "the proportional-hazards test (cox.zph) could not be computed: its information matrix is singular"
                    .into(),
            );
            None
        }
        None => None,
    };

    Ok(CoxFit {
        n: design.rows as u64,
        events: event.iter().filter(|&&e| e).count() as u64,
        terms,
        loglik_null: fit.loglik[0],
        loglik: fit.loglik[1],
        lr: ChisqTest::new(lr, df),
        wald: ChisqTest::new(wald, df),
        score: ChisqTest::new(fit.sctest, df),
        concordance: (finite(c), finite(c_se)),
        zph,
        iterations: fit.iter,
        warnings,
    })
}

/// `coxph.wtest(var[kept, kept], coef[kept])`: the Wald statistic through the same
/// generalised Cholesky solve as the fit.
fn wald_test(var: &[f64], p: usize, beta: &[f64], kept: &[usize]) -> f64 {
    let q = kept.len();
    if q == 0 {
        return 0.0;
    }
    // R hands the C routine the matrix by columns, so it reads the lower triangle.
    let mut m: Vec<f64> = (0..q)
        .flat_map(|i| (0..q).map(move |j| (i, j)))
        .map(|(i, j)| var[kept[j] * p + kept[i]])
        .collect();
    let b: Vec<f64> = kept.iter().map(|&j| beta[j]).collect();
    cholesky2(&mut m, q, TOLER_CHOL);
    let mut s = b.clone();
    chsolve2(&m, q, &mut s);
    s.iter().zip(&b).map(|(a, b)| a * b).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(x: Vec<f64>, name: &str) -> Design {
        Design {
            rows: x.len(),
            x,
            names: vec![name.into()],
            covariates: vec![(name.into(), vec![0])],
        }
    }

    #[test]
    fn separation_is_flagged_not_hidden() {
        // Every event is in group g = 1. R (survival 3.5-3) warns "Loglik converged before
        // variable 1; coefficient may be infinite" and stops at iteration 20.
        let time = [1., 2., 3., 4., 5., 6., 7., 8., 9., 10.];
        let event = [
            true, true, true, true, true, false, false, false, false, false,
        ];
        let g = [1., 1., 1., 1., 1., 0., 0., 0., 0., 0.];
        let x = [5., 3., 6., 2., 7., 1., 4., 8., 2., 3.];
        let design = Design {
            rows: 10,
            x: g.iter().zip(&x).flat_map(|(a, b)| [*a, *b]).collect(),
            names: vec!["g".into(), "x".into()],
            covariates: vec![("g".into(), vec![0]), ("x".into(), vec![1])],
        };
        let fit = cox(&time, &event, design, Ties::Efron, 0.95).unwrap();
        assert_eq!(fit.warnings.len(), 1, "{:?}", fit.warnings);
        assert!(
            fit.warnings[0].contains("converged before g;"),
            "{:?}",
            fit.warnings
        );
    }

    #[test]
    fn running_out_of_iterations_is_a_warning() {
        // R: "Ran out of iterations and did not converge" (iter 21).
        let time = [1., 2., 3., 4., 5., 6., 7., 8.];
        let event = [true, true, true, true, false, false, false, false];
        let fit = cox(
            &time,
            &event,
            one(vec![1., 1., 1., 1., 0., 0., 0., 0.], "g"),
            Ties::Efron,
            0.95,
        )
        .unwrap();
        assert!(
            fit.warnings[0].contains("did not converge"),
            "{:?}",
            fit.warnings
        );
        assert!(fit.zph.is_none());
    }

    #[test]
    fn a_constant_covariate_is_refused() {
        let design = one(vec![2.0; 4], "c");
        let err = cox(
            &[1., 2., 3., 4.],
            &[true, false, true, true],
            design,
            Ties::Efron,
            0.95,
        )
        .unwrap_err();
        assert!(err.0.contains("same value in every row"));
    }

    #[test]
    fn a_duplicated_column_is_not_estimable() {
        let x = vec![0., 0., 1., 1., 0., 0., 1., 1., 0., 1., 1., 0.];
        let design = Design {
            rows: 6,
            x,
            names: vec!["a".into(), "b".into()],
            covariates: vec![("a".into(), vec![0]), ("b".into(), vec![1])],
        };
        // columns a and b are equal in every row
        let design = Design {
            x: design.x.chunks(2).flat_map(|r| [r[0], r[0]]).collect(),
            ..design
        };
        let fit = cox(
            &[1., 2., 3., 4., 5., 6.],
            &[true, true, false, true, true, false],
            design,
            Ties::Efron,
            0.95,
        )
        .unwrap();
        assert!(fit.terms[1].coef.is_none());
        assert!(fit.warnings[0].contains("singular design"));
        assert_eq!(fit.lr.df, 1);
    }
}
