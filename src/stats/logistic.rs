//! Logistic regression as R's `glm(y ~ x, family = binomial)` fits it, with the
//! confidence intervals `confint()` prints: profile likelihood (MASS's `profile.glm` and
//! `confint.profile.glm`, in stats itself from R 4.4) and Wald (`confint.default`).
//!
//! Agreement with R to rounding error needs more than the same model. The fit replays
//! `glm.fit` step for step: the same starting values, the same iteratively reweighted
//! least-squares solves through LINPACK's `dqrdc2` (limited column pivoting, which decides
//! which columns are aliased), the same convergence test, and the standard errors from the
//! decomposition of the *last* solve, whose weights come from the iterate before the final
//! one. The profile limits depend on the profile's grid and on R's interpolation, so those
//! are replayed as well: the grid of `profile.glm`, an "fmm" cubic spline through it as
//! `spline()` builds and evaluates it, and `approx()` to invert the spline.
//!
//! The fit needs a small Householder QR (LINPACK's, for its pivoting); the normal and
//! chi-square tails and quantiles are the ones the other statistics use. The profiles of
//! the terms run side by side.

// R's values in the tests are quoted to the digits R prints.
#![allow(clippy::excessive_precision)]

use super::finite;

/// One coefficient of the fitted model. Values that do not exist are `None`: every field
/// of an aliased coefficient, a profile limit that could not be found (see
/// `profile_note`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticTerm {
    pub term: String,
    /// Log odds ratio.
    pub coef: Option<f64>,
    pub se: Option<f64>,
    pub z: Option<f64>,
    /// Two-sided normal p-value of `z`, as `summary.glm` computes it.
    pub p: Option<f64>,
    /// Odds ratio, `exp(coef)`.
    pub or: Option<f64>,
    /// Profile-likelihood limits, on the odds-ratio scale.
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// Why a profile limit is missing, when one is.
    pub profile_note: Option<String>,
    /// Wald limits `exp(coef ± z * se)`.
    pub wald_lower: Option<f64>,
    pub wald_upper: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deviance {
    pub null: f64,
    pub residual: f64,
}

/// Likelihood-ratio test of the model against the intercept-only one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrTest {
    pub chisq: f64,
    pub df: usize,
    /// Upper chi-square tail; `None` when `df` is 0.
    pub p: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// "(Intercept)" first, then the columns of `x` in order.
    pub terms: Vec<LogisticTerm>,
    /// Rows with a positive weight.
    pub n: usize,
    pub df_null: usize,
    pub df_residual: usize,
    pub deviance: Deviance,
    pub aic: f64,
    pub lr_test: LrTest,
    /// `glm`'s `iter`: the number of least-squares solves.
    pub iterations: usize,
    pub converged: bool,
    /// R's warnings, word for word where R has one, then those of the profile refits.
    pub warnings: Vec<String>,
}

/// `glm.control()`: `epsilon` and `maxit`.
const EPSILON: f64 = 1e-8;
const MAXIT: usize = 25;
/// The rank tolerance `glm.fit` hands to the QR: `min(1e-7, epsilon / 1000)`.
const QR_TOL: f64 = 1e-11;
/// `profile.glm`'s `maxsteps`: at most nine refits on each side of the estimate.
const MAXSTEPS: usize = 10;
/// The logit inverse clamps beyond these (R's `family.c`).
const THRESH: f64 = 30.0;
const MTHRESH: f64 = -30.0;

