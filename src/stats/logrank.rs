//! The k-group log-rank test, as R's `survdiff(Surv(time, event) ~ group)`.

use survival::surv_analysis::{SurvdiffData, survdiff};

use super::{ChisqTest, Result, StatsError};

#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    pub test: ChisqTest,
    /// Per group code: (n, observed, expected).
    pub groups: Vec<(u64, f64, f64)>,
}

pub fn logrank(time: &[f64], event: &[bool], group: &[u32], n_groups: usize) -> Result<LogRank> {
    if n_groups < 2 {
        return Err(StatsError(format!(
            "a log-rank test compares groups, but only {n_groups} group has data"
        )));
    }
    let status = event.iter().map(|&e| e as i32).collect();
    let codes = group.iter().map(|&g| g as i32).collect();
    let data = SurvdiffData::try_new(None, time.to_vec(), status, codes, None)?;
    let fit = survdiff(&data, 0.0, true)?;
    let (obs, exp) = (fit.obs_totals(), fit.exp_totals());
    let groups = (0..fit.n.len())
        .map(|g| (fit.n[g] as u64, obs[g], exp[g]))
        .collect();
    Ok(LogRank {
        test: ChisqTest::new(fit.chisq, fit.df),
        groups,
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
        let lr = logrank(&time, &event, &group, 2).unwrap();
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
        assert!(logrank(&[1.0, 2.0], &[true, false], &[0, 0], 1).is_err());
    }
}
