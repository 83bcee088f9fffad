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
        Cluster::start_with(test, false)
    }

    /// With `tls`, the cluster also listens on 127.0.0.1 (its port then unique to the
    /// test run) and accepts TCP connections only over TLS, with a certificate for
    /// `localhost` signed by a root of its own (`ca.crt` in its folder).
    fn start_with(test: &str, tls: bool) -> Option<Cluster> {
        let Some(bin) = server_bin() else {
            eprintln!("{test}: skipped, PostgreSQL's initdb and pg_ctl are not installed");
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::tempdir().unwrap();
        // No TCP without TLS: the port only names the socket file in this cluster's
        // folder, so tests running side by side do not meet.
        let port = if tls {
            20000 + (std::process::id() % 20000) as u16
        } else {
            54321
        };
        let data = dir.path().join("data");
        if as_postgres {
            let _ = Command::new("chown")
                .args(["postgres", dir.path().to_str().unwrap()])
                .status();
        }
        let init = run_as(
            as_postgres,
            &bin.join("initdb"),
            &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "reprise"],
        );
        assert!(init, "initdb failed");
        let mut options = format!("-k {} -p {port} -c listen_addresses=", dir.path().display());
        if tls {
            // A root of its own, and the server's certificate for `localhost` signed by it.
            let d = dir.path();
            std::fs::write(d.join("ext"), "subjectAltName=DNS:localhost\n").unwrap();
            let openssl = |args: &[&str]| {
                Command::new("openssl")
                    .args(args)
                    .current_dir(d)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            let made = openssl(&[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=reprise test root",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
            ]) && openssl(&[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
            ]) && openssl(&[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "ext",
                "-out",
                "server.crt",
            ]);
            if !made {
                eprintln!("{test}: skipped, openssl could not make a certificate");
                return None;
            }
            let hba = "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n";
            std::fs::write(dir.path().join("pg_hba.conf"), hba).unwrap();
            options = format!(
                "-k {d} -p {port} -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file={d}/server.crt -c ssl_key_file={d}/server.key -c hba_file={d}/pg_hba.conf",
                d = dir.path().display()
            );
            let _ = std::fs::set_permissions(
                dir.path().join("server.key"),
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            );
            if as_postgres {
                for file in ["server.key", "server.crt", "pg_hba.conf"] {
                    let _ = Command::new("chown")
                        .arg("postgres")
                        .arg(dir.path().join(file))
                        .status();
                }
            }
        }
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

/// tests/data/lung.csv as a table `lung` of numbers; its header and rows as text.
fn load_lung(client: &mut postgres::Client) -> Vec<Vec<String>> {
    load_table(client, "lung", "lung.csv");
    let text = std::fs::read_to_string(repo().join("tests/data/lung.csv")).unwrap();
    text.lines()
        .map(|l| {
            l.split(',')
                .map(|v| v.trim_matches('"').to_string())
                .collect()
        })
        .collect()
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

/// The lung study, its rows read from `data` (a file or the database).
fn lung_study(data: &str) -> String {
    format!(
        "reprise: 1
study: {{ id: lung, version: 1.0.0, title: Lung, date: 2024-01-01 }}
data:
  {data}
  columns:
    ph_ecog: {{ type: category, levels: ['0', '1', '2', '3'] }}
endpoints:
  os: {{ time: time, event: status, event_codes: {{ event: [2], censored: [1] }} }}
analyses:
  km: {{ kind: km, endpoint: os, by: sex, times: [180, 365] }}
  lr: {{ kind: logrank, endpoint: os, by: sex }}
  fu: {{ kind: followup, endpoint: os }}
  mean: {{ kind: rmst, endpoint: os, by: sex, tau: 365 }}
  efron: {{ kind: cox, endpoint: os, covariates: [age, sex, ph_ecog, wt_loss] }}
  breslow: {{ kind: cox, endpoint: os, covariates: [age, sex], ties: breslow }}
  strata: {{ kind: cox, endpoint: os, covariates: [age, ph_karno], strata: [sex] }}
"
    )
}

/// `a` and `b` agree: the same keys, the same text and counts, numbers within 1e-9
/// relative; `skip` names keys left out (what only one of them computes).
fn agree(a: &serde_json::Value, b: &serde_json::Value, at: &str, skip: &[&str]) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys.into_iter().filter(|k| !skip.contains(&k.as_str())) {
                agree(&x[k], &y[k], &format!("{at}.{k}"), skip);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: lengths differ");
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                agree(u, v, &format!("{at}[{i}]"), skip);
            }
        }
        (Value::Number(u), Value::Number(v)) if u.is_f64() || v.is_f64() => {
            let (u, v) = (u.as_f64().unwrap(), v.as_f64().unwrap());
            let scale = u.abs().max(v.abs()).max(1e-300);
            assert!(
                (u - v).abs() / scale <= 1e-9 || (u - v).abs() <= 1e-13,
                "{at}: {u} from the file, {v} from the database"
            );
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn a_cohort_in_the_database_gives_the_files_results() {
    let Some(cluster) = Cluster::start("results") else {
        return;
    };
    let mut client = connect(&cluster.url()).unwrap();
    load_lung(&mut client);
    let lung = std::fs::read_to_string(repo().join("tests/data/lung.csv")).unwrap();
    let in_db = format!("database: {{ url: '{}', table: lung }}", cluster.url());
    let dir = crate::util::Dir::new(&[
        ("lung.csv", &lung),
        ("file.yaml", &lung_study("path: lung.csv")),
        ("db.yaml", &lung_study(&in_db)),
    ]);
    let results = |spec: &str| {
        let out = dir.run(&["build", spec, "--out", &format!("out-{spec}")]);
        assert!(out.status.success(), "{}", crate::util::stderr(&out));
        let text =
            std::fs::read_to_string(dir.path().join(format!("out-{spec}/results.json"))).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };
    let (file, db) = (results("file.yaml"), results("db.yaml"));
    // Counts and the count-based analyses exactly; Cox to rounding, without what needs
    // each patient's linear predictor.
    for id in ["km", "lr", "fu", "mean"] {
        assert_eq!(file["analyses"][id], db["analyses"][id], "{id}");
    }
    for id in ["efron", "breslow", "strata"] {
        agree(
            &file["analyses"][id],
            &db["analyses"][id],
            id,
            &["concordance", "zph", "warnings"],
        );
        // The concordance from counts per band of the linear predictor: within its bound.
        let (exact, c) = (
            &file["analyses"][id]["concordance"],
            &db["analyses"][id]["concordance"],
        );
        let (exact, banded, bound) = (
            exact["estimate"].as_f64().unwrap(),
            c["estimate"].as_f64().unwrap(),
            c["bound"].as_f64().unwrap(),
        );
        assert!(
            (exact - banded).abs() <= bound && bound < 0.01,
            "{id}: {exact} vs {banded} ± {bound}"
        );
        assert!(db["analyses"][id]["zph"].is_null());
        let warned = db["analyses"][id]["warnings"].to_string();
        assert!(warned.contains("cox.zph"), "{id}: {warned}");
    }
    assert_eq!(db["analyses"]["efron"]["n"], 213, "complete cases, as in R");
    // The manifest names the server and the table, never the URL; verify re-queries.
    let manifest = std::fs::read_to_string(dir.path().join("out-db.yaml/manifest.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(m["database"]["table"], "lung");
    assert!(m["database"]["server_version"].is_string());
    assert!(m["inputs"]["database table lung"].is_string(), "{manifest}");
    assert!(!manifest.contains(&cluster.dir.path().display().to_string()));
    let out = dir.run(&["verify", "db.yaml", "--out", "out-db.yaml"]);
    assert!(out.status.success(), "{}", crate::util::stderr(&out));
    // A changed value is a changed input, named.
    client
        .batch_execute("UPDATE lung SET age = age + 1 WHERE inst = 3")
        .unwrap();
    let out = dir.run(&["verify", "db.yaml", "--out", "out-db.yaml"]);
    assert!(!out.status.success());
    let said = format!("{}{}", crate::util::stdout(&out), crate::util::stderr(&out));
    assert!(said.contains("database table lung"), "{said}");
}

#[test]
fn a_url_that_asks_for_tls_gets_it_with_the_servers_certificate_checked() {
    let Some(cluster) = Cluster::start_with("tls", true) else {
        return;
    };
    let mut client = connect(&cluster.url()).unwrap();
    load_lung(&mut client);
    let url = format!(
        "postgresql://reprise@localhost:{}/postgres?sslmode=require",
        cluster.port
    );
    let study = lung_study(&format!("database: {{ url: '{url}', table: lung }}"));
    let dir = crate::util::Dir::new(&[("db.yaml", &study)]);
    let cert = cluster.dir.path().join("ca.crt");
    // The server takes TCP connections over TLS only, with a certificate no system trusts.
    let trusted = std::process::Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["check", "db.yaml"])
        .current_dir(dir.path())
        .env("PGSSLROOTCERT", &cert)
        .output()
        .unwrap();
    assert!(
        trusted.status.success(),
        "{}",
        crate::util::stderr(&trusted)
    );
    let untrusted = std::process::Command::new(env!("CARGO_BIN_EXE_reprise"))
        .args(["check", "db.yaml"])
        .current_dir(dir.path())
        .env_remove("PGSSLROOTCERT")
        .output()
        .unwrap();
    assert_eq!(untrusted.status.code(), Some(2));
    let said = crate::util::stderr(&untrusted);
    assert!(
        said.contains("db.yaml:") && said.contains("certificate"),
        "{said}"
    );
}

#[test]
fn a_password_comes_from_pgpass_or_pgpassword_and_is_written_nowhere() {
    let Some(cluster) = Cluster::start("password") else {
        return;
    };
    let secret = "s3cret-pg-pass";
    let mut client = connect(&cluster.url()).unwrap();
    load_lung(&mut client);
    client
        .batch_execute(&format!("ALTER USER reprise PASSWORD '{secret}'"))
        .unwrap();
    // From now on the server asks for the password, even on its socket.
    let data = cluster.dir.path().join("data");
    std::fs::write(data.join("pg_hba.conf"), "local all all scram-sha-256\n").unwrap();
    assert!(run_as(
        cluster.as_postgres,
        &cluster.bin.join("pg_ctl"),
        &["-D", data.to_str().unwrap(), "reload"]
    ));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let study = lung_study(&format!(
        "database: {{ url: '{}', table: lung }}",
        cluster.url()
    ));
    let dir = crate::util::Dir::new(&[("db.yaml", &study)]);
    let pgpass = dir.path().join("pgpass");
    std::fs::write(&pgpass, format!("*:*:*:reprise:{secret}\n")).unwrap();
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_reprise"));
        cmd.args(["build", "db.yaml", "--out", "out"])
            .current_dir(dir.path())
            .env_remove("PGPASSWORD")
            .env("PGPASSFILE", dir.path().join("none"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[("PGPASSFILE", pgpass.to_str().unwrap())]);
    assert!(out.status.success(), "{}", crate::util::stderr(&out));
    // The password is in no file of the report.
    for entry in walk(&dir.path().join("out")) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(secret),
            "{} holds the password",
            entry.display()
        );
    }
    // A wrong one is refused, and not repeated.
    let wrong = run(&[("PGPASSWORD", "not-the-pass-word")]);
    assert_eq!(wrong.status.code(), Some(2));
    let said = crate::util::stderr(&wrong);
    assert!(said.contains("password"), "{said}");
    assert!(
        !said.contains("not-the-pass-word") && !said.contains(secret),
        "{said}"
    );
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn what_a_database_cannot_give_is_refused_with_the_reason() {
    // Refused before any connection: nothing is listening on this socket.
    let url = "postgresql://reprise@localhost:1/none?host=/nonexistent";
    let spec = |extra: &str| {
        format!(
            "reprise: 1\nstudy: {{ id: r, version: 1.0.0, title: R, date: 2024-01-01 }}\ndata:\n  database: {{ url: '{url}', table: lung }}\n{extra}endpoints:\n  os: {{ time: time, event: status }}\nanalyses:\n  km: {{ kind: km, endpoint: os, by: sex, where: \"age > 60\" }}\n"
        )
    };
    let dir = crate::util::Dir::new(&[
        (
            "derived.yaml",
            &spec("derive:\n  old: { expr: \"age > 70\" }\n"),
        ),
        ("where.yaml", &spec("")),
        (
            "both.yaml",
            &spec("").replace("  database:", "  path: lung.csv\n  database:"),
        ),
    ]);
    for (file, said) in [
        (
            "derived.yaml",
            "derived columns are computed over a file's rows",
        ),
        ("where.yaml", "`where` is evaluated over a file's rows"),
        ("both.yaml", "both a `path` and a `database`"),
    ] {
        let out = dir.run(&["check", file]);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = crate::util::stderr(&out);
        assert!(
            err.contains(&format!("{file}:")) && err.contains(said),
            "{file}: {err}"
        );
    }
    // A kind not computed from aggregates is refused when it would run, with the kinds that are.
    let Some(cluster) = Cluster::start("refusals") else {
        return;
    };
    let mut client = connect(&cluster.url()).unwrap();
    load_lung(&mut client);
    let study = format!(
        "reprise: 1\nstudy: {{ id: r, version: 1.0.0, title: R, date: 2024-01-01 }}\ndata:\n  database: {{ url: '{}', table: lung }}\nendpoints:\n  os: {{ time: time, event: status, event_codes: {{ event: [2], censored: [1] }} }}\nanalyses:\n  t1: {{ kind: describe, variables: [age] }}\n",
        cluster.url()
    );
    std::fs::write(dir.path().join("kind.yaml"), study).unwrap();
    let out = dir.run(&["check", "kind.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = crate::util::stderr(&out);
    assert!(
        err.contains("analysis `t1`")
            && err.contains("not yet computed from aggregates")
            && err.contains("Cox models"),
        "{err}"
    );
}

/// A CSV of tests/data as a table: a column of numbers as double precision, any other
/// as text, quotes taken off.
fn load_table(client: &mut postgres::Client, name: &str, file: &str) {
    let text = std::fs::read_to_string(repo().join("tests/data").join(file)).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|h| h.trim_matches('"').to_string())
        .collect();
    let rows: Vec<Vec<String>> = lines
        .map(|l| {
            l.split(',')
                .map(|v| v.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    let numeric: Vec<bool> = (0..header.len())
        .map(|j| {
            rows.iter()
                .all(|r| r[j].is_empty() || r[j] == "NA" || r[j].parse::<f64>().is_ok())
        })
        .collect();
    let columns: Vec<String> = header
        .iter()
        .zip(&numeric)
        .map(|(h, &n)| format!("\"{h}\" {}", if n { "double precision" } else { "text" }))
        .collect();
    client
        .batch_execute(&format!("CREATE TABLE {name} ({})", columns.join(", ")))
        .unwrap();
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&numeric)
                .map(|(v, &n)| match (v.as_str(), n) {
                    ("" | "NA", _) => "NULL".to_string(),
                    (v, true) => v.to_string(),
                    (v, false) => format!("'{}'", v.replace('\'', "''")),
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect();
    client
        .batch_execute(&format!("INSERT INTO {name} VALUES {}", values.join(", ")))
        .unwrap();
}

#[test]
fn veteran_and_colon_from_the_database_give_the_files_results() {
    let Some(cluster) = Cluster::start("fixtures") else {
        return;
    };
    let mut client = connect(&cluster.url()).unwrap();
    load_table(&mut client, "veteran", "veteran.csv");
    load_table(&mut client, "colon", "colon_death.csv");
    let study = |data: &str, body: &str| {
        format!(
            "reprise: 1\nstudy: {{ id: f, version: 1.0.0, title: F, date: 2024-01-01 }}\ndata:\n  {data}\n{body}"
        )
    };
    // A text category (celltype) against its declared reference; stratified and Breslow
    // fits; colon's three arms, with missing values in `differ`.
    let veteran = "  columns:\n    celltype: { type: category, ref: large }\nendpoints:\n  os: { time: time, event: status }\nanalyses:\n  km: { kind: km, endpoint: os, by: trt, times: [90, 180] }\n  lr: { kind: logrank, endpoint: os, by: celltype }\n  cox: { kind: cox, endpoint: os, covariates: [trt, celltype, karno, age, prior] }\n  st: { kind: cox, endpoint: os, covariates: [karno, age], strata: [celltype], ties: breslow }\n";
    let colon = "  columns:\n    rx: { type: category, levels: [Obs, Lev, Lev+5FU] }\nendpoints:\n  os: { time: time, event: status }\nanalyses:\n  km: { kind: km, endpoint: os, by: rx, times: [365, 1825] }\n  fu: { kind: followup, endpoint: os }\n  cox: { kind: cox, endpoint: os, covariates: [rx, age, nodes, differ, obstruct] }\n";
    let url = cluster.url();
    let files = [
        (
            "veteran.csv",
            std::fs::read_to_string(repo().join("tests/data/veteran.csv")).unwrap(),
        ),
        (
            "colon.csv",
            std::fs::read_to_string(repo().join("tests/data/colon_death.csv")).unwrap(),
        ),
    ];
    let specs = [
        ("vf.yaml", study("path: veteran.csv", veteran)),
        (
            "vd.yaml",
            study(
                &format!("database: {{ url: '{url}', table: veteran }}"),
                veteran,
            ),
        ),
        ("cf.yaml", study("path: colon.csv", colon)),
        (
            "cd.yaml",
            study(
                &format!("database: {{ url: '{url}', table: colon }}"),
                colon,
            ),
        ),
    ];
    let mut all: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    all.extend(specs.iter().map(|(n, t)| (*n, t.as_str())));
    let dir = crate::util::Dir::new(&all);
    let results = |spec: &str| {
        let out = dir.run(&["build", spec, "--out", &format!("out-{spec}")]);
        assert!(
            out.status.success(),
            "{spec}: {}",
            crate::util::stderr(&out)
        );
        let text =
            std::fs::read_to_string(dir.path().join(format!("out-{spec}/results.json"))).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["analyses"].clone()
    };
    for (file, db, counted, cox) in [
        ("vf.yaml", "vd.yaml", &["km", "lr"][..], &["cox", "st"][..]),
        ("cf.yaml", "cd.yaml", &["km", "fu"][..], &["cox"][..]),
    ] {
        let (a, b) = (results(file), results(db));
        for id in counted {
            assert_eq!(a[id], b[id], "{db}: {id}");
        }
        for id in cox {
            agree(
                &a[id],
                &b[id],
                &format!("{db}: {id}"),
                &["concordance", "zph", "warnings"],
            );
            let (exact, c) = (
                a[id]["concordance"]["estimate"].as_f64().unwrap(),
                &b[id]["concordance"],
            );
            let (banded, bound) = (
                c["estimate"].as_f64().unwrap(),
                c["bound"].as_f64().unwrap(),
            );
            assert!(
                (exact - banded).abs() <= bound,
                "{db}: {id}: {exact} vs {banded} ± {bound}"
            );
        }
    }
}