/// Fits `y ~ x` by maximum likelihood with a logit link, an intercept added in front.
///
/// `x` is `n × p`, row-major, without an intercept column; `y` is 0 or 1; `weights` are
/// prior weights (case counts), 1 when absent, and a zero weight leaves its row out as R
/// does. `names` names the `p` columns. `conf_level` sets both kinds of interval.
pub fn logistic(
    x: &[f64],
    p: usize,
    y: &[f64],
    weights: Option<&[f64]>,
    names: &[String],
    conf_level: f64,
) -> Result<LogisticFit, String> {
    let n = y.len();
    if x.len() != n * p {
        return Err(format!(
            "x has {} values, not {n} rows × {p} columns",
            x.len()
        ));
    }
    if names.len() != p {
        return Err(format!("{} names for {p} columns", names.len()));
    }
    if !(conf_level > 0.0 && conf_level < 1.0) {
        return Err(format!("confidence level {conf_level} is not in (0, 1)"));
    }
    if n == 0 {
        return Err("no observations".into());
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err("x has a missing or infinite value".into());
    }
    if y.iter().any(|&v| v != 0.0 && v != 1.0) {
        return Err("y must be 0 or 1".into());
    }
    let w = match weights {
        Some(w) if w.len() != n => {
            return Err(format!("{} weights for {n} observations", w.len()));
        }
        Some(w) if w.iter().any(|&v| !(v.is_finite() && v >= 0.0)) => {
            return Err("weights must be finite and non-negative".into());
        }
        Some(w) => w.to_vec(),
        None => vec![1.0; n],
    };
    let mut warnings = Vec::new();
    // binomial()$initialize checks that weight × y counts successes.
    if w.iter()
        .zip(y)
        .any(|(&w, &y)| (w * y - (w * y).round_ties_even()).abs() > 0.001)
    {
        warnings.push("non-integer #successes in a binomial glm!".to_string());
    }

    // The model matrix, column-major as R holds it: the intercept, then x.
    let k = p + 1;
    let mut design = vec![1.0; n * k];
    for i in 0..n {
        for j in 0..p {
            design[(j + 1) * n + i] = x[i * p + j];
        }
    }
    let mut term_names = Vec::with_capacity(k);
    term_names.push("(Intercept)".to_string());
    term_names.extend(names.iter().cloned());

    let zeros = vec![0.0; n];
    let fit = glm_fit(&design, n, k, y, &w, &zeros, None)?;
    warnings.extend(fit.warnings.iter().cloned());
    for (j, name) in term_names.iter().enumerate() {
        if fit.coef[j].is_nan() {
            warnings.push(format!(
                "coefficient {name} not defined because of singularities (aliased column)"
            ));
        }
    }

    let se = standard_errors(&fit, k);
    let n_ok = w.iter().filter(|&&v| v != 0.0).count();
    let df_null = n_ok.saturating_sub(1);
    let df_residual = n_ok
        .checked_sub(fit.rank)
        .ok_or("more coefficients than rows")?;

    // y as glm.fit sees it: binomial()$initialize zeroes y where the weight is zero.
    let y_fit: Vec<f64> = y
        .iter()
        .zip(&w)
        .map(|(&y, &w)| if w == 0.0 { 0.0 } else { y })
        .collect();
    let wtdmu = neumaier(y_fit.iter().zip(&w).map(|(y, w)| w * y)) / neumaier(w.iter().copied());
    let null = neumaier(y_fit.iter().zip(&w).map(|(&y, &w)| dev_resid(y, wtdmu, w)));
    let aic = binomial_aic(&y_fit, &fit.mu, &w) + 2.0 * fit.rank as f64;
    let chisq = null - fit.deviance;
    let lr_df = fit.rank.saturating_sub(1);
    let lr_test = LrTest {
        chisq,
        df: lr_df,
        p: (lr_df > 0).then(|| super::chisq_sf(chisq, lr_df as f64)),
    };

    // Both intervals use qnorm(c(a, 1 - a)), with 1 - a rounded as R rounds it.
    let a = (1.0 - conf_level) / 2.0;
    let (q_lo, q_hi) = (super::normal_quantile(a), super::normal_quantile(1.0 - a));
    // Each term's profile is a series of refits of its own: on every core at once.
    let profiles: Vec<Option<Profile>> = {
        use rayon::prelude::*;
        (0..k)
            .into_par_iter()
            .map(|j| {
                (!fit.coef[j].is_nan()).then(|| {
                    profile_term(
                        &design,
                        n,
                        k,
                        y,
                        &w,
                        &fit.coef,
                        se[j],
                        j,
                        fit.deviance,
                        conf_level,
                        (q_lo, q_hi),
                    )
                })
            })
            .collect()
    };
    let mut profiles = profiles.into_iter();
    let mut profile_warnings = Vec::new();
    let mut terms = Vec::with_capacity(k);
    for (j, name) in term_names.into_iter().enumerate() {
        let prof = profiles.next().expect("one per term");
        let coef = fit.coef[j];
        if coef.is_nan() {
            terms.push(LogisticTerm {
                term: name,
                coef: None,
                se: None,
                z: None,
                p: None,
                or: None,
                lower: None,
                upper: None,
                profile_note: Some("aliased coefficient".into()),
                wald_lower: None,
                wald_upper: None,
            });
            continue;
        }
        let z = coef / se[j];
        let prof = prof.expect("a profile for every estimable term");
        for msg in prof.warnings {
            let msg = format!("profiling {name}: {msg}");
            if !profile_warnings.contains(&msg) {
                profile_warnings.push(msg);
            }
        }
        terms.push(LogisticTerm {
            coef: finite(coef),
            se: finite(se[j]),
            z: finite(z),
            p: finite(super::normal_p(z)),
            or: finite(coef.exp()),
            lower: prof.lower.and_then(|v| finite(v.exp())),
            upper: prof.upper.and_then(|v| finite(v.exp())),
            profile_note: prof.note.or_else(|| overflow_note(prof.lower, prof.upper)),
            wald_lower: finite((coef + se[j] * q_lo).exp()),
            wald_upper: finite((coef + se[j] * q_hi).exp()),
            term: name,
        });
    }
    warnings.extend(profile_warnings);

    Ok(LogisticFit {
        terms,
        n: n_ok,
        df_null,
        df_residual,
        deviance: Deviance {
            null,
            residual: fit.deviance,
        },
        aic,
        lr_test,
        iterations: fit.iter,
        converged: fit.converged,
        warnings,
    })
}

/// A profile limit found on the log-odds scale whose odds ratio is too large for a double.
fn overflow_note(lower: Option<f64>, upper: Option<f64>) -> Option<String> {
    let big: Vec<String> = [("lower", lower), ("upper", upper)]
        .iter()
        .filter_map(|&(side, v)| {
            v.filter(|v| !v.exp().is_finite())
                .map(|v| format!("{side} limit exp({v}) overflows"))
        })
        .collect();
    (!big.is_empty()).then(|| big.join("; "))
}

// ---------------------------------------------------------------------------------------
// The binomial family with logit link, as R's C code computes it.

fn linkinv(eta: f64) -> f64 {
    let tmp = if eta < MTHRESH {
        f64::EPSILON
    } else if eta > THRESH {
        1.0 / f64::EPSILON
    } else {
        eta.exp()
    };
    tmp / (1.0 + tmp)
}

fn mu_eta(eta: f64) -> f64 {
    let opexp = 1.0 + eta.exp();
    if !(MTHRESH..=THRESH).contains(&eta) {
        f64::EPSILON
    } else {
        eta.exp() / (opexp * opexp)
    }
}

fn linkfun(mu: f64) -> f64 {
    (mu / (1.0 - mu)).ln()
}

fn variance(mu: f64) -> f64 {
    mu * (1.0 - mu)
}

fn valid_mu(mu: &[f64]) -> bool {
    mu.iter().all(|&m| m.is_finite() && m > 0.0 && m < 1.0)
}

fn y_log_y(y: f64, mu: f64) -> f64 {
    if y != 0.0 { y * (y / mu).ln() } else { 0.0 }
}

fn dev_resid(y: f64, mu: f64, wt: f64) -> f64 {
    2.0 * wt * (y_log_y(y, mu) + y_log_y(1.0 - y, 1.0 - mu))
}

