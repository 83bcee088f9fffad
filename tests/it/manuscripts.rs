//! The manuscript in every format: PDF, Word and HTML written, listed in the manifest,
//! byte-identical on a rebuild and checked by `verify`; Word opened by LibreOffice and
//! HTML drawn by Chromium where they are installed.

use std::path::Path;
use std::process::Command;

use crate::util::{Dir, repo, reprise, stderr, stdout};

use crate::util::EIGHT_PATIENTS as DATA;

fn study(report: &str) -> String {
    format!(
        "reprise: 1
study: {{ id: tiny, version: 1.0.0, title: A tiny study, date: 2024-03-05 }}
data: {{ path: data.csv }}
endpoints:
  os: {{ time: time, event: event, label: Overall survival, unit: months }}
analyses:
  km: {{ kind: km, endpoint: os, by: arm, times: [6, 12] }}
  cox: {{ kind: cox, endpoint: os, covariates: [age, arm] }}
  t1: {{ kind: describe, variables: [age, arm], by: arm }}
{report}"
    )
}

fn tiny(report: &str) -> Dir {
    Dir::new(&[("data.csv", DATA), ("study.yaml", &study(report))])
}

const ALL: &str = "report: { formats: [pdf, docx, html] }\n";

fn read(dir: &Dir, name: &str) -> Vec<u8> {
    std::fs::read(dir.path().join("reports/1.0.0").join(name))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn manifest(dir: &Dir) -> serde_json::Value {
    serde_json::from_slice(&read(dir, "manifest.json")).unwrap()
}

/// One part of a zip (a Word file's `word/document.xml`) as text.
fn part_of(zip: &[u8], name: &str) -> String {
    let parts = reprise::archive::entries(zip).unwrap();
    let (_, bytes) = parts
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"));
    String::from_utf8(bytes).unwrap()
}

/// A run refused as bad input (exit 2), its message saying each of `says`.
fn refused(out: &std::process::Output, says: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    for s in says {
        assert!(stderr(out).contains(s), "no `{s}` in: {}", stderr(out));
    }
}

/// Whether a program is installed; if not, says which test skips and how to install it.
fn installed(program: &str, test: &str, package: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()));
    if !found {
        eprintln!("skipped {test}: {program} is not installed (apt-get install {package})");
    }
    found
}

