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
use super::coxfit::{EPS, Newton, TOLER_CHOL, TimeSums, coxfit_sums, coxfit6, few_runs, run_cap};
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
    /// With the robust variance: its standard error, which the interval, z and p use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub robust_se: Option<f64>,
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

/// Per covariate, then global, as `CoxFit::zph` holds them.
type ZphTests = (Vec<(String, ChisqTest)>, ChisqTest);

impl CoxTerm {
    /// A term from its coefficient and standard errors: the hazard ratio with its
    /// interval, z and p from `robust_se` when given, else from `se`; every value `None`
    /// when the coefficient is not estimable (`usable` false) or not finite.
    pub fn wald(
        term: String,
        coef: f64,
        se: f64,
        robust_se: Option<f64>,
        usable: bool,
        z_crit: f64,
    ) -> CoxTerm {
        let used = robust_se.unwrap_or(se);
        let z = coef / used;
        let keep = |x: f64| usable.then_some(x).and_then(finite);
        CoxTerm {
            term,
            coef: keep(coef),
            se: keep(se),
            robust_se: robust_se.and_then(keep),
            hr: keep(coef.exp()),
            lower: keep((coef - z_crit * used).exp()),
            upper: keep((coef + z_crit * used).exp()),
            z: keep(z),
            p: keep(normal_p(z)),
        }
    }
}

/// Fits the model; `design` (same row order as `time`) is consumed, since a registry's
/// design is the largest thing in memory and the fit works on it in place.
pub fn cox(
    time: &[f64],
    event: &[bool],
    mut design: Design,
    ties: Ties,
    conf_level: f64,
) -> Result<CoxFit> {
    refuse_unestimable(event, &design)?;
    let p = design.names.len();
    // Rows in time order, times equal up to rounding error made equal (timefix).
    let sorted = Sorted::new(time, event);
    let x = in_time_order(&mut design, sorted.order.as_deref());
    let (time, event) = (&sorted.time[..], &sorted.event[..]);
    let efron = matches!(ties, Ties::Efron);
    // Many rows on few distinct times: the fit and cox.zph form each time's terms in
    // parallel, over runs found once here.
    let runs = few_runs(time, p);
    let mut fit = coxfit6(time, event, x, p, efron, runs.as_deref());
    let x = std::mem::take(&mut fit.x);

    let Summary {
        kept,
        mut warnings,
        terms,
        tests: (lr, wald, score),
    } = summary(&fit, &design.names, conf_level);

    let lp = linear_predictor(&fit, &x);
    let converged = fit.flag != 1000;
    let fitted = Fitted {
        time,
        event,
        x: &x,
        scale: &fit.scale,
        kept: &kept,
        lp: &lp,
        efron,
        runs: runs.as_deref(),
    };
    let (zph, (c, c_se)) = rayon::join(
        || converged.then(|| zph_tests(&fitted, &design.covariates)),
        || concordance(time, event, &lp),
    );
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
        lr,
        wald,
        score,
        concordance: (finite(c), finite(c_se)),
        zph,
        iterations: fit.iter,
        warnings,
    })
}

/// The coefficients alone, by the same Newton iterations as [`cox`] (none where a term
/// is aliased or its estimate is not finite), for a caller that fits many models and
/// needs no tests, intervals or concordance.
pub fn coefficients(
    time: &[f64],
    event: &[bool],
    mut design: Design,
    ties: Ties,
) -> Result<Vec<Option<f64>>> {
    refuse_unestimable(event, &design)?;
    let p = design.names.len();
    let sorted = Sorted::new(time, event);
    let x = in_time_order(&mut design, sorted.order.as_deref());
    let runs = few_runs(&sorted.time, p);
    let efron = matches!(ties, Ties::Efron);
    let fit = coxfit6(&sorted.time, &sorted.event, x, p, efron, runs.as_deref());
    let aliased = aliased(&fit, p);
    Ok((0..p)
        .map(|j| {
            (!aliased.contains(&j))
                .then_some(fit.beta[j])
                .and_then(finite)
        })
        .collect())
}

/// A model whose rows are summed elsewhere (a database): its terms, its size, and the
/// centring and scaling [`coxfit6`] would compute from its rows.
#[derive(Debug, Clone)]
pub struct Summed {
    pub names: Vec<String>,
    pub n: u64,
    pub events: u64,
    pub means: Vec<f64>,
    pub scale: Vec<f64>,
}

