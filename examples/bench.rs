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
    writeln!(csv, "id,arm,age,sex,x1,x2,time,event").unwrap();
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
        writeln!(csv, "{id},{arm},{age},{sex},{x1:.4},{x2:.4},{time},{event}").unwrap();
    }
    csv.flush().unwrap();
    std::fs::write(dir.join("study.yaml"), STUDY).unwrap();
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
}
