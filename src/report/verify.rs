//! `reprise verify`: rebuild the report and compare every hash with its manifest, and the
//! files on disk with theirs.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::manifest::read_manifest;
use super::write::write_folder;
use super::{analyse, produce};
use crate::error::{Error, Result, display_path};
use crate::hash::sha256_hex;
use crate::spec::Study;

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
    /// What was and was not checked, when that is not the whole report.
    pub note: Option<String>,
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
    // ... and in the formats it was written in; a manifest from before formats existed
    // lists only the PDF.
    analysed.formats = recorded_formats(&manifest);
    let report = produce(&mut analysed)?;
    let rebuilt = written(&report.files, &report.build_id)?;
    let rebuilt_manifest: Value =
        serde_json::from_slice(&report.files["manifest.json"]).expect("our own manifest");
    let mut found = Found::default();
    for section in ["inputs", "outputs"] {
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
        let recorded = manifest[section].as_object().cloned().unwrap_or_default();
        found.section(section, &recorded, &now, &out_dir);
    }
    if manifest["build_id"].as_str() != Some(report.build_id.as_str()) {
        found.differ(
            "manifest.json",
            format!(
                "build id: manifest {}, rebuilt {}",
                short(manifest["build_id"].as_str().unwrap_or("")),
                short(&report.build_id)
            ),
        );
    }
    Ok(Verified {
        out_dir,
        checked: found.checked,
        differences: found.differences,
        build_id: report.build_id,
        note: None,
    })
}

/// The rebuilt files' hashes as written to disk and read back, in a temporary folder
/// removed afterwards.
fn written(files: &IndexMap<String, Vec<u8>>, build_id: &str) -> Result<IndexMap<String, String>> {
    let tmp = std::env::temp_dir().join(format!(
        "reprise-verify-{}-{}",
        std::process::id(),
        &build_id[..12]
    ));
    write_folder(&tmp, files)?;
    let hashes = files
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
    Ok(hashes)
}

/// The formats a manifest records (`formats`), or, for an older manifest, the ones its
/// outputs show.
fn recorded_formats(manifest: &Value) -> Vec<crate::spec::Format> {
    use crate::spec::Format;
    if let Some(list) = manifest["formats"].as_array() {
        return list
            .iter()
            .filter_map(|v| {
                Format::ALL
                    .into_iter()
                    .find(|f| Some(f.name()) == v.as_str())
            })
            .collect();
    }
    Format::ALL
        .into_iter()
        .filter(|f| !manifest["outputs"][format!("report.{}", f.name())].is_null())
        .collect()
}

fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// What the comparison found so far.
#[derive(Default)]
struct Found {
    checked: usize,
    differences: Vec<Difference>,
}

impl Found {
    fn differ(&mut self, file: &str, message: String) {
        self.differences.push(Difference {
            file: file.to_string(),
            message,
        });
    }

    /// One section of the manifest (`inputs` or `outputs`) against the rebuild, and each
    /// output against the file on disk.
    fn section(
        &mut self,
        section: &str,
        recorded: &serde_json::Map<String, Value>,
        now: &serde_json::Map<String, Value>,
        out_dir: &Path,
    ) {
        for (name, hash) in recorded {
            self.checked += 1;
            let hash = hash.as_str().unwrap_or("");
            match now.get(name).and_then(Value::as_str) {
                Some(h) if h == hash => {}
                Some(h) => self.differ(
                    name,
                    format!("{section}: manifest {}, rebuilt {}", short(hash), short(h)),
                ),
                None => self.differ(
                    name,
                    format!("{section}: in the manifest, but the rebuild has no such file"),
                ),
            }
            if section == "outputs" {
                match std::fs::read(out_dir.join(name)) {
                    Ok(bytes) if sha256_hex(&bytes) == hash => {}
                    Ok(bytes) => self.differ(
                        name,
                        format!(
                            "on disk {}, manifest {}",
                            short(&sha256_hex(&bytes)),
                            short(hash)
                        ),
                    ),
                    Err(_) => {
                        self.differ(name, "listed in the manifest but missing on disk".into())
                    }
                }
            }
        }
        for name in now.keys().filter(|n| !recorded.contains_key(*n)) {
            self.differ(
                name,
                format!("{section}: the rebuild has it, the manifest does not"),
            );
        }
    }
}
