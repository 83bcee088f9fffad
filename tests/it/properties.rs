//! Properties the statistics must keep on any cohort, tried on random ones: what R's
//! fixtures cannot cover is every shape of data, so proptest looks for the cohort that
//! breaks an invariant (and shrinks it to the smallest such).

use proptest::prelude::*;
use reprise::spec::{ConfType, Ties};
use reprise::stats::{self, Design, KmOptions, Weights};

/// A random cohort: times on a coarse grid (so there are ties), events, two groups and
/// a covariate.
#[derive(Debug, Clone)]
struct Cohort {
    time: Vec<f64>,
    event: Vec<bool>,
    group: Vec<u32>,
    x: Vec<f64>,
}

fn cohort() -> impl Strategy<Value = Cohort> {
    (10usize..60)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(1u32..40, n),
                proptest::collection::vec(proptest::bool::weighted(0.6), n),
                proptest::collection::vec(0u32..2, n),
                proptest::collection::vec(-20i32..20, n),
            )
        })
        .prop_map(|(t, event, group, x)| Cohort {
            time: t.into_iter().map(f64::from).collect(),
            event,
            group,
            x: x.into_iter().map(|v| f64::from(v) / 10.0).collect(),
        })
        // Both groups with an event each, so every statistic exists.
        .prop_filter("two groups with events", |c| {
            (0..2).all(|g| (0..c.time.len()).any(|i| c.group[i] == g && c.event[i]))
        })
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300) || (a - b).abs() < 1e-12
}

fn km(c: &Cohort) -> Vec<stats::Curve> {
    let options = KmOptions {
        conf_type: ConfType::Log,
        conf_level: 0.95,
        times: vec![5.0, 10.0, 20.0],
    };
    stats::kaplan_meier(&c.time, &c.event, Some(&c.group), Weights::None, &options).unwrap()
}

fn cox(c: &Cohort, x: &[f64], ties: Ties) -> Option<stats::CoxFit> {
    let design = Design {
        x: x.to_vec(),
        rows: c.time.len(),
        names: vec!["x".into()],
        covariates: vec![("x".into(), vec![0])],
    };
    stats::cox(&c.time, &c.event, design, ties, 0.95).ok()
}

fn logrank(c: &Cohort, time: &[f64]) -> stats::LogRank {
    stats::logrank(time, &c.event, &c.group, 2, None).unwrap()
}

/// The cohort's rows in another order.
fn permuted(c: &Cohort, seed: u64) -> Cohort {
    let mut order: Vec<usize> = (0..c.time.len()).collect();
    let mut state = seed | 1;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    Cohort {
        time: order.iter().map(|&i| c.time[i]).collect(),
        event: order.iter().map(|&i| c.event[i]).collect(),
        group: order.iter().map(|&i| c.group[i]).collect(),
        x: order.iter().map(|&i| c.x[i]).collect(),
    }
}

