//! Every number reprise writes for the four public data sets agrees with R's survival
//! (tests/fixtures/*.json, made by tests/fixtures/regen.R) to 1e-9 relative: survival,
//! cmprsk and stats::glm, with MASS's profile intervals.

use serde_json::Value;

use crate::util::{Dir, repo, reprise, stderr};

const RELATIVE: f64 = 1e-9;

/// Walks the fixture and checks that the output has the same shape and values: every key
/// the fixture has, arrays of the same length, numbers within `RELATIVE`, nulls as nulls.
/// Returns the number of numbers compared, and the mismatches.
fn compare(expected: &Value, got: &Value, path: &str, mismatches: &mut Vec<String>) -> usize {
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => e
            .iter()
            .map(|(k, v)| match g.get(k) {
                Some(gv) => compare(v, gv, &format!("{path}/{k}"), mismatches),
                None => {
                    mismatches.push(format!("{path}/{k}: missing"));
                    0
                }
            })
            .sum(),
        (Value::Array(e), Value::Array(g)) if e.len() == g.len() => e
            .iter()
            .zip(g)
            .enumerate()
            .map(|(i, (a, b))| compare(a, b, &format!("{path}/{i}"), mismatches))
            .sum(),
        (Value::Number(e), Value::Number(g)) => {
            let (e, g) = (e.as_f64().unwrap(), g.as_f64().unwrap());
            if (e - g).abs() > RELATIVE * e.abs().max(g.abs()) {
                mismatches.push(format!("{path}: R {e}, reprise {g}"));
            }
            1
        }
        (e, g) => {
            if e != g {
                mismatches.push(format!("{path}: R {e}, reprise {g}"));
            }
            0
        }
    }
}

fn agrees_with_r(study: &str, at_least: usize) {
    let out = Dir::new(&[]);
    let spec = repo().join("tests/studies").join(format!("{study}.yaml"));
    let run = reprise(
        &[
            "build",
            spec.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        &repo(),
    );
    assert!(run.status.success(), "build failed: {}", stderr(&run));
    let got: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("results.json")).unwrap())
            .unwrap();
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures").join(format!("{study}.json")))
            .unwrap(),
    )
    .unwrap();
    let mut mismatches = Vec::new();
    let compared = compare(
        &expected["analyses"],
        &got["analyses"],
        study,
        &mut mismatches,
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {:#?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(20)]
    );
    assert!(compared >= at_least, "only {compared} numbers compared");
}

#[test]
fn veteran_km_logrank_cox_followup_describe_agree_with_r() {
    agrees_with_r("veteran", 4000);
}

#[test]
fn lung_with_missing_values_agrees_with_r() {
    agrees_with_r("lung", 3000);
}

#[test]
fn colon_death_agrees_with_r() {
    agrees_with_r("colon_death", 10000);
}

#[test]
fn colon_recurrence_agrees_with_r() {
    agrees_with_r("colon_recurrence", 5000);
}

#[test]
fn mgus2_competing_risks_agree_with_r_and_cmprsk() {
    agrees_with_r("mgus2", 10000);
}

#[test]
fn the_comparison_notices_a_difference_of_one_part_in_a_hundred_million() {
    let e = serde_json::json!({"a": [{"x": 0.123456789}], "b": null});
    let close = serde_json::json!({"a": [{"x": 0.123456789 * (1.0 + 1e-10)}], "b": null});
    let far = serde_json::json!({"a": [{"x": 0.123456789 * (1.0 + 1e-8)}], "b": 0.0});
    let mut m = Vec::new();
    assert_eq!(compare(&e, &close, "", &mut m), 1);
    assert!(m.is_empty());
    compare(&e, &far, "", &mut m);
    assert_eq!(m.len(), 2, "{m:?}");
}
