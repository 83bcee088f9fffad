//! The manuscript: byte-identical rebuilds, verify, escaping, the sandboxed World, typst
//! errors placed in the template, and what the PDF says.

use std::collections::BTreeMap;
use std::path::Path;

use reprise::hash::sha256_hex;
use reprise::pipeline;

use crate::util::{Dir, repo, reprise, stderr, stdout};

use crate::util::EIGHT_PATIENTS as DATA;

fn study(extra: &str) -> String {
    format!(
        "reprise: 1
study: {{ id: tiny, version: 1.0.0, title: A tiny study, date: 2024-03-05 }}
data: {{ path: data.csv }}
endpoints:
  os: {{ time: time, event: event, label: Overall survival, unit: months }}
analyses:
  km: {{ kind: km, endpoint: os, by: arm, times: [6, 12] }}
  lr: {{ kind: logrank, endpoint: os, by: arm }}
  cox: {{ kind: cox, endpoint: os, covariates: [age, arm] }}
  t1: {{ kind: describe, variables: [age, arm], by: arm }}
{extra}"
    )
}

/// Every file below `dir`, with its sha256.
fn hashes(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_string_lossy().to_string(),
                    sha256_hex(&std::fs::read(&p).unwrap()),
                );
            }
        }
    }
    out
}

