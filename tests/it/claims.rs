//! Claims: reported numbers checked against results.json paths.

use crate::util::{Dir, stderr, stdout};

const DATA: &str =
    "id,arm,time,event\n1,A,1,1\n2,A,2,0\n3,A,3,1\n4,A,4,1\n5,B,2,1\n6,B,3,0\n7,B,5,1\n8,B,6,0\n";

fn study(claims: &str) -> String {
    format!(
        "reprise: 1
study: {{ id: claims, version: 1.0.0, title: Claims, date: 2024-01-01 }}
data: {{ path: data.csv }}
endpoints:
  os: {{ time: time, event: event }}
analyses:
  km: {{ kind: km, endpoint: os, by: arm, times: [2, 10] }}
  lr: {{ kind: logrank, endpoint: os, by: arm }}
claims:
{claims}"
    )
}

#[test]
fn claims_within_tolerance_pass_and_are_reported_as_json() {
    // Arm A: S(2) = 3/4 (one death at 1 of 4, censor at 2). Arm B: S(2) = 3/4.
    let dir = Dir::new(&[
        (
            "study.yaml",
            &study(
                "  - { id: a2, result: km/strata/A/at/2/surv, reported: 0.75, tolerance: 0.001 }\n  - { id: nb, result: km/strata/B/n, reported: 4, tolerance: 0 }\n",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["total"], 2);
    assert_eq!(json["within"], 2);
    assert_eq!(json["claims"][0]["reproduced"], 0.75);
}

#[test]
fn a_required_claim_outside_tolerance_fails_with_exit_1() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &study(
                "  - { id: a2, result: km/strata/A/at/2/surv, reported: 0.8, tolerance: 0.01 }\n",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("FAIL"));
    assert!(stdout(&out).contains("claims: 0 of 1 within tolerance"));
}

#[test]
fn an_informational_claim_outside_tolerance_does_not_fail() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &study(
                "  - { id: a2, result: km/strata/A/at/2/surv, reported: 0.8, tolerance: 0.01, must: false }\n",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check"]);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn a_claim_path_that_names_nothing_is_bad_input() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &study("  - { id: x, result: km/strata/C/n, reported: 4, tolerance: 0 }\n"),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("study.yaml:10:") && err.contains("has no element `C` (it has: A, B)"),
        "{err}"
    );
}

#[test]
fn a_median_not_reached_is_null_and_not_within() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &study(
                "  - { id: m, result: km/strata/B/median/upper, reported: 6, tolerance: 1, must: false }\n",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["claims"][0]["reproduced"], serde_json::Value::Null);
    assert_eq!(json["claims"][0]["within"], false);
}

#[test]
fn a_version_folder_holding_another_report_is_not_replaced_without_force() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &study("  - { id: nb, result: km/strata/B/n, reported: 4, tolerance: 0 }\n"),
        ),
        ("data.csv", DATA),
    ]);
    assert!(dir.run(&["build"]).status.success());
    let first = std::fs::read_to_string(dir.path().join("reports/1.0.0/results.json")).unwrap();
    // the same inputs rebuild in place
    assert!(dir.run(&["build"]).status.success());
    // changed data, same version: refused, naming what changed, the old report intact
    std::fs::write(
        dir.path().join("data.csv"),
        DATA.replace("8,B,6,0", "8,B,7,0"),
    )
    .unwrap();
    let out = dir.run(&["build"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("changed: data.csv"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("reports/1.0.0/results.json")).unwrap(),
        first
    );
    // --force replaces it
    assert!(dir.run(&["build", "--force"]).status.success());
    assert_ne!(
        std::fs::read_to_string(dir.path().join("reports/1.0.0/results.json")).unwrap(),
        first
    );
}