#[test]
fn every_format_the_study_asks_for_is_written_listed_and_verified() {
    let (a, b) = (tiny(ALL), tiny(ALL));
    for d in [&a, &b] {
        let out = d.run(&["build"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("report.docx"), "{}", stdout(&out));
    }
    let m = manifest(&a);
    assert_eq!(m["formats"], serde_json::json!(["pdf", "docx", "html"]));
    for name in ["report.pdf", "report.docx", "report.html"] {
        assert!(m["outputs"][name].is_string(), "{name} not in {m}");
        assert_eq!(
            read(&a, name),
            read(&b, name),
            "{name} differs between builds"
        );
    }
    let ok = a.run(&["verify"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));

    let docx = a.path().join("reports/1.0.0/report.docx");
    let mut bytes = std::fs::read(&docx).unwrap();
    let last = bytes.len() - 30;
    bytes[last] ^= 1;
    std::fs::write(&docx, bytes).unwrap();
    let bad = a.run(&["verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).contains("report.docx: on disk"),
        "{}",
        stdout(&bad)
    );
}

#[test]
fn format_on_the_command_line_replaces_the_studys_and_verify_follows_the_manifest() {
    let dir = tiny("");
    let out = dir.run(&["build", "--format", "html"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let m = manifest(&dir);
    assert_eq!(m["formats"], serde_json::json!(["html"]));
    assert!(!dir.path().join("reports/1.0.0/report.pdf").exists());
    assert!(m["outputs"]["report.html"].is_string());
    let ok = dir.run(&["verify"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
}

#[test]
fn an_unknown_or_repeated_format_is_refused_with_its_place() {
    let dir = tiny("");
    let out = dir.run(&["build", "--format", "pdf,rtf"]);
    refused(&out, &["unknown format `rtf`", "pdf, docx and html"]);

    let twice = tiny("report: { formats: [pdf, html, pdf] }\n");
    let out = twice.run(&["check"]);
    refused(&out, &["study.yaml:10:", "lists pdf twice"]);
}

#[test]
fn the_html_report_is_one_file_with_tables_figures_and_no_network_reference() {
    let dir = tiny("report: { formats: [html] }\n");
    let out = dir.run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let html = String::from_utf8(read(&dir, "report.html")).unwrap();
    for absent in ["<script", "<link", "src=\"http", "href=\"http", "url("] {
        assert!(!html.contains(absent), "the HTML holds {absent}");
    }
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("<style>") && html.contains("@media print"));
    assert!(html.contains("<title>A tiny study</title>"));
    assert!(html.contains("<h2>Methods</h2>"), "heading levels");
    assert!(
        html.contains("<thead>") && html.contains("<th"),
        "tables as HTML tables"
    );
    assert!(html.contains("<img src=\"data:image/svg+xml;base64,"));
    assert!(
        html.contains("Patient characteristics"),
        "Table 1's caption"
    );
}

#[test]
fn the_word_file_has_heading_styles_real_tables_figures_and_page_numbers() {
    let dir = tiny("report: { formats: [docx, html] }\n");
    let out = dir.run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let docx = read(&dir, "report.docx");
    let part = |name: &str| part_of(&docx, name);
    let document = part("word/document.xml");
    assert!(document.contains(r#"<w:pStyle w:val="Heading1" />"#));
    assert!(document.contains(r#"<w:pStyle w:val="Title" />"#));
    let html = String::from_utf8(read(&dir, "report.html")).unwrap();
    assert_eq!(
        document.matches("<w:tbl>").count(),
        html.matches("<table").count(),
        "every HTML table is a Word table"
    );
    let pictures = reprise::archive::entries(&docx)
        .unwrap()
        .into_iter()
        .filter(|(n, _)| n.starts_with("word/media/"))
        .count();
    assert_eq!(
        pictures,
        html.matches("<img ").count(),
        "every figure embedded"
    );
    assert!(document.contains("Overall survival"));
    assert!(part("word/footer1.xml").contains("PAGE"), "page numbers");
    assert!(part("docProps/core.xml").contains("2024-03-05T00:00:00Z"));
}

/// The body cells of a table's CSV (its header rows print differently under spanners).
fn body_cells(csv: &str) -> Vec<String> {
    let mut cells = Vec::new();
    for line in csv.lines().skip(1) {
        let mut cell = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => cells.push(std::mem::take(&mut cell)),
                c => cell.push(c),
            }
        }
        cells.push(cell);
    }
    cells.retain(|c| !c.trim().is_empty());
    cells
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn libreoffice_converts_the_word_file_to_pdf_and_keeps_every_table_cell() {
    let test = "libreoffice_converts_the_word_file";
    if !installed("soffice", test, "libreoffice-writer-nogui") {
        return;
    }
    let out_dir = Dir::new(&[]);
    let spec = repo().join("examples/colon/study.yaml");
    let out = reprise(
        &[
            "build",
            spec.to_str().unwrap(),
            "--out",
            out_dir.path().to_str().unwrap(),
            "--format",
            "docx",
        ],
        &repo(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // The colon example's supplement takes three of its tables to supplement.docx.
    let mut text = String::new();
    for doc in ["report", "supplement"] {
        let converted = convert(out_dir.path(), doc, "pdf");
        assert!(
            converted.starts_with(b"%PDF"),
            "LibreOffice wrote no PDF of {doc}.docx"
        );
        text.push_str(&squeeze(&String::from_utf8_lossy(&convert(
            out_dir.path(),
            doc,
            "txt:Text (encoded):UTF8",
        ))));
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(out_dir.path().join("tables")).unwrap() {
        let path = entry.unwrap().path();
        let csv = std::fs::read_to_string(&path).unwrap();
        for cell in body_cells(&csv) {
            assert!(
                text.contains(&squeeze(&cell)),
                "{}: `{cell}` is not in LibreOffice's text of the Word file",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} cells");
}

/// The Word file `doc` of `dir` converted by LibreOffice, headless, with a profile of its own.
fn convert(dir: &Path, doc: &str, to: &str) -> Vec<u8> {
    let profile = Dir::new(&[]);
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args(["--headless", "--norestore", "--convert-to", to, "--outdir"])
        .arg(dir)
        .arg(dir.join(format!("{doc}.docx")))
        .output()
        .expect("run soffice");
    assert!(out.status.success(), "{}", stderr(&out));
    let ext = to.split(':').next().unwrap();
    std::fs::read(dir.join(format!("{doc}.{ext}"))).expect("LibreOffice's output")
}

#[test]
fn chromium_draws_the_html_report_on_a_phone_sized_screen() {
    if !installed("chromium", "chromium_draws_the_html_report", "chromium") {
        return;
    }
    let dir = tiny("report: { formats: [html] }\n");
    let out = dir.run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let profile = Dir::new(&[]);
    let shot = dir.path().join("phone.png");
    let html = dir.path().join("reports/1.0.0/report.html");
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=390,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "{}", stderr(&out));
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[1..4], b"PNG");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 390);
    // A drawn page compresses far worse than a blank one.
    assert!(
        png.len() > 40_000,
        "a nearly blank screenshot ({} bytes)",
        png.len()
    );
}

/// The text a program prints for `args`, when it is installed.
fn run_tool(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn every_figure_has_journal_files_at_the_studys_width_and_resolution() {
    let dir = tiny("figures: { width_mm: 85, dpi: 600 }\n");
    let out = dir.run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let figures = dir.path().join("reports/1.0.0/figures");
    let m = manifest(&dir);
    for id in ["fig_km", "fig_cox"] {
        for ext in ["pdf", "tiff", "png", "svg"] {
            let name = format!("figures/{id}.{ext}");
            assert!(
                m["outputs"][&name].is_string(),
                "{name} not in the manifest"
            );
        }
    }
    // 85 mm at 600 dpi is 2008 pixels, recorded as 600 pixels per inch, LZW-compressed.
    let tiff = std::fs::read(figures.join("fig_km.tiff")).unwrap();
    let mut decoder = tiff::decoder::Decoder::new(std::io::Cursor::new(tiff)).unwrap();
    assert_eq!(decoder.dimensions().unwrap().0, 2008);
    let compression = decoder.get_tag_u32(tiff::tags::Tag::Compression).unwrap();
    assert_eq!(compression, 5, "LZW");
    let unit = decoder
        .get_tag_u32(tiff::tags::Tag::ResolutionUnit)
        .unwrap();
    assert_eq!(unit, 2, "inches");
    decoder.read_image().expect("the TIFF decodes");

    let path = figures.join("fig_km.pdf");
    let pdf = std::fs::read(&path).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    match run_tool("pdfinfo", &[path.to_str().unwrap()]) {
        Some(info) => assert!(info.contains("Page size:       240.945 x"), "{info}"),
        None => {
            eprintln!("pdfinfo is not installed (apt-get install poppler-utils): its check skipped")
        }
    }
    match run_tool(
        "identify",
        &[
            "-format",
            "%w %x %U",
            figures.join("fig_km.tiff").to_str().unwrap(),
        ],
    ) {
        Some(info) => assert_eq!(info.trim(), "2008 600 PixelsPerInch"),
        None => {
            eprintln!("identify is not installed (apt-get install imagemagick): its check skipped")
        }
    }
    // The Kaplan-Meier plot narrows to keep its text at 8 pt; the forest plot's columns
    // cannot, and the build says so with the width that would do.
    let warnings = stderr(&out);
    assert!(!warnings.contains("figure `fig_km`"), "{warnings}");
    assert!(
        warnings.contains("figure `fig_cox`: at 85 mm its smallest text prints at"),
        "{warnings}"
    );
    assert!(warnings.contains("`figures.width_mm: "), "{warnings}");
}

#[test]
fn one_column_wide_the_flow_diagram_narrows_and_a_subgroup_forest_asks_for_two() {
    let spec = std::fs::read_to_string(repo().join("examples/colon/study.yaml")).unwrap();
    let spec = spec.replacen("\nfigures:\n", "\nfigures:\n  width_mm: 85\n", 1);
    let data = std::fs::read_to_string(repo().join("examples/colon/data/colon.csv")).unwrap();
    let dir = Dir::new(&[("study.yaml", &spec)]);
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/colon.csv"), data).unwrap();
    let out = dir.run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let warnings = stderr(&out);
    // The flow diagram's boxes narrow and their labels wrap: 13 px text on a 390 px canvas
    // printed 85 mm wide is 8 pt.
    assert!(!warnings.contains("figure `fig_flow`"), "{warnings}");
    let flow =
        std::fs::read_to_string(dir.path().join("reports/1.0.0/figures/fig_flow.svg")).unwrap();
    assert!(
        flow.starts_with("<svg width=\"760\""),
        "the page keeps its drawing"
    );
    let pdf = dir.path().join("reports/1.0.0/figures/fig_flow.pdf");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    // Its labels, counts per arm, ratios and p-values beside a panel cannot print at 8 pt
    // in one column, and the build says which width would do: two columns (176 mm) is.
    let needed = warnings
        .split("figure `fig_sub`: at 85 mm")
        .nth(1)
        .and_then(|w| w.split("`figures.width_mm: ").nth(1))
        .and_then(|w| w.split('`').next())
        .unwrap_or_else(|| panic!("no width asked for fig_sub in: {warnings}"));
    let needed: f64 = needed.parse().unwrap();
    assert!((150.0..=176.0).contains(&needed), "{needed}");
}

#[test]
fn a_figure_resolution_out_of_range_is_refused_at_its_line() {
    let dir = tiny("figures:\n  dpi: 30\n");
    let out = dir.run(&["check"]);
    refused(&out, &["study.yaml:11:", "`figures.dpi` is 30"]);
}

fn bundle_entries(dir: &Dir) -> Vec<(String, Vec<u8>)> {
    let zip = std::fs::read(dir.path().join("reports/tiny-1.0.0.zip")).expect("the bundle");
    reprise::archive::entries(&zip).unwrap()
}

#[test]
fn a_bundle_packs_the_report_in_every_format_without_the_data_and_verifies() {
    let (a, b) = (tiny(""), tiny(""));
    for d in [&a, &b] {
        let out = d.run(&["bundle"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("tiny-1.0.0.zip"), "{}", stdout(&out));
    }
    let zip = |d: &Dir| std::fs::read(d.path().join("reports/tiny-1.0.0.zip")).unwrap();
    assert_eq!(zip(&a), zip(&b), "same inputs, same zip bytes");

    let entries = bundle_entries(&a);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    for name in [
        "README.txt",
        "study.yaml",
        "data-dictionary.csv",
        "reports/1.0.0/report.pdf",
        "reports/1.0.0/report.docx",
        "reports/1.0.0/report.html",
        "reports/1.0.0/results.json",
        "reports/1.0.0/manifest.json",
        "reports/1.0.0/tables.xlsx",
        "reports/1.0.0/tables/t1.csv",
        "reports/1.0.0/figures/fig_km.tiff",
        "SHA256SUMS",
    ] {
        assert!(names.contains(&name), "no {name} in {names:?}");
    }
    assert!(!names.contains(&"data.csv"), "the data stay out by default");
    let dictionary = String::from_utf8(
        entries
            .iter()
            .find(|(n, _)| n == "data-dictionary.csv")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(
        dictionary.starts_with("column,label,type,levels,missing\n"),
        "{dictionary}"
    );
    assert!(
        dictionary.contains("arm,Arm,category,A; B,0"),
        "{dictionary}"
    );
    let xlsx = &entries
        .iter()
        .find(|(n, _)| n.ends_with("tables.xlsx"))
        .unwrap()
        .1;
    let sheets = reprise::archive::entries(xlsx)
        .unwrap()
        .into_iter()
        .filter(|(n, _)| n.starts_with("xl/worksheets/sheet"))
        .count();
    let csvs = names
        .iter()
        .filter(|n| n.ends_with(".csv") && n.contains("/tables/"))
        .count();
    assert_eq!(sheets, csvs, "one sheet per table");

    let ok = a.run(&["verify", "reports/tiny-1.0.0.zip"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("not rebuilt: the bundle holds no data"),
        "{}",
        stdout(&ok)
    );
}

#[test]
fn a_bundle_with_its_data_is_rebuilt_by_verify_and_a_changed_entry_is_named() {
    let dir = tiny("bundle: { include_data: true }\n");
    let out = dir.run(&["bundle"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(bundle_entries(&dir).iter().any(|(n, _)| n == "data.csv"));
    let ok = dir.run(&["verify", "reports/tiny-1.0.0.zip"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("rebuilt from the data in the bundle"),
        "{}",
        stdout(&ok)
    );

    // A reviewer's copy with one number changed in results.json.
    let entries: Vec<(String, Vec<u8>)> = bundle_entries(&dir)
        .into_iter()
        .map(|(n, b)| {
            if n.ends_with("results.json") {
                let text = String::from_utf8(b)
                    .unwrap()
                    .replacen("\"n\": 8", "\"n\": 9", 1);
                (n, text.into_bytes())
            } else {
                (n, b)
            }
        })
        .collect();
    let changed =
        reprise::archive::zip(entries.iter().map(|(n, b)| (n.as_str(), b.as_slice()))).unwrap();
    std::fs::write(dir.path().join("changed.zip"), changed).unwrap();
    let bad = dir.run(&["verify", "changed.zip"]);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("results.json"), "{}", stdout(&bad));
}

const SUPPLEMENT: &str = "supplement:
  numbering: NUMBERING
  contents:
    - { section: eMethods, text: Ages were recorded at entry. }
    - { table: t1 }
    - { figure: fig_km }
report: { template: paper.typ.j2 }
";

const PAPER: &str = "{% extends \"default.typ.j2\" %}
{% block discussion %}
Baseline characteristics are in @etab:t1, and the curves in @efig:fig_km.
{% endblock %}
";

fn with_supplement(numbering: &str) -> Dir {
    let report = SUPPLEMENT.replace("NUMBERING", numbering);
    Dir::new(&[
        ("data.csv", DATA),
        ("study.yaml", &study(&report)),
        ("paper.typ.j2", PAPER),
    ])
}

#[test]
fn a_supplement_takes_its_tables_and_figures_out_of_the_manuscript_and_numbers_them() {
    let dir = with_supplement("e");
    let built = reprise::pipeline::build(&dir.path().join("study.yaml"), None, false, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let text = built.report.text.join("\n");
    assert!(
        text.contains("Baseline characteristics are in eTable 1, and the curves in eFigure 1."),
        "{text}"
    );
    assert!(
        !text.contains(": Characteristics of the patients by arm"),
        "moved out: {text}"
    );
    assert!(built.report.files.contains_key("supplement.pdf"));
    let m = manifest(&dir);
    assert!(m["outputs"]["supplement.pdf"].is_string());
    let path = dir.path().join("reports/1.0.0/supplement.pdf");
    match run_tool("pdftotext", &[path.to_str().unwrap(), "-"]) {
        Some(sup) => {
            assert!(sup.contains("Supplementary material"), "{sup}");
            assert!(sup.contains("eMethods"), "{sup}");
            assert!(
                sup.contains("eTable 1: Characteristics of the patients by arm"),
                "{sup}"
            );
            assert!(sup.contains("eFigure 1:"), "{sup}");
            let front = sup.split('\u{c}').next().unwrap();
            assert!(
                front.contains("Contents"),
                "a front page of its own: {front}"
            );
            assert!(!front.contains("Ages were recorded"), "{front}");
        }
        None => eprintln!(
            "pdftotext is not installed (apt-get install poppler-utils): the supplement's text is not read"
        ),
    }
    let ok = dir.run(&["verify"]);
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
}

#[test]
fn a_supplement_in_s_style_numbers_table_s1_and_goes_to_word_too() {
    let dir = with_supplement("S");
    let out = dir.run(&["build", "--format", "pdf,docx"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let document = part_of(&read(&dir, "supplement.docx"), "word/document.xml");
    assert!(
        document.contains("Table S1"),
        "the Word supplement numbers Table S1"
    );
    assert!(document.contains("<w:tbl>"));
    let main = part_of(&read(&dir, "report.docx"), "word/document.xml");
    assert!(
        main.contains("Baseline characteristics are in Table S1"),
        "the reference resolves in Word"
    );
}

#[test]
fn a_supplement_entry_or_reference_to_nothing_is_refused_at_its_place() {
    let dir = with_supplement("e");
    let spec = std::fs::read_to_string(dir.path().join("study.yaml")).unwrap();
    std::fs::write(
        dir.path().join("study.yaml"),
        spec.replace("{ table: t1 }", "{ table: t9 }"),
    )
    .unwrap();
    let out = dir.run(&["build"]);
    refused(
        &out,
        &["study.yaml:14:9", "the supplement lists table `t9`", "t1"],
    );

    let dir = with_supplement("e");
    std::fs::write(
        dir.path().join("paper.typ.j2"),
        PAPER.replace("@etab:t1", "@etab:t2"),
    )
    .unwrap();
    let out = dir.run(&["build"]);
    refused(
        &out,
        &[
            "paper.typ.j2:3",
            "@etab:t2, which the supplement does not list",
        ],
    );
}
