//! Writing a study: what reprise may and may not write over, and the tools around the
//! authoring loop.

use crate::util::{Dir, stderr};

use crate::util::EIGHT_PATIENTS as DATA;

const STUDY: &str = "reprise: 1
study: { id: tiny, version: 1.0.0, title: A tiny study, date: 2024-03-05 }
data: { path: data.csv }
endpoints:
  os: { time: time, event: event, label: Overall survival, unit: months }
analyses:
  km: { kind: km, endpoint: os, by: arm }
";

fn tiny() -> Dir {
    Dir::new(&[("data.csv", DATA), ("study.yaml", STUDY)])
}

/// Every name in a folder, hidden ones too.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn out_naming_an_existing_file_is_refused_and_the_file_left_as_it_was() {
    let dir = tiny();
    std::fs::write(dir.path().join("notes.txt"), "my notes").unwrap();
    for args in [
        &["build", "--out", "notes.txt"][..],
        &["build", "--out", "notes.txt", "--force"],
    ] {
        let out = dir.run(args);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("notes.txt is a file, not a report folder"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "my notes"
    );
    // Nothing moved aside, nothing half-written.
    assert_eq!(names(dir.path()), ["data.csv", "notes.txt", "study.yaml"]);
}

#[test]
fn a_folder_that_is_not_a_report_is_refused_even_with_force() {
    let dir = tiny();
    std::fs::create_dir(dir.path().join("drafts")).unwrap();
    std::fs::write(dir.path().join("drafts/chapter.md"), "# Draft").unwrap();
    for args in [
        &["build", "--out", "drafts"][..],
        &["build", "--out", "drafts", "--force"],
    ] {
        let out = dir.run(args);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("is not a reprise report"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(names(&dir.path().join("drafts")), ["chapter.md"]);
    // An empty folder is the user's invitation.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    assert!(dir.run(&["build", "--out", "empty"]).status.success());
    assert!(dir.path().join("empty/manifest.json").exists());
}

#[test]
fn a_bundle_never_replaces_a_file_that_is_not_a_bundle() {
    let dir = tiny();
    std::fs::write(dir.path().join("submission.zip"), "not a zip").unwrap();
    let out = dir.run(&["bundle", "--out", "submission.zip", "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a reprise bundle"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read(dir.path().join("submission.zip")).unwrap(),
        b"not a zip"
    );
    // Its own bundle it rebuilds in place.
    assert!(dir.run(&["bundle", "--out", "own.zip"]).status.success());
    assert!(dir.run(&["bundle", "--out", "own.zip"]).status.success());
}

const MACROS: &str = r#"{% macro heading(text) %}== {{ text }}{% endmacro %}
{% macro strong(text) %}*{{ text }}*{% endmacro %}
"#;

const PAPER: &str = r#"{% import "parts/macros.j2" as m %}{% from "parts/macros.j2" import strong %}
= {{ study.title }}
{{ m.heading("Results") }}

{% for i in range(9) %}{% if i > 5 %}{% break %}{% endif %}{% if i is even %}{% continue %}{% endif %}odd {{ i }}; {% endfor %}

{{ strong("the end") }}
"#;

/// The tiny study with its own template, which imports macros from a file beside it.
fn templated(paper: &str, macros: &str) -> Dir {
    let study = format!("{STUDY}report: {{ template: templates/paper.typ.j2 }}\n");
    let dir = Dir::new(&[("data.csv", DATA), ("study.yaml", &study)]);
    std::fs::create_dir_all(dir.path().join("templates/parts")).unwrap();
    std::fs::write(dir.path().join("templates/paper.typ.j2"), paper).unwrap();
    std::fs::write(dir.path().join("templates/parts/macros.j2"), macros).unwrap();
    dir
}

fn manifest(dir: &Dir) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.path().join("reports/1.0.0/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_template_imports_macros_from_beside_it_and_loops_with_break_and_continue() {
    let dir = templated(PAPER, MACROS);
    let out = dir.run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let typ = std::fs::read_to_string(dir.path().join("reports/1.0.0/report.typ")).unwrap();
    assert!(typ.contains("== Results"), "{typ}");
    assert!(typ.contains("odd 1; odd 3; odd 5; \n"), "{typ}");
    assert!(typ.contains("*the end*"), "{typ}");
    // The imported file is an input: recorded, and a change to it is a new build.
    let first = manifest(&dir);
    assert!(
        first["inputs"]["templates/parts/macros.j2"].is_string(),
        "{}",
        first["inputs"]
    );
    std::fs::write(
        dir.path().join("templates/parts/macros.j2"),
        MACROS.replace("== ", "=== "),
    )
    .unwrap();
    let out = dir.run(&["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", crate::util::stdout(&out));
    assert!(dir.run(&["build", "--force"]).status.success());
    assert_ne!(manifest(&dir)["build_id"], first["build_id"]);
}

#[test]
fn an_error_inside_an_imported_template_names_that_file_and_line() {
    let dir = templated(PAPER, &MACROS.replace("*{{ text }}*", "*{{ txet }}*"));
    let out = dir.run(&["build"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("templates/parts/macros.j2:2"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_template_cannot_import_from_outside_its_folder() {
    let dir = templated(
        &PAPER.replace("\"parts/macros.j2\" as m", "\"../study.yaml\" as m"),
        MACROS,
    );
    let out = dir.run(&["build"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("relative path without `..`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_template_that_would_run_for_ever_stops_with_an_error() {
    let endless =
        "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}\n";
    let dir = templated(endless, MACROS);
    let started = std::time::Instant::now();
    let out = dir.run(&["build"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("templates/paper.typ.j2") && stderr(&out).contains("fuel"),
        "{}",
        stderr(&out)
    );
    // Not a timing claim: a bound that only a template running without limit would break.
    assert!(started.elapsed().as_secs() < 120);
}

#[test]
fn completions_for_every_shell_name_the_commands_and_their_options() {
    for (shell, says) in [
        ("bash", "_reprise()"),
        ("zsh", "#compdef reprise"),
        ("fish", "complete -c reprise"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = crate::util::reprise(&["completions", shell], &crate::util::repo());
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = crate::util::stdout(&out);
        assert!(script.contains(says), "{shell}: {script}");
        let option = match shell {
            "bash" => "--format)",
            "zsh" => "'--format=",
            "fish" => "-l format",
            _ => "'--format'",
        };
        for word in ["build", "verify", "bundle", "diff", "init", option] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let out = crate::util::reprise(&["completions", "tcsh"], &crate::util::repo());
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_manual_page_has_every_command_with_its_options() {
    let out = crate::util::reprise(&["man"], &crate::util::repo());
    assert!(out.status.success(), "{}", stderr(&out));
    let page = crate::util::stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH reprise"),
        "{page}"
    );
    for heading in [
        ".SH \"REPRISE BUILD\"",
        ".SH \"REPRISE VERIFY\"",
        ".SH \"REPRISE BUNDLE\"",
    ] {
        assert!(page.contains(heading), "no {heading}");
    }
    assert!(
        page.contains("\\-\\-format"),
        "build's --format is documented"
    );
    // Where man(1) is installed, it formats the page without complaint.
    let Some(dir) = tempfile::tempdir().ok() else {
        return;
    };
    let file = dir.path().join("reprise.1");
    std::fs::write(&file, &page).unwrap();
    match std::process::Command::new("man")
        .args(["-l", file.to_str().unwrap()])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("REPRISE BUILD"), "{text}");
        }
        _ => {
            eprintln!("man is not installed (apt-get install man-db): the formatting check skipped")
        }
    }
}

/// The tiny study with one claim, built into `reports/before`, and again into
/// `reports/after` once a patient has been dropped from the data.
fn corrected() -> Dir {
    let study = format!(
        "{STUDY}claims:\n  - {{ id: nb, result: km/strata/B/n, reported: 4, tolerance: 0 }}\n"
    );
    let dir = Dir::new(&[("data.csv", DATA), ("study.yaml", &study)]);
    assert!(
        dir.run(&["build", "--out", "reports/before"])
            .status
            .success()
    );
    std::fs::write(
        dir.path().join("data.csv"),
        DATA.replace("8,B,49,14,0\n", ""),
    )
    .unwrap();
    // The claim now fails (exit 1), and the report is written all the same.
    let out = dir.run(&["build", "--out", "reports/after"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    dir
}

#[test]
fn diff_shows_what_a_data_correction_did_to_the_numbers_and_the_claims() {
    let dir = corrected();
    let out = dir.run(&["diff", "reports/before", "reports/after"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = crate::util::stdout(&out);
    for says in [
        "inputs: 1 changed",
        "data.csv  changed (",
        "km/strata/B/n",
        "claims: 1 changed",
        "nb  reported 4: 4 ok → 3 FAIL",
    ] {
        assert!(text.contains(says), "no `{says}` in:\n{text}");
    }
    let out = dir.run(&["diff", "reports/before", "reports/after", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&crate::util::stdout(&out)).unwrap();
    assert_eq!(json["inputs"][0]["name"], "data.csv");
    let n = json["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["path"] == "km/strata/B/n")
        .expect("the stratum's n changed");
    assert_eq!(
        (n["old"].as_f64(), n["new"].as_f64()),
        (Some(4.0), Some(3.0))
    );
    assert_eq!(n["difference"], -1.0);
    assert_eq!(json["claims"][0]["new"]["within"], false);
}

#[test]
fn diff_of_a_report_with_itself_finds_nothing_and_exits_0() {
    let dir = corrected();
    let out = dir.run(&["diff", "reports/after", "reports/after"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(crate::util::stdout(&out).starts_with("no change: "));
}

#[test]
fn diff_reads_bundles_and_refuses_what_is_not_a_report() {
    let dir = corrected();
    assert!(dir.run(&["bundle", "--out", "after.zip"]).status.success());
    let out = dir.run(&["diff", "reports/after", "after.zip"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::util::stdout(&out));
    let out = dir.run(&["diff", "reports/before", "after.zip"]);
    assert_eq!(out.status.code(), Some(1), "{}", crate::util::stdout(&out));
    let out = dir.run(&["diff", ".", "reports/after"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not a reprise report"),
        "{}",
        stderr(&out)
    );
}

/// The lines a running `reprise watch` prints, as they come.
struct Watching {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Watching {
    fn start(dir: &Dir) -> Watching {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reprise"))
            .arg("watch")
            .current_dir(dir.path())
            .env_remove("SOURCE_DATE_EPOCH")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start reprise watch");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        Watching { child, lines }
    }

    /// The next line holding `text`, skipping the others; a test that waits longer than
    /// a few minutes for it has failed.
    fn until(&self, text: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!("reprise watch never printed `{text}`"),
            }
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_rebuilds_on_a_save_and_keeps_the_last_good_report_when_a_build_fails() {
    let dir = tiny();
    let watch = Watching::start(&dir);
    watch.until("built reports/1.0.0 in ");
    watch.until("watching 2 files");
    let first = manifest(&dir)["build_id"].clone();
    // An editor's save: a new file renamed over the old one.
    let edited = STUDY.replace("A tiny study", "A small study");
    std::fs::write(dir.path().join(".study.yaml.swp"), &edited).unwrap();
    std::fs::rename(
        dir.path().join(".study.yaml.swp"),
        dir.path().join("study.yaml"),
    )
    .unwrap();
    let line = watch.until("changed: study.yaml; built reports/1.0.0 in ");
    assert!(line.contains(" s (build "), "{line}");
    let second = manifest(&dir)["build_id"].clone();
    assert_ne!(first, second);
    // A mistake: the error is printed and the report is the last good one.
    std::fs::write(
        dir.path().join("study.yaml"),
        edited.replace("kind: km,", "kind: kmm,"),
    )
    .unwrap();
    let line = watch.until("changed: study.yaml; error: ");
    assert!(line.contains("study.yaml:7:"), "{line}");
    watch.until("the last good report stays");
    assert_eq!(manifest(&dir)["build_id"], second);
    // The data are watched too.
    std::fs::write(dir.path().join("study.yaml"), &edited).unwrap();
    watch.until("changed: study.yaml; built");
    std::fs::write(
        dir.path().join("data.csv"),
        DATA.replace("8,B,49,14,0", "8,B,49,15,0"),
    )
    .unwrap();
    watch.until("changed: data.csv; built");
    assert_ne!(manifest(&dir)["build_id"], second);
}

#[test]
fn init_writes_a_study_from_a_data_file_that_builds_at_once() {
    let dir = Dir::new(&[]);
    let lung = crate::util::repo().join("tests/data/lung.csv");
    let out = dir.run(&["init", lung.to_str().unwrap(), "--out", "lung"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = crate::util::stdout(&out);
    assert!(
        said.contains(
            "guess: endpoint `os`: time `time` in days, event `status` (2 = event, 1 = censored)"
        ),
        "{said}"
    );
    let study = std::fs::read_to_string(dir.path().join("lung/study.yaml")).unwrap();
    assert!(study.starts_with("# yaml-language-server: $schema=study.schema.json\n"));
    // Every column declared: R's 1/2 codes as levels, a score as a number, its range.
    for line in [
        "sex: { type: category, levels: [\"1\", \"2\"], label: Sex }",
        "ph_ecog: { type: category, levels: [\"0\", \"1\", \"2\", \"3\"], label: Ph ecog }   # 1 missing",
        "ph_karno: { type: int, min: 50, max: 100, label: Ph karno }   # 1 missing",
        "os: { time: time, event: status, event_codes: { event: [2], censored: [1] }",
        "km_os: { kind: km, endpoint: os, by: sex }",
        "logrank_os: { kind: logrank, endpoint: os, by: sex }",
    ] {
        assert!(study.contains(line), "no `{line}` in:\n{study}");
    }
    // `dead` is the event again, so it is neither a characteristic nor a covariate.
    assert!(!study.contains("variables: [inst, dead"), "{study}");
    crate::util::schema_errors(&dir.path().join("lung/study.yaml")).unwrap();
    assert!(dir.path().join("lung/study.schema.json").exists());
    assert!(dir.path().join("lung/data/lung.csv").exists());
    let out = crate::util::reprise(&["build"], &dir.path().join("lung"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("lung/reports/0.1.0/report.pdf").exists());

    // A second init never replaces what the first wrote, or what the user edited since.
    std::fs::write(dir.path().join("lung/study.yaml"), "# mine\n").unwrap();
    let out = dir.run(&["init", lung.to_str().unwrap(), "--out", "lung"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("study.yaml already exists; reprise init never replaces a file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lung/study.yaml")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn init_reads_parquet_and_without_data_writes_a_commented_skeleton() {
    use polars::prelude::*;
    let dir = Dir::new(&[("cohort.csv", DATA)]);
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .try_into_reader_with_file_path(Some(dir.path().join("cohort.csv")))
        .unwrap()
        .finish()
        .unwrap();
    let file = std::fs::File::create(dir.path().join("cohort.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    let out = dir.run(&["init", "cohort.parquet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let study = std::fs::read_to_string(dir.path().join("cohort/study.yaml")).unwrap();
    assert!(study.contains("path: data/cohort.parquet"), "{study}");
    assert!(study.contains("os: { time: time, event: event,"), "{study}");
    let out = crate::util::reprise(&["build"], &dir.path().join("cohort"));
    assert!(out.status.success(), "{}", stderr(&out));

    let out = dir.run(&["init", "--out", "blank"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let skeleton = std::fs::read_to_string(dir.path().join("blank/study.yaml")).unwrap();
    assert!(
        skeleton.contains("# table1: { kind: describe"),
        "{skeleton}"
    );
    crate::util::schema_errors(&dir.path().join("blank/study.yaml")).unwrap();
    // Given the data it names, the skeleton builds as it is.
    std::fs::create_dir(dir.path().join("blank/data")).unwrap();
    std::fs::write(
        dir.path().join("blank/data/cohort.csv"),
        DATA.replace("event", "status"),
    )
    .unwrap();
    let out = crate::util::reprise(&["check"], &dir.path().join("blank"));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn every_study_in_the_repository_satisfies_the_schema() {
    let repo = crate::util::repo();
    let mut studies = vec![
        repo.join("study.yaml"),
        repo.join("examples/colon/study.yaml"),
        repo.join("examples/lung/study.yaml"),
    ];
    for entry in std::fs::read_dir(repo.join("tests/studies")).unwrap() {
        studies.push(entry.unwrap().path());
    }
    assert!(studies.len() >= 8);
    for study in &studies {
        crate::util::schema_errors(study).unwrap();
    }
}

#[test]
fn the_schema_refuses_a_key_reprise_does_not_know_and_a_key_of_another_kind() {
    let dir = tiny();
    let check = |study: &str| {
        std::fs::write(dir.path().join("study.yaml"), study).unwrap();
        crate::util::schema_errors(&dir.path().join("study.yaml"))
    };
    assert!(check(STUDY).is_ok());
    let misspelt = check(&STUDY.replace("label: Overall", "lable: Overall")).unwrap_err();
    assert!(misspelt.contains("lable"), "{misspelt}");
    let other_kind =
        check(&STUDY.replace("by: arm }", "by: arm, covariates: [age] }")).unwrap_err();
    assert!(other_kind.contains("covariates"), "{other_kind}");
    let bad_value = check(&STUDY.replace("unit: months", "unit: fortnights")).unwrap_err();
    assert!(bad_value.contains("fortnights"), "{bad_value}");
    // reprise refuses the same studies, so the schema is no stricter than reprise.
    std::fs::write(
        dir.path().join("study.yaml"),
        STUDY.replace("by: arm }", "by: arm, covariates: [age] }"),
    )
    .unwrap();
    assert_eq!(dir.run(&["check"]).status.code(), Some(2));
}

#[test]
fn the_schema_describes_every_key_and_lists_every_analysis_kind() {
    let out = crate::util::reprise(&["schema"], &crate::util::repo());
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_str(&crate::util::stdout(&out)).unwrap();
    assert_eq!(schema, reprise::spec::schema::schema());
    let kinds =
        &schema["properties"]["analyses"]["additionalProperties"]["properties"]["kind"]["enum"];
    let names: Vec<&str> = reprise::analysis::KINDS.iter().map(|k| k.name).collect();
    assert_eq!(kinds, &serde_json::json!(names));
    let mut undescribed = Vec::new();
    undescribed_keys(&schema, "", &mut undescribed);
    assert!(
        undescribed.is_empty(),
        "keys without a description: {undescribed:?}"
    );
}

/// Every property of the schema that has no description, by where it is.
fn undescribed_keys(node: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    match node {
        serde_json::Value::Object(map) => {
            if let Some(props) = map.get("properties").and_then(|p| p.as_object()) {
                for (key, value) in props {
                    if value.get("description").is_none() && !at.ends_with("/if") {
                        out.push(format!("{at}.{key}"));
                    }
                }
            }
            for (key, value) in map {
                undescribed_keys(value, &format!("{at}/{key}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                undescribed_keys(item, at, out);
            }
        }
        _ => {}
    }
}
