//! The stages wired together: what `reprise build`, `check` and `verify` run.
//!
//! A build produces every output in memory first (results, tables, figures, the typst
//! source and the PDF, then the manifest of hashes), and only then writes them: into a
//! temporary folder beside the target, renamed into place, so an interrupted build never
//! leaves half a report and never destroys the previous one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Value, json};

use crate::data::{self, Cohort};
use crate::error::{Error, Location, Result, display_path};
use crate::figures::{self, Figure};
use crate::hash::sha256_hex;
use crate::progress;
use crate::render::{self, Template};
use crate::results::{self, ClaimResult, Results, Warning};
use crate::spec::{Analysis, Seg, Study};
use crate::tables::{self, Table};

/// A study analysed: everything `build` and `check` report on.
pub struct Analysed {
    pub study: Study,
    pub cohort: Cohort,
    pub analyses: Vec<(String, Analysis)>,
    pub results: Results,
    pub warnings: Vec<Warning>,
    pub claims: Vec<ClaimResult>,
    pub template: Template,
    /// `SOURCE_DATE_EPOCH`, which sets the report's date; recorded in the manifest so that
    /// `verify` rebuilds with the same date.
    pub epoch: Option<String>,
}

/// The template a study names, or the built-in one.
fn template(study: &Study) -> Result<Template> {
    let Some(name) = study.spec.report.as_ref().and_then(|r| r.template.clone()) else {
        return Ok(Template {
            name: render::DEFAULT_TEMPLATE_NAME.into(),
            path: None,
            text: render::DEFAULT_TEMPLATE.into(),
        });
    };
    let path = study.resolve(&name);
    let at = study.location(&[Seg::Key("report"), Seg::Key("template")]);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::in_file(
            at,
            format!("cannot read the template {}: {e}", display_path(&path)),
        )
        .hint("`report.template` is resolved against the study's folder")
    })?;
    Ok(Template {
        name,
        path: Some(path),
        text,
    })
}

/// The inputs that determine the output, each with its sha256, named as the spec names
/// them (relative to the spec's folder).
fn inputs(study: &Study, cohort: &Cohort, template: &Template) -> IndexMap<String, String> {
    let spec_name = study
        .path
        .file_name()
        .map_or("study.yaml".into(), |n| n.to_string_lossy().to_string());
    let mut inputs = IndexMap::new();
    inputs.insert(spec_name, sha256_hex(study.text.as_bytes()));
    inputs.insert(study.spec.data.path.clone(), cohort.sha256.clone());
    if template.path.is_some() {
        inputs.insert(template.name.clone(), sha256_hex(template.text.as_bytes()));
    }
    if let Some(synth) = &study.spec.data.synth
        && let Ok(bytes) = std::fs::read(study.resolve(synth))
    {
        inputs.insert(synth.clone(), sha256_hex(&bytes));
    }
    inputs
}

/// The synthetic cohort's calibration table, regenerated from its spec; a warning if the
/// spec no longer generates the data file.
fn calibration(study: &Study, cohort: &Cohort) -> Result<(Vec<Value>, Vec<String>)> {
    let Some(name) = &study.spec.data.synth else {
        return Ok((Vec::new(), Vec::new()));
    };
    let path = study.resolve(name);
    let (spec, text) = crate::synth::load(&path)?;
    let made = crate::synth::generate(&path, &spec, &text, None)?;
    let mut warnings = Vec::new();
    if sha256_hex(made.csv.as_bytes()) != cohort.sha256 {
        warnings.push(format!(
            "{name} no longer generates {}: regenerate it with `reprise synth {name} -o {}`",
            study.spec.data.path, study.spec.data.path
        ));
    }
    let rows = made
        .calibration
        .iter()
        .map(|c| json!({ "what": c.what, "target": c.target, "achieved": c.achieved }))
        .collect();
    Ok((rows, warnings))
}