#[test]
fn two_builds_give_byte_identical_files() {
    let spec = repo().join("examples/colon/study.yaml");
    let (a, b) = (Dir::new(&[]), Dir::new(&[]));
    for d in [&a, &b] {
        let out = reprise(
            &[
                "build",
                spec.to_str().unwrap(),
                "--out",
                d.path().to_str().unwrap(),
            ],
            &repo(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        // At the default two columns every figure's text prints at 8 pt or more.
        assert!(
            !stderr(&out).contains("warning: figure"),
            "{}",
            stderr(&out)
        );
    }
    let (ha, hb) = (hashes(a.path()), hashes(b.path()));
    assert!(ha.len() >= 15, "{ha:?}");
    for kind in [
        "report.pdf",
        "report.typ",
        "results.json",
        "manifest.json",
        ".svg",
        ".png",
        ".csv",
    ] {
        assert!(ha.keys().any(|k| k.ends_with(kind)), "no {kind} in {ha:?}");
    }
    assert_eq!(ha, hb);
}

#[test]
fn verify_passes_on_a_fresh_report_and_names_what_differs() {
    let dir = Dir::new(&[("study.yaml", &study("")), ("data.csv", DATA)]);
    assert!(dir.run(&["build"]).status.success());
    let ok = dir.run(&["verify"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("hashes match the manifest"),
        "{}",
        stdout(&ok)
    );

    // A PDF edited on disk
    let pdf = dir.path().join("reports/1.0.0/report.pdf");
    let mut bytes = std::fs::read(&pdf).unwrap();
    bytes.extend_from_slice(b"\n% edited\n");
    std::fs::write(&pdf, bytes).unwrap();
    let out = dir.run(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("report.pdf: on disk"),
        "{}",
        stdout(&out)
    );

    // Data changed since the build: the inputs and the outputs differ
    std::fs::write(
        dir.path().join("data.csv"),
        DATA.replace("8,B,49,14,0", "8,B,49,15,0"),
    )
    .unwrap();
    let out = dir.run(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("data.csv: inputs: manifest"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("results.json"), "{}", stdout(&out));
}

#[test]
fn verify_without_a_report_is_bad_input() {
    let dir = Dir::new(&[("study.yaml", &study("")), ("data.csv", DATA)]);
    let out = dir.run(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("has no manifest.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_pdf_says_what_the_results_say() {
    let claim = "claims:\n  - { id: n, result: t1/n, reported: 8, tolerance: 0 }\n";
    let dir = Dir::new(&[("study.yaml", &study(claim)), ("data.csv", DATA)]);
    let mut a = pipeline::analyse(&dir.path().join("study.yaml")).unwrap();
    let report = pipeline::produce(&mut a).unwrap();
    // typst joins "Table" and its number with a no-break space
    let text = report.text.join("\n").replace('\u{a0}', " ");
    for heading in [
        "Methods",
        "Results",
        "Colophon",
        "Kaplan-Meier",
        "Table 1",
        "Figure 1",
        "Replication",
    ] {
        assert!(
            text.contains(heading),
            "no {heading:?} in the PDF text: {text}"
        );
    }
    // the age hazard ratio, as the Cox table prints it
    let age = &a.results.analyses["cox"].json["terms"][0];
    let f = |k: &str| age[k].as_f64().unwrap();
    let hr = format!("{:.2} ({:.2} to {:.2})", f("hr"), f("lower"), f("upper"));
    assert!(text.contains(&hr), "{hr} not in the text");
    // every page carries the study id, version and short build id
    for page in &report.text {
        assert!(
            page.contains("tiny") && page.contains(&report.build_id[..12]),
            "page without footer: {page}"
        );
    }
    assert!(
        text.contains(&report.build_id),
        "the colophon lists the full build id"
    );
}

#[test]
fn data_labels_print_literally_and_never_run() {
    let labels = [
        "#panic(\"x\")",
        "$a$",
        "*b*",
        "_c_",
        "@d",
        "<e>",
        "[f]",
        "// g",
    ];
    let mut data = String::from("id,arm,time,event\n");
    for (i, l) in labels.iter().enumerate() {
        let quoted = format!("\"{}\"", l.replace('"', "\"\""));
        data.push_str(&format!(
            "{i},{quoted},{},1\n{}9,{quoted},{},0\n",
            i + 1,
            i,
            i + 2
        ));
    }
    let spec = "reprise: 1
study: { id: escape, version: 1.0.0, title: \"Labels with #typst $markup$\", date: 2024-01-01 }
data: { path: data.csv }
endpoints: { os: { time: time, event: event } }
analyses:
  t1: { kind: describe, variables: [arm] }
  km: { kind: km, endpoint: os, by: arm }
";
    let dir = Dir::new(&[("study.yaml", spec), ("data.csv", &data)]);
    let mut a = pipeline::analyse(&dir.path().join("study.yaml")).unwrap();
    let report = pipeline::produce(&mut a).unwrap();
    let text: String = report
        .text
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for l in labels {
        assert!(text.contains(l), "{l:?} not printed literally");
    }
    assert!(text.contains("Labels with #typst $markup$"));
}

fn with_template(template: &str, files: &[(&str, &str)]) -> (Dir, std::process::Output) {
    let spec = study("report: { template: manuscript.typ.j2 }\n");
    let mut all = vec![
        ("study.yaml", spec.as_str()),
        ("data.csv", DATA),
        ("manuscript.typ.j2", template),
    ];
    all.extend_from_slice(files);
    let dir = Dir::new(&all);
    let out = dir.run(&["build"]);
    (dir, out)
}

#[test]
fn a_study_template_is_used_and_hashed() {
    let (dir, out) = with_template(
        "= {{ study.title }}\nMedian: {{ result(\"km/strata/A/median/estimate\") | num(1) }} #image(\"logo.svg\", width: 1cm)\n",
        &[(
            "logo.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/></svg>",
        )],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("reports/1.0.0/manifest.json")).unwrap(),
    )
    .unwrap();
    assert!(
        manifest["inputs"]["manuscript.typ.j2"].is_string(),
        "{manifest}"
    );
    assert!(
        manifest["inputs"]["logo.svg"].is_string(),
        "files the template reads are inputs: {manifest}"
    );
}

#[test]
fn files_outside_the_study_folder_are_refused() {
    let outside = Dir::new(&[(
        "secret.svg",
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>",
    )]);
    let secret = outside.path().join("secret.svg");
    let relative = format!(
        "../{}/secret.svg",
        outside.path().file_name().unwrap().to_string_lossy()
    );
    for reference in [relative.as_str(), secret.to_str().unwrap(), "link.svg"] {
        let (dir, _) = with_template("x", &[]);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&secret, dir.path().join("link.svg")).unwrap();
        std::fs::write(
            dir.path().join("manuscript.typ.j2"),
            format!("#image(\"{reference}\")\n"),
        )
        .unwrap();
        let out = dir.run(&["build", "--force"]);
        assert_eq!(out.status.code(), Some(2), "{reference}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("manuscript.typ.j2:1: typst error"),
            "{reference}: {err}"
        );
        assert!(
            err.contains("outside the study's folder")
                || err.contains("escape the study's folder")
                || err.contains("not found"),
            "{reference}: {err}"
        );
        assert!(
            !err.contains("--root"),
            "a hint for typst's CLI, not for reprise: {err}"
        );
    }
}

#[test]
fn typst_errors_name_the_template_line() {
    let template = "= Title\n{% for s in results.km.strata %}\nGroup {{ s.label }}\n{% endfor %}\n#let broken = (\n";
    let (_, out) = with_template(template, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("manuscript.typ.j2:5: typst error"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn template_errors_name_the_template_line() {
    let (_, out) = with_template("= Title\n\n{{ no_such_name.x }}\n", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("manuscript.typ.j2:3: template error"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_failed_build_leaves_the_previous_report_whole() {
    let (dir, out) = with_template("= Fine\n", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = hashes(&dir.path().join("reports"));
    std::fs::write(dir.path().join("manuscript.typ.j2"), "#let broken = (\n").unwrap();
    let out = dir.run(&["build", "--force"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        hashes(&dir.path().join("reports")),
        before,
        "the old report is untouched and no temporary folder is left"
    );
}

#[test]
fn source_date_epoch_sets_the_pdf_date() {
    let dir = Dir::new(&[("study.yaml", &study("")), ("data.csv", DATA)]);
    let run = |epoch: Option<&str>, out: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_reprise"));
        cmd.args(["build", "--out", out]).current_dir(dir.path());
        match epoch {
            Some(e) => cmd.env("SOURCE_DATE_EPOCH", e),
            None => cmd.env_remove("SOURCE_DATE_EPOCH"),
        };
        assert!(cmd.output().unwrap().status.success());
        std::fs::read(dir.path().join(out).join("report.pdf")).unwrap()
    };
    let plain = run(None, "a");
    let epoch = run(Some("1577836800"), "b");
    let contains =
        |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains(&plain, "2024-03-05"),
        "the study date is the PDF date"
    );
    assert!(
        contains(&epoch, "2020-01-01"),
        "SOURCE_DATE_EPOCH overrides it"
    );
    assert_eq!(epoch, run(Some("1577836800"), "c"));
}

/// The bundled study's report for its version is committed; this is the check CI runs,
/// the same `reprise verify` a journal or co-author would.
#[test]
fn the_committed_report_of_the_bundled_study_verifies() {
    let out = reprise(&["verify", "study.yaml"], &repo());
    assert!(
        out.status.success(),
        "reports/ is not what study.yaml and data/ produce:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn verify_rebuilds_with_the_date_the_report_was_built_with() {
    let dir = Dir::new(&[("study.yaml", &study("")), ("data.csv", DATA)]);
    let built = std::process::Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["build"])
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "1577836800")
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", stderr(&built));
    // verify runs without SOURCE_DATE_EPOCH: the manifest says which date to use
    let out = dir.run(&["verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn a_ninety_percent_level_reaches_every_header_and_sentence() {
    let spec = "reprise: 1
study: { id: ninety, version: 1.0.0, title: Ninety, date: 2024-03-05 }
data: { path: data.csv }
endpoints:
  os: { time: time, event: event, label: Overall survival, unit: months }
analyses:
  km: { kind: km, endpoint: os, by: arm, times: [6, 12], conf_level: 0.9 }
  cox: { kind: cox, endpoint: os, covariates: [age, arm], conf_level: 0.9 }
  fu: { kind: followup, endpoint: os, conf_level: 0.9 }
";
    let dir = Dir::new(&[("study.yaml", spec), ("data.csv", DATA)]);
    let mut a = pipeline::analyse(&dir.path().join("study.yaml")).unwrap();
    let report = pipeline::produce(&mut a).unwrap();
    let text = report
        .text
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for said in [
        "Median (90% CI)",
        "with 90% confidence intervals from Greenwood",
        "HR (90% CI)",
        "Hazard ratios with 90% Wald confidence intervals",
        "Kaplan-Meier estimates with 90% confidence intervals",
    ] {
        assert!(text.contains(said), "{said:?} not in the PDF text: {text}");
    }
    assert!(!text.contains("95%"), "a 95% left in: {text}");
    let forest = String::from_utf8(report.files["figures/fig_cox.svg"].clone()).unwrap();
    assert!(forest.contains("HR (90% CI)"), "the forest plot's header");
}

/// The competing-risks and subgroup figures, drawn from their analyses: what a reader
/// looks for in each is there, from the data.
#[test]
fn incidence_curves_and_the_subgroup_forest_show_what_papers_print() {
    let out = Dir::new(&[]);
    let spec = repo().join("examples/colon/study.yaml");
    let run = reprise(
        &[
            "build",
            spec.to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        &repo(),
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let read = |f: &str| std::fs::read_to_string(out.path().join("figures").join(f)).unwrap();
    let cif = read("fig_cif.svg");
    for text in [
        "Recurrence, Obs",
        "Death, Lev+5FU",
        "Gray",
        "Number at risk",
        "Cumulative incidence (%)",
    ] {
        assert!(cif.contains(text), "{text} not in the incidence figure");
    }
    let sub = read("fig_sub.svg");
    for text in [
        "All patients",
        "events/n",
        "interaction",
        "167/312",
        "0.67 (0.53 to 0.85)",
        "better",
    ] {
        assert!(sub.contains(text), "{text} not in the subgroup figure");
    }
    let tables = std::fs::read_to_string(out.path().join("tables/cif_first.csv")).unwrap();
    assert!(tables.contains("Gray"), "{tables}");
}

#[test]
fn every_house_style_reaches_the_tables_of_the_pdf() {
    use reprise::present::{Style, StyleName};
    for name in StyleName::ALL {
        let extra = format!("report: {{ style: {} }}\n", name.name());
        let dir = Dir::new(&[("study.yaml", &study(&extra)), ("data.csv", DATA)]);
        let mut a = pipeline::analyse(&dir.path().join("study.yaml")).unwrap();
        let report = pipeline::produce(&mut a).unwrap();
        let text = report.text.join("\n").replace('\u{a0}', " ");
        let style = Style::of(name);
        // The Cox table's age row, the p-value heading, Table 1's "n (%)" of arm A
        // overall (4 of 8) and the log-rank test's p, each as the style prints them.
        let age = &a.results.analyses["cox"].json["terms"][0];
        let f = |k: &str| age[k].as_f64();
        let lr = a.results.analyses["lr"].json["p"].as_f64();
        for expected in [
            style.ratio_ci(f("hr"), f("lower"), f("upper")),
            style.p_header(),
            style.table_n_percent(4, Some(50.0)),
            style.p_cell(lr),
        ] {
            assert!(
                text.contains(&expected),
                "{}: no {expected:?} in the PDF text: {text}",
                name.name()
            );
        }
    }
}

/// Whether a page's text opens a section of the built-in template or the bundled study's.
fn opens_section(text: &str) -> bool {
    let head: String = text.chars().take(240).collect();
    [
        "Methods",
        "Results",
        "Calibration of the synthetic cohort",
        "Replication of reported values",
        "In place of a discussion",
        "Colophon",
    ]
    .iter()
    .any(|h| head.contains(h))
}

#[test]
fn no_page_of_the_examples_is_more_than_half_empty_unless_it_ends_a_section() {
    for spec in [
        "examples/colon/study.yaml",
        "examples/lung/study.yaml",
        "study.yaml",
    ] {
        let mut a = pipeline::analyse(&repo().join(spec)).unwrap();
        let report = pipeline::produce(&mut a).unwrap();
        let pages = &report.layout;
        for (i, page) in pages.iter().enumerate() {
            let last = i + 1 == pages.len();
            // A landscape table takes a page of its own: the page before it, and its own
            // last page, end a run of the text.
            let before_landscape = pages.get(i + 1).is_some_and(|p| p.landscape);
            let ends_section =
                last || before_landscape || page.landscape || opens_section(&report.text[i + 1]);
            assert!(
                ends_section || page.bottom >= 0.5,
                "{spec}: page {} of {} is filled to {:.0}% of its height: {}",
                i + 1,
                pages.len(),
                100.0 * page.bottom,
                report.text[i]
            );
        }
    }
}

/// A table of a built report, as its CSV file gives it.
fn csv(report: &pipeline::Report, id: &str) -> String {
    String::from_utf8(report.files[&format!("tables/{id}.csv")].clone()).unwrap()
}

const PATIENTS: &str = "id,arm,age,score,grade,time,event\n1,A,50.5,1.25,low,10,1\n2,A,61.25,2.5,,12,0\n3,B,70,3.75,high,5,1\n4,B,45.5,1.5,low,20,1\n5,A,66,2.25,high,7,0\n6,B,58.75,3.25,low,9,1\n7,A,52,1.75,high,3,1\n8,B,49.5,2.75,low,14,0\n9,A,55,1.1,low,6,1\n10,B,63,2.2,high,11,1\n11,A,47,3.3,low,16,0\n12,B,68,1.9,high,4,1\n";

fn patients_study(analyses: &str, report: &str) -> String {
    format!(
        "reprise: 1
study: {{ id: options, version: 1.0.0, title: Options, date: 2024-03-05 }}
data: {{ path: data.csv, columns: {{ age: {{ type: float, label: Age (years) }}, grade: {{ type: category, levels: [low, high], label: Tumour grade }} }} }}
endpoints:
  os: {{ time: time, event: event, label: Overall survival, unit: months }}
analyses:
{analyses}
report: {report}
"
    )
}

#[test]
fn table_one_takes_gtsummary_s_statistic_digits_missing_and_overall() {
    let analyses = "  t1: { kind: describe, variables: [age, score, grade], by: arm, statistic: { age: mean_sd, score: median_range }, digits: { score: 1 }, overall: false }
  t2: { kind: describe, variables: [age, grade], missing: no }";
    let dir = Dir::new(&[
        (
            "study.yaml",
            &patients_study(analyses, "{ describe: { statistic: median_iqr } }"),
        ),
        ("data.csv", PATIENTS),
    ]);
    let mut a = pipeline::analyse(&dir.path().join("study.yaml")).unwrap();
    let report = pipeline::produce(&mut a).unwrap();
    let t1 = csv(&report, "t1");
    let lines: Vec<&str> = t1.lines().collect();
    // N in the group headers, no Overall column, the p-value last
    assert_eq!(
        lines[0],
        "Characteristic,A (N\u{a0}=\u{a0}6),B (N\u{a0}=\u{a0}6),P value"
    );
    let v = &a.results.analyses["t1"].json["variables"];
    let mean = v[0]["groups"][0]["stats"]["mean"].as_f64().unwrap();
    let sd = v[0]["groups"][0]["stats"]["sd"].as_f64().unwrap();
    // age: mean (SD) to gtsummary's guessed decimals (its 5th-95th percentile spread is
    // over 20, so none)
    assert!(
        lines[1].starts_with(&format!("\"Age (years), mean (SD)\",{mean:.0} ({sd:.0}),")),
        "{}",
        lines[1]
    );
    // score: median (range) to the one decimal asked for
    let s = &v[1]["groups"][0]["stats"];
    let f = |k: &str| s[k].as_f64().unwrap();
    assert!(
        lines[2].starts_with(&format!(
            "\"Score, median (range)\",{:.1} ({:.1}–{:.1})",
            f("median"),
            f("min"),
            f("max")
        )),
        "{}",
        lines[2]
    );
    // a missing grade: an Unknown row; the Fisher's test named with its variables
    assert!(t1.contains("\nUnknown,1,0,"), "{t1}");
    let notes = &report.text.join(" ");
    assert!(
        notes.contains("Fisher's exact test (Tumour grade)"),
        "{notes}"
    );
    // t2: the study-wide median (IQR), an Overall column, no Unknown row
    let t2 = csv(&report, "t2");
    assert!(
        t2.starts_with("Characteristic,Overall (N\u{a0}=\u{a0}12)\n\"Age (years), median (IQR)\""),
        "{t2}"
    );
    assert!(!t2.contains("Unknown"), "{t2}");
}

#[test]
fn a_statistic_for_a_variable_the_table_does_not_have_is_refused_at_its_key() {
    let analyses = "  t1: { kind: describe, variables: [age], statistic: { weight: mean_sd } }";
    let dir = Dir::new(&[
        ("study.yaml", &patients_study(analyses, "{ style: nejm }")),
        ("data.csv", PATIENTS),
    ]);
    let out = dir.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("study.yaml:7:"), "{err}");
    assert!(err.contains("`statistic` names `weight`"), "{err}");
    assert!(err.contains("its variables: age"), "{err}");
}

#[test]
fn regression_tables_show_reference_rows_model_size_fit_and_the_tests_run() {
    let analyses = "  uni_age: { kind: cox, endpoint: os, covariates: [age] }
  uni_grade: { kind: cox, endpoint: os, covariates: [grade] }
  multi: { kind: cox, endpoint: os, covariates: [age, grade, arm] }
  lr: { kind: logrank, endpoint: os, by: arm }";
    let figures = "figures:\n  fig_cox: { kind: forest, univariable: [uni_age, uni_grade], analyses: [multi] }\n";
    let spec = patients_study(analyses, "{ style: nejm }")
        .replace("report:", &format!("{figures}report:"));
    let dir = Dir::new(&[("study.yaml", &spec), ("data.csv", PATIENTS)]);
    let mut a = pipeline::analyse(&dir.path().join("study.yaml")).unwrap();
    let report = pipeline::produce(&mut a).unwrap();
    let table = csv(&report, "tab_cox");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "Characteristic,Univariable N,Univariable HR (95% CI),Univariable P value,Multivariable HR (95% CI),Multivariable P value"
    );
    // a category: its heading, its reference level with a dash in both models, its level
    let grade = lines
        .iter()
        .position(|l| l.starts_with("Tumour grade,"))
        .unwrap();
    assert_eq!(lines[grade + 1], "low,,—,,—,");
    assert!(lines[grade + 2].starts_with("high,11,"), "{table}");
    // a covariate only the multivariable model has: blank under Univariable
    assert!(
        table.contains("\narm,,,,") || table.contains("\nB,,,,"),
        "{table}"
    );
    let text = report.text.join(" ").replace('\u{a0}', " ");
    let m = &a.results.analyses["multi"].json;
    let c = m["concordance"]["estimate"].as_f64().unwrap();
    assert!(
        text.contains(&format!(
            "Multivariable: N = 11; {} events; concordance {c:.2}",
            m["events"]
        )),
        "{text}"
    );
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("likelihood-ratio test χ² = "), "{text}");
    // the log-rank test and cox.zph, in tables of their own
    let lr = csv(&report, "logrank_tests");
    assert!(
        lr.starts_with("Comparison and group,N,Observed,Expected,χ²,df,P value\n"),
        "{lr}"
    );
    let zph = csv(&report, "cox_zph");
    assert!(zph.contains("\nGlobal,"), "{zph}");
}

#[test]
fn logistic_and_fine_gray_models_print_univariable_beside_multivariable_with_their_fit() {
    // logistic: grade is missing for one patient, so its own model has 11, the others 12
    let analyses =
        "  lg: { kind: logistic, outcome: event, covariates: [age, grade], univariable: true }";
    let dir = Dir::new(&[
        ("study.yaml", &patients_study(analyses, "{ style: nejm }")),
        ("data.csv", PATIENTS),
    ]);
    let mut a = pipeline::analyse(&dir.path().join("study.yaml")).unwrap();
    let report = pipeline::produce(&mut a).unwrap();
    let table = csv(&report, "lg");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "Characteristic,Univariable N,Univariable OR (95% CI),Univariable P value,Multivariable OR (95% CI),Multivariable P value"
    );
    assert!(lines[1].starts_with("Age (years),12,"), "{table}");
    assert_eq!(lines[2], "Tumour grade,,,,,");
    assert_eq!(lines[3], "low,,—,,—,");
    assert!(lines[4].starts_with("high,11,"), "{table}");
    let lg = &a.results.analyses["lg"].json;
    assert_eq!(lg["univariable"][1]["n"], 11);
    let c = lg["concordance"]["estimate"].as_f64().unwrap();
    assert!(c > 0.5 && c <= 1.0, "{c}");
    let text = report.text.join(" ").replace('\u{a0}', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(&format!(
            "Multivariable: N = 11; 8 events; concordance {c:.2} (SE "
        )),
        "{text}"
    );

    // Fine-Gray on mgus2: mspike is missing for 11 patients
    let mut a = pipeline::analyse(&repo().join("tests/studies/mgus2.yaml")).unwrap();
    let report = pipeline::produce(&mut a).unwrap();
    let table = csv(&report, "fg_pcm");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "Characteristic,Univariable N,Univariable SHR (95% CI),Univariable P value,Multivariable SHR (95% CI),Multivariable P value"
    );
    assert!(table.contains("\nMspike,\"1,373\","), "{table}");
    assert!(table.contains("\nAge,\"1,384\","), "{table}");
    let text = report.text.join(" ").replace('\u{a0}', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // R: fit$wald.test 45.207 on 3 df; fit$concordance 0.6538 (std 0.02638)
    assert!(
        text.contains("concordance 0.65 (SE 0.026); robust Wald test χ² = 45.21 on 3 df, P<0.001"),
        "{text}"
    );
}

#[test]
fn a_claim_s_note_prints_in_the_replication_table() {
    let claim = "claims:\n  - { id: n, result: t1/n, reported: 8, tolerance: 0, note: \"from the abstract, second sentence\" }\n";
    let dir = Dir::new(&[("study.yaml", &study(claim)), ("data.csv", DATA)]);
    let mut a = pipeline::analyse(&dir.path().join("study.yaml")).unwrap();
    let report = pipeline::produce(&mut a).unwrap();
    let text = report.text.join(" ");
    assert!(
        text.contains("from the abstract, second sentence"),
        "{text}"
    );
}

/// The manifest of the study in `dir`, built with `reprise build`.
fn built_manifest(dir: &Dir) -> (serde_json::Value, String) {
    let out = dir.run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("reports/1.0.0/manifest.json")).unwrap();
    (serde_json::from_str(&text).unwrap(), stderr(&out))
}

#[test]
fn a_report_names_its_data_relative_to_the_study_folder_even_when_the_spec_writes_it_absolute() {
    let dir = Dir::new(&[("data.csv", DATA)]);
    let absolute = dir.path().join("data.csv").canonicalize().unwrap();
    let spec = study("").replace(
        "path: data.csv",
        &format!("path: \"{}\"", absolute.display()),
    );
    std::fs::write(dir.path().join("study.yaml"), spec).unwrap();
    let (manifest, warnings) = built_manifest(&dir);
    let inputs = manifest["inputs"].as_object().unwrap();
    assert!(inputs.contains_key("data.csv"), "{manifest}");
    let text = manifest.to_string()
        + &std::fs::read_to_string(dir.path().join("reports/1.0.0/report.typ")).unwrap();
    assert!(
        !text.contains(&dir.path().canonicalize().unwrap().display().to_string()),
        "no absolute path in the manifest or the colophon"
    );
    assert!(
        !warnings.contains("outside the study's folder"),
        "{warnings}"
    );
}

#[test]
fn data_kept_outside_the_study_folder_are_named_by_a_relative_path_with_a_warning() {
    let elsewhere = Dir::new(&[("cohort.csv", DATA)]);
    let absolute = elsewhere.path().join("cohort.csv").canonicalize().unwrap();
    let dir = Dir::new(&[]);
    let spec = study("").replace(
        "path: data.csv",
        &format!("path: \"{}\"", absolute.display()),
    );
    std::fs::write(dir.path().join("study.yaml"), spec).unwrap();
    let (manifest, warnings) = built_manifest(&dir);
    let name = manifest["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.ends_with("cohort.csv"))
        .cloned()
        .unwrap();
    assert!(name.starts_with("../"), "{name}");
    assert!(!name.contains(&*absolute.to_string_lossy()), "{name}");
    assert!(
        warnings.contains(&format!(
            "the data file {name} lies outside the study's folder"
        )),
        "{warnings}"
    );
}
