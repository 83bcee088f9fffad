//! Writing a report folder: every file into a temporary folder beside the target, then
//! renamed into place, so an interrupted build never leaves half a report and never
//! destroys the previous one.

use std::path::Path;

use indexmap::IndexMap;

use crate::error::{Error, Location, Result};

/// Writes `files` into a temporary folder beside `dir`, then swaps it into place.
pub fn write_folder(dir: &Path, files: &IndexMap<String, Vec<u8>>) -> Result<()> {
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
    if dir.exists() && !dir.is_dir() {
        return Err(Error::input(format!(
            "{} is a file, not a report folder; reprise never replaces a file",
            crate::error::display_path(dir)
        )));
    }
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