/// The build id: one hash over reprise's version and every input's hash, so equal ids
/// mean equal inputs.
pub fn build_id(inputs: &IndexMap<String, String>) -> String {
    let mut manifest = format!("reprise {}\n", env!("CARGO_PKG_VERSION"));
    for (name, hash) in inputs {
        manifest.push_str(&format!("{hash}  {name}\n"));
    }
    sha256_hex(manifest.as_bytes())
}

/// Reads the spec and the data, runs every analysis and evaluates the claims.
pub fn analyse(spec_path: &Path) -> Result<Analysed> {
    let study = Study::load(spec_path)?;
    let template = template(&study)?;
    let cohort = {
        let _step = progress::step(format!("reading {}", study.spec.data.path));
        data::load(&study)?
    };
    let inputs = inputs(&study, &cohort, &template);
    let id = build_id(&inputs);
    let (results, warnings) = {
        let _step = progress::step("running the analyses");
        results::run(&study, &cohort, &id, inputs)?
    };
    let claims = results::claims(&study, &results)?;
    let analyses = study.analyses()?;
    Ok(Analysed {
        study,
        cohort,
        analyses,
        results,
        warnings,
        claims,
        template,
        epoch: render::source_date_epoch(),
    })
}

/// Every file of a report, by its path inside the report folder.
pub struct Report {
    pub files: IndexMap<String, Vec<u8>>,
    pub build_id: String,
    /// The PDF's text, page by page.
    pub text: Vec<String>,
    pub pages: usize,
    pub warnings: Vec<String>,
}

fn json_bytes(v: &impl serde::Serialize) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).expect("serialises");
    s.push('\n');
    s.into_bytes()
}

/// Produces the whole report in memory.
pub fn produce(a: &mut Analysed) -> Result<Report> {
    let _step = progress::step("drawing the figures and typesetting the report");
    let figures = figures::build(&a.study, &a.analyses, &a.results.analyses)?;
    let (calibration, synth_warnings) = calibration(&a.study, &a.cohort)?;
    let tables = tables::build(&a.study, &a.analyses, &a.results.analyses);
    let mut extra: IndexMap<String, String> = IndexMap::new();
    // Files the template pulls in (a logo, an appendix) are inputs too, but they are only
    // known once typst has run: a second pass includes them in the build id.
    for _ in 0..2 {
        let mut report = produce_once(a, &figures, &tables, &calibration, &extra)?;
        report.0.warnings.extend(synth_warnings.iter().cloned());
        let read: IndexMap<String, String> = report
            .1
            .iter()
            .map(|(name, hash)| (name.clone(), hash.clone()))
            .collect();
        if read.keys().all(|k| extra.contains_key(k)) {
            return Ok(report.0);
        }
        extra = read;
    }
    Err(
        Error::input("the files the template reads change from one pass to the next")
            .hint("a template should not choose files by the build id"),
    )
}

