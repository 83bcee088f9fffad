//! Data summarised elsewhere (`data.count`): one row per (arm, time, status) with the
//! number of patients it stands for gives the same Kaplan-Meier curves, log-rank test,
//! follow-up and restricted mean as the patient-level file it was summarised from.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{Dir, repo, stderr};

const ANALYSES: &str = "\
endpoints:
  os: { time: time, event: status }
analyses:
  km: { kind: km, endpoint: os, by: trt, times: [30, 90, 180, 365] }
  lr: { kind: logrank, endpoint: os, by: trt }
  fu: { kind: followup, endpoint: os }
  mean: { kind: rmst, endpoint: os, by: trt, tau: 365 }
";

fn study(path: &str, count: &str) -> String {
    format!(
        "reprise: 1\nstudy: {{ id: vet, version: 1.0.0, title: Veterans, date: 2024-01-01 }}\ndata: {{ path: {path}{count} }}\n{ANALYSES}"
    )
}

/// veteran.csv summarised as a warehouse would: `SELECT trt, time, status, COUNT(*) AS n
/// ... GROUP BY trt, time, status`.
fn summarised() -> String {
    let text = std::fs::read_to_string(repo().join("tests/data/veteran.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim_matches('"') == name)
            .unwrap()
    };
    let (trt, time, status) = (col("trt"), col("time"), col("status"));
    let mut cells: BTreeMap<(String, String, String), u32> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        *cells
            .entry((f[trt].into(), f[time].into(), f[status].into()))
            .or_default() += 1;
    }
    let mut out = String::from("trt,time,status,n\n");
    for ((a, t, s), n) in &cells {
        out.push_str(&format!("{a},{t},{s},{n}\n"));
    }
    out
}

fn results(dir: &Dir, spec: &str) -> Value {
    let out = dir.run(&["build", spec, "--out", &format!("out-{spec}")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text =
        std::fs::read_to_string(dir.path().join(format!("out-{spec}/results.json"))).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["analyses"].clone()
}

#[test]
fn counts_per_time_give_the_patient_level_answers() {
    let patients = std::fs::read_to_string(repo().join("tests/data/veteran.csv")).unwrap();
    let dir = Dir::new(&[
        ("patients.csv", &patients),
        ("counts.csv", &summarised()),
        ("patients.yaml", &study("patients.csv", "")),
        ("counts.yaml", &study("counts.csv", ", count: n")),
    ]);
    // rows that stand for nobody change nothing: not the groups, times or follow-up
    let mut with_zeros = summarised();
    with_zeros.push_str("3,5000,1,0\n1,9999,0,0\n");
    std::fs::write(dir.path().join("counts.csv"), with_zeros).unwrap();
    let rows = summarised().lines().count() - 1;
    assert!(
        rows < 137,
        "the summary should be shorter than the data ({rows} rows)"
    );
    let a = results(&dir, "patients.yaml");
    let b = results(&dir, "counts.yaml");
    assert_eq!(a, b);
    assert_eq!(b["fu"]["n"], 137);
    assert_eq!(b["km"]["strata"].as_array().unwrap().len(), 2);
    assert_eq!(b["mean"]["contrasts"].as_array().unwrap().len(), 1);
}

#[test]
fn a_cox_model_on_counts_is_refused_with_the_reason() {
    let dir = Dir::new(&[
        ("counts.csv", &summarised()),
        (
            "study.yaml",
            &(study("counts.csv", ", count: n")
                + "  cox: { kind: cox, endpoint: os, covariates: [trt] }\n"),
        ),
    ]);
    let out = dir.run(&["check", "study.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("study.yaml:") && err.contains("analysis `cox`"),
        "{err}"
    );
    assert!(
        err.contains("Cox models, cumulative incidence, Fine-Gray models, logistic regression, subgroup analyses, Table 1 and flows need patient-level data"),
        "{err}"
    );
}

#[test]
fn a_count_that_is_not_a_whole_number_names_its_row() {
    let dir = Dir::new(&[
        ("counts.csv", "trt,time,status,n\n1,10,1,3\n2,12,0,2.5\n"),
        ("study.yaml", &study("counts.csv", ", count: n")),
    ]);
    let out = dir.run(&["check", "study.yaml"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("count column `n`") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn minus_zero_is_zero_when_grouping() {
    // 65 distinct values besides: the many-values path too
    let mut csv = String::from("time,status,g\n");
    for i in 0..70 {
        csv.push_str(&format!("{},{},{}\n", i + 1, i % 2, i.min(65)));
    }
    csv.push_str("3,1,-0.0\n4,0,0\n");
    let dir = Dir::new(&[
        ("d.csv", &csv),
        (
            "study.yaml",
            "reprise: 1\nstudy: { id: z, version: 1.0.0, title: Z, date: 2024-01-01 }\ndata: { path: d.csv }\nendpoints:\n  os: { time: time, event: status }\nanalyses:\n  km: { kind: km, endpoint: os, by: g }\n",
        ),
    ]);
    let out = dir.run(&["build", "study.yaml", "--out", "out"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("out/results.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    let strata = r["analyses"]["km"]["strata"].as_array().unwrap();
    let zero = strata.iter().find(|s| s["label"] == "0").unwrap();
    assert_eq!(zero["n"], 3, "rows with g = 0 and g = -0.0 form one group");
    assert!(!strata.iter().any(|s| s["label"] == "-0"));
}
