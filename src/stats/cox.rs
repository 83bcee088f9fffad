//! Cox proportional hazards, as R's `coxph(Surv(time, event) ~ x1 + x2 + ...)`, with the
//! likelihood-ratio, Wald and score tests, Harrell's concordance with its standard error,
//! and the proportional-hazards test of `cox.zph(fit, transform = "km")`.
//!
//! A model that cannot be trusted says so: non-convergence, a coefficient that runs off to
//! infinity (R's "Loglik converged before variable ...") and a singular design each add a
//! warning, and a coefficient that is not estimable is `None`, never a number.

use ndarray::Array2;
use serde::Serialize;
use survival::data_prep::aeq_times;
use survival::regression::{CoxPHFit, CoxphData, CoxphOptions, TieMethod, ZphTransform, cox_zph};

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

/// R's coxph defaults: 20 iterations, eps 1e-9, toler.inf = sqrt(eps).
const EPS: f64 = 1e-9;

pub fn cox(
    time: &[f64],
    event: &[bool],
    design: &Design,
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
    // coxph(timefix = TRUE): times equal up to rounding error are made equal, so that
    // ties are ties.
    let time = aeq_times(time);
    let status: Vec<i32> = event.iter().map(|&e| e as i32).collect();
    let x = Array2::from_shape_vec((design.rows, p), design.x.clone())
        .map_err(|e| StatsError(e.to_string()))?;
    let data = CoxphData::try_new(time, None, status, x, None, None, None)?;
    let method = match ties {
        Ties::Efron => TieMethod::Efron,
        Ties::Breslow => TieMethod::Breslow,
    };
    let fit = CoxPHFit::fit(
        data,
        CoxphOptions {
            method,
            ..Default::default()
        },
    )?;

    let mut warnings = Vec::new();
    let aliased: Vec<usize> = (0..p).filter(|&j| fit.coefficients[j].is_nan()).collect();
    if !aliased.is_empty() {
        let names: Vec<&str> = aliased.iter().map(|&j| design.names[j].as_str()).collect();
        warnings.push(format!(
            "singular design: {} {} a linear combination of other terms; not estimable",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" }
        ));
    }
    let converged = fit.flag != 1000;
    let mut infinite = vec![false; p];
    if !converged {
        warnings.push(format!(
            "the fit did not converge in {} iterations; its estimates are not reliable",
            fit.iter.saturating_sub(1)
        ));
    } else {
        // R's coxph.fit: a coefficient whose score, scaled by the variance, is still large
        // when the log-likelihood has converged is heading for infinity.
        let var = fit.naive_var.as_ref().unwrap_or(&fit.var);
        for j in 0..p {
            if fit.coefficients[j].is_nan() {
                continue;
            }
            let inf: f64 = (0..p)
                .map(|k| fit.first[k] * var[[k, j]])
                .sum::<f64>()
                .abs();
            if !fit.first[j].is_finite()
                || (inf > EPS && inf > EPS.sqrt() * fit.coefficients[j].abs())
            {
                infinite[j] = true;
            }
        }
        let names: Vec<&str> = (0..p)
            .filter(|&j| infinite[j])
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
            let coef = fit.coefficients[j];
            let se = fit.var[[j, j]].sqrt();
            let usable = !coef.is_nan();
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

    let df = p - aliased.len();
    let lr = 2.0 * (fit.loglik[1] - fit.loglik[0]);
    let concordance = {
        let c = &fit.concordance;
        let estimate = c.concordance.first().copied().and_then(finite);
        let se = c
            .var
            .as_ref()
            .and_then(|v| v.first())
            .and_then(|r| r.first())
            .map(|v| v.sqrt())
            .and_then(finite);
        (estimate, se)
    };

    let zph = if converged {
        let assign: Vec<Vec<usize>> = design
            .covariates
            .iter()
            .map(|(_, cols)| cols.clone())
            .collect();
        match cox_zph(
            &fit,
            &ZphTransform::Km,
            true,
            false,
            true,
            Some(assign.as_slice()),
        ) {
            Ok(z) => {
                // Covariates whose columns are all aliased drop out of the table.
                let kept: Vec<&String> = design
                    .covariates
                    .iter()
                    .filter(|(_, cols)| cols.iter().any(|&c| !fit.coefficients[c].is_nan()))
                    .map(|(name, _)| name)
                    .collect();
                let rows = z
                    .table
                    .iter()
                    .zip(kept)
                    .map(|(t, name)| (name.clone(), ChisqTest::new(t.chisq, t.df.round() as usize)))
                    .collect();
                z.global_test
                    .map(|g| (rows, ChisqTest::new(g.chisq, g.df.round() as usize)))
            }
            Err(e) => {
                warnings.push(format!(
                    "the proportional-hazards test (cox.zph) could not be computed: {e}"
                ));
                None
            }
        }
    } else {
        None
    };

    Ok(CoxFit {
        n: design.rows as u64,
        events: event.iter().filter(|&&e| e).count() as u64,
        terms,
        loglik_null: fit.loglik[0],
        loglik: fit.loglik[1],
        lr: ChisqTest::new(lr, df),
        wald: ChisqTest::new(fit.wald_test, df),
        score: ChisqTest::new(fit.score, df),
        concordance,
        zph,
        iterations: fit.iter,
        warnings,
    })
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
        let fit = cox(&time, &event, &design, Ties::Efron, 0.95).unwrap();
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
            &one(vec![1., 1., 1., 1., 0., 0., 0., 0.], "g"),
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
            &design,
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
            &design,
            Ties::Efron,
            0.95,
        )
        .unwrap();
        assert!(fit.terms[1].coef.is_none());
        assert!(fit.warnings[0].contains("singular design"));
        assert_eq!(fit.lr.df, 1);
    }
}
