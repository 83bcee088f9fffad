//! A tiny harness: run the binary, make throw-away study folders.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Eight patients in two arms: the smallest cohort every analysis kind runs on.
pub const EIGHT_PATIENTS: &str = "id,arm,age,time,event\n1,A,50,10,1\n2,A,61,12,0\n3,B,70,5,1\n4,B,45,20,1\n5,A,66,7,0\n6,B,58,9,1\n7,A,52,3,1\n8,B,49,14,0\n";

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
