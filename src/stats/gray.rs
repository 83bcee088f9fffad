//! Gray's test for equal cumulative incidence of one cause across groups, as R's
//! `cmprsk::cuminc(ftime, fstatus, group)$Tests` (rho = 0, no strata).
//!
//! This is the score test of Gray (1988, Annals of Statistics 16:1141–1154) computed the
//! way cmprsk's Fortran (`crstm`/`crst`) computes it, step for step, so the statistic
//! agrees with R to rounding error: the same Kaplan-Meier and cumulative-incidence
//! recursions, the same tie corrections, and the same rank test (R's `qr()`, LINPACK,
//! tolerance 1e-7) before the score is turned into a chi-square.
//!
//! Rows with equal times form one block, whatever their order: censorings at an event
//! time count as at risk at that time, as in R's survival code.

/// Rank tolerance of R's `qr()`, which `cuminc` uses to decide whether the variance of
/// the scores can be inverted.
const QR_TOL: f64 = 1e-7;

/// Gray's test for one cause.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrayTest {
    /// The quadratic form s' V⁻¹ s of the scores of all groups but the last.
    pub statistic: f64,
    /// The number of groups with at least one row, less one.
    pub df: usize,
}

/// Gray's test that the cumulative incidence of cause `of_cause` is the same in every
/// group.
///
/// `cause[i]` is 0 for a censored row and k > 0 for a row that ended with cause k; every
/// cause other than `of_cause` is a competing event. `group[i]` must be below `groups`;
/// groups without rows are dropped, as `cuminc` drops empty factor levels, and the
/// others keep their order (cmprsk orders them as the sorted factor levels; any order
/// gives the same statistic up to rounding).
///
/// `None` where `cuminc` reports no test or no usable one:
/// - fewer than two groups have rows (`cuminc` computes no tests);
/// - `of_cause` is 0 or has no events (`cuminc` lists only the causes it sees);
/// - the variance of the scores is singular by R's `qr()` rank test, for instance when a
///   group has left the risk set before the first event of the cause (`cuminc` then
///   reports a statistic of -1 with p = 1, which is no test at all);
/// - the scores or their variance are not finite.
///
/// # Panics
/// If the slices differ in length or a group code is not below `groups`.
pub fn gray_test(
    time: &[f64],
    cause: &[u32],
    group: &[u32],
    groups: usize,
    of_cause: u32,
) -> Option<GrayTest> {
    assert_eq!(time.len(), cause.len(), "time and cause differ in length");
    assert_eq!(time.len(), group.len(), "time and group differ in length");

    let mut size = vec![0usize; groups];
    for &g in group {
        size[g as usize] += 1;
    }
    // Consecutive codes over the groups that have rows, in the caller's order.
    let mut code = vec![usize::MAX; groups];
    let mut ng = 0;
    for (c, &n) in code.iter_mut().zip(&size) {
        if n > 0 {
            *c = ng;
            ng += 1;
        }
    }
    if ng < 2 || of_cause == 0 || !cause.contains(&of_cause) {
        return None;
    }

    let mut rows: Vec<Row> = time
        .iter()
        .zip(cause)
        .zip(group)
        .map(|((&time, &c), &g)| Row {
            time,
            status: match c {
                0 => Status::Censored,
                c if c == of_cause => Status::Cause,
                _ => Status::Competing,
            },
            group: code[g as usize],
        })
        .collect();
    // Stable, as R's `order()`; the order within a tied block does not matter anyway.
    rows.sort_by(|a, b| a.time.total_cmp(&b.time));

    let (score, var) = score_and_variance(&rows, ng);
    if !score.iter().chain(&var).all(|x| x.is_finite()) {
        return None;
    }
    let statistic = quadratic_form(var, ng - 1, &score)?;
    Some(GrayTest {
        statistic,
        df: ng - 1,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Censored,
    Cause,
    Competing,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    time: f64,
    status: Status,
    group: usize,
}

/// One group's estimates just before (`_before`) and at the current time.
#[derive(Debug, Clone)]
struct Arm {
    at_risk: usize,
    /// Kaplan-Meier survival from all causes.
    surv_before: f64,
    surv: f64,
    /// Cumulative incidence of the cause of interest.
    cif_before: f64,
    cif: f64,
    /// Events of the cause and of competing causes in the current block.
    cause: usize,
    competing: usize,
}

/// The scores of the first `ng - 1` groups and their variance (row-major,
/// (ng-1)×(ng-1)), summed over the distinct times.
fn score_and_variance(rows: &[Row], ng: usize) -> (Vec<f64>, Vec<f64>) {
    let nv = ng - 1;
    let mut arms = vec![
        Arm {
            at_risk: 0,
            surv_before: 1.0,
            surv: 1.0,
            cif_before: 0.0,
            cif: 0.0,
            cause: 0,
            competing: 0,
        };
        ng
    ];
    for r in rows {
        arms[r.group].at_risk += 1;
    }

    let mut score = vec![0.0; nv];
    // The variance is accumulated in pieces because the weights depend on the estimated
    // incidence: `c` carries the running effect of estimating the pooled incidence
    // F(t-) that enters every later weight, and `v3`, `v2` are the variance of each
    // group's own hazard martingales and their covariance with the score; the pieces are
    // combined with `c` once `c` is complete, after the last time.
    let mut v = vec![0.0; nv * nv];
    let mut v2 = vec![0.0; nv * ng];
    let mut v3 = vec![0.0; ng];
    let mut c = vec![0.0; ng * ng];
    let mut a = vec![0.0; ng * ng];
    // Pooled cumulative incidence under the null, before and at the current time.
    let mut pooled_before = 0.0;

    for block in rows.chunk_by(|x, y| x.time == y.time) {
        for arm in arms.iter_mut() {
            arm.cause = 0;
            arm.competing = 0;
        }
        for r in block {
            match r.status {
                Status::Cause => arms[r.group].cause += 1,
                Status::Competing => arms[r.group].competing += 1,
                Status::Censored => {}
            }
        }
        let nd1: usize = arms.iter().map(|arm| arm.cause).sum();
        let nd2: usize = arms.iter().map(|arm| arm.competing).sum();

        let mut pooled = pooled_before;
        if nd1 > 0 || nd2 > 0 {
            // `h` is the group's size had there been no events, n(t)/S(t-): censoring
            // thins the risk set but events do not in the subdistribution. `r` is the
            // subdistribution risk set, those who have not failed from the cause,
            // including those who failed from a competing cause.
            let mut h_total = 0.0;
            let mut r_total = 0.0;
            for arm in arms.iter_mut().filter(|arm| arm.at_risk > 0) {
                let n = arm.at_risk as f64;
                let died = (arm.cause + arm.competing) as f64;
                arm.surv = arm.surv_before * (n - died) / n;
                arm.cif = arm.cif_before + (arm.surv_before * arm.cause as f64) / n;
                h_total += n / arm.surv_before;
                r_total += n * (1.0 - arm.cif_before) / arm.surv_before;
            }
            pooled = pooled_before + nd1 as f64 / h_total;

            // `a` is the derivative of the scores with respect to each group's
            // cause-specific martingale increment at this time.
            a.fill(0.0);
            let to_c = h_total * (1.0 - pooled_before);
            for i in 0..ng {
                if arms[i].at_risk == 0 {
                    continue;
                }
                let hi = arms[i].at_risk as f64 / arms[i].surv_before;
                let aii = hi * (1.0 - hi / h_total);
                a[i * ng + i] = aii;
                // Skipping zeros keeps 0·∞ out of `c` once the pooled incidence is 1.
                if aii != 0.0 {
                    c[i * ng + i] += aii * nd1 as f64 / to_c;
                }
                for j in i + 1..ng {
                    if arms[j].at_risk == 0 {
                        continue;
                    }
                    let aij = -hi * arms[j].at_risk as f64 / (arms[j].surv_before * h_total);
                    a[i * ng + j] = aij;
                    a[j * ng + i] = aij;
                    if aij != 0.0 {
                        c[i * ng + j] += aij * nd1 as f64 / to_c;
                    }
                    c[j * ng + i] = c[i * ng + j];
                }
            }

            // Observed minus expected events of the cause, expected under one
            // subdistribution hazard shared by all groups, spread in proportion to the
            // subdistribution risk sets. With rho = 0 every time has weight 1, the
            // log-rank analogue for cumulative incidence.
            for (s, arm) in score.iter_mut().zip(&arms) {
                if arm.at_risk > 0 {
                    *s += arm.cause as f64
                        - (nd1 * arm.at_risk) as f64 * (1.0 - arm.cif_before)
                            / (arm.surv_before * r_total);
                }
            }

            if nd1 > 0 {
                for (k, arm) in arms.iter().enumerate() {
                    if arm.at_risk == 0 {
                        continue;
                    }
                    let t4 = if arm.surv > 0.0 {
                        1.0 - (1.0 - pooled) / arm.surv
                    } else {
                        1.0
                    };
                    // Ties: the variance of a hypergeometric draw of nd1 from the
                    // (reweighted) risk set, rather than of nd1 Poisson events.
                    let ties = if nd1 > 1 {
                        1.0 - (nd1 - 1) as f64 / (h_total * arm.surv_before - 1.0)
                    } else {
                        1.0
                    };
                    let t3 =
                        ties * arm.surv_before * nd1 as f64 / (h_total * arm.at_risk as f64);
                    v3[k] += t4 * t4 * t3;
                    for i in 0..nv {
                        let t1 = a[i * ng + k] - t4 * c[i * ng + k];
                        v2[i * ng + k] += t1 * t4 * t3;
                        for j in 0..=i {
                            let t2 = a[j * ng + k] - t4 * c[j * ng + k];
                            v[i * nv + j] += t1 * t2 * t3;
                        }
                    }
                }
            }

            // Competing events move the incidence only through the survival they
            // remove, so they enter the variance through `c` alone.
            if nd2 > 0 {
                for (k, arm) in arms.iter().enumerate() {
                    if arm.surv <= 0.0 || arm.competing == 0 {
                        continue;
                    }
                    let t4 = (1.0 - pooled) / arm.surv;
                    let d2 = arm.competing as f64;
                    let n = arm.at_risk as f64;
                    let ties = if arm.competing > 1 {
                        1.0 - (d2 - 1.0) / (n - 1.0)
                    } else {
                        1.0
                    };
                    let t3 = ties * (arm.surv_before * arm.surv_before * d2) / (n * n);
                    v3[k] += t4 * t4 * t3;
                    for i in 0..nv {
                        let t1 = t4 * c[i * ng + k];
                        v2[i * ng + k] -= t1 * t4 * t3;
                        for j in 0..=i {
                            let t2 = t4 * c[j * ng + k];
                            v[i * nv + j] += t1 * t2 * t3;
                        }
                    }
                }
            }
        }

        for r in block {
            arms[r.group].at_risk -= 1;
        }
        pooled_before = pooled;
        for arm in arms.iter_mut() {
            arm.cif_before = arm.cif;
            arm.surv_before = arm.surv;
        }
    }

    for i in 0..nv {
        for j in 0..=i {
            let mut vij = v[i * nv + j];
            for k in 0..ng {
                vij += c[i * ng + k] * c[j * ng + k] * v3[k];
                vij += c[i * ng + k] * v2[j * ng + k];
                vij += c[j * ng + k] * v2[i * ng + k];
            }
            v[i * nv + j] = vij;
            v[j * nv + i] = vij;
        }
    }
    (score, v)
}

/// A QR factorisation of a square matrix of full rank, as R's `qr()` makes it.
struct Qr {
    n: usize,
    /// Column-major, LINPACK's layout: R above the diagonal, the Householder vectors
    /// from the diagonal down (their first elements in `qraux`).
    x: Vec<f64>,
    qraux: Vec<f64>,
}

impl Qr {
    /// LINPACK's `dqrdc2`, the routine behind R's `qr()`, or `None` where it would find
    /// the matrix rank-deficient.
    ///
    /// `dqrdc2` moves a column to the end when the norm left after the earlier
    /// Householder steps is below `QR_TOL` times its original norm, and each move lowers
    /// the rank by one; so full rank means no column ever moves, and the first negligible
    /// column ends the matter. The column norms are downdated and recomputed as `dqrdc2`
    /// does, so that the decision falls the same way as R's near the threshold.
    fn new(mut x: Vec<f64>, n: usize) -> Option<Qr> {
        let norm = |v: &[f64]| v.iter().map(|e| e * e).sum::<f64>().sqrt();
        let mut qraux: Vec<f64> = x.chunks(n).map(norm).collect();
        let original: Vec<f64> = qraux
            .iter()
            .map(|&q| if q == 0.0 { 1.0 } else { q })
            .collect();

        for l in 0..n {
            // Negated so that a NaN norm counts as negligible, as in the Fortran.
            if !(qraux[l] >= original[l] * QR_TOL) {
                return None;
            }
            if l + 1 == n {
                break;
            }
            let (done, rest) = x.split_at_mut((l + 1) * n);
            let hv = &mut done[l * n + l..];
            let mut nrmxl = norm(hv);
            if nrmxl == 0.0 {
                continue;
            }
            if hv[0] != 0.0 {
                nrmxl = nrmxl.copysign(hv[0]);
            }
            let scale = 1.0 / nrmxl;
            hv.iter_mut().for_each(|e| *e *= scale);
            hv[0] += 1.0;
            for (col, q) in rest.chunks_mut(n).zip(&mut qraux[l + 1..]) {
                let tail = &mut col[l..];
                let t = -dot(hv, tail) / hv[0];
                tail.iter_mut().zip(hv.iter()).for_each(|(e, h)| *e += t * h);
                if *q != 0.0 {
                    let left = (1.0 - (tail[0].abs() / *q).powi(2)).max(0.0);
                    *q = if left >= 1e-6 {
                        *q * left.sqrt()
                    } else {
                        norm(&tail[1..])
                    };
                }
            }
            qraux[l] = hv[0];
            hv[0] = -nrmxl;
        }
        Some(Qr { n, x, qraux })
    }

    /// The x with A x = b, as LINPACK's `dqrsl` finds it for R's `qr.coef()`; `None`
    /// where a zero on the diagonal of R makes `qr.coef()` stop with "exact
    /// singularity".
    fn solve(&self, b: &[f64]) -> Option<Vec<f64>> {
        let n = self.n;
        let mut y = b.to_vec();
        // Q'b, one Householder reflection per column but the last.
        for j in 0..n.saturating_sub(1) {
            if self.qraux[j] == 0.0 {
                continue;
            }
            let mut hv = self.x[j * n + j..(j + 1) * n].to_vec();
            hv[0] = self.qraux[j];
            let t = -dot(&hv, &y[j..]) / hv[0];
            y[j..].iter_mut().zip(&hv).for_each(|(e, h)| *e += t * h);
        }
        // Back-substitution, a column of R at a time.
        for j in (0..n).rev() {
            let col = &self.x[j * n..j * n + j + 1];
            if col[j] == 0.0 {
                return None;
            }
            y[j] /= col[j];
            let t = -y[j];
            y[..j].iter_mut().zip(col).for_each(|(e, r)| *e += t * r);
        }
        Some(y)
    }
}

/// s' V⁻¹ s for a symmetric V (row-major, which is also column-major), or `None` where
/// R's `qr()` finds V rank-deficient.
///
/// `cuminc` inverts V column by column with `qr.coef(qr(V), diag(n))` and then
/// evaluates `s %*% Vinv %*% s` from the left; doing the same keeps the statistic within
/// rounding of R's even when V is ill-conditioned, as it is when a group's survival
/// nears zero.
fn quadratic_form(var: Vec<f64>, n: usize, s: &[f64]) -> Option<f64> {
    let qr = Qr::new(var, n)?;
    let mut unit = vec![0.0; n];
    let mut inverse = Vec::with_capacity(n * n);
    for j in 0..n {
        unit[j] = 1.0;
        inverse.extend(qr.solve(&unit)?);
        unit[j] = 0.0;
    }
    // `inverse` holds the columns of V⁻¹ one after another.
    let left: Vec<f64> = inverse.chunks(n).map(|col| dot(s, col)).collect();
    Some(dot(&left, s))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(got: f64, want: f64) -> bool {
        ((got - want) / want).abs() < 1e-10
    }
}
