//! Data in other shapes: Parquet instead of CSV, endpoints from dates, derived columns.

use polars::prelude::*;
use serde_json::Value;

use crate::util::{Dir, repo, stderr};

fn results(dir: &Dir, study: &str) -> Value {
    let out_dir = format!("out-{study}");
    let out = dir.run(&["build", study, "--out", &out_dir]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut v: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(out_dir).join("results.json")).unwrap(),
    )
    .unwrap();
    // The build id and input hashes differ by design here.
    v["reprise"] = Value::Null;
    v
}

#[test]
fn parquet_gives_the_same_results_as_csv() {
    let csv = std::fs::read_to_string(repo().join("tests/data/veteran.csv")).unwrap();
    let spec = std::fs::read_to_string(repo().join("tests/studies/veteran.yaml"))
        .unwrap()
        .replace("../data/veteran.csv", "veteran.csv");
    let dir = Dir::new(&[
        ("veteran.csv", &csv),
        ("csv.yaml", &spec),
        (
            "parquet.yaml",
            &spec.replace("veteran.csv", "veteran.parquet"),
        ),
    ]);
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(dir.path().join("veteran.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let file = std::fs::File::create(dir.path().join("veteran.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    assert_eq!(results(&dir, "csv.yaml"), results(&dir, "parquet.yaml"));
}

#[test]
fn endpoints_from_dates_in_months() {
    // Three patients: died 30 days in, censored after 366 days (2020 is a leap year),
    // died on the day of their last contact after 2 months (event column, no event date).
    let data = "id,start,death,last,died\n1,2020-01-01,2020-01-31,2020-01-31,1\n2,2020-01-01,,2021-01-01,0\n3,2020-03-01,,2020-05-01,1\n";
    let study = "\
reprise: 1
study: { id: dates, version: 1.0.0, title: Dates, date: 2024-01-01 }
data:
  path: d.csv
  columns: { start: { type: date }, death: { type: date }, last: { type: date } }
endpoints:
  by_date:  { start: start, event_date: death, last_contact: last, unit: months }
  by_flag:  { start: start, event_date: death, last_contact: last, event: died, unit: days }
analyses:
  km:  { kind: km, endpoint: by_date }
  km2: { kind: km, endpoint: by_flag }
";
    let dir = Dir::new(&[("study.yaml", study), ("d.csv", data)]);
    let r = results(&dir, "study.yaml");
    let table = &r["analyses"]["km"]["strata"][0]["table"];
    let times: Vec<f64> = table
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["time"].as_f64().unwrap())
        .collect();
    // 30 days, 61 days (censored: no death date), 366 days (2020 is a leap year)
    assert_eq!(times, [30.0 / 30.4375, 61.0 / 30.4375, 366.0 / 30.4375]);
    assert_eq!(r["analyses"]["km"]["strata"][0]["events"], 1);
    // With the `died` column, patient 3's event happens at last contact.
    assert_eq!(r["analyses"]["km2"]["strata"][0]["events"], 2);
}

#[test]
fn a_date_before_the_start_names_the_row() {
    let data = "id,start,last\n1,2020-01-01,2020-02-01\n2,2020-03-01,2020-02-01\n";
    let study = "\
reprise: 1
study: { id: dates, version: 1.0.0, title: Dates, date: 2024-01-01 }
data: { path: d.csv }
endpoints:
  os: { start: start, last_contact: last, event_date: last, unit: days }
analyses:
  km: { kind: km, endpoint: os }
";
    let dir = Dir::new(&[("study.yaml", study), ("d.csv", data)]);
    let out = dir.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("row 2 (line 3): -29 days"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn derived_columns_expr_cut_and_recode() {
    let data = "age,grade,time,event\n45,1,5,1\n60,2,6,0\n61,3,7,1\n75,2,8,1\n";
    let study = "\
reprise: 1
study: { id: derive, version: 1.0.0, title: Derive, date: 2024-01-01 }
data: { path: d.csv }
derive:
  old: { expr: \"age > 60\" }
  band: { cut: { column: age, breaks: [60] } }
  grade_name: { recode: { column: grade, map: { \"3\": high, \"1\": low, \"2\": mid } } }
endpoints:
  os: { time: time, event: event }
analyses:
  t: { kind: describe, variables: [old, band, grade_name] }
";
    let dir = Dir::new(&[("study.yaml", study), ("d.csv", data)]);
    let r = results(&dir, "study.yaml");
    let vars = r["analyses"]["t"]["variables"].as_array().unwrap();
    let levels = |i: usize| -> Vec<(String, u64)> {
        vars[i]["levels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["label"].as_str().unwrap().to_string(),
                    l["n"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        levels(0),
        [("false".to_string(), 2), ("true".to_string(), 2)]
    );
    // R's cut(age, c(-Inf, 60, Inf)): 60 falls in the first, right-closed interval
    assert_eq!(
        levels(1),
        [("(-Inf,60]".to_string(), 2), ("(60,Inf]".to_string(), 2)]
    );
    // a recode's levels follow its map
    assert_eq!(
        levels(2),
        [
            ("high".to_string(), 1),
            ("low".to_string(), 1),
            ("mid".to_string(), 2)
        ]
    );
}

#[test]
fn a_multivariable_model_can_take_the_factors_significant_alone() {
    let csv = std::fs::read_to_string(repo().join("tests/data/veteran.csv")).unwrap();
    let study = "\
reprise: 1
study: { id: select, version: 1.0.0, title: Select, date: 2024-01-01 }
data: { path: veteran.csv }
endpoints: { os: { time: time, event: status } }
analyses:
  uni_karno: { kind: cox, endpoint: os, covariates: [karno] }
  uni_age: { kind: cox, endpoint: os, covariates: [age] }
  uni_cell: { kind: cox, endpoint: os, covariates: [celltype] }
  multi: { kind: cox, endpoint: os, select: { from: [uni_karno, uni_age, uni_cell], p_below: 0.05 } }
";
    let dir = Dir::new(&[("study.yaml", study), ("veteran.csv", &csv)]);
    let r = results(&dir, "study.yaml");
    let multi = &r["analyses"]["multi"];
    // karno (p < 1e-9) and cell type (smallcell, adeno: p < 0.01) enter; age (p = 0.45) does not
    assert_eq!(
        multi["selection"]["selected"],
        serde_json::json!(["karno", "celltype"])
    );
    let terms: Vec<&str> = multi["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert_eq!(
        terms,
        [
            "karno",
            "celltype=large",
            "celltype=smallcell",
            "celltype=squamous"
        ]
    );
    assert_eq!(multi["selection"]["candidates"][1]["selected"], false);
}
