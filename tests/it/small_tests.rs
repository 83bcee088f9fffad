//! The Table 1 tests against R on small textbook samples (tests/fixtures/stats_small.json).

use reprise::stats::tests;
use serde_json::Value;

use crate::util::repo;

fn fixture() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/stats_small.json")).unwrap(),
    )
    .unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn table(v: &Value) -> Vec<Vec<u64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn wilcoxon_exact_and_with_ties() {
    let f = fixture();
    for case in ["wilcox_exact", "wilcox_ties"] {
        let c = &f[case];
        let t = tests::wilcox(&numbers(&c["x"]), &numbers(&c["y"]));
        assert!(
            close(t.statistic.unwrap(), c["statistic"].as_f64().unwrap()),
            "{case} W"
        );
        assert!(
            close(t.p, c["p"].as_f64().unwrap()),
            "{case}: p {} vs R {}",
            t.p,
            c["p"]
        );
    }
}

#[test]
fn fisher_two_by_two_and_three_by_two() {
    let f = fixture();
    for case in ["fisher_2x2", "fisher_3x2"] {
        let c = &f[case];
        let p = tests::fisher(&table(&c["table"]), 1_000_000).unwrap();
        assert!(
            close(p, c["p"].as_f64().unwrap()),
            "{case}: p {p} vs R {}",
            c["p"]
        );
    }
}

#[test]
fn kruskal_wallis() {
    let c = &fixture()["kruskal"];
    let groups: Vec<Vec<f64>> = c["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(numbers)
        .collect();
    let values: Vec<f64> = groups.concat();
    let codes: Vec<u32> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, x)| std::iter::repeat_n(g as u32, x.len()))
        .collect();
    let t = tests::kruskal(&values, &codes, groups.len());
    assert!(close(
        t.statistic.unwrap(),
        c["statistic"].as_f64().unwrap()
    ));
    assert!(close(t.p, c["p"].as_f64().unwrap()));
}

#[test]
fn chi_square_without_correction() {
    let c = &fixture()["chisq_2x2"];
    let t = tests::chisq(&table(&c["table"]));
    assert!(close(
        t.statistic.unwrap(),
        c["statistic"].as_f64().unwrap()
    ));
    assert!(close(t.p, c["p"].as_f64().unwrap()));
}
