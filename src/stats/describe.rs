//! Summary statistics for a Table 1, following gtsummary's defaults: median and quartiles
//! by R's `quantile(type = 2)`, mean and SD (n − 1), and counts with percentages of the
//! non-missing values.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub median: Option<f64>,
    pub q1: Option<f64>,
    pub q3: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
}

/// Summary of the (non-missing) values; every field `None` for an empty sample, `sd` for
/// a sample of one.
pub fn summary(values: &[f64]) -> Summary {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return Summary {
            median: None,
            q1: None,
            q3: None,
            min: None,
            max: None,
            mean: None,
            sd: None,
        };
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let sd = (n > 1)
        .then(|| (sorted.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
    Summary {
        median: Some(quantile_type2(&sorted, 0.5)),
        q1: Some(quantile_type2(&sorted, 0.25)),
        q3: Some(quantile_type2(&sorted, 0.75)),
        min: Some(sorted[0]),
        max: Some(sorted[n - 1]),
        mean: Some(mean),
        sd,
    }
}

/// The decimals gtsummary gives a continuous variable's statistics when none are set
/// (`continuous_digits_guess`): none for whole numbers; else by the spread between the 5th
/// and 95th percentiles (R's default `quantile`, type 7): below 0.01 four, below 0.1 three,
/// below 10 two, below 20 one, else none.
pub fn digits_guess(values: &[f64]) -> usize {
    if values.iter().all(|v| v.fract() == 0.0) {
        return 0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let spread = quantile_type7(&sorted, 0.95) - quantile_type7(&sorted, 0.05);
    match spread {
        s if s < 0.01 => 4,
        s if s < 0.1 => 3,
        s if s < 10.0 => 2,
        s if s < 20.0 => 1,
        _ => 0,
    }
}

/// R's `quantile(x, p)` (type 7) on sorted data: linear between order statistics.
pub fn quantile_type7(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// R's `quantile(x, p, type = 2)` on sorted data: the inverse of the empirical CDF,
/// averaging at discontinuities (so the median of an even sample is the mean of the two
/// middle values).
pub fn quantile_type2(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let fuzz = 4.0 * f64::EPSILON;
    let nppm = n as f64 * p;
    let j = (nppm + fuzz).floor() as usize;
    // 1-based x_j with x_0 = x_1 and x_{n+1} = x_n, as R pads.
    let x = |k: usize| sorted[k.clamp(1, n) - 1];
    if nppm > j as f64 {
        x(j + 1)
    } else {
        (x(j) + x(j + 1)) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_follow_gtsummary_guess() {
        assert_eq!(digits_guess(&[25.0, 56.0, 81.0]), 0);
        assert_eq!(digits_guess(&[0.5, 1.2, 3.4, 7.9]), 2);
        assert_eq!(digits_guess(&[10.5, 22.1, 45.3]), 0);
        assert_eq!(digits_guess(&[1.5, 8.2, 14.3]), 1);
        assert_eq!(digits_guess(&[0.012, 0.034, 0.051]), 3);
        assert_eq!(quantile_type7(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
    }

    #[test]
    fn quartiles_follow_r_type_2() {
        // R: quantile(1:10, c(.25, .5, .75), type = 2) -> 3, 5.5, 8
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile_type2(&x, 0.25), 3.0);
        assert_eq!(quantile_type2(&x, 0.5), 5.5);
        assert_eq!(quantile_type2(&x, 0.75), 8.0);
        // R: quantile(1:8, .25, type = 2) -> 2.5 (n p is whole: average)
        let y: Vec<f64> = (1..=8).map(f64::from).collect();
        assert_eq!(quantile_type2(&y, 0.25), 2.5);
    }

    #[test]
    fn summary_of_one_value_has_no_sd() {
        let s = summary(&[4.0]);
        assert_eq!(s.median, Some(4.0));
        assert_eq!(s.sd, None);
    }
}