/// What a model fitted from sums leaves out, and how its concordance is formed.
pub const NOT_FROM_SUMS: &str = "for a cohort in a database, the proportional-hazards test (cox.zph) and the concordance's standard error are not computed (they need each patient's own residual and influence, which sums do not carry); the concordance is computed from counts per band of the linear predictor, within `bound` of the exact value";

/// The model of [`cox`], fitted by the same iterations from per-time sums that `sums`
/// forms at each step ([`coxfit_sums`]); concordance and `cox.zph` are `None`, with the
/// reason among the warnings.
pub fn cox_by_sums<E>(
    model: &Summed,
    ties: Ties,
    conf_level: f64,
    sums: impl FnMut(&[f64]) -> std::result::Result<(Vec<Vec<TimeSums>>, f64), E>,
) -> Result<std::result::Result<CoxFit, E>> {
    let p = model.names.len();
    refuse_empty(model.n as usize, model.events > 0)?;
    let efron = matches!(ties, Ties::Efron);
    let fit = match coxfit_sums(p, efron, model.means.clone(), model.scale.clone(), sums) {
        Ok(fit) => fit,
        Err(e) => return Ok(Err(e)),
    };
    let Summary {
        mut warnings,
        terms,
        tests: (lr, wald, score),
        ..
    } = summary(&fit, &model.names, conf_level);
    warnings.push(NOT_FROM_SUMS.to_string());
    Ok(Ok(CoxFit {
        n: model.n,
        events: model.events,
        terms,
        loglik_null: fit.loglik[0],
        loglik: fit.loglik[1],
        lr,
        wald,
        score,
        concordance: (None, None),
        zph: None,
        iterations: fit.iter,
        warnings,
    }))
}

/// Refuses a model with nothing to fit: no rows, no events, or a term with one value.
fn refuse_unestimable(event: &[bool], design: &Design) -> Result<()> {
    let p = design.names.len();
    refuse_empty(design.rows, event.iter().any(|&e| e))?;
    if let Some(j) = (0..p).find(|&j| (0..design.rows).all(|i| design.x[i * p + j] == design.x[j]))
    {
        return Err(constant_term(&design.names[j]));
    }
    Ok(())
}

/// Refuses a model without rows or without events.
fn refuse_empty(rows: usize, any_event: bool) -> Result<()> {
    if rows == 0 {
        return Err(StatsError("no rows with complete data".into()));
    }
    if !any_event {
        return Err(StatsError(
            "there are no events among the rows used, so no hazard ratio can be estimated".into(),
        ));
    }
    Ok(())
}

/// Why a term with one value among the rows used is refused.
pub fn constant_term(name: &str) -> StatsError {
    StatsError(format!(
        "term `{name}` has the same value in every row used, so its effect cannot be estimated"
    ))
}

/// What a converged Newton fit says, however its sums were formed: the terms kept (not
/// aliased), the warnings, each term's Wald row, and the likelihood-ratio, Wald and score
/// tests.
struct Summary {
    kept: Vec<usize>,
    warnings: Vec<String>,
    terms: Vec<CoxTerm>,
    tests: (ChisqTest, ChisqTest, ChisqTest),
}

fn summary(fit: &Newton, names: &[String], conf_level: f64) -> Summary {
    let p = names.len();
    let aliased = aliased(fit, p);
    let kept: Vec<usize> = (0..p).filter(|j| !aliased.contains(j)).collect();
    Summary {
        warnings: fit_warnings(fit, names, &aliased),
        terms: terms(fit, names, &aliased, conf_level),
        tests: model_tests(fit, &kept),
        kept,
    }
}

/// The design's rows permuted into time order (`order`, or as they are when `None`),
/// taking the design's matrix rather than copying it when no permutation is needed.
fn in_time_order(design: &mut Design, order: Option<&[u32]>) -> Vec<f64> {
    let p = design.names.len();
    match order {
        None => std::mem::take(&mut design.x),
        Some(order) => order
            .par_iter()
            .flat_map_iter(|&i| {
                design.x[i as usize * p..(i as usize + 1) * p]
                    .iter()
                    .copied()
            })
            .collect(),
    }
}

/// R's coxph.fit: when the information is rank deficient, the terms whose variance is
/// zero are aliased and reported as NA.
fn aliased(fit: &Newton, p: usize) -> Vec<usize> {
    if fit.flag < p as i32 && fit.flag != 1000 {
        (0..p).filter(|&j| fit.var[j * p + j] == 0.0).collect()
    } else {
        Vec::new()
    }
}

