//! The stages wired together: what `reprise build` and `reprise check` run.

use std::path::{Path, PathBuf};

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

/// The build id: one hash over what determines the output (reprise's version, the spec's
/// bytes, the data's bytes), so equal ids mean equal inputs.
pub fn build_id(study: &Study, cohort: &Cohort) -> String {
    let manifest = format!(
        "reprise {}\nspec {}\ndata {}\n",
        env!("CARGO_PKG_VERSION"),
        sha256_hex(study.text.as_bytes()),
        cohort.sha256
    );
    sha256_hex(manifest.as_bytes())
}

/// Reads the spec and the data, runs every analysis and evaluates the claims.
pub fn analyse(spec_path: &Path) -> Result<Analysed> {
    let study = Study::load(spec_path)?;
    let cohort = data::load(&study)?;
    let id = build_id(&study, &cohort);
    let (results, warnings) = results::run(&study, &cohort, &id)?;
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

/// Analyses the study and writes `results.json` into the output folder.
pub fn build(spec_path: &Path, out: Option<&Path>) -> Result<Built> {
    let analysed = analyse(spec_path)?;
    let out_dir = analysed.study.out_dir(out);
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
