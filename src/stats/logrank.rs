//! The k-group log-rank test, as R's `survdiff(Surv(time, event) ~ group)`.
//!
//! Observed and expected deaths and their variance depend only on the numbers at risk and
//! dying in each group at each distinct time, so the test runs over those counts: one
//! pass over the sorted rows, then work proportional to the distinct times.

use super::linalg::solve;
use super::sorted::Counts;
use super::{ChisqTest, Result, StatsError};

#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    pub test: ChisqTest,
    /// Per group code: (n, observed, expected).
    pub groups: Vec<(u64, f64, f64)>,
}

/// `weight`, when given, is how many patients each row stands for.
pub fn logrank(
    time: &[f64],
    event: &[bool],
    group: &[u32],
    n_groups: usize,
    weight: Option<&[u64]>,
) -> Result<LogRank> {
    if n_groups < 2 {
        return Err(StatsError(format!(
            "a log-rank test compares groups, but only {n_groups} group has data"
        )));
    }
    let k = n_groups;
    let counts = Counts::of_rows(time, event, Some(group), k, weight);
    let sizes = counts.sizes();
    let mut at_risk: Vec<f64> = sizes.iter().map(|&n| n as f64).collect();
    let mut observed = vec![0.0; k];
    let mut expected = vec![0.0; k];
    let mut var = vec![0.0; k * k];
    for t in 0..counts.time.len() {
        let deaths: Vec<f64> = (0..k).map(|g| counts.events[t * k + g] as f64).collect();
        let d: f64 = deaths.iter().sum();
        let n: f64 = at_risk.iter().sum();
        if d > 0.0 {
            for g in 0..k {
                observed[g] += deaths[g];
                expected[g] += d * at_risk[g] / n;
            }
            if n > 1.0 {
                let f = d * (n - d) / (n * (n - 1.0));
                for g in 0..k {
                    var[g * k + g] += f * at_risk[g];
                    for h in 0..k {
                        var[g * k + h] -= f * at_risk[g] * at_risk[h] / n;
                    }
                }
            }
        }
        for (g, n) in at_risk.iter_mut().enumerate() {
            *n -= (counts.events[t * k + g] + counts.censored[t * k + g]) as f64;
        }
    }
    // R drops groups with nothing expected, then the first of the rest, and solves.
    let kept: Vec<usize> = (0..k).filter(|&g| expected[g] > 0.0).collect();
    let chisq = if kept.len() < 2 {
        0.0
    } else {
        let rest = &kept[1..];
        let diff: Vec<f64> = rest.iter().map(|&g| observed[g] - expected[g]).collect();
        let var = &var;
        let sub: Vec<f64> = rest
            .iter()
            .flat_map(|&g| rest.iter().map(move |&h| var[g * k + h]))
            .collect();
        match solve(&sub, rest.len(), &diff) {
            Some(x) => x.iter().zip(&diff).map(|(a, b)| a * b).sum(),
            None => f64::NAN,
        }
    };
    let df = kept.len().saturating_sub(1);
    Ok(LogRank {
        test: ChisqTest::new(chisq, df),
        groups: (0..k)
            .map(|g| (sizes[g], observed[g], expected[g]))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_and_expected_add_up() {
        let time = [1., 2., 3., 4., 5., 6., 7., 8.];
        let event = [true, true, false, true, true, true, false, true];
        let group = [0, 1, 0, 1, 0, 1, 0, 1];
        let lr = logrank(&time, &event, &group, 2, None).unwrap();
        let (o, e): (f64, f64) = lr
            .groups
            .iter()
            .fold((0.0, 0.0), |a, g| (a.0 + g.1, a.1 + g.2));
        assert_eq!(o, 6.0);
        assert!((e - 6.0).abs() < 1e-12);
        assert_eq!(lr.test.df, 1);
    }

    #[test]
    fn one_group_is_refused() {
        assert!(logrank(&[1.0, 2.0], &[true, false], &[0, 0], 1, None).is_err());
    }
}
