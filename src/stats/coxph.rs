//! Cox models beyond the fast path of [`super::cox`]: strata, case weights, the robust
//! (sandwich) variance and counting-process `(start, stop]` data, through the survival
//! crate's port of R's `coxph`, `concordancefit` and `cox.zph`.
//!
//! The fast path is kept for the plain model, which is what registry-scale studies fit;
//! these options are what smaller, better-curated analyses ask for, and the port gives
//! them exactly as R does.

use ndarray::Array2;
use survival::data_prep::aeq_counting;
use survival::regression::{CoxPHFit, CoxphData, CoxphOptions, TieMethod, ZphTransform, cox_zph};

use super::cox::{CoxFit, CoxTerm, Design};
use super::{ChisqTest, Result, StatsError, finite, z_for};
use crate::spec::Ties;

/// What a model adds to `Surv(time, event) ~ x`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoxOptions<'a> {
    /// `(start, stop]` data: each row's entry time (with `time` as its stop).
    pub entry: Option<&'a [f64]>,
    /// Stratum codes: each stratum has a baseline hazard of its own.
    pub strata: Option<&'a [i32]>,
    pub weights: Option<&'a [f64]>,
    /// Cluster codes for the robust variance; with `robust` and none, each row is its
    /// own cluster.
    pub cluster: Option<&'a [i32]>,
    pub robust: bool,
}

/// A fit with the options, as [`super::cox`] reports one; with the robust variance each
/// term's `robust_se` is set and its interval, z and p use it (R's `summary.coxph`).
pub fn coxph(
    time: &[f64],
    event: &[bool],
    design: Design,
    ties: Ties,
    conf_level: f64,
    options: CoxOptions,
) -> Result<CoxFit> {
    let n = time.len();
    let p = design.names.len();
    if event.iter().all(|e| !e) {
        return Err(StatsError(
            "there are no events to fit a Cox model to".into(),
        ));
    }
    // R's timefix: times equal up to rounding error are ties.
    let (entry, time) = aeq_counting(options.entry, time)?;
    let x = Array2::from_shape_vec((n, p), design.x)
        .map_err(|e| StatsError(format!("the design has the wrong shape: {e}")))?;
    let data = CoxphData::try_new(
        time,
        entry,
        event.iter().map(|&e| e as i32).collect(),
        x,
        options.weights.map(<[f64]>::to_vec),
        options.strata.map(<[i32]>::to_vec),
        None,
    )?;
    let fit = CoxPHFit::fit(
        data,
        CoxphOptions {
            method: match ties {
                Ties::Efron => TieMethod::Efron,
                Ties::Breslow => TieMethod::Breslow,
            },
            cluster: options.cluster.map(<[i32]>::to_vec),
            robust: Some(options.robust),
            ..CoxphOptions::default()
        },
    )?;
    let aliased: Vec<usize> = (0..p).filter(|&j| fit.coefficients[j].is_nan()).collect();
    let kept: Vec<usize> = (0..p).filter(|j| !aliased.contains(j)).collect();
    let mut warnings = warnings(&fit, &design.names, &aliased, &kept);
    let terms = terms(&fit, &design.names, options.robust, conf_level);
    let df = kept.len();
    let lr = ChisqTest::new(2.0 * (fit.loglik[1] - fit.loglik[0]), df);
    let zph = if fit.flag == 1000 {
        None
    } else {
        let assign: Vec<Vec<usize>> = design.covariates.iter().map(|(_, c)| c.clone()).collect();
        match cox_zph(&fit, &ZphTransform::Km, true, false, true, Some(&assign)) {
            Ok(z) => z.global_test.map(|g| {
                let rows = design
                    .covariates
                    .iter()
                    .zip(&z.table)
                    .map(|((name, _), t)| (name.clone(), ChisqTest::new(t.chisq, t.df as usize)))
                    .collect();
                (rows, ChisqTest::new(g.chisq, g.df as usize))
            }),
            Err(_) => {
                warnings.push(
                    "the proportional-hazards test (cox.zph) could not be computed for this model"
                        .into(),
                );
                None
            }
        }
    };
    let c = &fit.concordance;
    let concordance = (
        c.concordance.first().copied().and_then(finite),
        c.var
            .as_ref()
            .and_then(|v| v.first())
            .and_then(|r| r.first())
            .map(|v| v.sqrt())
            .and_then(finite),
    );
    Ok(CoxFit {
        n: n as u64,
        events: event.iter().filter(|&&e| e).count() as u64,
        terms,
        loglik_null: fit.loglik[0],
        loglik: fit.loglik[1],
        lr,
        wald: ChisqTest::new(fit.wald_test, df),
        score: ChisqTest::new(fit.score, df),
        concordance,
        zph,
        iterations: fit.iter,
        warnings,
    })
}

/// Each term with the model-based se, and with the robust variance its robust se, which
/// the interval, z and p then use.
fn terms(fit: &CoxPHFit, names: &[String], robust: bool, conf_level: f64) -> Vec<CoxTerm> {
    let z_crit = z_for(conf_level);
    names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let coef = fit.coefficients[j];
            let naive = fit.naive_var.as_ref().unwrap_or(&fit.var)[[j, j]].sqrt();
            let robust_se = robust.then(|| fit.var[[j, j]].sqrt());
            CoxTerm::wald(
                name.clone(),
                coef,
                naive,
                robust_se,
                coef.is_finite(),
                z_crit,
            )
        })
        .collect()
}

/// A singular design, non-convergence, or a coefficient running off to infinity, as the
/// fast path words them.
fn warnings(fit: &CoxPHFit, names: &[String], aliased: &[usize], kept: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    if !aliased.is_empty() {
        let names: Vec<&str> = aliased.iter().map(|&j| names[j].as_str()).collect();
        out.push(format!(
            "singular design: {} {} a linear combination of other terms; not estimable",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" }
        ));
    }
    if fit.flag == 1000 || fit.info.is_some_and(|i| i[3] == 1) {
        out.push(format!(
            "the fit did not converge in {} iterations; its estimates are not reliable",
            fit.iter
        ));
        return out;
    }
    // R's check (coxph.fit): the score scaled by the variance is still large for a
    // coefficient when the log-likelihood has converged.
    let var = fit.naive_var.as_ref().unwrap_or(&fit.var);
    let infinite: Vec<&str> = kept
        .iter()
        .filter(|&&j| {
            let inf: f64 = kept
                .iter()
                .map(|&k| fit.first[k] * var[[k, j]])
                .sum::<f64>()
                .abs();
            !fit.first[j].is_finite() || (inf > 1e-9 && inf > TOLER_INF * fit.coefficients[j].abs())
        })
        .map(|&j| names[j].as_str())
        .collect();
    if !infinite.is_empty() {
        out.push(format!(
            "the log-likelihood converged before {}; the coefficient may be infinite (a group with no events, or complete separation)",
            infinite.join(", ")
        ));
    }
    out
}

/// R's `coxph.control()$toler.inf`: sqrt(eps).
const TOLER_INF: f64 = 3.162_277_660_168_379_5e-5;