fn deviance(y: &[f64], mu: &[f64], wt: &[f64]) -> f64 {
    neumaier((0..y.len()).map(|i| dev_resid(y[i], mu[i], wt[i])))
}

/// `binomial()$aic` without the `2 * rank`: -2 Σ dbinom(round(w y), round(w), mu, log).
/// With y in {0, 1} every term is dbinom's "all successes" or "no successes" case.
fn binomial_aic(y: &[f64], mu: &[f64], wt: &[f64]) -> f64 {
    -2.0 * neumaier((0..y.len()).filter(|&i| wt[i] > 0.0).map(|i| {
        let size = wt[i].round_ties_even();
        let (p, q) = (mu[i], 1.0 - mu[i]);
        if size == 0.0 {
            0.0
        } else if y[i] == 0.0 {
            if p < 0.1 {
                -bd0(size, size * q) - size * p
            } else {
                size * q.ln()
            }
        } else if q < 0.1 {
            -bd0(size, size * p) - size * q
        } else {
            size * p.ln()
        }
    }))
}

/// Loader's deviance term `x log(x / np) + np - x`, by its series when x ≈ np, where the
/// closed form cancels.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        if s.abs() < f64::MIN_POSITIVE {
            return s;
        }
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / (2 * j + 1) as f64;
            if s1 == s {
                return s1;
            }
            s = s1;
        }
    }
    x * (x / np).ln() + np - x
}

// ---------------------------------------------------------------------------------------
// glm.fit

struct GlmFit {
    /// In column order; NaN where aliased.
    coef: Vec<f64>,
    rank: usize,
    /// The decomposition of the last least-squares solve (`None` for an empty model).
    qr: Option<Qr>,
    deviance: f64,
    mu: Vec<f64>,
    iter: usize,
    converged: bool,
    warnings: Vec<String>,
}

/// `glm.fit(x, y, weights, etastart, offset, family = binomial())` with the default
/// control. `x` is `n × k`, column-major.
fn glm_fit(
    x: &[f64],
    n: usize,
    k: usize,
    y: &[f64],
    weights: &[f64],
    offset: &[f64],
    etastart: Option<&[f64]>,
) -> Result<GlmFit, String> {
    let mut warnings = Vec::new();
    let y: Vec<f64> = y
        .iter()
        .zip(weights)
        .map(|(&y, &w)| if w == 0.0 { 0.0 } else { y })
        .collect();
    let linear_predictor = |coef: &[f64]| -> Vec<f64> {
        let mut eta = matvec(x, n, k, coef);
        for (e, o) in eta.iter_mut().zip(offset) {
            *e += o;
        }
        eta
    };

    if k == 0 {
        // An empty model: the offset is the whole linear predictor, nothing is iterated.
        let mu: Vec<f64> = offset.iter().map(|&e| linkinv(e)).collect();
        if !valid_mu(&mu) {
            return Err("invalid fitted means in empty model".into());
        }
        return Ok(GlmFit {
            coef: Vec::new(),
            rank: 0,
            qr: None,
            deviance: deviance(&y, &mu, weights),
            mu,
            iter: 0,
            converged: true,
            warnings,
        });
    }

    let mut eta: Vec<f64> = match etastart {
        Some(e) => e.to_vec(),
        None => y
            .iter()
            .zip(weights)
            .map(|(&y, &w)| linkfun((w * y + 0.5) / (w + 1.0)))
            .collect(),
    };
    let mut mu: Vec<f64> = eta.iter().map(|&e| linkinv(e)).collect();
    if !valid_mu(&mu) {
        return Err("cannot find valid starting values: please specify some".into());
    }
    let mut devold = deviance(&y, &mu, weights);
    let mut dev = devold;
    let mut coefold: Option<Vec<f64>> = None;
    let mut start = vec![0.0; k];
    let mut converged = false;
    let mut boundary = false;
    let mut last: Option<Qr> = None;
    let mut iter = 0;

    for it in 1..=MAXIT {
        iter = it;
        let d_mu: Vec<f64> = eta.iter().map(|&e| mu_eta(e)).collect();
        let good: Vec<usize> = (0..n)
            .filter(|&i| weights[i] > 0.0 && d_mu[i] != 0.0)
            .collect();
        if good.is_empty() {
            converged = false;
            warnings.push(format!("no observations informative at iteration {it}"));
            break;
        }
        let ng = good.len();
        let mut a = vec![0.0; ng * k];
        let mut zw = vec![0.0; ng];
        for (r, &i) in good.iter().enumerate() {
            let z = (eta[i] - offset[i]) + (y[i] - mu[i]) / d_mu[i];
            let w = ((weights[i] * (d_mu[i] * d_mu[i])) / variance(mu[i])).sqrt();
            for j in 0..k {
                a[j * ng + r] = x[j * n + i] * w;
            }
            zw[r] = z * w;
        }
        let qr = dqrls(a, ng, k, &zw, QR_TOL);
        if qr.coef.iter().any(|c| !c.is_finite()) {
            return Err(format!("non-finite coefficients at iteration {it}"));
        }
        if n < qr.rank {
            return Err(format!(
                "X matrix has rank {}, but only {n} observations",
                qr.rank
            ));
        }
        for j in 0..k {
            start[qr.pivot[j]] = qr.coef[j];
        }
        eta = linear_predictor(&start);
        mu = eta.iter().map(|&e| linkinv(e)).collect();
        dev = deviance(&y, &mu, weights);
        boundary = false;
        // With the clamped logit inverse neither repair below should ever run; they are
        // glm.fit's, kept so that a NaN cannot slip through as a result.
        if !dev.is_finite() {
            let old = coefold.as_ref().ok_or(
                "no valid set of coefficients has been found: please supply starting values",
            )?;
            warnings.push("step size truncated due to divergence".into());
            let mut ii = 1;
            while !dev.is_finite() {
                if ii > MAXIT {
                    return Err("inner loop 1; cannot correct step size".into());
                }
                ii += 1;
                for (s, o) in start.iter_mut().zip(old) {
                    *s = (*s + o) / 2.0;
                }
                eta = linear_predictor(&start);
                mu = eta.iter().map(|&e| linkinv(e)).collect();
                dev = deviance(&y, &mu, weights);
            }
            boundary = true;
        }
        if !valid_mu(&mu) {
            let old = coefold.as_ref().ok_or(
                "no valid set of coefficients has been found: please supply starting values",
            )?;
            warnings.push("step size truncated: out of bounds".into());
            let mut ii = 1;
            while !valid_mu(&mu) {
                if ii > MAXIT {
                    return Err("inner loop 2; cannot correct step size".into());
                }
                ii += 1;
                for (s, o) in start.iter_mut().zip(old) {
                    *s = (*s + o) / 2.0;
                }
                eta = linear_predictor(&start);
                mu = eta.iter().map(|&e| linkinv(e)).collect();
            }
            boundary = true;
            dev = deviance(&y, &mu, weights);
        }
        last = Some(qr);
        if (dev - devold).abs() / (0.1 + dev.abs()) < EPSILON {
            converged = true;
            break;
        }
        devold = dev;
        coefold = Some(start.clone());
    }
    let Some(qr) = last else {
        return Err("no iteration of the fit could be carried out".into());
    };

    if !converged {
        warnings.push("glm.fit: algorithm did not converge".into());
    }
    if boundary {
        warnings.push("glm.fit: algorithm stopped at boundary value".into());
    }
    let eps = 10.0 * f64::EPSILON;
    if mu.iter().any(|&m| m > 1.0 - eps || m < eps) {
        warnings.push("glm.fit: fitted probabilities numerically 0 or 1 occurred".into());
    }
    let mut coef = start;
    for &j in &qr.pivot[qr.rank..] {
        coef[j] = f64::NAN;
    }
    Ok(GlmFit {
        coef,
        rank: qr.rank,
        qr: Some(qr),
        deviance: dev,
        mu,
        iter,
        converged,
        warnings,
    })
}

