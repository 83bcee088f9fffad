//! The `reprise` command line: argument parsing and printing only; the work is in the
//! library's stages.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reprise::error::{Error, display_path};
use reprise::pipeline;
use reprise::present::format;
use reprise::results::ClaimResult;

#[derive(Parser)]
#[command(
    name = "reprise",
    version,
    about = "Regenerate a clinical study's report from its data, and check every number it reports"
)]
#[command(
    after_help = "Examples:\n  reprise build                          # ./study.yaml -> reports/<version>/\n  reprise check examples/colon/study.yaml --json\n\nExit codes: 0 success; 1 a check failed (a claim out of tolerance); 2 bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse the study and write its report into reports/<version>/ (or --out).
    #[command(
        after_help = "Example:\n  reprise build examples/colon/study.yaml --out /tmp/colon\n\nWrites results.json (every analysis, in the form documented in the README)."
    )]
    Build {
        /// The study file.
        #[arg(default_value = "study.yaml")]
        study: PathBuf,
        /// Output folder, instead of reports/<version>/ beside the study file.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace an existing report of the same version built from other inputs.
        #[arg(long)]
        force: bool,
        /// The formats to write, instead of the study's `report.formats`: pdf, docx, html.
        #[arg(long, value_name = "LIST")]
        format: Option<String>,
    },
    /// Rebuild the report in a temporary folder and compare every hash with the manifest on disk.
    #[command(
        after_help = "Example (a CI step for a journal or a co-author):\n  reprise verify study.yaml\n\nExits 1 and lists the files that differ when the report on disk is not what the inputs produce."
    )]
    Verify {
        /// The study file.
        #[arg(default_value = "study.yaml")]
        study: PathBuf,
        /// The report folder, instead of reports/<version>/ beside the study file.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Check the reported numbers against each other (no data needed).
    #[command(
        after_help = "Example:\n  reprise audit study.yaml --json\n\nChecks n (%) against denominators, percentages for attainability, categories against totals,\nhazard ratios against their intervals and p-values, intervals against their estimates, and\nnumbers quoted twice. Exits 1 when a finding is at error level."
    )]
    Audit {
        /// The study file.
        #[arg(default_value = "study.yaml")]
        study: PathBuf,
        /// Print the findings as JSON (the contract's form).
        #[arg(long)]
        json: bool,
    },
    /// Pack the report in every format, the spec, the tables as Excel, figure files and a
    /// data dictionary into one verifiable zip.
    #[command(
        after_help = "Example (a submission to a journal):\n  reprise bundle study.yaml\n\nWrites reports/<id>-<version>.zip: the study's folder as a reader needs it, without\nthe patient data unless `bundle: { include_data: true }`. Same inputs, same bytes.\nCheck it with `reprise verify <id>-<version>.zip`."
    )]
    Bundle {
        /// The study file.
        #[arg(default_value = "study.yaml")]
        study: PathBuf,
        /// Where to write the zip: a file, or a folder to put <id>-<version>.zip in.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Replace an existing bundle of the same name.
        #[arg(long)]
        force: bool,
    },
    /// Generate a synthetic cohort calibrated to published aggregates.
    #[command(
        after_help = "Example:\n  reprise synth data/synth.yaml -o data/cohort.csv\n\nWrites the CSV (to standard output without -o) and prints a calibration table: every\ndeclared target beside what the generated cohort achieves. Same spec and seed, same bytes."
    )]
    Synth {
        /// The synth spec (YAML).
        spec: PathBuf,
        /// Output CSV file.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Seed, instead of the spec's.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Validate the spec and data, run the analyses and test every claim; writes nothing.
    #[command(
        after_help = "Example:\n  reprise check study.yaml --json > claims.json\n\nExits 1 when a claim (other than one marked `must: false`) is outside its tolerance."
    )]
    Check {
        /// The study file.
        #[arg(default_value = "study.yaml")]
        study: PathBuf,
        /// Print the claims as JSON (the contract's form) instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// A reader that stops early (`reprise check | head`) closes the pipe, and Rust's `println!`
/// panics at the next line. Every command has done its work before it prints, so end
/// quietly, as a Unix tool does, instead of printing a backtrace.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_pipe();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Build {
            study,
            out,
            force,
            format,
        } => build(study, out, force, format),
        Command::Check { study, json } => check(study, json),
        Command::Verify { study, out } => verify(study, out),
        Command::Bundle { study, out, force } => bundle(study, out, force),
        Command::Synth { spec, output, seed } => synth(spec, output, seed),
        Command::Audit { study, json } => audit(study, json),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn warn(warnings: &[reprise::results::Warning]) {
    for w in warnings {
        eprintln!("warning: analysis `{}`: {}", w.analysis, w.message);
    }
}

fn build(
    study: PathBuf,
    out: Option<PathBuf>,
    force: bool,
    formats: Option<String>,
) -> Result<ExitCode, Error> {
    let formats = formats
        .map(|f| {
            reprise::spec::Format::parse_list(&f)
                .map_err(|e| Error::input(format!("--format {f}: {e}")))
        })
        .transpose()?;
    let built = pipeline::build(&study, out.as_deref(), force, formats)?;
    warn(&built.analysed.warnings);
    let a = &built.analysed;
    for w in &built.report.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "built {} {} ({} analyses, {} patients, {} pages) into {}",
        a.study.spec.study.id,
        a.study.spec.study.version,
        a.results.analyses.len(),
        a.cohort.patients(),
        built.report.pages,
        display_path(&built.out_dir)
    );
    println!("  build id {}", built.report.build_id);
    for f in &a.formats {
        let name = format!("report.{}", f.name());
        println!("  {}", display_path(&built.out_dir.join(name)));
    }
    Ok(claims_summary(&a.claims, false))
}

