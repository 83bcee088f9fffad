//! The stages wired together: what `reprise build` and `reprise check` run.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::data::{self, Cohort};
use crate::error::{Error, Location, Result};
use crate::hash::sha256_hex;
use crate::results::{self, ClaimResult, Results, Warning};
use crate::spec::Study;

/// A study analysed: everything `build` and `check` report on.
pub struct Analysed {
    pub study: Study,
    pub cohort: Cohort,
    pub results: Results,
    pub warnings: Vec<Warning>,
    pub claims: Vec<ClaimResult>,
}

/// The inputs that determine the output, each with its sha256, named as the spec names
/// them (relative to the spec's folder).
pub fn inputs(study: &Study, cohort: &Cohort) -> IndexMap<String, String> {
    let spec_name = study
        .path
        .file_name()
        .map_or("study.yaml".into(), |n| n.to_string_lossy().to_string());
    let mut inputs = IndexMap::new();
    inputs.insert(spec_name, sha256_hex(study.text.as_bytes()));
    inputs.insert(study.spec.data.path.clone(), cohort.sha256.clone());
    inputs
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
    let cohort = data::load(&study)?;
    let inputs = inputs(&study, &cohort);
    let id = build_id(&inputs);
    let (results, warnings) = results::run(&study, &cohort, &id, inputs)?;
    let claims = results::claims(&study, &results)?;
    Ok(Analysed {
        study,
        cohort,
        results,
        warnings,
        claims,
    })
}

/// What a build wrote.
pub struct Built {
    pub analysed: Analysed,
    pub out_dir: PathBuf,
    pub files: Vec<PathBuf>,
}

/// Analyses the study and writes `results.json` into the output folder. A folder that
/// already holds a report of other inputs is left alone unless `force` is set: a version
/// names one report, and a silent replacement would break that.
pub fn build(spec_path: &Path, out: Option<&Path>, force: bool) -> Result<Built> {
    let analysed = analyse(spec_path)?;
    let out_dir = analysed.study.out_dir(out);
    if !force {
        refuse_other_report(&out_dir, &analysed.results)?;
    }
    std::fs::create_dir_all(&out_dir).map_err(|e| {
        Error::in_file(
            Location::file(&out_dir),
            format!("cannot create the output folder: {e}"),
        )
    })?;
    let mut json = serde_json::to_string_pretty(&analysed.results).expect("results serialise");
    json.push('\n');
    let path = out_dir.join("results.json");
    write_atomic(&path, json.as_bytes())?;
    Ok(Built {
        analysed,
        out_dir,
        files: vec![path],
    })
}

fn refuse_other_report(out_dir: &Path, new: &Results) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(out_dir.join("results.json")) else {
        return Ok(());
    };
    let old: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let old_id = old["reprise"]["build_id"].as_str().unwrap_or("");
    if old_id == new.reprise.build_id {
        return Ok(());
    }
    let mut changed: Vec<String> = new
        .reprise
        .inputs
        .iter()
        .filter(|(name, hash)| {
            old["reprise"]["inputs"][name.as_str()].as_str() != Some(hash.as_str())
        })
        .map(|(name, _)| name.clone())
        .collect();
    if old["reprise"]["version"].as_str() != Some(new.reprise.version.as_str()) {
        changed.push(format!(
            "reprise {} (was {})",
            new.reprise.version,
            old["reprise"]["version"].as_str().unwrap_or("unknown")
        ));
    }
    let what = if changed.is_empty() {
        "its inputs".to_string()
    } else {
        changed.join(", ")
    };
    Err(Error::check(format!(
        "{} already holds a report built from other inputs; changed: {what}",
        crate::error::display_path(out_dir)
    ))
    .hint("give the study a new `version` for a new report, or pass --force to replace this one"))
}

/// Writes through a temporary file in the same folder and renames it into place, so a
/// reader never sees half a file and an interrupted write leaves the old one intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
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
