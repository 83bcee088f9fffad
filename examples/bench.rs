//! The speed benchmark: generates a seeded cohort (default 1,000,000 rows) and times each
//! stage of reprise on it separately.
//!
//!     cargo run --release --example bench -- [ROWS] [SEED] [--keep DIR] [--generate-only]
//!
//! With `--keep DIR` the cohort (`cohort.csv`) and its study (`study.yaml`) stay in DIR,
//! so that `bench/compare.sh` can time the `reprise` command and R's survival on the same
//! file; `--generate-only` stops there.
//! The cohort follows the shape used to time R's survival on this machine: exponential
//! times rounded to 0.1, about 30% censored, one binary group and five covariates. Each
//! step is timed once; run it several times and compare medians (the machine is noisy).

use std::io::Write;
use std::time::Instant;

use reprise::analysis::{RunCx, run_one};
use reprise::data;
use reprise::rng::Rng;
use reprise::spec::Study;

const STUDY: &str = "\
reprise: 1
study: { id: bench, version: 0.0.0, title: Benchmark cohort, date: 2024-01-01 }
data: { path: cohort.csv }
endpoints:
  os: { time: time, event: event }
analyses:
  km: { kind: km, endpoint: os, by: arm, times: [1, 2, 5] }
  logrank: { kind: logrank, endpoint: os, by: arm }
  cox: { kind: cox, endpoint: os, covariates: [arm, age, sex, x1, x2] }
";

