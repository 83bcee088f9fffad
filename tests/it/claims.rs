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

#[test]
fn a_cox_warning_is_kept_in_the_result_and_shown_on_the_terminal() {
    // Every event is in group 1: R warns that the coefficient may be infinite.
    let data = "t,e,g,x\n1,1,1,5\n2,1,1,3\n3,1,1,6\n4,1,1,2\n5,1,1,7\n6,0,0,1\n7,0,0,4\n8,0,0,8\n9,0,0,2\n10,0,0,3\n";
    let spec = "reprise: 1
study: { id: sep, version: 1.0.0, title: Separation, date: 2024-01-01 }
data: { path: d.csv }
endpoints: { os: { time: t, event: e } }
analyses:
  cox: { kind: cox, endpoint: os, covariates: [g, x] }
";
    let dir = Dir::new(&[("study.yaml", spec), ("d.csv", data)]);
    let out = dir.run(&["build", "--out", "out"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: analysis `cox`: the log-likelihood converged before g;"),
        "{}",
        stderr(&out)
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/results.json")).unwrap(),
    )
    .unwrap();
    assert!(
        json["analyses"]["cox"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("may be infinite")
    );
}

#[test]
fn audit_finds_the_papers_inconsistencies_and_nothing_else() {
    let out = crate::util::reprise(&["audit", "study.yaml", "--json"], &crate::util::repo());
    assert_eq!(out.status.code(), Some(1), "error-level findings exit 1");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let errors: Vec<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            (
                f["check"].as_str().unwrap().to_string(),
                f["claims"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(","),
            )
        })
        .collect();
    // Each of these is a genuine inconsistency of Li et al. 2021 (docs/li2021/inconsistencies.md).
    for (check, claims) in [
        ("ci_excludes_estimate", "res_os1_comp"),
        ("hr_p_consistency", "t4_uni_ct,t4_uni_ct:p"),
        ("hr_p_consistency", "t4_uni_livmets,t4_uni_livmets:p"),
        ("hr_p_consistency", "t4_mv_livmets,t4_mv_livmets:p"),
        ("hr_p_consistency", "res_mv_livmets,res_mv_livmets:p"),
        ("same_quantity_twice", "res_tox34,abs_tox34"),
        ("same_quantity_twice", "res_tox34:percent,abs_tox34:percent"),
        (
            "same_quantity_twice",
            "t1_site_liverlung:percent,res_site_liverlung_pct",
        ),
        ("percent_vs_count", "abs_surgcomp_n,abs_surgcomp_pct"),
        ("percent_vs_count", "res_bowel_first_n,res_bowel_first_pct"),
    ] {
        assert!(
            errors.contains(&(check.to_string(), claims.to_string())),
            "missed {check} on {claims}: {errors:?}"
        );
    }
    // ... and the consistent numbers raise no error: every category sums to its total, the
    // hazard ratios of age, sex, CEA and CA19-9 agree with their p-values.
    assert!(
        !errors.iter().any(|(c, _)| c == "parts_vs_total"),
        "{errors:?}"
    );
    assert!(
        !errors.iter().any(|(_, ids)| ids.contains("t4_uni_age")
            || ids.contains("t4_uni_sex")
            || ids.contains("t4_uni_cea")),
        "{errors:?}"
    );
    assert_eq!(errors.len(), 16, "{errors:?}");
    assert!(json["checks_run"].as_u64().unwrap() > 150);
    assert!(json["checks_run"].as_u64().unwrap() > 100);
}

#[test]
fn audit_answers_at_once_for_a_huge_denominator() {
    // 22 (9.6%) of 10¹²: the denominators that give 9.6% are found without trying each of
    // the 2 × 10¹² candidates.
    let dir = Dir::new(&[
        (
            "study.yaml",
            &study(
                "  - { id: n, reported: 22, tolerance: 0, unit: count }\n  - { id: pct, reported: 9.6, tolerance: 0, unit: percent, count: n, denominator: 1e12 }\n",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["audit", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["findings"][0]["check"], "percent_vs_count");
    assert_eq!(
        json["findings"][0]["message"],
        "22 / 1000000000000 = 0%, printed 9.6%: the denominator that fits is 228 or 229 or 230"
    );
}

#[test]
fn audit_refuses_a_denominator_that_is_not_a_number_of_patients() {
    for (written, shown) in [
        ("-5", "-5"),
        ("0", "0"),
        ("142.5", "142.5"),
        (".inf", "inf"),
        (".nan", "NaN"),
    ] {
        let dir = Dir::new(&[
            (
                "study.yaml",
                &study(&format!(
                    "  - {{ id: pct, reported: 9.6, tolerance: 0, unit: percent, denominator: {written} }}\n"
                )),
            ),
            ("data.csv", DATA),
        ]);
        for command in ["audit", "check", "build"] {
            let out = dir.run(&[command]);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{command} {written}: {err}");
            assert!(
                err.starts_with(&format!(
                    "error: study.yaml:10:60: claim `pct`: `denominator` {shown} is not a number of patients\n  hint: a denominator counts patients"
                )),
                "{command} {written}: {err}"
            );
        }
    }
}

/// The tiny study with a Table 1 of the arms beside it, for claims printed as text.
fn printed_study(claims: &str) -> String {
    study(claims).replace(
        "  lr: { kind: logrank, endpoint: os, by: arm }",
        "  lr: { kind: logrank, endpoint: os, by: arm }\n  t1: { kind: describe, variables: [arm] }",
    )
}

fn check_json(claims: &str) -> serde_json::Value {
    let dir = Dir::new(&[("study.yaml", &printed_study(claims)), ("data.csv", DATA)]);
    let out = dir.run(&["check", "--json"]);
    assert!(out.status.code() != Some(2), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn a_claim_printed_as_text_is_checked_part_by_part() {
    // Arm A at 2: S = 0.75, log-type 95% CI 0.426 to 1 (capped); the paper prints percentages.
    let json = check_json(
        "  - { id: s2, result: km/strata/A/at/2/surv, reported: \"75.0% (42.6 to 100%)\" }\n\
         \x20 - { id: bad_upper, result: km/strata/A/at/2/surv, reported: \"75.0% (42.6 to 90%)\" }\n\
         \x20 - { id: arm_a, result: t1/variables/arm/levels/A/n, reported: \"4 (50%)\" }\n",
    );
    let c = &json["claims"];
    assert_eq!(c[0]["within"], true, "{c:#}");
    let parts: Vec<&str> = c[0]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["estimate", "lower", "upper"]);
    assert_eq!(c[0]["parts"][1]["result"], "km/strata/A/at/2/lower");
    assert_eq!(c[0]["parts"][0]["scale"], "x100");
    // Half a unit of the printed digit: 75.0 allows 74.95 to 75.05.
    assert_eq!(c[0]["parts"][0]["tolerance"], 0.05);

    assert_eq!(c[1]["within"], false);
    assert_eq!(c[1]["parts"][2]["within"], false);
    assert_eq!(c[1]["parts"][0]["within"], true);

    assert_eq!(c[2]["within"], true, "{:#}", c[2]);
    assert_eq!(c[2]["parts"][1]["part"], "percent");
    assert_eq!(c[2]["parts"][1]["result"], "t1/variables/arm/levels/A/pct");
}

#[test]
fn a_percentage_claim_is_held_against_a_proportion_times_100() {
    let json =
        check_json("  - { id: s2, result: km/strata/A/at/2/surv, reported: 75, unit: percent }\n");
    assert_eq!(json["claims"][0]["reproduced"], 75.0);
    assert_eq!(json["claims"][0]["within"], true);
}

#[test]
fn claims_take_expressions_over_results() {
    // 1 − S(2) in arm A is 25%; the two arms hold 8 patients.
    let json = check_json(
        "  - { id: died, result: \"1 - km/strata/A/at/2/surv\", reported: \"25%\" }\n\
         \x20 - { id: both, result: \"km/strata/A/n + km/strata/B/n\", reported: 8, unit: count }\n\
         \x20 - { id: half, result: \"km/strata/A/n / t1/n\", reported: 0.5 }\n",
    );
    for c in json["claims"].as_array().unwrap() {
        assert_eq!(c["within"], true, "{c:#}");
    }
}

#[test]
fn check_shows_reproduced_values_one_digit_finer_and_says_what_was_not_computed() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &printed_study(
                "  - { id: s2, result: km/strata/A/at/2/surv, reported: \"75.0% (42.6 to 100%)\", note: arm A at two years }\n\
                 \x20 - { id: arm_a, result: t1/variables/arm/levels/A/n, reported: \"4 (50%)\" }\n\
                 \x20 - { id: tox, reported: \"3 (37.5%)\" }\n",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check"]);
    let text = stdout(&out);
    assert!(
        text.contains("reproduced 75.00% (42.59 to 100.0%)  (arm A at two years)"),
        "{text}"
    );
    assert!(text.contains("reproduced 4 (50.0%)"), "{text}");
    assert!(text.contains("not computed by this study"), "{text}");
}

#[test]
fn a_claim_text_that_is_not_a_statistic_is_refused_at_its_line() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &printed_study(
                "  - { id: vague, result: km/strata/A/at/2/surv, reported: \"about three in four\" }\n",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("study.yaml:11:49:"), "{err}");
    assert!(
        err.contains("cannot read `about three in four` as a statistic"),
        "{err}"
    );
    assert!(err.contains("\"1,387 (47%)\""), "{err}");
}

#[test]
fn a_broken_expression_is_refused_at_its_line() {
    let dir = Dir::new(&[
        (
            "study.yaml",
            &printed_study(
                "  - { id: e, result: \"(1 - km/strata/A/at/2/surv\", reported: 0.25 }\n",
            ),
        ),
        ("data.csv", DATA),
    ]);
    let out = dir.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not closed"), "{}", stderr(&out));
}

#[test]
fn the_bundled_study_reproduces_nine_in_ten_of_its_claims_and_every_required_one() {
    let out = crate::util::reprise(&["check", "--json"], &crate::util::repo());
    assert_eq!(out.status.code(), Some(0), "every `must` claim holds");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let claims = json["claims"].as_array().unwrap();
    let computed = claims.iter().filter(|c| !c["reproduced"].is_null()).count();
    let within = claims.iter().filter(|c| c["within"] == true).count();
    let share = |k: usize| k as f64 / claims.len() as f64;
    assert!(
        share(computed) >= 0.9,
        "{computed} of {} computed",
        claims.len()
    );
    assert!(share(within) >= 0.85, "{within} of {} within", claims.len());
}
