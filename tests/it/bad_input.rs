//! Bad input gets one clear message naming the file and the line/column or data row, exit
//! code 2, and never a panic. Each case changes one thing in a small valid study.

use crate::util::{Dir, stderr};

const DATA: &str = "id,arm,age,time,event\n1,A,50,10,1\n2,A,61,12,0\n3,B,70,5,1\n4,B,45,20,1\n5,A,66,7,0\n6,B,58,9,1\n";

const STUDY: &str = "\
reprise: 1
study:
  id: tiny
  version: 1.0.0
  title: Tiny
  date: 2024-01-01
data:
  path: data.csv
endpoints:
  os: { time: time, event: event, unit: months }
analyses:
  km: { kind: km, endpoint: os, by: arm, times: [6, 12] }
  lr: { kind: logrank, endpoint: os, by: arm }
  cox: { kind: cox, endpoint: os, covariates: [age, arm] }
";

/// Runs `check` on the study and data given; asserts a clean failure with exit 2 whose
/// message contains every fragment.
fn refused(study: &str, data: &str, fragments: &[&str]) {
    let dir = Dir::new(&[("study.yaml", study), ("data.csv", data)]);
    let out = dir.run(&["check", "study.yaml"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "one message: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    for f in fragments {
        assert!(err.contains(f), "expected {f:?} in: {err}");
    }
}

fn edit(from: &str, to: &str) -> String {
    assert!(STUDY.contains(from), "{from}");
    STUDY.replacen(from, to, 1)
}

#[test]
fn the_valid_study_passes() {
    let dir = Dir::new(&[("study.yaml", STUDY), ("data.csv", DATA)]);
    let out = dir.run(&["check", "study.yaml"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn missing_study_file() {
    let dir = Dir::new(&[]);
    let out = dir.run(&["check", "nowhere.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nowhere.yaml: study file not found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn empty_study_file() {
    refused("", DATA, &["study.yaml: the study file is empty"]);
}

#[test]
fn malformed_yaml() {
    refused(
        &edit("times: [6, 12] }", "times: [6, 12 }"),
        DATA,
        &["study.yaml:12:", "while parsing a flow sequence"],
    );
}

#[test]
fn a_list_where_a_map_belongs() {
    refused(
        &edit(
            "endpoints:\n  os: { time: time, event: event, unit: months }",
            "endpoints: [os]",
        ),
        DATA,
        &["study.yaml:9:", "expected a map", "not a list"],
    );
}

#[test]
fn unknown_key_suggests_the_nearest() {
    refused(
        &edit("kind: km, endpoint: os", "kind: km, endpont: os"),
        DATA,
        &[
            "study.yaml:12:19",
            "unknown key `endpont`",
            "did you mean `endpoint`?",
        ],
    );
}

#[test]
fn wrong_type() {
    refused(
        &edit("times: [6, 12]", "times: [6, 12], conf_level: high"),
        DATA,
        &["study.yaml:12:", "invalid type: string \"high\""],
    );
}

#[test]
fn unknown_analysis_kind() {
    refused(
        &edit("kind: km", "kind: kaplan"),
        DATA,
        &["study.yaml:12:15", "unknown value `kaplan`", "`km`"],
    );
}

#[test]
fn undefined_endpoint() {
    refused(
        &edit(
            "kind: logrank, endpoint: os",
            "kind: logrank, endpoint: pfs",
        ),
        DATA,
        &["study.yaml:13:24", "endpoint `pfs`, which is not defined"],
    );
}

#[test]
fn undefined_column_suggests_the_nearest() {
    refused(
        &edit("by: arm }", "by: arms }"),
        DATA,
        &[
            "study.yaml:13:38",
            "`arms` is not a column",
            "did you mean `arm`?",
        ],
    );
}

#[test]
fn unsupported_format_version() {
    refused(
        &edit("reprise: 1", "reprise: 2"),
        DATA,
        &[
            "study.yaml:1:1",
            "unsupported format version `2`",
            "reads `reprise: 1`",
        ],
    );
}

#[test]
fn missing_data_file() {
    refused(
        &edit("path: data.csv", "path: gone.csv"),
        DATA,
        &["study.yaml:8:3", "data file not found", "gone.csv"],
    );
}

#[test]
fn sha256_pin_mismatch() {
    let pin = format!("path: data.csv\n  sha256: {}", "0".repeat(64));
    refused(
        &edit("path: data.csv", &pin),
        DATA,
        &[
            "study.yaml:9:3",
            "does not match its pinned sha256",
            "actual: ",
        ],
    );
}

#[test]
fn empty_csv() {
    refused(STUDY, "", &["data.csv: the data file is empty"]);
}

#[test]
fn header_only_csv() {
    refused(
        STUDY,
        "id,arm,age,time,event\n",
        &["data.csv: the data file has a header but no data rows"],
    );
}

#[test]
fn ragged_csv_row() {
    refused(
        STUDY,
        &format!("{DATA}7,A,50,3\n"),
        &["data.csv:8:1", "the header has 5 fields but line 8 has 4"],
    );
}

#[test]
fn non_numeric_time() {
    refused(
        STUDY,
        &DATA.replace("3,B,70,5,1", "3,B,70,five,1"),
        &["data.csv", "not a number", "row 3 (line 4): `five`"],
    );
}

#[test]
fn negative_time() {
    refused(
        STUDY,
        &DATA.replace("3,B,70,5,1", "3,B,70,-5,1"),
        &["data.csv", "finite time ≥ 0", "row 3 (line 4): -5"],
    );
}

#[test]
fn event_outside_its_coding() {
    refused(
        STUDY,
        &DATA.replace("3,B,70,5,1", "3,B,70,5,2"),
        &[
            "data.csv",
            "must be 0/1 or true/false",
            "row 3 (line 4): `2`",
            "event_codes",
        ],
    );
    let coded = edit(
        "event: event,",
        "event: event, event_codes: { event: [2], censored: [1] },",
    );
    refused(
        &coded,
        &DATA.replace(",0\n", ",3\n"),
        &[
            "neither an event code (2) nor a censoring code (1)",
            "row 2 (line 3): `3`",
        ],
    );
}

#[test]
fn log_rank_with_one_group() {
    refused(
        STUDY,
        &DATA.replace(",A,", ",B,"),
        &[
            "study.yaml:13:3",
            "needs at least two groups",
            "one value (`B`)",
        ],
    );
}

#[test]
fn cox_without_covariates() {
    refused(
        &edit("covariates: [age, arm]", "covariates: []"),
        DATA,
        &["study.yaml:14:3", "needs at least one covariate"],
    );
    refused(
        &edit(" covariates: [age, arm]", ""),
        DATA,
        &["study.yaml:14:3", "needs at least one covariate"],
    );
}

#[test]
fn cox_with_an_unknown_covariate() {
    refused(
        &edit("covariates: [age, arm]", "covariates: [age, weight]"),
        DATA,
        &["study.yaml:14:35", "covariate `weight` is not a column"],
    );
}

#[test]
fn duplicate_analysis_ids() {
    refused(
        &format!("{STUDY}  km: {{ kind: km, endpoint: os }}\n"),
        DATA,
        &["study.yaml:15:3", "`km` is defined twice"],
    );
}

#[test]
fn invalid_conf_level() {
    refused(
        &edit("times: [6, 12]", "times: [6, 12], conf_level: 95"),
        DATA,
        &["study.yaml:12:58", "conf_level 95 is not between 0 and 1"],
    );
}

#[test]
fn invalid_conf_type() {
    refused(
        &edit("times: [6, 12]", "times: [6, 12], conf_type: logit"),
        DATA,
        &["study.yaml:12:", "unknown value `logit`", "`log-log`"],
    );
}

#[test]
fn invalid_times() {
    refused(
        &edit("times: [6, 12]", "times: [12, 6]"),
        DATA,
        &["study.yaml:12:42", "increasing"],
    );
    refused(
        &edit("times: [6, 12]", "times: [-1, 6]"),
        DATA,
        &["study.yaml:12:42", "time -1 is not a finite time ≥ 0"],
    );
}

#[test]
fn a_key_that_does_not_fit_the_kind() {
    refused(
        &edit(
            "kind: logrank, endpoint: os",
            "kind: logrank, times: [1], endpoint: os",
        ),
        DATA,
        &[
            "study.yaml:13:",
            "key `times` does not apply to `kind: logrank`",
        ],
    );
}

#[test]
fn bad_arguments_exit_2() {
    let dir = Dir::new(&[]);
    let out = dir.run(&["build", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn declared_schema_violations_name_the_rows() {
    let declared = edit(
        "  path: data.csv",
        "  path: data.csv\n  columns:\n    age: { type: float, min: 18, max: 65 }\n    arm: { type: category, levels: [A, B] }",
    );
    refused(
        &declared,
        DATA,
        &[
            "data.csv",
            "column `age` is outside its declared range [18, 65] in 2 rows",
            "row 3 (line 4): 70",
            "row 5 (line 6): 66",
        ],
    );
    let levels = edit(
        "  path: data.csv",
        "  path: data.csv\n  columns:\n    arm: { type: category, levels: [A, B] }",
    );
    refused(
        &levels,
        &DATA.replace("4,B,", "4,C,"),
        &[
            "column `arm` has a value outside its declared levels [A, B]",
            "row 4 (line 5): `C`",
        ],
    );
    let missing = edit(
        "  path: data.csv",
        "  path: data.csv\n  columns:\n    weight: { type: float }",
    );
    refused(
        &missing,
        DATA,
        &[
            "study.yaml:10:5",
            "declared column `weight` is not a column of the data",
        ],
    );
}

#[test]
fn an_unknown_kind_lists_every_registered_kind() {
    refused(
        &edit("kind: km", "kind: rmts"),
        DATA,
        &[
            "study.yaml:12:15",
            "unknown value `rmts`",
            "`km`, `logrank`, `cox`, `followup`, `rmst`, `cuminc`, `finegray`, `logistic`, `subgroups`, `describe`, `flow`",
            "did you mean `rmst`?",
        ],
    );
}

#[test]
fn a_restricted_mean_needs_its_horizon() {
    let study = format!("{STUDY}  mean: {{ kind: rmst, endpoint: os, by: arm }}\n");
    refused(
        &study,
        DATA,
        &["study.yaml:15:3", "needs `tau`", "hint: add `tau: 365`"],
    );
    let study = format!("{STUDY}  mean: {{ kind: rmst, endpoint: os, tau: -1 }}\n");
    refused(
        &study,
        DATA,
        &["study.yaml:15:", "tau -1 is not a time > 0"],
    );
}

#[test]
fn the_first_bad_key_in_the_file_is_the_one_reported() {
    refused(
        &edit(
            "kind: km, endpoint: os",
            "kind: km, endpont: os, conf_levl: 0.9",
        ),
        DATA,
        &["study.yaml:12:19", "unknown key `endpont`"],
    );
}

#[test]
fn numbers_in_text_keys_read_as_text() {
    let study = edit(
        "kind: logrank, endpoint: os, by: arm",
        "kind: logrank, endpoint: os, by: arm, title: 2021",
    );
    let dir = Dir::new(&[("study.yaml", &study), ("data.csv", DATA)]);
    let out = dir.run(&["check", "study.yaml"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_horizon_before_the_first_time_is_refused_with_the_times() {
    let study = format!("{STUDY}  mean: {{ kind: rmst, endpoint: os, tau: 1 }}\n");
    refused(
        &study,
        DATA,
        &[
            "study.yaml:15:3",
            "analysis `mean`: tau 1 is before the first observed time (5)",
        ],
    );
}

/// Competing risks: relapse (r) and death (d) against censoring (c).
const CR_DATA: &str = "id,arm,age,w,time,status\n1,A,50,1.5,10,r\n2,A,61,1,12,c\n3,B,70,2,5,d\n4,B,45,1,20,r\n5,A,66,0.5,7,c\n6,B,58,1,9,d\n7,C,52,1,4,r\n";

fn cr_study(analysis: &str) -> String {
    format!(
        "reprise: 1\nstudy: {{ id: cr, version: 1.0.0, title: CR, date: 2024-01-01 }}\n\
         data: {{ path: data.csv }}\nendpoints:\n  \
         efs: {{ time: time, event: status, event_codes: {{ censored: [c], causes: {{ relapse: [r], death: [d] }} }} }}\n\
         analyses:\n  {analysis}\n"
    )
}

#[test]
fn a_km_on_competing_risks_without_a_cause_names_the_causes_and_says_why() {
    refused(
        &cr_study("km: { kind: km, endpoint: efs }"),
        CR_DATA,
        &[
            "study.yaml:7:3",
            "endpoint `efs` has competing risks (relapse, death)",
            "with `cause: relapse` the other causes are censored",
            "kind: cuminc",
            "1 − Kaplan-Meier",
        ],
    );
}

#[test]
fn a_cause_the_endpoint_does_not_declare_is_refused_with_the_ones_it_does() {
    refused(
        &cr_study("cox: { kind: cox, endpoint: efs, cause: relaps, covariates: [age] }"),
        CR_DATA,
        &[
            "study.yaml:7:",
            "has no cause `relaps`; its causes are relapse, death",
            "did you mean `relapse`?",
        ],
    );
}

#[test]
fn a_cause_on_an_endpoint_with_one_kind_of_event_is_refused() {
    refused(
        &edit(
            "km: { kind: km, endpoint: os, by: arm, times: [6, 12] }",
            "km: { kind: km, endpoint: os, cause: death }",
        ),
        DATA,
        &["study.yaml:12:33", "has one kind of event", "causes:"],
    );
}

#[test]
fn cumulative_incidence_of_an_endpoint_without_causes_is_refused() {
    refused(
        &edit(
            "km: { kind: km, endpoint: os, by: arm, times: [6, 12] }",
            "cif: { kind: cuminc, endpoint: os }",
        ),
        DATA,
        &[
            "study.yaml:12:24",
            "cumulative incidence needs competing risks",
            "kind: km",
        ],
    );
}

#[test]
fn a_status_value_that_is_no_declared_code_is_named_with_its_row() {
    refused(
        &cr_study("cif: { kind: cuminc, endpoint: efs }"),
        &CR_DATA.replace("7,C,52,1,4,r", "7,C,52,1,4,x"),
        &["data.csv", "row 7 (line 8): `x`", "relapse: r; death: d"],
    );
}

#[test]
fn a_tau_past_a_groups_follow_up_is_refused_with_the_longest_allowed() {
    refused(
        &edit(
            "km: { kind: km, endpoint: os, by: arm, times: [6, 12] }",
            "rm: { kind: rmst, endpoint: os, by: arm, tau: 15 }",
        ),
        DATA,
        &[
            "study.yaml:12:3",
            "tau 15 is past the last follow-up time of group `A` (12)",
            "survRM2",
            "set `tau` to at most 12",
        ],
    );
}

#[test]
fn a_subgroup_term_with_three_values_is_refused() {
    refused(
        &cr_study("sub: { kind: subgroups, endpoint: efs, term: arm, subgroups: [age] }")
            .replace("time, event: status, event_codes: { censored: [c], causes: { relapse: [r], death: [d] } }", "time, event: status, event_codes: { censored: [c], event: [r, d] }"),
        CR_DATA,
        &[
            "study.yaml:7:3",
            "the term `arm` must have exactly two values among the rows used, but has 3 (A, B, C)",
            "where:",
        ],
    );
}

#[test]
fn a_logistic_outcome_that_is_not_zero_one_is_refused() {
    refused(
        &edit(
            "km: { kind: km, endpoint: os, by: arm, times: [6, 12] }",
            "lg: { kind: logistic, outcome: age, covariates: [arm] }",
        ),
        DATA,
        &[
            "study.yaml:12:3",
            "the outcome `age` must be 0/1 or true/false, but has the value 50",
            "derive",
        ],
    );
}

#[test]
fn negative_or_missing_weights_are_refused_with_their_rows() {
    let study = cr_study(
        "cox: { kind: cox, endpoint: efs, cause: relapse, covariates: [age], weights: w }",
    );
    refused(
        &study,
        &CR_DATA
            .replace("3,B,70,2,5,d", "3,B,70,-2,5,d")
            .replace("5,A,66,0.5", "5,A,66,"),
        &[
            "data.csv",
            "analysis `cox`: the weights column `w` must hold a number > 0 in 2 rows",
            "row 3 (line 4): -2",
            "row 5 (line 6): a missing value",
            "where:",
        ],
    );
}

#[test]
fn an_unknown_function_in_an_expression_lists_those_available() {
    refused(
        &STUDY.replace(
            "endpoints:",
            "derive:\n  la: { expr: \"logit(age)\" }\nendpoints:",
        ),
        DATA,
        &[
            "study.yaml:10:9",
            "logit",
            "the functions available: abs, sqrt, exp, log (natural",
        ],
    );
}

#[test]
fn a_landmark_with_censoring_before_it_is_refused() {
    refused(
        &edit(
            "km: { kind: km, endpoint: os, by: arm, times: [6, 12] }",
            "km: { kind: km, endpoint: os, landmark: 6, censor_at: 5 }",
        ),
        DATA,
        &[
            "study.yaml:12:46",
            "`censor_at` 5 is not after the landmark 6",
        ],
    );
}

#[test]
fn a_where_that_keeps_no_rows_says_so() {
    refused(
        &edit(
            "km: { kind: km, endpoint: os, by: arm, times: [6, 12] }",
            "km: { kind: km, endpoint: os, where: \"age > 100\" }",
        ),
        DATA,
        &[
            "study.yaml:12:3",
            "`where: age > 100` keeps none of the 6 rows",
        ],
    );
}

#[test]
fn a_landmark_past_all_follow_up_says_so() {
    refused(
        &edit(
            "km: { kind: km, endpoint: os, by: arm, times: [6, 12] }",
            "km: { kind: km, endpoint: os, landmark: 30 }",
        ),
        DATA,
        &[
            "study.yaml:12:3",
            "no patient is still under follow-up after the landmark 30",
            "the longest time is 20",
        ],
    );
}

#[test]
fn a_where_may_read_a_column_no_analysis_reads() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &edit(
                "km: { kind: km, endpoint: os, by: arm, times: [6, 12] }",
                "km: { kind: km, endpoint: os, where: \"id <= 4\" }",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check", "study.yaml", "--json"]);
    assert!(out.status.code() != Some(2), "{}", stderr(&out));
}

#[test]
fn weights_that_are_not_numbers_are_placed_at_the_key() {
    refused(
        &edit(
            "cox: { kind: cox, endpoint: os, covariates: [age, arm] }",
            "cox: { kind: cox, endpoint: os, covariates: [age], weights: arm }",
        ),
        DATA,
        &["study.yaml:14:", "the weights column `arm` is not numeric"],
    );
}
