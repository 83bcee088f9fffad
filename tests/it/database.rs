//! Cohorts in PostgreSQL, against a real server: each test starts a throwaway cluster of
//! its own (`initdb` and `pg_ctl` on a unix socket in a temporary folder, as the
//! `postgres` user when run as root) and stops it when done. Where PostgreSQL is not
//! installed the tests say so and pass; `.ci/run` installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use reprise::data::database::{COUNT, Relation, aggregate, connect};

use crate::util::repo;

/// A running throwaway cluster, stopped on drop.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl Cluster {
    /// A new cluster, or none (saying why) where PostgreSQL's server is not installed.
    fn start(test: &str) -> Option<Cluster> {
        let Some(bin) = server_bin() else {
            eprintln!("{test}: skipped, PostgreSQL's initdb and pg_ctl are not installed");
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            let _ = Command::new("chown")
                .args(["postgres", dir.path().to_str().unwrap()])
                .status();
        }
        // No TCP at all: the port only names the socket file in this cluster's folder, so
        // tests running side by side do not meet.
        let port = 54321;
        let data = dir.path().join("data");
        let init = run_as(
            as_postgres,
            &bin.join("initdb"),
            &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "reprise"],
        );
        assert!(init, "initdb failed");
        let options = format!("-k {} -p {port} -c listen_addresses=", dir.path().display());
        let started = run_as(
            as_postgres,
            &bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                dir.path().join("log").to_str().unwrap(),
                "-w",
                "start",
            ],
        );
        assert!(started, "pg_ctl start failed");
        Some(Cluster {
            bin,
            dir,
            port,
            as_postgres,
        })
    }

    fn url(&self) -> String {
        format!(
            "postgresql://reprise@localhost:{}/postgres?host={}",
            self.port,
            self.dir.path().display()
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        run_as(
            self.as_postgres,
            &self.bin.join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
    }
}

fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn run_as(as_postgres: bool, program: &Path, args: &[&str]) -> bool {
    let mut cmd = if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// tests/data/lung.csv as a table `lung` of numbers.
fn load_lung(client: &mut postgres::Client) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo().join("tests/data/lung.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|h| h.trim_matches('"').to_string())
        .collect();
    let columns: Vec<String> = header
        .iter()
        .map(|h| format!("\"{h}\" double precision"))
        .collect();
    client
        .batch_execute(&format!("CREATE TABLE lung ({})", columns.join(", ")))
        .unwrap();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            let cells: Vec<&str> = r
                .iter()
                .map(|v| if v.is_empty() { "NULL" } else { v.as_str() })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    client
        .batch_execute(&format!("INSERT INTO lung VALUES {}", values.join(", ")))
        .unwrap();
    let mut out = vec![header];
    out.extend(rows);
    out
}

#[test]
fn the_server_counts_patients_per_time_and_group_as_the_rows_give_them() {
    let Some(cluster) = Cluster::start("counts") else {
        return;
    };
    let mut client = connect(&cluster.url()).unwrap();
    let lung = load_lung(&mut client);
    let col = |name: &str| lung[0].iter().position(|h| h == name).unwrap();
    let (time, status, sex) = (col("time"), col("status"), col("sex"));
    let got = aggregate(
        &mut client,
        Relation::Table("lung"),
        &["time", "status", "sex"],
    )
    .unwrap();
    assert!(
        got.server.starts_with(|c: char| c.is_ascii_digit()),
        "{}",
        got.server
    );
    assert_eq!(got.patients, 228);
    // The counts the rows give, per (time, status, sex).
    let mut want = std::collections::BTreeMap::new();
    for r in &lung[1..] {
        *want
            .entry((r[time].clone(), r[status].clone(), r[sex].clone()))
            .or_insert(0u64) += 1;
    }
    let csv = String::from_utf8(got.csv.clone()).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(format!("time,status,sex,{COUNT}").as_str())
    );
    let mut seen = std::collections::BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        seen.insert(
            (f[0].into(), f[1].into(), f[2].into()),
            f[3].parse().unwrap(),
        );
    }
    assert_eq!(seen, want);
    assert_eq!(got.rows, want.len());
    // A query is a relation too, and the same counts in the same order give the same bytes.
    let again = aggregate(
        &mut client,
        Relation::Query("SELECT * FROM lung WHERE time > 0;"),
        &["time", "status", "sex"],
    )
    .unwrap();
    assert_eq!(again.csv, got.csv);
}

#[test]
fn a_database_error_names_what_failed_and_never_a_credential() {
    let Some(cluster) = Cluster::start("errors") else {
        return;
    };
    let url = cluster.url().replace("/postgres?", "/no_such_db?");
    let e = connect(&url).map(|_| ()).unwrap_err();
    assert!(e.message.contains("no_such_db"), "{e:?}");
    let mut client = connect(&cluster.url()).unwrap();
    let e = aggregate(&mut client, Relation::Table("missing"), &["time"]).unwrap_err();
    assert!(e.message.contains("missing"), "{e:?}");
    let with_password = cluster.url().replace("reprise@", "reprise:hunter2-secret@");
    let e = connect(&with_password).map(|_| ()).unwrap_err();
    assert!(!format!("{e:?}").contains("hunter2-secret"), "{e:?}");
}
