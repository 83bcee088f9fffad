//! The small dense matrix routines of R's survival package, on row-major `n × n` slices.
//!
//! `cholesky2`, `chsolve2` and `chinv2` are what `coxph` uses to step and to invert the
//! information matrix. They differ from a textbook Cholesky in one way that matters: a
//! pivot below `toler` times the largest diagonal marks its column as redundant, which is
//! zeroed instead of failing, so that a singular design still fits and its aliased
//! coefficients come out as `NA`. Reproducing that rule is what makes a singular model
//! agree with R.

/// Factors the symmetric matrix whose upper triangle is in `m` as `F D F'` (F unit lower
/// triangular, stored below the diagonal; D on the diagonal). Returns the rank, negated
/// when a pivot is clearly negative (the matrix is not non-negative definite).
pub fn cholesky2(m: &mut [f64], n: usize, toler: f64) -> i32 {
    let mut eps = 0.0_f64;
    for i in 0..n {
        if m[i * n + i] > eps {
            eps = m[i * n + i];
        }
        for j in (i + 1)..n {
            m[j * n + i] = m[i * n + j];
        }
    }
    eps = if eps == 0.0 { toler } else { eps * toler };
    let mut rank = 0;
    let mut nonneg = 1;
    for i in 0..n {
        let pivot = m[i * n + i];
        if !pivot.is_finite() || pivot < eps {
            m[i * n + i] = 0.0;
            if pivot < -8.0 * eps {
                nonneg = -1;
            }
        } else {
            rank += 1;
            for j in (i + 1)..n {
                let temp = m[j * n + i] / pivot;
                m[j * n + i] = temp;
                m[j * n + j] -= temp * temp * pivot;
                for k in (j + 1)..n {
                    m[k * n + j] -= temp * m[k * n + i];
                }
            }
        }
    }
    rank * nonneg
}

/// Solves `A b = y` in place from the [`cholesky2`] factors of `A`; the components of
/// redundant columns are set to zero.
pub fn chsolve2(chol: &[f64], n: usize, y: &mut [f64]) {
    for i in 0..n {
        let mut temp = y[i];
        for j in 0..i {
            temp -= y[j] * chol[i * n + j];
        }
        y[i] = temp;
    }
    for i in (0..n).rev() {
        if chol[i * n + i] == 0.0 {
            y[i] = 0.0;
        } else {
            let mut temp = y[i] / chol[i * n + i];
            for j in (i + 1)..n {
                temp -= y[j] * chol[j * n + i];
            }
            y[i] = temp;
        }
    }
}

/// Inverts from the [`cholesky2`] factors: afterwards the upper triangle and diagonal
/// hold the (generalised) inverse, with the rows and columns of redundant variables zero.
pub fn chinv2(m: &mut [f64], n: usize) {
    for i in 0..n {
        if m[i * n + i] > 0.0 {
            m[i * n + i] = 1.0 / m[i * n + i];
            for j in (i + 1)..n {
                m[j * n + i] = -m[j * n + i];
                for k in 0..i {
                    m[j * n + k] += m[j * n + i] * m[i * n + k];
                }
            }
        }
    }
    for i in 0..n {
        if m[i * n + i] == 0.0 {
            for j in 0..i {
                m[j * n + i] = 0.0;
            }
            for j in i..n {
                m[i * n + j] = 0.0;
            }
        } else {
            for j in (i + 1)..n {
                let temp = m[j * n + i] * m[j * n + j];
                m[i * n + j] = temp;
                for k in i..j {
                    m[i * n + k] += temp * m[j * n + k];
                }
            }
        }
    }
}

/// `solve(a, b)` for a general square matrix by Gaussian elimination with partial
/// pivoting (LAPACK's `dgesv`, which R's `solve` calls). `None` when `a` is singular.
pub fn solve(a: &[f64], n: usize, b: &[f64]) -> Option<Vec<f64>> {
    let mut m = a.to_vec();
    let mut x = b.to_vec();
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&i, &j| m[i * n + col].abs().total_cmp(&m[j * n + col].abs()))?;
        if m[pivot * n + col] == 0.0 || !m[pivot * n + col].is_finite() {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                m.swap(pivot * n + k, col * n + k);
            }
            x.swap(pivot, col);
        }
        for row in (col + 1)..n {
            let f = m[row * n + col] / m[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    m[row * n + k] -= f * m[col * n + k];
                }
                x[row] -= f * x[col];
            }
        }
    }
    for row in (0..n).rev() {
        let mut s = x[row];
        for k in (row + 1)..n {
            s -= m[row * n + k] * x[k];
        }
        x[row] = s / m[row * n + row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redundant_column_is_zeroed_not_fatal() {
        // columns 0 and 2 are equal: rank 2, and the solve leaves component 2 at zero
        let mut m = vec![4., 2., 4., 2., 5., 2., 4., 2., 4.];
        assert_eq!(cholesky2(&mut m, 3, 1e-9), 2);
        let mut y = vec![1., 1., 1.];
        chsolve2(&m, 3, &mut y);
        assert_eq!(y[2], 0.0);
        chinv2(&mut m, 3);
        assert_eq!((m[2], m[5], m[8]), (0.0, 0.0, 0.0));
    }

    #[test]
    fn the_inverse_of_an_spd_matrix() {
        let a = [4., 2., 0.6, 2., 5., 1., 0.6, 1., 3.];
        let mut m = a.to_vec();
        assert_eq!(cholesky2(&mut m, 3, 1e-9), 3);
        chinv2(&mut m, 3);
        // fill the lower triangle from the upper and check A · A⁻¹ = I
        for i in 0..3 {
            for j in 0..i {
                m[i * 3 + j] = m[j * 3 + i];
            }
        }
        for i in 0..3 {
            for j in 0..3 {
                let v: f64 = (0..3).map(|k| a[i * 3 + k] * m[k * 3 + j]).sum();
                assert!((v - (i == j) as u8 as f64).abs() < 1e-14);
            }
        }
        let x = solve(&a, 3, &[1., 2., 3.]).unwrap();
        for i in 0..3 {
            let v: f64 = (0..3).map(|k| a[i * 3 + k] * x[k]).sum();
            assert!((v - (i + 1) as f64).abs() < 1e-14);
        }
    }
}
