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
/// - the scores or their variance are not finite, where R's `qr()` would stop with an
///   error (a safeguard: cmprsk's own guard against 0·∞ keeps this from happening in
///   practice).
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

/// One group's counts and estimates just before (`_before`) and at the current time.
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
    // An event at time u counts in the score at u, and through the incidence estimates
    // it changes every later weight as well. Its total effect on score i is
    // a[i][k](u) + t4(u)·(c[i][k](τ) − c[i][k](u)), where `c` accumulates `a` against the
    // pooled subdistribution hazard. c(τ) is known only after the last time, so the
    // square is expanded: `v` collects the (a − t4·c(u))² terms, `v2` the cross terms
    // and `v3` the t4² terms, and the three are combined once c(τ) is in.
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
        let d_cause: usize = arms.iter().map(|arm| arm.cause).sum();
        let d_competing: usize = arms.iter().map(|arm| arm.competing).sum();

        let mut pooled = pooled_before;
        if d_cause > 0 || d_competing > 0 {
            // h = n(t)/S(t−) undoes the losses to events of every kind, leaving the group
            // as thinned by censoring alone; h·(1 − F(t−)) is then the subdistribution
            // risk set, everyone not yet failed from the cause, which keeps those who
            // failed from a competing cause. `h_total` and `r_total` sum them over groups.
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
            pooled = pooled_before + d_cause as f64 / h_total;

            // a[i][k] = h_i (δ_ik − h_k / Σh) weighs an event in group k in score i;
            // a·d/(Σh (1 − F(t−))) is `a` times the pooled subdistribution hazard.
            a.fill(0.0);
            let hazard_denominator = h_total * (1.0 - pooled_before);
            for i in 0..ng {
                if arms[i].at_risk == 0 {
                    continue;
                }
                let hi = arms[i].at_risk as f64 / arms[i].surv_before;
                let aii = hi * (1.0 - hi / h_total);
                a[i * ng + i] = aii;
                // Skipping zeros keeps 0·∞ out of `c` once the pooled incidence is 1, as
                // cmprsk does since 2.2-12.
                if aii != 0.0 {
                    c[i * ng + i] += aii * d_cause as f64 / hazard_denominator;
                }
                for j in i + 1..ng {
                    if arms[j].at_risk == 0 {
                        continue;
                    }
                    let aij = -hi * arms[j].at_risk as f64 / (arms[j].surv_before * h_total);
                    a[i * ng + j] = aij;
                    a[j * ng + i] = aij;
                    if aij != 0.0 {
                        c[i * ng + j] += aij * d_cause as f64 / hazard_denominator;
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
                        - (d_cause * arm.at_risk) as f64 * (1.0 - arm.cif_before)
                            / (arm.surv_before * r_total);
                }
            }

            if d_cause > 0 {
                for (k, arm) in arms.iter().enumerate() {
                    if arm.at_risk == 0 {
                        continue;
                    }
                    // `t3` is the variance of group k's increment, `t4` how far it
                    // carries into the later incidence estimates.
                    let t4 = if arm.surv > 0.0 {
                        1.0 - (1.0 - pooled) / arm.surv
                    } else {
                        1.0
                    };
                    // Tied events: the log-rank (n − d)/(n − 1) correction, with the
                    // group's reweighted size Σh·S(t−) as n.
                    let ties = if d_cause > 1 {
                        1.0 - (d_cause - 1) as f64 / (h_total * arm.surv_before - 1.0)
                    } else {
                        1.0
                    };
                    let t3 =
                        ties * arm.surv_before * d_cause as f64 / (h_total * arm.at_risk as f64);
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

            // A competing event is not counted in any score; it matters only through
            // the incidence estimates it changes later on, so it has no `a` term.
            if d_competing > 0 {
                for (k, arm) in arms.iter().enumerate() {
                    if arm.surv <= 0.0 || arm.competing == 0 {
                        continue;
                    }
                    let t4 = (1.0 - pooled) / arm.surv;
                    let d = arm.competing as f64;
                    let n = arm.at_risk as f64;
                    let ties = if arm.competing > 1 {
                        1.0 - (d - 1.0) / (n - 1.0)
                    } else {
                        1.0
                    };
                    let t3 = ties * (arm.surv_before * arm.surv_before * d) / (n * n);
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
            // A NaN norm counts as negligible, as in the Fortran.
            if qraux[l].is_nan() || qraux[l] < original[l] * QR_TOL {
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
                tail.iter_mut()
                    .zip(hv.iter())
                    .for_each(|(e, h)| *e += t * h);
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

    // Two groups, two causes; ties within and across groups, censorings tied with events.
    const TIME: [f64; 24] = [
        1., 2., 2., 3., 3., 3., 5., 5., 6., 8., 8., 9., //
        1., 2., 3., 3., 4., 4., 4., 6., 7., 7., 9., 10.,
    ];
    const CAUSE: [u32; 24] = [
        1, 1, 0, 2, 1, 0, 1, 2, 0, 1, 1, 0, //
        2, 0, 1, 2, 2, 0, 1, 0, 2, 1, 0, 2,
    ];
    const GROUP: [u32; 24] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ];

    #[test]
    fn two_groups_with_ties() {
        // R: library(cmprsk)
        //    time  <- c(1, 2, 2, 3, 3, 3, 5, 5, 6, 8, 8, 9, 1, 2, 3, 3, 4, 4, 4, 6, 7, 7, 9, 10)
        //    cause <- c(1, 1, 0, 2, 1, 0, 1, 2, 0, 1, 1, 0, 2, 0, 1, 2, 2, 0, 1, 0, 2, 1, 0, 2)
        //    group <- rep(c("a", "b"), each = 12)
        //    print(cuminc(time, cause, group)$Tests, digits = 17)
        let want = [(1, 1.6608189582791406), (2, 0.8167100850572974)];
        for (k, stat) in want {
            let got = gray_test(&TIME, &CAUSE, &GROUP, 2, k).unwrap();
            assert!(close(got.statistic, stat), "cause {k}: {}", got.statistic);
            assert_eq!(got.df, 1);
        }
    }

    #[test]
    fn group_without_events_of_the_cause() {
        // Group c never fails from cause 1 but stays at risk, so it still has a score;
        // at time 6 it has two competing events.
        // R: time  <- c(2, 3, 3, 5, 7, 7, 8, 11, 1, 3, 4, 4, 6, 9, 9, 12,
        //               2, 3, 5, 6, 6, 8, 10, 13)
        //    cause <- c(1, 1, 2, 1, 0, 1, 2, 0, 2, 1, 1, 0, 1, 2, 1, 0,
        //               2, 0, 2, 2, 2, 0, 2, 0)
        //    group <- rep(c("a", "b", "c"), each = 8)
        //    print(cuminc(time, cause, group)$Tests, digits = 17)
        let time = [
            2., 3., 3., 5., 7., 7., 8., 11., //
            1., 3., 4., 4., 6., 9., 9., 12., //
            2., 3., 5., 6., 6., 8., 10., 13.,
        ];
        let cause = [
            1, 1, 2, 1, 0, 1, 2, 0, //
            2, 1, 1, 0, 1, 2, 1, 0, //
            2, 0, 2, 2, 2, 0, 2, 0,
        ];
        let group: Vec<u32> = (0..3).flat_map(|g| [g; 8]).collect();
        let want = [(1, 5.1909509109864445), (2, 3.450081422487508)];
        for (k, stat) in want {
            let got = gray_test(&time, &cause, &group, 3, k).unwrap();
            assert!(close(got.statistic, stat), "cause {k}: {}", got.statistic);
            assert_eq!(got.df, 2);
        }
    }

    #[test]
    fn edge_cases() {
        // The pooled incidence reaches 1 at time 4 with group b still at risk.
        // R: cuminc(c(1, 4, 2, 5, 3, 3.5), c(0, 1, 0, 1, 1, 1),
        //           c("a", "a", "b", "b", "c", "c"))$Tests
        // (cmprsk >= 2.2-12; 2.2-11 stops with "NA/NaN/Inf in foreign function call")
        let got = gray_test(
            &[1., 4., 2., 5., 3., 3.5],
            &[0, 1, 0, 1, 1, 1],
            &[0, 0, 1, 1, 2, 2],
            3,
            1,
        )
        .unwrap();
        assert!(close(got.statistic, 3.146878024969179), "{}", got.statistic);
        assert_eq!(got.df, 2);

        // Group c is censored before anyone fails, so its score and variance are zero.
        // R: time  <- c(3, 4, 5, 6, 3, 5, 6, 7, 1, 2)
        //    cause <- c(1, 2, 1, 0, 1, 1, 2, 0, 0, 0)
        //    group <- c(rep("a", 4), rep("b", 4), "c", "c")
        //    cuminc(time, cause, group)$Tests   # stat -1, pv 1 for both causes
        let time = [3., 4., 5., 6., 3., 5., 6., 7., 1., 2.];
        let cause = [1, 2, 1, 0, 1, 1, 2, 0, 0, 0];
        let group = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2];
        assert_eq!(gray_test(&time, &cause, &group, 3, 1), None);
        assert_eq!(gray_test(&time, &cause, &group, 3, 2), None);
        // Without group c the two remaining groups can be compared.
        assert!(gray_test(&time[..8], &cause[..8], &group[..8], 3, 1).is_some());

        // Groups a and b alone are at risk at the one cause-2 event, so their scores are
        // exact opposites and V = [[1, -1], [-1, 1]] / 4 has rank 1 though no row is 0.
        // R: cuminc(c(0, 2, 3, 4), c(3, 0, 2, 1), c("c", "a", "b", "a"))$Tests
        //    # cause 1: -1, cause 2: -1, cause 3: 3 on 2 df
        let (time, cause, group) = ([0., 2., 3., 4.], [3, 0, 2, 1], [2, 0, 1, 0]);
        assert_eq!(gray_test(&time, &cause, &group, 3, 1), None);
        assert_eq!(gray_test(&time, &cause, &group, 3, 2), None);
        let got = gray_test(&time, &cause, &group, 3, 3).unwrap();
        assert!(close(got.statistic, 3.0), "{}", got.statistic);

        // A cause nobody had, censoring as a cause, and a single group.
        assert_eq!(gray_test(&TIME, &CAUSE, &GROUP, 2, 3), None);
        assert_eq!(gray_test(&TIME, &CAUSE, &GROUP, 2, 0), None);
        assert_eq!(gray_test(&TIME, &CAUSE, &[0; 24], 1, 1), None);
    }

    #[test]
    fn group_codes_without_rows_are_dropped() {
        // As cuminc drops empty factor levels: an unused code changes nothing.
        let two = gray_test(&TIME, &CAUSE, &GROUP, 2, 1).unwrap();
        let shifted: Vec<u32> = GROUP.iter().map(|&g| 2 * g).collect();
        assert_eq!(gray_test(&TIME, &CAUSE, &shifted, 4, 1), Some(two));
    }
}