/// `x %*% b` as the reference BLAS `dgemv` accumulates it, column by column.
fn matvec(x: &[f64], n: usize, k: usize, b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; n];
    for j in 0..k {
        let t = b[j];
        for (o, &v) in out.iter_mut().zip(&x[j * n..(j + 1) * n]) {
            *o += t * v;
        }
    }
    out
}

/// `sqrt(diag(chol2inv(R)))` for the unaliased coefficients, in column order: R is the
/// triangle of the last least-squares solve (`summary.glm`; dispersion 1 for binomial).
fn standard_errors(fit: &GlmFit, k: usize) -> Vec<f64> {
    let mut se = vec![f64::NAN; k];
    let Some(qr) = &fit.qr else { return se };
    let (r, ld) = (qr.rank, qr.n);
    // Invert the upper triangle in place, column by column as LAPACK's dtrti2 does.
    let mut u = vec![0.0; r * r];
    for j in 0..r {
        for i in 0..=j {
            u[j * r + i] = qr.qr[j * ld + i];
        }
    }
    for j in 0..r {
        u[j * r + j] = 1.0 / u[j * r + j];
        let ajj = -u[j * r + j];
        for jj in 0..j {
            let temp = u[j * r + jj];
            if temp != 0.0 {
                for i in 0..jj {
                    u[j * r + i] += temp * u[jj * r + i];
                }
                u[j * r + jj] = temp * u[jj * r + jj];
            }
        }
        for i in 0..j {
            u[j * r + i] *= ajj;
        }
    }
    // The diagonal of U⁻¹ U⁻ᵀ: row sums of squares (dlauu2).
    for i in 0..r {
        let mut s = 0.0;
        for c in i..r {
            let v = u[c * r + i];
            s += v * v;
        }
        se[qr.pivot[i]] = s.sqrt();
    }
    se
}

// ---------------------------------------------------------------------------------------
// Least squares by LINPACK's QR (R's dqrls, dqrdc2, dqrsl), column-major.

struct Qr {
    /// The factored matrix: R above the diagonal, Householder vectors below.
    qr: Vec<f64>,
    n: usize,
    rank: usize,
    /// `pivot[j]` is the original column now in position j; aliased columns come last.
    pivot: Vec<usize>,
    /// Coefficients in pivoted order, zero beyond the rank.
    coef: Vec<f64>,
}

fn dqrls(mut x: Vec<f64>, n: usize, p: usize, y: &[f64], tol: f64) -> Qr {
    let (rank, pivot, qraux) = dqrdc2(&mut x, n, p, tol);
    let mut coef = vec![0.0; p];
    if rank > 0 {
        let b = dqrsl_coef(&mut x, n, rank, &qraux, y);
        coef[..rank].copy_from_slice(&b);
    }
    Qr {
        qr: x,
        n,
        rank,
        pivot,
        coef,
    }
}

