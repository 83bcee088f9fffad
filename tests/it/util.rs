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

    /// Runs reprise in the folder. A study it accepts must also satisfy the JSON Schema
    /// of `reprise schema`, so every test study checks that the schema knows its keys.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = reprise(args, self.path());
        let study = self.path().join("study.yaml");
        if out.status.code() != Some(2)
            && matches!(args.first(), Some(&"build" | &"check"))
            && !args.iter().any(|a| a.ends_with(".yaml"))
            && study.exists()
            && let Err(e) = schema_errors(&study)
        {
            panic!("reprise accepted a study its schema refuses:\n{e}");
        }
        out
    }
}

/// A YAML document as JSON, mapping keys written as numbers or booleans (`true:` in a
/// labels map) to the text YAML reads them as.
pub fn yaml_to_json(v: serde_yaml::Value) -> serde_json::Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => serde_json::Value::Null,
        Y::Bool(b) => b.into(),
        Y::Number(n) => serde_json::to_value(&n).unwrap(),
        Y::String(s) => s.into(),
        Y::Sequence(items) => items.into_iter().map(yaml_to_json).collect(),
        Y::Mapping(map) => map
            .into_iter()
            .map(|(k, v)| {
                let key = match k {
                    Y::String(s) => s,
                    other => serde_yaml::to_string(&other).unwrap().trim().to_string(),
                };
                (key, yaml_to_json(v))
            })
            .collect::<serde_json::Map<_, _>>()
            .into(),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// What the schema of `reprise schema` says is wrong with a study file, if anything.
pub fn schema_errors(study: &Path) -> Result<(), String> {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(&reprise::spec::schema::schema()).expect("a valid schema")
    });
    let text = std::fs::read_to_string(study).map_err(|e| e.to_string())?;
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| e.to_string())?;
    let json = yaml_to_json(yaml);
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{}: {e}", study.display()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}
