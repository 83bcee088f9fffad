//! The manifest: the sha256 of every input and output, and the refusal to overwrite a
//! report of other inputs.

use std::path::Path;

use serde_json::Value;

use super::Report;
use crate::error::{Error, Result, display_path};

pub fn read_manifest(dir: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Whether `out_dir` may take the new report. A file, or a folder of files that is not a
/// report, is the user's and is never replaced, `force` or not (bad input, exit 2); a
/// report of other inputs is replaced only with `force` (a failed check, exit 1).
pub fn check_out_dir(out_dir: &Path, new: &Report, force: bool) -> Result<()> {
    if !out_dir.exists() {
        return Ok(());
    }
    if !out_dir.is_dir() {
        return Err(Error::input(format!(
            "{} is a file, not a report folder; reprise never replaces a file",
            display_path(out_dir)
        ))
        .hint("give --out a folder that does not exist yet or holds a reprise report"));
    }
    let Some(old) = read_manifest(out_dir) else {
        let has_files = std::fs::read_dir(out_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false);
        if has_files {
            return Err(Error::input(format!(
                "{} holds files but no manifest.json, so it is not a reprise report; reprise leaves it alone",
                display_path(out_dir)
            ))
            .hint("give --out a new folder, or an empty one"));
        }
        return Ok(());
    };
    if force {
        return Ok(());
    }
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

/// The manifest of a report: reprise's version, the study, the build id, the date it was
/// built with, and the sha256 of every input and output.
pub fn manifest(
    study: &crate::spec::Study,
    id: &str,
    epoch: Option<&str>,
    formats: &[crate::spec::Format],
    inputs: &indexmap::IndexMap<String, String>,
    files: &indexmap::IndexMap<String, Vec<u8>>,
) -> Value {
    let meta = &study.spec.study;
    serde_json::json!({
        "reprise": env!("CARGO_PKG_VERSION"),
        "study": { "id": meta.id, "version": meta.version },
        "build_id": id,
        "source_date_epoch": epoch,
        "formats": formats.iter().map(|f| f.name()).collect::<Vec<_>>(),
        "inputs": inputs,
        "outputs": files
            .iter()
            .map(|(n, b)| (n.clone(), crate::hash::sha256_hex(b)))
            .collect::<indexmap::IndexMap<String, String>>(),
    })
}
