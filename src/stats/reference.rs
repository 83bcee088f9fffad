//! The fast estimators of this module against the `survival` crate's general-purpose
//! ports of R, on seeded random cohorts with heavy ties, binary, continuous and
//! three-level terms, both tie methods and unsorted input. The R fixtures (tests/it)
//! check real data against R itself; these check many more shapes of data against a
//! second, independent implementation.

use ndarray::Array2;
use survival::regression::{CoxPHFit, CoxphData, CoxphOptions, TieMethod, ZphTransform, cox_zph};
use survival::surv_analysis::{SurvdiffData, survdiff};

use super::cox::{Design, cox};
use super::km::{KmOptions, Weights, kaplan_meier};
use super::logrank::logrank;
use crate::rng::Rng;
use crate::spec::{ConfType, Ties};

struct Cohort {
    time: Vec<f64>,
    event: Vec<bool>,
    group: Vec<u32>,
    design: Design,
}

fn cohort(n: usize, seed: u64) -> Cohort {
    let mut rng = Rng::new(seed);
    let (mut time, mut event, mut group, mut x) = (vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        let arm = (rng.uniform() < 0.5) as u8 as f64;
        let age = (60.0 + 10.0 * rng.normal()).round();
        let stage = (rng.uniform() * 3.0).floor();
        let z = rng.normal();
        let lp = -0.5 * arm + 0.03 * (age - 60.0) + 0.4 * (stage == 1.0) as u8 as f64
            - 0.3 * (stage == 2.0) as u8 as f64
            + 0.2 * z;
        let t = -rng.uniform().ln() / (0.2 * f64::exp(lp));
        let c = -rng.uniform().ln() / 0.1;
        // rounded to whole units: many ties, as in real follow-up data
        time.push(t.min(c).ceil());
        event.push(t <= c);
        group.push(stage as u32);
        x.extend([
            arm,
            age,
            (stage == 1.0) as u8 as f64,
            (stage == 2.0) as u8 as f64,
            z,
        ]);
    }
    let design = Design {
        rows: n,
        x,
        names: ["arm", "age", "stage=2", "stage=3", "z"]
            .map(String::from)
            .to_vec(),
        covariates: vec![
            ("arm".into(), vec![0]),
            ("age".into(), vec![1]),
            ("stage".into(), vec![2, 3]),
            ("z".into(), vec![4]),
        ],
    };
    Cohort {
        time,
        event,
        group,
        design,
    }
}

fn close(a: f64, b: f64, what: &str) {
    let scale = a.abs().max(b.abs()).max(1e-300);
    assert!(
        (a - b).abs() / scale < 1e-10 || (a - b).abs() < 1e-14,
        "{what}: {a} vs {b}"
    );
}

#[test]
fn cox_fit_concordance_and_zph_match_the_survival_crate() {
    for (seed, n) in [(1, 40), (2, 300), (3, 2000)] {
        let c = cohort(n, seed);
        for ties in [Ties::Efron, Ties::Breslow] {
            let ours = cox(&c.time, &c.event, c.design.clone(), ties, 0.95).unwrap();
            let x = Array2::from_shape_vec((n, 5), c.design.x.clone()).unwrap();
            let status = c.event.iter().map(|&e| e as i32).collect();
            let data =
                CoxphData::try_new(c.time.clone(), None, status, x, None, None, None).unwrap();
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
            )
            .unwrap();
            let what = format!("seed {seed}, {ties:?}");
            assert_eq!(ours.iterations, fit.iter, "{what}: iterations");
            for (j, t) in ours.terms.iter().enumerate() {
                close(
                    t.coef.unwrap(),
                    fit.coefficients[j],
                    &format!("{what}: coef {j}"),
                );
                close(
                    t.se.unwrap(),
                    fit.var[[j, j]].sqrt(),
                    &format!("{what}: se {j}"),
                );
            }
            close(ours.loglik, fit.loglik[1], &format!("{what}: loglik"));
            close(
                ours.loglik_null,
                fit.loglik[0],
                &format!("{what}: null loglik"),
            );
            close(
                ours.score.chisq.unwrap(),
                fit.score,
                &format!("{what}: score"),
            );
            close(
                ours.wald.chisq.unwrap(),
                fit.wald_test,
                &format!("{what}: wald"),
            );
            let conc = &fit.concordance;
            close(
                ours.concordance.0.unwrap(),
                conc.concordance[0],
                &format!("{what}: C"),
            );
            close(
                ours.concordance.1.unwrap(),
                conc.var.as_ref().unwrap()[0][0].sqrt(),
                &format!("{what}: C se"),
            );
            let assign: Vec<Vec<usize>> =
                c.design.covariates.iter().map(|(_, c)| c.clone()).collect();
            let z = cox_zph(&fit, &ZphTransform::Km, true, false, true, Some(&assign)).unwrap();
            let (terms, global) = ours.zph.as_ref().unwrap();
            for (t, r) in terms.iter().zip(&z.table) {
                close(t.1.chisq.unwrap(), r.chisq, &format!("{what}: zph {}", t.0));
            }
            close(
                global.chisq.unwrap(),
                z.global_test.as_ref().unwrap().chisq,
                &format!("{what}: zph global"),
            );
        }
    }
}

#[test]
fn km_and_logrank_over_counts_match_the_survival_crate_over_rows() {
    let c = cohort(3000, 7);
    let opts = KmOptions {
        conf_type: ConfType::LogLog,
        conf_level: 0.9,
        times: vec![5.0, 10.0, 40.0],
    };
    let ours = kaplan_meier(&c.time, &c.event, Some(&c.group), Weights::None, &opts).unwrap();
    let status: Vec<i32> = c.event.iter().map(|&e| e as i32).collect();
    let strata: Vec<i32> = c.group.iter().map(|&g| g as i32).collect();
    let data = survival::surv_analysis::SurvfitKMData::try_new(
        None,
        c.time.clone(),
        status.clone(),
        None,
        Some(strata.clone()),
        None,
        None,
    )
    .unwrap();
    let options = survival::surv_analysis::SurvfitKMOptions {
        conf_type: survival::surv_analysis::ConfType::LogLog,
        conf_int: 0.9,
        robust: Some(false),
        ..Default::default()
    };
    let fit = survival::surv_analysis::survfitkm(&data, &options).unwrap();
    let rows: Vec<usize> = fit.curve_ranges().into_iter().flatten().collect();
    let ours_rows: Vec<_> = ours.iter().flat_map(|c| c.table.iter()).collect();
    assert_eq!(rows.len(), ours_rows.len());
    for (&i, r) in rows.iter().zip(&ours_rows) {
        assert_eq!(r.time, fit.time[i]);
        assert_eq!(r.n_risk.0, fit.n_risk[i]);
        close(r.surv.unwrap(), fit.surv[i], "surv");
        if let Some(l) = r.lower {
            close(l, fit.lower.as_ref().unwrap()[i], "lower");
        }
    }
    for (k, curve) in ours.iter().enumerate() {
        assert_eq!(curve.n, fit.n[k] as u64);
    }

    let lr = logrank(&c.time, &c.event, &c.group, 3, None).unwrap();
    let data = SurvdiffData::try_new(None, c.time.clone(), status, strata, None).unwrap();
    let r = survdiff(&data, 0.0, true).unwrap();
    close(lr.test.chisq.unwrap(), r.chisq, "log-rank chi-square");
    for (g, e) in lr.groups.iter().zip(r.exp_totals()) {
        close(g.2, e, "expected");
    }
}