fn nrm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `dqrdc2`: Householder QR that moves a column to the end once its remaining norm falls
/// below `tol` times its original norm; the columns so moved are the aliased ones.
/// Returns the rank, the pivot and `qraux`.
fn dqrdc2(x: &mut [f64], n: usize, p: usize, tol: f64) -> (usize, Vec<usize>, Vec<f64>) {
    let mut qraux = vec![0.0; p];
    let mut work1 = vec![0.0; p];
    let mut work2 = vec![0.0; p];
    let mut jpvt: Vec<usize> = (0..p).collect();
    if n > 0 {
        for j in 0..p {
            qraux[j] = nrm2(&x[j * n..(j + 1) * n]);
            work1[j] = qraux[j];
            work2[j] = if qraux[j] == 0.0 { 1.0 } else { qraux[j] };
        }
    }
    let lup = n.min(p);
    // One past the last column still in play, counted from 1 as in the Fortran.
    let mut k = p + 1;
    for l in 0..lup {
        while l + 1 < k && qraux[l] < work2[l] * tol {
            for i in 0..n {
                let t = x[l * n + i];
                for j in l + 1..p {
                    x[(j - 1) * n + i] = x[j * n + i];
                }
                x[(p - 1) * n + i] = t;
            }
            jpvt[l..].rotate_left(1);
            qraux[l..].rotate_left(1);
            work1[l..].rotate_left(1);
            work2[l..].rotate_left(1);
            k -= 1;
        }
        if l + 1 == n {
            continue;
        }
        let m = n - l;
        let ll = l * n + l;
        let mut nrmxl = nrm2(&x[ll..ll + m]);
        if nrmxl == 0.0 {
            continue;
        }
        if x[ll] != 0.0 {
            nrmxl = nrmxl.abs().copysign(x[ll]);
        }
        let s = 1.0 / nrmxl;
        for v in &mut x[ll..ll + m] {
            *v *= s;
        }
        x[ll] += 1.0;
        for j in l + 1..p {
            let lj = j * n + l;
            let t = -dot(&x[ll..ll + m], &x[lj..lj + m]) / x[ll];
            if t != 0.0 {
                for i in 0..m {
                    x[lj + i] += t * x[ll + i];
                }
            }
            if qraux[j] != 0.0 {
                let r = x[lj].abs() / qraux[j];
                let tt = (1.0 - r * r).max(0.0);
                if tt.abs() >= 1e-6 {
                    qraux[j] *= tt.sqrt();
                } else {
                    // Too much cancellation to downdate: recompute the norm.
                    qraux[j] = nrm2(&x[lj + 1..lj + m]);
                    work1[j] = qraux[j];
                }
            }
        }
        qraux[l] = x[ll];
        x[ll] = -nrmxl;
    }
    ((k - 1).min(n), jpvt, qraux)
}

/// `dqrsl` with job 100: Qᵀy, then the triangular solve for the first `k` coefficients.
fn dqrsl_coef(x: &mut [f64], n: usize, k: usize, qraux: &[f64], y: &[f64]) -> Vec<f64> {
    let mut qty = y.to_vec();
    let ju = k.min(n.saturating_sub(1));
    if ju == 0 {
        return if x[0] != 0.0 {
            vec![y[0] / x[0]]
        } else {
            vec![0.0]
        };
    }
    for j in 0..ju {
        if qraux[j] == 0.0 {
            continue;
        }
        let jj = j * n + j;
        let temp = x[jj];
        x[jj] = qraux[j];
        let t = -dot(&x[jj..j * n + n], &qty[j..]) / x[jj];
        if t != 0.0 {
            for i in j..n {
                qty[i] += t * x[j * n + i];
            }
        }
        x[jj] = temp;
    }
    let mut b = qty[..k].to_vec();
    for j in (0..k).rev() {
        let d = x[j * n + j];
        if d == 0.0 {
            break;
        }
        b[j] /= d;
        let t = -b[j];
        if j > 0 && t != 0.0 {
            for i in 0..j {
                b[i] += t * x[j * n + i];
            }
        }
    }
    b
}

// ---------------------------------------------------------------------------------------
// Profile likelihood (profile.glm, confint.profile.glm).

struct Profile {
    lower: Option<f64>,
    upper: Option<f64>,
    note: Option<String>,
    warnings: Vec<String>,
}

/// Profiles coefficient `i`: refits with it fixed at points stepping away from the
/// estimate, turns each deviance into a signed root z, and inverts z(β) at the normal
/// quantiles `cut` through a spline, as `confint.profile.glm` does. Limits are on the
/// log-odds scale.
#[allow(clippy::too_many_arguments)]
fn profile_term(
    x: &[f64],
    n: usize,
    k: usize,
    y: &[f64],
    w: &[f64],
    b0: &[f64],
    se: f64,
    i: usize,
    dev0: f64,
    level: f64,
    cut: (f64, f64),
) -> Profile {
    let mut prof = Profile {
        lower: None,
        upper: None,
        note: None,
        warnings: Vec::new(),
    };
    // confint.glm profiles with alpha = (1 - level) / 4, so the walk goes on until
    // |z| >= sqrt(qchisq(1 - alpha, 1)), past the interval's own cutoff, in steps of a
    // fifth of that many standard errors.
    let alpha = (1.0 - level) / 4.0;
    let zmax = -super::normal_quantile(alpha / 2.0);
    let del = zmax / 5.0;

    let non_aliased: Vec<usize> = (0..k).filter(|&j| !b0[j].is_nan()).collect();
    let kept: Vec<usize> = non_aliased.iter().copied().filter(|&j| j != i).collect();
    let ki = kept.len();
    let mut xi = Vec::with_capacity(n * ki);
    for &j in &kept {
        xi.extend_from_slice(&x[j * n..(j + 1) * n]);
    }
    let mut xa = Vec::with_capacity(n * non_aliased.len());
    for &j in &non_aliased {
        xa.extend_from_slice(&x[j * n..(j + 1) * n]);
    }
    let ba: Vec<f64> = non_aliased.iter().map(|&j| b0[j]).collect();
    let lp0 = matvec(&xa, n, non_aliased.len(), &ba);
    let xcol = &x[i * n..(i + 1) * n];

    // (z, β) pairs, the estimate itself at z = 0 first.
    let mut pts: Vec<(f64, f64)> = vec![(0.0, b0[i])];
    for sgn in [-1.0, 1.0] {
        let mut lp = lp0.clone();
        let mut z: f64 = 0.0;
        let mut step = 0;
        loop {
            step += 1;
            if !(step < MAXSTEPS && z.abs() < zmax) {
                break;
            }
            let bi = b0[i] + sgn * step as f64 * del * se;
            let o: Vec<f64> = xcol.iter().map(|&v| v * bi).collect();
            let fm = match glm_fit(&xi, n, ki, y, w, &o, Some(&lp)) {
                Ok(fm) => fm,
                Err(e) => {
                    prof.note = Some(format!("profile refit failed: {e}"));
                    return prof;
                }
            };
            for msg in fm.warnings {
                if !prof.warnings.contains(&msg) {
                    prof.warnings.push(msg);
                }
            }
            // An aliased coefficient in the refit is NA in R and poisons the next start.
            lp = matvec(&xi, n, ki, &fm.coef);
            for (l, o) in lp.iter_mut().zip(&o) {
                *l += o;
            }
            let mut zz = fm.deviance - dev0;
            if zz > -1e-3 {
                zz = zz.max(0.0);
            } else {
                prof.note = Some(
                    "profiling has found a better solution, so original fit had not converged"
                        .into(),
                );
                return prof;
            }
            z = sgn * zz.sqrt();
            pts.push((z, bi));
        }
    }
    if pts.iter().any(|(z, b)| !z.is_finite() || !b.is_finite()) {
        prof.note = Some("profile refit gave a non-finite deviance".into());
        return prof;
    }
    // order(zi): stable, with -0 and 0 equal.
    pts.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("finite"));
    let (beta, zs): (Vec<f64>, Vec<f64>) = pts.iter().map(|&(z, b)| (b, z)).unzip();

    let (sx, sy, tied_beta) = spline(&beta, &zs);
    let (ax, ay, tied_z) = regularize(&sy, &sx);
    if tied_beta || tied_z {
        prof.warnings.push("collapsing to unique 'x' values".into());
    }
    if ax.len() < 2 {
        prof.note = Some("profile is flat: need at least two values to interpolate".into());
        return prof;
    }
    prof.lower = finite(approx(&ax, &ay, cut.0));
    prof.upper = finite(approx(&ax, &ay, cut.1));
    let missing: Vec<&str> = [("lower", prof.lower), ("upper", prof.upper)]
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(s, _)| *s)
        .collect();
    if !missing.is_empty() {
        prof.note = Some(format!(
            "{} limit not reached: the profile deviance stays below the cutoff for {} steps \
             of {:.3} standard errors (R reports NA; the limit may be infinite, e.g. under \
             separation)",
            missing.join(" and "),
            MAXSTEPS - 1,
            del
        ));
    }
    prof
}