fn check(study: PathBuf, json: bool) -> Result<ExitCode, Error> {
    let a = pipeline::analyse(&study)?;
    warn(&a.warnings);
    if json {
        let within = a.claims.iter().filter(|c| c.within).count();
        let out =
            serde_json::json!({ "claims": a.claims, "total": a.claims.len(), "within": within });
        println!(
            "{}",
            serde_json::to_string_pretty(&out).expect("serialises")
        );
        return Ok(exit_for(&a.claims));
    }
    println!(
        "{}: spec, data and {} analyses ok",
        a.study.spec.study.id,
        a.results.analyses.len()
    );
    Ok(claims_summary(&a.claims, true))
}

fn bundle(study: PathBuf, out: Option<PathBuf>, force: bool) -> Result<ExitCode, Error> {
    let b = pipeline::bundle(&study, out.as_deref(), force)?;
    for w in &b.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "bundled {} ({} files, {} bytes, build {})",
        display_path(&b.path),
        b.entries,
        b.bytes,
        &b.build_id[..12]
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(study: PathBuf, out: Option<PathBuf>) -> Result<ExitCode, Error> {
    let is_zip = study
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let v = if is_zip {
        pipeline::verify_bundle(&study)?
    } else {
        pipeline::verify(&study, out.as_deref())?
    };
    if v.differences.is_empty() {
        println!(
            "verified {}: {} hashes match the manifest (build {})",
            display_path(&v.out_dir),
            v.checked,
            &v.build_id[..v.build_id.len().min(12)]
        );
        if let Some(note) = &v.note {
            println!("  {note}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} does not match its inputs: {} difference(s)",
        display_path(&v.out_dir),
        v.differences.len()
    );
    for d in &v.differences {
        println!("  {}: {}", d.file, d.message);
    }
    Ok(ExitCode::from(1))
}

fn synth(spec: PathBuf, output: Option<PathBuf>, seed: Option<u64>) -> Result<ExitCode, Error> {
    let (parsed, text) = reprise::synth::load(&spec)?;
    let made = reprise::synth::generate(&spec, &parsed, &text, seed)?;
    match &output {
        Some(path) => pipeline::write_atomic(path, made.csv.as_bytes())?,
        None => print!("{}", made.csv),
    }
    // The calibration table goes to stderr when the CSV goes to stdout.
    let table = reprise::synth::calibration_table(&made);
    match &output {
        Some(path) => {
            println!("wrote {} ({} rows)", display_path(path), parsed.n);
            print!("{table}");
        }
        None => eprint!("{table}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn audit(study: PathBuf, json: bool) -> Result<ExitCode, Error> {
    let s = reprise::spec::Study::load(&study)?;
    let a = reprise::audit::audit(&s.spec.claims);
    if json {
        println!("{}", serde_json::to_string_pretty(&a).expect("serialises"));
    } else {
        for f in &a.findings {
            let level = f.severity.name();
            println!(
                "{level:7} {} [{}]: {}",
                f.check,
                f.claims.join(", "),
                f.message
            );
        }
        let errors = a
            .findings
            .iter()
            .filter(|f| f.severity == reprise::audit::Severity::Error)
            .count();
        println!(
            "audit: {} checks on {} claims, {} findings ({errors} at error level)",
            a.checks_run,
            s.spec.claims.len(),
            a.findings.len()
        );
    }
    let failed = a
        .findings
        .iter()
        .any(|f| f.severity == reprise::audit::Severity::Error);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn exit_for(claims: &[ClaimResult]) -> ExitCode {
    if claims.iter().any(|c| c.must && !c.within) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn claims_summary(claims: &[ClaimResult], detail: bool) -> ExitCode {
    if claims.is_empty() {
        return ExitCode::SUCCESS;
    }
    if detail {
        let width = claims.iter().map(|c| c.id.len()).max().unwrap_or(0);
        for c in claims {
            let mark = if c.within {
                "ok  "
            } else if c.must {
                "FAIL"
            } else if c.result.is_none() {
                "n/a "
            } else {
                "off "
            };
            let got = c
                .reproduced
                .map_or("null".to_string(), |r| format::fixed(r, 4));
            println!(
                "  {mark} {:width$}  reported {:<10} reproduced {:<10} ±{}  {}",
                c.id,
                c.reported,
                got,
                c.tolerance,
                c.result
                    .as_deref()
                    .unwrap_or("(not reproducible from the data)")
            );
        }
    }
    let within = claims.iter().filter(|c| c.within).count();
    let failed = claims.iter().filter(|c| c.must && !c.within).count();
    println!(
        "claims: {within} of {} within tolerance{}",
        claims.len(),
        if failed > 0 {
            format!(", {failed} required claims outside")
        } else {
            String::new()
        }
    );
    exit_for(claims)
}