/// The analyses beyond KM, log-rank and Cox, on the same file: each timed on its own. The
/// competing-risks endpoint counts in whole time units (as registries record months), so
/// that Fine-Gray's expansion stays what such data give.
const MORE: &str = "\
reprise: 1
study: { id: bench-more, version: 0.0.0, title: \"Benchmark cohort: more analyses\", date: 2024-01-01 }
data: { path: cohort.csv }
endpoints:
  os: { time: time, event: event }
  efs: { time: ctime, event: cstatus, event_codes: { censored: [c], causes: { relapse: [r], death: [d] } } }
analyses:
  rmst: { kind: rmst, endpoint: os, by: arm, tau: 5 }
  km_scoped: { kind: km, endpoint: os, by: arm, where: \"age > 50\", landmark: 1, censor_at: 10 }
  cox_strata: { kind: cox, endpoint: os, covariates: [arm, age, x1], strata: [sex] }
  cox_robust: { kind: cox, endpoint: os, covariates: [arm, age, x1], robust: true }
  cuminc: { kind: cuminc, endpoint: efs, by: arm, times: [1, 2, 5] }
  finegray: { kind: finegray, endpoint: efs, cause: relapse, covariates: [arm, age, x1] }
  logistic: { kind: logistic, outcome: resp, covariates: [arm, age, sex, x1, x2] }
  subgroups: { kind: subgroups, endpoint: os, term: arm, subgroups: [sex], covariates: [age] }
";

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let generate_only = args.iter().any(|a| a == "--generate-only");
    args.retain(|a| a != "--generate-only");
    let keep = args.iter().position(|a| a == "--keep").map(|i| {
        let dir = args.get(i + 1).cloned().expect("--keep needs a folder");
        args.drain(i..=i + 1);
        std::path::PathBuf::from(dir)
    });
    let rows: usize = args
        .first()
        .and_then(|a| a.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2021);
    // Without --keep the files live in a temporary folder, removed at the end.
    let tmp = tempfile::tempdir().expect("temporary folder");
    let dir = match &keep {
        Some(d) => {
            std::fs::create_dir_all(d).expect("create the --keep folder");
            d.clone()
        }
        None => tmp.path().to_path_buf(),
    };

    let started = Instant::now();
    let mut rng = Rng::new(seed);
    let mut csv = std::io::BufWriter::new(
        std::fs::File::create(dir.join("cohort.csv")).expect("create cohort"),
    );
    writeln!(csv, "id,arm,age,sex,x1,x2,time,event,ctime,cstatus,resp").unwrap();
    for id in 0..rows {
        let arm = (rng.uniform() < 0.5) as u8;
        let age = (60.0 + 10.0 * rng.normal()).round();
        let sex = (rng.uniform() < 0.45) as u8;
        let (x1, x2) = (rng.normal(), rng.uniform());
        let lp = -0.4 * arm as f64 + 0.02 * (age - 60.0) + 0.2 * sex as f64 + 0.3 * x1 - 0.5 * x2;
        let event_time = -rng.uniform().ln() / (0.3 * lp.exp());
        let censor_time = -rng.uniform().ln() / 0.085;
        let (time, event) = if event_time <= censor_time {
            (event_time, 1)
        } else {
            (censor_time, 0)
        };
        let time = ((time * 10.0).round() / 10.0).max(0.1);
        // Relapse or death, whichever comes first, in whole units.
        let relapse = -rng.uniform().ln() / (0.15 * (0.8 * lp).exp());
        let death = -rng.uniform().ln() / 0.08;
        let end = relapse.min(death).min(censor_time);
        let cstatus = if end == censor_time {
            'c'
        } else if end == relapse {
            'r'
        } else {
            'd'
        };
        let ctime = end.ceil();
        let resp = (rng.uniform() < 1.0 / (1.0 + (-(lp - 0.2)).exp())) as u8;
        writeln!(
            csv,
            "{id},{arm},{age},{sex},{x1:.4},{x2:.4},{time},{event},{ctime},{cstatus},{resp}"
        )
        .unwrap();
    }
    csv.flush().unwrap();
    std::fs::write(dir.join("study.yaml"), STUDY).unwrap();
    std::fs::write(dir.join("more.yaml"), MORE).unwrap();
    let generated = started.elapsed();
    if generate_only {
        return;
    }

    let t = Instant::now();
    let study = Study::load(&dir.join("study.yaml")).expect("study");
    let cohort = data::load(&study).expect("cohort");
    let load = t.elapsed();
    let events = cohort.endpoints["os"]
        .event
        .iter()
        .filter(|e| **e == Some(true))
        .count();

    println!(
        "reprise {} benchmark: {rows} rows, seed {seed}, {:.1}% censored",
        env!("CARGO_PKG_VERSION"),
        100.0 * (rows - events) as f64 / rows as f64
    );
    println!(
        "  (generating the CSV took {:.2} s; not counted)",
        generated.as_secs_f64()
    );
    println!(
        "  {:<28} {:>8.3} s",
        "load (spec + CSV + checks)",
        load.as_secs_f64()
    );
    let mut total = load;
    let done = Default::default();
    let cx = RunCx::new(&cohort, &done);
    for planned in &study.analyses {
        let id = &planned.id;
        let t = Instant::now();
        run_one(planned, &cx).expect("analysis runs");
        let took = t.elapsed();
        total += took;
        let what = match id.as_str() {
            "km" => "Kaplan-Meier by arm",
            "logrank" => "log-rank by arm",
            _ => "Cox, 5 covariates, Efron",
        };
        println!("  {:<28} {:>8.3} s", what, took.as_secs_f64());
    }
    println!("  {:<28} {:>8.3} s", "total", total.as_secs_f64());

    let t = Instant::now();
    let more = Study::load(&dir.join("more.yaml")).expect("study");
    let cohort = data::load(&more).expect("cohort");
    println!("  more analyses, same file:");
    println!(
        "  {:<28} {:>8.3} s",
        "load (spec + CSV + checks)",
        t.elapsed().as_secs_f64()
    );
    let cx = RunCx::new(&cohort, &done);
    for planned in &more.analyses {
        let t = Instant::now();
        let out = run_one(planned, &cx).expect("analysis runs");
        let took = t.elapsed();
        let what = match planned.id.as_str() {
            "rmst" => "RMST by arm, tau 5".to_string(),
            "km_scoped" => "KM, where/landmark/censor".to_string(),
            "cox_strata" => "Cox, 3 covariates, strata".to_string(),
            "cox_robust" => "Cox, 3 covariates, robust".to_string(),
            "cuminc" => "cumulative incidence + Gray".to_string(),
            "finegray" => "Fine-Gray, 3 covariates".to_string(),
            "logistic" => "logistic, 5 covariates".to_string(),
            _ => "subgroups: sex, 3 fits + LR".to_string(),
        };
        let note = match out.json.get("expanded_rows").and_then(|v| v.as_f64()) {
            Some(rows) => format!("  (R's finegray would fit {:.1}M rows)", rows / 1e6),
            None => String::new(),
        };
        println!("  {:<28} {:>8.3} s{note}", what, took.as_secs_f64());
    }
}