/// `regularize.values(x, y, mean)`: drops pairs with a NaN, sorts by x (stably) if not
/// sorted, and collapses tied x to the mean of their y (saying so, as R warns).
fn regularize(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>, bool) {
    let mut pairs: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(&a, &b)| (a, b))
        .collect();
    if pairs.windows(2).any(|w| w[0].0 > w[1].0) {
        pairs.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("no NaN"));
    }
    let mut ux = Vec::with_capacity(pairs.len());
    let mut uy = Vec::with_capacity(pairs.len());
    let mut s = 0;
    while s < pairs.len() {
        let mut e = s + 1;
        while e < pairs.len() && pairs[e].0 == pairs[s].0 {
            e += 1;
        }
        ux.push(pairs[s].0);
        uy.push(if e - s == 1 {
            pairs[s].1
        } else {
            r_mean(pairs[s..e].iter().map(|p| p.1))
        });
        s = e;
    }
    let collapsed = ux.len() < pairs.len();
    (ux, uy, collapsed)
}

/// R's `mean()`: the sum over n, then corrected by the mean of the residuals.
fn r_mean(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = v.clone().count() as f64;
    let m = neumaier(v.clone()) / n;
    if !m.is_finite() {
        return m;
    }
    m + neumaier(v.map(|x| x - m)) / n
}

/// `spline(x, y)` with its defaults: method "fmm", evaluated at `3 * length(x)` equally
/// spaced points over the range of x (after ties are collapsed, since R's default `n` is
/// evaluated then). Returns the points, the spline's values there, and whether ties were
/// collapsed.
fn spline(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>, bool) {
    let (x, y, collapsed) = regularize(x, y);
    let nx = x.len();
    if nx == 0 {
        return (Vec::new(), Vec::new(), collapsed);
    }
    let xout = seq_len_out(x[0], x[nx - 1], 3 * nx);
    let (b, c, d) = fmm_spline(&x, &y);
    let yout = spline_eval(&xout, &x, &y, &b, &c, &d);
    (xout, yout, collapsed)
}

/// `seq.int(from, to, length.out = n)`: ends exact, inner points `from + i * by`.
fn seq_len_out(from: f64, to: f64, n: usize) -> Vec<f64> {
    let mut v = vec![from; n];
    if n > 1 {
        v[n - 1] = to;
    }
    if n > 2 {
        let by = (to - from) / (n - 1) as f64;
        for (i, vi) in v.iter_mut().enumerate().take(n - 1).skip(1) {
            *vi = from + i as f64 * by;
        }
    }
    v
}

/// Forsythe, Malcolm and Moler's cubic spline: the end conditions match the third
/// derivative of the cubic through the four points at each end.
fn fmm_spline(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = x.len();
    let mut b = vec![0.0; n];
    let mut c = vec![0.0; n];
    let mut d = vec![0.0; n];
    if n < 2 {
        return (b, c, d);
    }
    if n < 3 {
        b[0] = (y[1] - y[0]) / (x[1] - x[0]);
        b[1] = b[0];
        return (b, c, d);
    }
    let nm1 = n - 1;
    // Tridiagonal system: b diagonal, d off-diagonal, c right-hand side.
    d[0] = x[1] - x[0];
    c[1] = (y[1] - y[0]) / d[0];
    for i in 1..nm1 {
        d[i] = x[i + 1] - x[i];
        b[i] = 2.0 * (d[i - 1] + d[i]);
        c[i + 1] = (y[i + 1] - y[i]) / d[i];
        c[i] = c[i + 1] - c[i];
    }
    b[0] = -d[0];
    b[nm1] = -d[n - 2];
    c[0] = 0.0;
    c[nm1] = 0.0;
    if n > 3 {
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0]);
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4]);
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0]);
        c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4]);
    }
    for i in 1..n {
        let t = d[i - 1] / b[i - 1];
        b[i] -= t * d[i - 1];
        c[i] -= t * c[i - 1];
    }
    c[nm1] /= b[nm1];
    for i in (0..nm1).rev() {
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i];
    }
    b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1]);
    for i in 0..nm1 {
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i]);
        d[i] = (c[i + 1] - c[i]) / d[i];
        c[i] *= 3.0;
    }
    c[nm1] *= 3.0;
    d[nm1] = d[n - 2];
    (b, c, d)
}