/// What makes the fit untrustworthy: a singular design, non-convergence, or a coefficient
/// running off to infinity.
fn fit_warnings(fit: &Newton, names: &[String], aliased: &[usize]) -> Vec<String> {
    let p = names.len();
    let mut warnings = Vec::new();
    if !aliased.is_empty() {
        let names: Vec<&str> = aliased.iter().map(|&j| names[j].as_str()).collect();
        warnings.push(format!(
            "singular design: {} {} a linear combination of other terms; not estimable",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" }
        ));
    }
    if fit.flag == 1000 {
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
            .map(|j| names[j].as_str())
            .collect();
        if !names.is_empty() {
            warnings.push(format!(
                "the log-likelihood converged before {}; the coefficient may be infinite (a group with no events, or complete separation)",
                names.join(", ")
            ));
        }
    }
    warnings
}

/// Each term's coefficient, hazard ratio with its `conf_level` interval, and Wald test;
/// all `None` for an aliased term, and any that is not finite `None` on its own.
fn terms(fit: &Newton, names: &[String], aliased: &[usize], conf_level: f64) -> Vec<CoxTerm> {
    let p = names.len();
    let z_crit = z_for(conf_level);
    (0..p)
        .map(|j| {
            let se = fit.var[j * p + j].sqrt();
            let usable = !aliased.contains(&j);
            CoxTerm::wald(names[j].clone(), fit.beta[j], se, None, usable, z_crit)
        })
        .collect()
}

/// The likelihood-ratio, Wald and score tests of the model, on the `kept` terms' degrees
/// of freedom.
fn model_tests(fit: &Newton, kept: &[usize]) -> (ChisqTest, ChisqTest, ChisqTest) {
    let df = kept.len();
    let lr = 2.0 * (fit.loglik[1] - fit.loglik[0]);
    let wald = wald_test(&fit.var, fit.beta.len(), &fit.beta, kept);
    (
        ChisqTest::new(lr, df),
        ChisqTest::new(wald, df),
        ChisqTest::new(fit.sctest, df),
    )
}

/// R's linear predictor, x %*% coef - sum(coef * means), is the centred and scaled
/// design `x` (the fit's) times the coefficients on that scale.
fn linear_predictor(fit: &Newton, x: &[f64]) -> Vec<f64> {
    let p = fit.beta.len();
    let scaled_beta: Vec<f64> = fit
        .beta
        .iter()
        .zip(&fit.scale)
        .map(|(b, s)| b / s)
        .collect();
    x.par_chunks(p)
        .map(|row| {
            row.iter()
                .zip(&scaled_beta)
                .fold(0.0, |s, (x, b)| s + x * b)
        })
        .collect()
}

/// A fitted model as cox.zph reads it: rows in time order.
struct Fitted<'a> {
    time: &'a [f64],
    event: &'a [bool],
    /// The design as fitted (centred and scaled), row-major with every term's column.
    x: &'a [f64],
    /// What each column of `x` was multiplied by, which cox.zph undoes.
    scale: &'a [f64],
    /// The terms that are not aliased.
    kept: &'a [usize],
    lp: &'a [f64],
    efron: bool,
    /// The fit's runs of equal times, when it formed their terms in parallel.
    runs: Option<&'a [(usize, usize)]>,
}

/// cox.zph on the kept terms, grouped by `covariates`; `None` when its information matrix
/// is singular.
fn zph_tests(f: &Fitted, covariates: &[(String, Vec<usize>)]) -> Option<ZphTests> {
    let p = f.scale.len();
    let kept = f.kept;
    // Covariates whose columns are all aliased drop out of the test.
    let mut names = Vec::new();
    let mut cols = Vec::new();
    for (name, columns) in covariates {
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
        f.x.into()
    } else {
        f.x.par_chunks(p)
            .flat_map_iter(|row| kept.iter().map(move |&k| row[k]))
            .collect::<Vec<f64>>()
            .into()
    };
    let scale: Vec<f64> = kept.iter().map(|&k| f.scale[k]).collect();
    // cox.zph doubles the terms, so its sums take more room a run.
    let zph_runs = f.runs.filter(|r| r.len() <= run_cap(2 * q));
    zph(f.time, f.event, &xk, &scale, &cols, f.lp, f.efron, zph_runs).map(|(tests, global)| {
        let rows = names
            .into_iter()
            .zip(tests)
            .map(|(name, t)| (name, ChisqTest::new(t.chisq, t.df)))
            .collect();
        (rows, ChisqTest::new(global.chisq, global.df))
    })
}

/// `coxph.wtest(var[kept, kept], coef[kept])`: the Wald statistic through the same
/// generalised Cholesky solve as the fit.
pub(super) fn wald_test(var: &[f64], p: usize, beta: &[f64], kept: &[usize]) -> f64 {
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