fn doubled(c: &Cohort) -> Cohort {
    let twice = |v: &Vec<f64>| v.iter().chain(v).copied().collect();
    Cohort {
        time: twice(&c.time),
        event: c.event.iter().chain(&c.event).copied().collect(),
        group: c.group.iter().chain(&c.group).copied().collect(),
        x: twice(&c.x),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn kaplan_meier_never_rises_and_its_interval_holds_it(c in cohort()) {
        for curve in km(&c) {
            let mut last = 1.0;
            for row in &curve.table {
                let s = row.surv.unwrap();
                prop_assert!(s <= last + 1e-15, "rises to {s} from {last} at {}", row.time);
                if let (Some(lo), Some(hi)) = (row.lower, row.upper) {
                    prop_assert!(lo <= s + 1e-12 && s <= hi + 1e-12, "{lo} {s} {hi}");
                }
                last = s;
            }
        }
    }

    #[test]
    fn no_result_depends_on_the_order_of_the_rows(c in cohort(), seed in any::<u64>()) {
        let p = permuted(&c, seed);
        prop_assert_eq!(km(&c), km(&p));
        let (a, b) = (logrank(&c, &c.time), logrank(&p, &p.time));
        prop_assert!(close(a.test.chisq.unwrap(), b.test.chisq.unwrap(), 1e-12));
        // A coefficient that may be infinite (the likelihood rises without end, and the fit
        // says so) is wherever the iterations stopped, in any order of summing: only finite
        // ones must agree.
        let finite = |f: &stats::CoxFit| f.warnings.is_empty();
        if let (Some(a), Some(b)) = (cox(&c, &c.x, Ties::Efron), cox(&p, &p.x, Ties::Efron))
            && finite(&a)
            && finite(&b)
        {
            prop_assert!(close(a.terms[0].coef.unwrap(), b.terms[0].coef.unwrap(), 1e-9));
            prop_assert!(close(a.terms[0].se.unwrap(), b.terms[0].se.unwrap(), 1e-9));
            prop_assert!(close(a.loglik, b.loglik, 1e-12));
        }
    }

    #[test]
    fn scaling_a_covariate_divides_its_coefficient_and_leaves_the_tests(
        c in cohort(),
        scale in prop_oneof![Just(0.01), Just(2.5), Just(1000.0), Just(-3.0)],
    ) {
        let scaled: Vec<f64> = c.x.iter().map(|v| v * scale).collect();
        let (Some(a), Some(b)) = (cox(&c, &c.x, Ties::Efron), cox(&c, &scaled, Ties::Efron)) else {
            return Ok(());
        };
        let (ta, tb) = (&a.terms[0], &b.terms[0]);
        prop_assert!(close(ta.coef.unwrap() / scale, tb.coef.unwrap(), 1e-7));
        prop_assert!(close(ta.se.unwrap() / scale.abs(), tb.se.unwrap(), 1e-7));
        prop_assert!(close(ta.z.unwrap() * scale.signum(), tb.z.unwrap(), 1e-7));
        prop_assert!(close(a.lr.chisq.unwrap(), b.lr.chisq.unwrap(), 1e-7));
        prop_assert!(close(a.score.chisq.unwrap(), b.score.chisq.unwrap(), 1e-7));
        prop_assert!(close(a.wald.chisq.unwrap(), b.wald.chisq.unwrap(), 1e-7));
    }

    #[test]
    fn shifting_every_time_leaves_the_log_rank_test(c in cohort(), shift in 0.5f64..1000.0) {
        let shifted: Vec<f64> = c.time.iter().map(|t| t + shift).collect();
        let (a, b) = (logrank(&c, &c.time), logrank(&c, &shifted));
        prop_assert!(close(a.test.chisq.unwrap(), b.test.chisq.unwrap(), 1e-12));
        prop_assert_eq!(a.groups, b.groups);
    }

    #[test]
    fn every_patient_twice_keeps_the_estimates_and_shrinks_the_errors_by_root_two(c in cohort()) {
        let d = doubled(&c);
        for (one, two) in km(&c).iter().zip(km(&d)) {
            for (r1, r2) in one.table.iter().zip(&two.table) {
                let (s1, s2) = (r1.surv.unwrap(), r2.surv.unwrap());
                prop_assert!(close(s1, s2, 1e-12));
                // On the log scale the interval's half-width is z·se: √2 narrower.
                if let (Some(u1), Some(u2)) = (r1.upper, r2.upper)
                    && u1 < 1.0 && s1 > 0.0 && s1 < 1.0
                {
                    let (w1, w2) = ((u1 / s1).ln(), (u2 / s2).ln());
                    prop_assert!(close(w1 / w2, 2f64.sqrt(), 1e-9), "{w1} {w2}");
                }
            }
        }
        // Breslow's partial likelihood of the doubled data is the square of the original's.
        if let (Some(a), Some(b)) = (cox(&c, &c.x, Ties::Breslow), cox(&d, &d.x, Ties::Breslow)) {
            prop_assert!(close(a.terms[0].coef.unwrap(), b.terms[0].coef.unwrap(), 1e-7));
            prop_assert!(close(a.terms[0].se.unwrap() / b.terms[0].se.unwrap(), 2f64.sqrt(), 1e-7));
        }
    }

    #[test]
    fn the_incidences_of_every_cause_and_survival_add_to_one(
        c in cohort(),
        second in proptest::collection::vec(any::<bool>(), 60),
    ) {
        // Events split into two causes; survival is free of either.
        let cause: Vec<u8> = c.event.iter().zip(&second)
            .map(|(e, s)| if !e { 0 } else if *s { 2 } else { 1 })
            .collect();
        let times = [5.0, 10.0, 20.0, 30.0];
        let incidence = stats::cuminc::cumulative_incidence(&c.time, &cause, 2, None, &times, 0.95).unwrap();
        let options = KmOptions { conf_type: ConfType::Log, conf_level: 0.95, times: times.to_vec() };
        let survival = &stats::kaplan_meier(&c.time, &c.event, None, Weights::None, &options).unwrap()[0];
        for (i, at) in survival.at.iter().enumerate() {
            let total: f64 = incidence.iter().map(|per_cause| per_cause[0].at[i].estimate.unwrap()).sum();
            prop_assert!(close(total + at.surv.unwrap(), 1.0, 1e-12), "{total} + {:?}", at.surv);
        }
    }

    #[test]
    fn flipping_the_outcome_inverts_every_odds_ratio(c in cohort()) {
        let y: Vec<f64> = c.event.iter().map(|e| f64::from(u8::from(*e))).collect();
        let flipped: Vec<f64> = y.iter().map(|v| 1.0 - v).collect();
        let names = vec!["x".to_string()];
        let (Ok(a), Ok(b)) = (
            stats::logistic::logistic(&c.x, 1, &y, None, &names, 0.95),
            stats::logistic::logistic(&c.x, 1, &flipped, None, &names, 0.95),
        ) else {
            return Ok(());
        };
        prop_assume!(a.converged && b.converged);
        for (ta, tb) in a.terms.iter().zip(&b.terms) {
            prop_assert!(close(ta.coef.unwrap(), -tb.coef.unwrap(), 1e-7));
            prop_assert!(close(ta.or.unwrap() * tb.or.unwrap(), 1.0, 1e-7));
            prop_assert!(close(ta.se.unwrap(), tb.se.unwrap(), 1e-7));
        }
    }
}

/// Random bytes as a data file and as a study: reprise refuses them as bad input, never
/// panics, and answers at once.
mod readers {
    use super::*;
    use crate::util::{Dir, stderr};

    const STUDY: &str = "reprise: 1
study: { id: fuzz, version: 1.0.0, title: Fuzz, date: 2024-03-05 }
data: { path: data.csv }
endpoints:
  os: { time: time, event: event }
analyses:
  km: { kind: km, endpoint: os }
";

    fn refused_quickly(dir: &Dir) -> Result<(), TestCaseError> {
        let started = std::time::Instant::now();
        let out = dir.run(&["check"]);
        let said = stderr(&out);
        prop_assert!(!said.contains("panicked"), "{said}");
        prop_assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{:?}: {said}",
            out.status
        );
        if out.status.code() == Some(2) {
            prop_assert!(said.starts_with("error: "), "{said}");
        }
        // Not a timing claim: a bound only a reader that loops or backtracks would break.
        prop_assert!(started.elapsed().as_secs_f64() < 10.0);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_as_the_data_file_are_refused_not_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..400),
            header in any::<bool>(),
        ) {
            let mut data = if header { b"time,event\n".to_vec() } else { Vec::new() };
            data.extend(bytes);
            let dir = Dir::new(&[("study.yaml", STUDY)]);
            std::fs::write(dir.path().join("data.csv"), data).unwrap();
            refused_quickly(&dir)?;
        }

        #[test]
        fn random_yaml_as_the_study_is_refused_not_a_panic(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just("reprise: 1".to_string()),
                    Just("study: { id: x, version: 1.0.0, title: t, date: 2024-01-01 }".to_string()),
                    Just("data: { path: data.csv }".to_string()),
                    Just("endpoints:".to_string()),
                    Just("  os: { time: time, event: event }".to_string()),
                    Just("analyses:".to_string()),
                    Just("  km: { kind: km, endpoint: os }".to_string()),
                    Just("  - [".to_string()),
                    "[a-z_ :{}\\[\\],\"'&*!|>-]{0,30}",
                    "  [a-z]{1,8}: [a-z0-9.]{0,10}",
                ],
                0..12,
            ),
        ) {
            let dir = Dir::new(&[
                ("study.yaml", &lines.join("\n")),
                ("data.csv", crate::util::EIGHT_PATIENTS),
            ]);
            refused_quickly(&dir)?;
        }
    }
}
