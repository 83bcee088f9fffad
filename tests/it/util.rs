//! A tiny harness: run the binary, make throw-away study folders.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs reprise as a user would, without a `SOURCE_DATE_EPOCH` from the environment (it
/// would change every PDF's date, and the committed report would no longer verify).
pub fn reprise(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run reprise")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A temporary study folder holding the given files.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new(files: &[(&str, &str)]) -> Dir {
        let tmp = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            std::fs::write(tmp.path().join(name), text).expect("write");
        }
        Dir { tmp }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        reprise(args, self.path())
    }
}