fn produce_once(
    a: &mut Analysed,
    figures: &[Figure],
    tables: &[Table],
    calibration: &[Value],
    extra: &IndexMap<String, String>,
) -> Result<(Report, Vec<(String, String)>)> {
    let study = &a.study;
    let mut inputs = inputs(study, &a.cohort, &a.template);
    inputs.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let id = build_id(&inputs);
    a.results.reprise.build_id = id.clone();
    a.results.reprise.inputs = inputs.clone();

    let mut files: IndexMap<String, Vec<u8>> = IndexMap::new();
    files.insert("results.json".into(), json_bytes(&a.results));
    for t in tables {
        files.insert(format!("tables/{}.csv", t.id), t.csv().into_bytes());
    }
    for f in figures {
        files.insert(format!("figures/{}.svg", f.id), f.svg.clone().into_bytes());
        files.insert(format!("figures/{}.png", f.id), f.png.clone());
    }
    let outputs: Vec<Value> = files
        .iter()
        .map(|(name, bytes)| json!({ "name": name, "sha256": sha256_hex(bytes) }))
        .collect();

    let meta = &study.spec.study;
    // The report's date: the study's, unless SOURCE_DATE_EPOCH says otherwise.
    let stamp = render::timestamp(
        crate::spec::parse_date(&meta.date).expect("validated"),
        a.epoch.as_deref(),
    )?;
    let date = stamp.1;
    let spec_arg = study
        .path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let claims: Vec<Value> = a
        .claims
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).expect("serialises");
            v["difference"] = json!(c.reproduced.map(|r| r - c.reported));
            v["must"] = json!(c.must);
            let short = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x}"));
            v["reported_text"] = json!(short(Some(c.reported)));
            v["reproduced_text"] = json!(
                c.reproduced
                    .map_or("–".to_string(), |r| crate::tables::num(Some(r), 4))
            );
            v["difference_text"] = json!(
                c.reproduced
                    .map_or("–".to_string(), |r| format!("{:+.4}", r - c.reported))
            );
            v["tolerance_text"] = json!(short(Some(c.tolerance)));
            v
        })
        .collect();
    let context = json!({
        "study": {
            "id": meta.id, "version": meta.version, "title": meta.title, "date": meta.date,
            "authors": meta.authors, "description": meta.description, "synthetic": study.spec.data.synthetic,
        },
        "date": { "year": date.0, "month": date.1, "day": date.2 },
        "methods": crate::methods::paragraphs(study, &a.analyses),
        "summary": crate::methods::summary(study, &a.analyses, &a.results.analyses),
        "tables": tables,
        "figures": figures.iter().map(|f| json!({ "id": f.id, "caption": f.caption, "path": format!("figures/{}.svg", f.id) })).collect::<Vec<_>>(),
        "results": a.results.analyses,
        "claims": claims,
        "claims_within": a.claims.iter().filter(|c| c.within).count(),
        "calibration": calibration,
        "audit": crate::audit::audit(&study.spec.claims),
        "build": {
            "id": id, "short": &id[..12], "reprise": env!("CARGO_PKG_VERSION"),
            "command": format!("reprise build {spec_arg}"),
            "verify": format!("reprise verify {spec_arg}"),
        },
        "inputs": inputs.iter().map(|(n, h)| json!({ "name": n, "sha256": h })).collect::<Vec<_>>(),
        "outputs": outputs,
    });
    let (source, line_map) = render::fill(&a.template, &context)?;
    let memory: HashMap<String, Vec<u8>> = figures
        .iter()
        .map(|f| (format!("figures/{}.svg", f.id), f.svg.clone().into_bytes()))
        .collect();
    let rendered = render::compile(
        &a.template,
        source,
        &line_map,
        &study.root,
        memory,
        stamp,
        &id,
    )?;
    let root = study
        .root
        .canonicalize()
        .unwrap_or_else(|_| study.root.clone());
    let read: Vec<(String, String)> = rendered
        .files_read
        .iter()
        .filter_map(|p| {
            let name = p.strip_prefix(&root).ok()?.to_string_lossy().to_string();
            let bytes = std::fs::read(p).ok()?;
            Some((name, sha256_hex(&bytes)))
        })
        .collect();
    files.insert("report.typ".into(), rendered.source.clone().into_bytes());
    files.insert("report.pdf".into(), rendered.pdf);
    let manifest = json!({
        "reprise": env!("CARGO_PKG_VERSION"),
        "study": { "id": meta.id, "version": meta.version },
        "build_id": id,
        "source_date_epoch": a.epoch,
        "inputs": inputs,
        "outputs": files.iter().map(|(n, b)| (n.clone(), sha256_hex(b))).collect::<IndexMap<String, String>>(),
    });
    files.insert("manifest.json".into(), json_bytes(&manifest));
    Ok((
        Report {
            files,
            build_id: id,
            text: rendered.text,
            pages: rendered.pages,
            warnings: rendered.warnings,
        },
        read,
    ))
}

/// What a build wrote.
pub struct Built {
    pub analysed: Analysed,
    pub report: Report,
    pub out_dir: PathBuf,
}