/// Evaluates the spline at `u`, searching for the interval only when the point leaves the
/// current one (as R does, which matters only for which piece a knot is evaluated on).
fn spline_eval(u: &[f64], x: &[f64], y: &[f64], b: &[f64], c: &[f64], d: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut i = 0;
    u.iter()
        .map(|&ul| {
            if ul < x[i] || (i < n - 1 && x[i + 1] < ul) {
                i = 0;
                let mut j = n;
                loop {
                    let k = (i + j) / 2;
                    if ul < x[k] {
                        j = k;
                    } else {
                        i = k;
                    }
                    if j <= i + 1 {
                        break;
                    }
                }
            }
            let dx = ul - x[i];
            y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))
        })
        .collect()
}

/// `approx(x, y, xout = v)$y` with `rule = 1`: NaN outside the range of x.
fn approx(x: &[f64], y: &[f64], v: f64) -> f64 {
    let n = x.len();
    if n == 0 || v.is_nan() {
        return f64::NAN;
    }
    let (mut i, mut j) = (0, n - 1);
    if v < x[i] || v > x[j] {
        return f64::NAN;
    }
    while i + 1 < j {
        let ij = (i + j) / 2;
        if v < x[ij] {
            j = ij;
        } else {
            i = ij;
        }
    }
    if v == x[j] {
        return y[j];
    }
    if v == x[i] {
        return y[i];
    }
    y[i] + (y[j] - y[i]) * ((v - x[i]) / (x[j] - x[i]))
}

// ---------------------------------------------------------------------------------------
// Distributions and sums.

/// A sum with Neumaier's compensation: R sums in extended precision, and this comes
/// closer to that than a plain f64 loop.
fn neumaier(v: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0_f64, 0.0_f64);
    for x in v {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
    }
    s + c
}
#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        if a == b {
            return true;
        }
        ((a - b) / b).abs() <= tol
    }

    #[track_caller]
    fn check(what: &str, got: Option<f64>, want: f64) {
        let got = got.unwrap_or_else(|| panic!("{what}: missing, R has {want}"));
        assert!(close(got, want, 1e-9), "{what}: {got} vs R {want}");
    }

    /// One term's R values: coef, se, z, p, profile lower and upper, Wald lower and
    /// upper, the limits on the log-odds scale.
    #[track_caller]
    fn check_term(t: &LogisticTerm, r: [f64; 8]) {
        check(&format!("{} coef", t.term), t.coef, r[0]);
        check(&format!("{} se", t.term), t.se, r[1]);
        check(&format!("{} z", t.term), t.z, r[2]);
        check(&format!("{} p", t.term), t.p, r[3]);
        check(&format!("{} or", t.term), t.or, r[0].exp());
        check(&format!("{} lower", t.term), t.lower.map(f64::ln), r[4]);
        check(&format!("{} upper", t.term), t.upper.map(f64::ln), r[5]);
        check(
            &format!("{} wald lower", t.term),
            t.wald_lower.map(f64::ln),
            r[6],
        );
        check(
            &format!("{} wald upper", t.term),
            t.wald_upper.map(f64::ln),
            r[7],
        );
    }

    // mtcars: wt, hp, am.
    const WT: [f64; 32] = [
        2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78, 5.25,
        5.424, 5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14, 1.513, 3.17,
        2.77, 3.57, 2.78,
    ];
    const HP: [f64; 32] = [
        110.0, 110.0, 93.0, 110.0, 175.0, 105.0, 245.0, 62.0, 95.0, 123.0, 123.0, 180.0, 180.0,
        180.0, 205.0, 215.0, 230.0, 66.0, 52.0, 65.0, 97.0, 150.0, 150.0, 245.0, 175.0, 66.0, 91.0,
        113.0, 264.0, 175.0, 335.0, 109.0,
    ];
    const AM: [f64; 32] = [
        1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
        1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,
    ];

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mtcars_two_predictors_match_r() {
        // R 4.2.2, MASS 7.3-58.2, printed with sprintf("%.17g"):
        //   fit <- glm(am ~ wt + hp, binomial, mtcars)
        //   cbind(coef(summary(fit)), confint(fit), confint.default(fit))
        //   c(fit$null.deviance, fit$deviance, fit$aic, fit$iter)
        //   pchisq(fit$null.deviance - fit$deviance, 2, lower.tail = FALSE)
        let x: Vec<f64> = WT.iter().zip(&HP).flat_map(|(&a, &b)| [a, b]).collect();
        let fit = logistic(&x, 2, &AM, None, &names(&["wt", "hp"]), 0.95).unwrap();
        check_term(
            &fit.terms[0],
            [
                18.866298717204096,
                7.443558060205274,
                2.5345807159169,
                0.011258198716613689,
                8.376266979843578,
                40.550841854271084,
                4.277193002368934,
                33.455404432039259,
            ],
        );
        check_term(
            &fit.terms[1],
            [
                -8.0834751824446283,
                3.0686751130546961,
                -2.6341906147236216,
                0.0084338125997070225,
                -17.208693526552675,
                -3.7730697608647752,
                -14.097967884286209,
                -2.0689824806030463,
            ],
        );
        check_term(
            &fit.terms[2],
            [
                0.036255596082216547,
                0.017734153650769347,
                2.0443939302760974,
                0.040914646459029938,
                0.010608135810902215,
                0.090554098294896065,
                0.0014972936304091175,
                0.071013898534023984,
            ],
        );
        check("null deviance", Some(fit.deviance.null), 43.229733276857807);
        check("deviance", Some(fit.deviance.residual), 10.059110472266989);
        check("aic", Some(fit.aic), 16.059110472266987);
        check("lr chisq", Some(fit.lr_test.chisq), 33.17062280459082);
        check("lr p", fit.lr_test.p, 6.2674485478383359e-08);
        assert_eq!(fit.lr_test.df, 2);
        assert_eq!(fit.iterations, 8);
        assert!(fit.converged);
        assert_eq!(fit.terms[0].term, "(Intercept)");
        // The main fit is clean; only refits far out on the profile reach 0 or 1, and R
        // warns about those too.
        assert!(!fit.warnings.iter().any(|w| w.starts_with("glm.fit")));
    }

    #[test]
    fn weighted_fit_at_90_percent_matches_r() {
        // Grouped dose-response data, one row per (dose, outcome) with its count:
        //   d <- data.frame(dose = rep(c(0, 1, 2, 3, 4), each = 2), y = rep(c(0, 1), 5),
        //                   w = c(18, 2, 15, 5, 11, 9, 6, 14, 2, 18))
        //   fit <- glm(y ~ dose, binomial, d, weights = w)
        //   cbind(coef(summary(fit)), confint(fit, level = 0.9),
        //         confint.default(fit, level = 0.9))
        let dose = [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0];
        let y = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
        let w = [18.0, 2.0, 15.0, 5.0, 11.0, 9.0, 6.0, 14.0, 2.0, 18.0];
        let fit = logistic(&dose, 1, &y, Some(&w), &names(&["dose"]), 0.9).unwrap();
        check_term(
            &fit.terms[0],
            [
                -2.2358162403708488,
                0.4973103168074432,
                -4.4958171282751591,
                6.9303281265465608e-06,
                -3.1161865606136847,
                -1.4691922550790841,
                -3.0538189186919578,
                -1.4178135620497405,
            ],
        );
        check_term(
            &fit.terms[1],
            [
                1.0572762076591995,
                0.20856190631275789,
                5.0693639425874633,
                3.991473478841343e-07,
                0.73568536484665115,
                1.4264468122701359,
                0.71422239961674649,
                1.4003300157016523,
            ],
        );
        check("null deviance", Some(fit.deviance.null), 138.46939341799231);
        check("deviance", Some(fit.deviance.residual), 100.62945440051935);
        check("aic", Some(fit.aic), 104.62945440051934);
        check("lr p", fit.lr_test.p, 7.6793400651239336e-10);
        assert_eq!(fit.iterations, 4);
        assert_eq!(fit.n, 10);
        assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
    }

    #[test]
    fn separation_warns_and_leaves_the_open_limit_missing() {
        //   x <- 1:10; y <- as.numeric(x > 5); fit <- glm(y ~ x, binomial)
        //   Warnings: glm.fit: algorithm did not converge
        //             glm.fit: fitted probabilities numerically 0 or 1 occurred
        //   fit$iter: 25
        //   confint(fit):     2.5 %     97.5 %
        //     (Intercept) -215192.610 45938.85
        //     x             -4672.666       NA
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|&v| if v > 5.0 { 1.0 } else { 0.0 }).collect();
        let fit = logistic(&x, 1, &y, None, &names(&["x"]), 0.95).unwrap();
        for w in [
            "glm.fit: algorithm did not converge",
            "glm.fit: fitted probabilities numerically 0 or 1 occurred",
        ] {
            assert!(fit.warnings.iter().any(|v| v == w), "{:?}", fit.warnings);
        }
        assert!(!fit.converged);
        assert_eq!(fit.iterations, 25);
        let t = &fit.terms[1];
        assert_eq!(t.lower, Some(0.0), "exp(-4672.666) underflows to 0");
        assert!(t.upper.is_none());
        assert!(
            t.profile_note
                .as_deref()
                .unwrap_or("")
                .contains("upper limit not reached")
        );
        // The intercept's upper limit exists on the log scale but not as an odds ratio.
        let i = &fit.terms[0];
        assert!(i.upper.is_none());
        assert!(
            i.profile_note
                .as_deref()
                .unwrap_or("")
                .contains("overflows")
        );
    }

    #[test]
    fn aliased_column_is_missing_and_the_rest_is_unchanged() {
        //   fit <- glm(am ~ wt + I(2 * wt) + hp, binomial, mtcars)
        //   coef(fit)["I(2 * wt)"] is NA; the other rows equal those of am ~ wt + hp.
        let x: Vec<f64> = WT
            .iter()
            .zip(&HP)
            .flat_map(|(&a, &b)| [a, 2.0 * a, b])
            .collect();
        let fit = logistic(&x, 3, &AM, None, &names(&["wt", "wt2", "hp"]), 0.95).unwrap();
        let t = &fit.terms[2];
        assert!(t.coef.is_none() && t.se.is_none() && t.lower.is_none());
        assert!(fit.warnings.iter().any(|w| w.contains("wt2")));
        check("wt coef", fit.terms[1].coef, -8.0834751824446283);
        check("wt se", fit.terms[1].se, 3.0686751130546961);
        check(
            "wt lower",
            fit.terms[1].lower.map(f64::ln),
            -17.208693526552675,
        );
        check(
            "hp upper",
            fit.terms[3].upper.map(f64::ln),
            0.090554098294896065,
        );
        check("aic", Some(fit.aic), 16.059110472266987);
        assert_eq!(fit.lr_test.df, 2);
        assert_eq!(fit.df_residual, 29);
    }
}