/// Analyses the study and writes the report into the output folder. A folder that
/// already holds a report of other inputs is left alone unless `force` is set: a version
/// names one report, and a silent replacement would break that.
pub fn build(spec_path: &Path, out: Option<&Path>, force: bool) -> Result<Built> {
    let mut analysed = analyse(spec_path)?;
    let report = produce(&mut analysed)?;
    let out_dir = analysed.study.out_dir(out);
    if !force {
        refuse_other_report(&out_dir, &report)?;
    }
    write_folder(&out_dir, &report.files)?;
    Ok(Built {
        analysed,
        report,
        out_dir,
    })
}

fn read_manifest(dir: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn refuse_other_report(out_dir: &Path, new: &Report) -> Result<()> {
    if !out_dir.exists() {
        return Ok(());
    }
    let Some(old) = read_manifest(out_dir) else {
        let has_files = std::fs::read_dir(out_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if has_files {
            return Err(Error::check(format!(
                "{} exists and is not a reprise report (it has no manifest.json)",
                display_path(out_dir)
            ))
            .hint("choose another folder with --out, or pass --force to replace it"));
        }
        return Ok(());
    };
    if old["build_id"].as_str() == Some(new.build_id.as_str()) {
        return Ok(());
    }
    let new_manifest: Value =
        serde_json::from_slice(&new.files["manifest.json"]).expect("our own manifest");
    let mut changed: Vec<String> = Vec::new();
    if let Some(inputs) = new_manifest["inputs"].as_object() {
        for (name, hash) in inputs {
            if old["inputs"][name.as_str()] != *hash {
                changed.push(name.clone());
            }
        }
    }
    if let Some(old_inputs) = old["inputs"].as_object() {
        for name in old_inputs.keys() {
            if new_manifest["inputs"][name.as_str()].is_null() {
                changed.push(format!("{name} (no longer used)"));
            }
        }
    }
    if old["reprise"].as_str() != Some(env!("CARGO_PKG_VERSION")) {
        changed.push(format!(
            "reprise {} (was {})",
            env!("CARGO_PKG_VERSION"),
            old["reprise"].as_str().unwrap_or("unknown")
        ));
    }
    let what = if changed.is_empty() {
        "its inputs".to_string()
    } else {
        changed.join(", ")
    };
    Err(Error::check(format!(
        "{} already holds a report built from other inputs; changed: {what}",
        display_path(out_dir)
    ))
    .hint("give the study a new `version` for a new report, or pass --force to replace this one"))
}

/// Writes `files` into a temporary folder beside `dir`, then swaps it into place.
fn write_folder(dir: &Path, files: &IndexMap<String, Vec<u8>>) -> Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "report".into());
    let fail = |path: &Path, e: std::io::Error| {
        Error::in_file(
            Location::file(path),
            format!("cannot write the report: {e}"),
        )
    };
    std::fs::create_dir_all(parent).map_err(|e| fail(parent, e))?;
    let tmp = parent.join(format!(".{name}.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| {
        for (rel, bytes) in files {
            let path = tmp.join(rel);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p).map_err(|e| fail(p, e))?;
            }
            std::fs::write(&path, bytes).map_err(|e| fail(&path, e))?;
        }
        let old = parent.join(format!(".{name}.replaced-{}", std::process::id()));
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(|e| fail(dir, e))?;
        }
        if let Err(e) = std::fs::rename(&tmp, dir) {
            // Put the previous report back rather than leave nothing.
            let _ = std::fs::rename(&old, dir);
            return Err(fail(dir, e));
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Writes a file through a temporary file in the same folder and a rename, so a reader
/// never sees half of it and an interrupted write leaves the old one intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let fail =
        |e: std::io::Error| Error::in_file(Location::file(path), format!("cannot write: {e}"));
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// One difference `verify` found.
#[derive(Debug, Clone)]
pub struct Difference {
    pub file: String,
    pub message: String,
}

pub struct Verified {
    pub out_dir: PathBuf,
    pub checked: usize,
    pub differences: Vec<Difference>,
    pub build_id: String,
}

/// Rebuilds the report in a temporary folder and compares every hash with the manifest
/// on disk, and the files on disk with their manifest hashes.
pub fn verify(spec_path: &Path, out: Option<&Path>) -> Result<Verified> {
    let study = Study::load(spec_path)?;
    let out_dir = study.out_dir(out);
    let manifest = read_manifest(&out_dir).ok_or_else(|| {
        Error::input(format!("no report to verify: {} has no manifest.json", display_path(&out_dir)))
            .hint("build the report first with `reprise build`, or point --out at the folder that holds it")
    })?;
    let mut analysed = analyse(spec_path)?;
    // Rebuild with the date the report was built with, whatever this shell sets.
    analysed.epoch = manifest["source_date_epoch"].as_str().map(str::to_string);
    let report = produce(&mut analysed)?;
    let tmp = std::env::temp_dir().join(format!(
        "reprise-verify-{}-{}",
        std::process::id(),
        &report.build_id[..12]
    ));
    write_folder(&tmp, &report.files)?;
    let rebuilt: IndexMap<String, String> = report
        .files
        .keys()
        .map(|name| {
            (
                name.clone(),
                std::fs::read(tmp.join(name))
                    .map(|b| sha256_hex(&b))
                    .unwrap_or_default(),
            )
        })
        .collect();
    let _ = std::fs::remove_dir_all(&tmp);
    let rebuilt_manifest: Value =
        serde_json::from_slice(&report.files["manifest.json"]).expect("our own manifest");

    let mut differences = Vec::new();
    let mut checked = 0;
    let short = |h: &str| h.chars().take(12).collect::<String>();
    for section in ["inputs", "outputs"] {
        let recorded = manifest[section].as_object().cloned().unwrap_or_default();
        // Outputs compare with the files the rebuild wrote; inputs with what it hashed.
        let now: serde_json::Map<String, Value> = if section == "outputs" {
            rebuilt
                .iter()
                .filter(|(n, _)| n.as_str() != "manifest.json")
                .map(|(n, h)| (n.clone(), json!(h)))
                .collect()
        } else {
            rebuilt_manifest[section]
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        for (name, hash) in &recorded {
            checked += 1;
            let hash = hash.as_str().unwrap_or("");
            match now.get(name).and_then(Value::as_str) {
                Some(h) if h == hash => {}
                Some(h) => differences.push(Difference {
                    file: name.clone(),
                    message: format!("{section}: manifest {}, rebuilt {}", short(hash), short(h)),
                }),
                None => differences.push(Difference {
                    file: name.clone(),
                    message: format!(
                        "{section}: in the manifest, but the rebuild has no such file"
                    ),
                }),
            }
            if section == "outputs" {
                match std::fs::read(out_dir.join(name)) {
                    Ok(bytes) if sha256_hex(&bytes) == hash => {}
                    Ok(bytes) => differences.push(Difference {
                        file: name.clone(),
                        message: format!(
                            "on disk {}, manifest {}",
                            short(&sha256_hex(&bytes)),
                            short(hash)
                        ),
                    }),
                    Err(_) => differences.push(Difference {
                        file: name.clone(),
                        message: "listed in the manifest but missing on disk".into(),
                    }),
                }
            }
        }
        for name in now.keys().filter(|n| !recorded.contains_key(*n)) {
            differences.push(Difference {
                file: name.clone(),
                message: format!("{section}: the rebuild has it, the manifest does not"),
            });
        }
    }
    if manifest["build_id"].as_str() != Some(report.build_id.as_str()) {
        differences.push(Difference {
            file: "manifest.json".into(),
            message: format!(
                "build id: manifest {}, rebuilt {}",
                short(manifest["build_id"].as_str().unwrap_or("")),
                short(&report.build_id)
            ),
        });
    }
    Ok(Verified {
        out_dir,
        checked,
        differences,
        build_id: report.build_id,
    })
}
