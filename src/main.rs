//! The `reprise` command line: argument parsing and printing only; the work is in the
//! library's stages.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use reprise::error::{Error, display_path};
use reprise::pipeline;
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
        after_help = "Example:\n  reprise audit study.yaml --json\n\n  reprise audit paper.txt\n\nChecks n (%) against denominators, percentages for attainability, categories against totals,\nhazard ratios against their intervals and p-values, intervals against their estimates, and\nnumbers quoted twice. Given a paper's text, it first reads the statistics out of it, as\n`reprise extract` does. Exits 1 when a finding is at error level."
    )]
    Audit {
        /// The study file, or a paper's text (.txt, .md) to extract and audit directly.
        #[arg(default_value = "study.yaml")]
        study: PathBuf,
        /// Print the findings as JSON (the contract's form).
        #[arg(long)]
        json: bool,
    },
    /// Read the statistics a paper reports out of its text: counts and percentages, ratios
    /// with their intervals and p, rates, medians, means, p-values.
    #[command(
        after_help = "Examples:\n  reprise extract paper.txt --yaml >> study.yaml   # claims to map to results\n  reprise extract paper.txt --yaml --study study.yaml   # with the results that fit proposed\n  reprise extract paper.md --json\n\nEach statistic comes with its kind, value, interval, p, count and denominator, the exact\ntext, its line (and page where the text marks pages) and the sentence around it. A PDF is\nread after `pdftotext -layout paper.pdf paper.txt`."
    )]
    Extract {
        /// The paper: plain text (.txt) or Markdown (.md).
        paper: PathBuf,
        /// Print the statistics as JSON.
        #[arg(long, conflicts_with = "yaml")]
        json: bool,
        /// Print them as claims to paste into a study.
        #[arg(long)]
        yaml: bool,
        /// A study whose results to propose for each claim (with --yaml): the one result
        /// that fits every printed part, where exactly one does.
        #[arg(long, value_name = "STUDY", requires = "yaml")]
        study: Option<PathBuf>,
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
    /// Write a study folder that builds at once, from a data file (or a skeleton without).
    #[command(
        after_help = "Examples:\n  reprise init data/lung.csv            # -> lung/study.yaml, lung/data/lung.csv\n  reprise init cohort.parquet --out my-study\n  reprise init --out new-study          # a commented skeleton\n\nDeclares every column (type, range or levels, a label), proposes time and event pairs as\nendpoints, and starts the analyses: a Table 1, Kaplan-Meier and log-rank by the first\ngrouping-like column, a Cox model. Guesses are marked in comments. Never overwrites a file."
    )]
    Init {
        /// The data file, CSV or Parquet.
        data: Option<PathBuf>,
        /// The study folder to write, instead of one named after the data file.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Rebuild the report on every change to the study, its data, its template or any
    /// file the template reads.
    #[command(
        after_help = "Example:\n  reprise watch examples/colon/study.yaml\n\nBuilds once, then again after each save (changes within a fifth of a second count as\none), printing what changed and how long the build took. A build that fails prints its\nerror and leaves the last good report in place. Each build replaces the report of the\nstudy's version, as `build --force` does. Stop it with Ctrl-C."
    )]
    Watch {
        /// The study file.
        #[arg(default_value = "study.yaml")]
        study: PathBuf,
        /// Output folder, instead of reports/<version>/ beside the study file.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Show what changed between two reports: inputs, numbers and claims.
    #[command(
        after_help = "Example (what a data correction did to a paper):\n  reprise diff reports/1.0.0 reports/1.1.0\n  reprise diff old-bundle.zip new-bundle.zip --json\n\nExits 1 when anything changed, 0 when the two reports agree."
    )]
    Diff {
        /// The earlier report: a report folder or a bundle.
        old: PathBuf,
        /// The later report: a report folder or a bundle.
        new: PathBuf,
        /// Print the differences as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a completion script for a shell: bash, zsh, fish, powershell (or elvish).
    #[command(
        after_help = "Examples:\n  reprise completions bash > ~/.local/share/bash-completion/completions/reprise\n  reprise completions zsh > ~/.zfunc/_reprise\n  reprise completions fish > ~/.config/fish/completions/reprise.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the JSON Schema of study.yaml, for editors that complete and check it.
    #[command(
        after_help = "Example (VS Code with the YAML extension, or any editor using yaml-language-server):\n  reprise schema > study.schema.json\n  # and as the study's first line:\n  # yaml-language-server: $schema=study.schema.json"
    )]
    Schema,
    /// Print the manual page (roff), every command and option in it.
    #[command(
        after_help = "Example:\n  reprise man > ~/.local/share/man/man1/reprise.1 && man reprise"
    )]
    Man,
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
    let _total = reprise::progress::timed("the whole command");
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
        Command::Extract {
            paper,
            json,
            yaml,
            study,
        } => extract(paper, json, yaml, study),
        Command::Diff { old, new, json } => diff(old, new, json),
        Command::Init { data, out } => init(data, out),
        Command::Watch { study, out } => watch(study, out),
        Command::Completions { shell } => {
            let mut cli = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cli, "reprise", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => man(),
        Command::Schema => {
            print!("{}", reprise::spec::schema::text());
            Ok(ExitCode::SUCCESS)
        }
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// The manual page: the command, then each subcommand under a heading of its own with
/// its synopsis, description and options as subsections.
fn man() -> Result<ExitCode, Error> {
    let cli = <Cli as clap::CommandFactory>::command();
    let mut page = Vec::new();
    let write = |e: std::io::Error| Error::input(format!("cannot write the manual page: {e}"));
    clap_mangen::Man::new(cli.clone())
        .render(&mut page)
        .map_err(write)?;
    for sub in cli.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("reprise {}", sub.get_name());
        let man = clap_mangen::Man::new(sub.clone().display_name(&name).bin_name(&name));
        let mut part = Vec::new();
        man.render_synopsis_section(&mut part).map_err(write)?;
        man.render_description_section(&mut part).map_err(write)?;
        man.render_options_section(&mut part).map_err(write)?;
        let part = String::from_utf8_lossy(&part).replace(".SH ", ".SS ");
        page.extend_from_slice(format!(".SH \"{}\"\n{part}", name.to_uppercase()).as_bytes());
    }
    use std::io::Write;
    std::io::stdout().write_all(&page).map_err(write)?;
    Ok(ExitCode::SUCCESS)
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
        let out = pipeline::claims_json(&a.claims);
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

/// How long the files must be quiet before a rebuild: an editor's save is often several
/// writes and a rename.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(200);

fn watch(study: PathBuf, out: Option<PathBuf>) -> Result<ExitCode, Error> {
    use notify::Watcher;
    use std::collections::BTreeSet;
    let study = std::path::absolute(&study)
        .map_err(|e| Error::input(format!("{}: {e}", display_path(&study))))?;
    // One build: what it reads (the spec always), and a line saying how it went.
    // A failed build keeps watching what the last good one read.
    let build_once = |why: &str, before: &BTreeSet<PathBuf>| -> BTreeSet<PathBuf> {
        let started = std::time::Instant::now();
        let mut read = BTreeSet::from([study.clone()]);
        match pipeline::build(&study, out.as_deref(), true, None) {
            Ok(built) => {
                warn(&built.analysed.warnings);
                for w in &built.report.warnings {
                    eprintln!("warning: {w}");
                }
                let a = &built.analysed;
                let within = a.claims.iter().filter(|c| c.within).count();
                let claims = if a.claims.is_empty() {
                    String::new()
                } else {
                    format!(", claims {within} of {} within tolerance", a.claims.len())
                };
                println!(
                    "{why}built {} in {:.2} s (build {}, {} pages{claims})",
                    display_path(&built.out_dir),
                    started.elapsed().as_secs_f64(),
                    &built.report.build_id[..12],
                    built.report.pages,
                );
                read.extend(built.inputs_read());
            }
            Err(e) => {
                println!("{why}error: {e}");
                println!("  the last good report stays; waiting for the next change");
                read.extend(before.iter().cloned());
            }
        }
        read
    };
    let mut watched = build_once("", &BTreeSet::new());
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx)
        .map_err(|e| Error::input(format!("cannot watch files: {e}")))?;
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut told = 0;
    loop {
        // Editors save by writing a new file and renaming it over the old one, which a
        // watch on the file itself would lose: the folders are watched, and their events
        // kept for the files the last build read.
        let wanted: BTreeSet<PathBuf> = watched
            .iter()
            .filter_map(|p| p.parent().map(std::path::Path::to_path_buf))
            .collect();
        for dir in wanted.difference(&dirs) {
            watcher
                .watch(dir, notify::RecursiveMode::NonRecursive)
                .map_err(|e| Error::input(format!("cannot watch {}: {e}", display_path(dir))))?;
        }
        dirs.extend(wanted);
        if watched.len() != told {
            told = watched.len();
            println!("watching {told} files; Ctrl-C stops");
        }
        let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
        let relevant = |event: notify::Result<notify::Event>, changed: &mut BTreeSet<PathBuf>| {
            if let Ok(event) = event
                && !event.kind.is_access()
            {
                changed.extend(event.paths.into_iter().filter(|p| watched.contains(p)));
            }
        };
        while changed.is_empty() {
            let Ok(event) = rx.recv() else {
                return Ok(ExitCode::SUCCESS);
            };
            relevant(event, &mut changed);
        }
        while let Ok(event) = rx.recv_timeout(SETTLE) {
            relevant(event, &mut changed);
        }
        let root = study.parent().unwrap_or(std::path::Path::new("/"));
        let names: Vec<String> = changed
            .iter()
            .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
            .collect();
        watched = build_once(&format!("changed: {}; ", names.join(", ")), &watched);
    }
}

fn init(data: Option<PathBuf>, out: Option<PathBuf>) -> Result<ExitCode, Error> {
    let made = reprise::init::init(data.as_deref(), out.as_deref(), reprise::init::today())?;
    for f in &made.files {
        println!("wrote {}", display_path(f));
    }
    for g in &made.guesses {
        println!("  guess: {g}");
    }
    let study = display_path(&made.dir.join("study.yaml"));
    if data.is_some() {
        println!(
            "next: reprise build {study}   (then edit it; `reprise watch {study}` rebuilds on save)"
        );
    } else {
        println!(
            "next: put the data at data/cohort.csv beside {study}, name its columns, then reprise build {study}"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A JSON value as a table prints it: a whole number without its ".0".
fn number(v: &serde_json::Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        _ => v.to_string(),
    }
}

/// How many changed values the table prints; `--json` has them all.
const DIFF_ROWS: usize = 60;

fn diff(old: PathBuf, new: PathBuf, json: bool) -> Result<ExitCode, Error> {
    let d = pipeline::diff::diff(&old, &new)?;
    let code = if d.changed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&d).expect("serialises"));
        return Ok(code);
    }
    let short = |s: &str| s.chars().take(12).collect::<String>();
    if !d.changed() {
        println!(
            "no change: {} and {} have the same inputs, values and claims (build {})",
            d.old,
            d.new,
            short(&d.new_build)
        );
        return Ok(code);
    }
    println!(
        "{} (build {}) → {} (build {})",
        d.old,
        short(&d.old_build),
        d.new,
        short(&d.new_build)
    );
    if let Some((a, b)) = &d.reprise {
        println!("reprise {a} → {b}");
    }
    let shown = |v: &Option<serde_json::Value>| match v {
        None => "(absent)".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => number(v),
    };
    if !d.inputs.is_empty() {
        println!("\ninputs: {} changed", d.inputs.len());
        let width = d.inputs.iter().map(|i| i.name.len()).max().unwrap_or(0);
        for i in &d.inputs {
            let what = match (&i.old, &i.new) {
                (None, _) => "added".to_string(),
                (_, None) => "removed".to_string(),
                (Some(a), Some(b)) => format!("changed ({} → {})", short(a), short(b)),
            };
            println!("  {:width$}  {what}", i.name);
        }
    }
    if !d.values.is_empty() {
        println!(
            "\nresults.json: {} of {} values changed",
            d.values.len(),
            d.values_compared
        );
        let rows = &d.values[..d.values.len().min(DIFF_ROWS)];
        let width = rows.iter().map(|v| v.path.len()).max().unwrap_or(0).max(4);
        let cell = |v: &Option<serde_json::Value>| shown(v).chars().take(24).collect::<String>();
        println!(
            "  {:width$}  {:>24}  {:>24}  difference",
            "path", "old", "new"
        );
        for v in rows {
            let difference = v.difference.map(|x| format!("{x:+.6}")).unwrap_or_default();
            println!(
                "  {:width$}  {:>24}  {:>24}  {difference}",
                v.path,
                cell(&v.old),
                cell(&v.new)
            );
        }
        if d.values.len() > rows.len() {
            println!(
                "  … and {} more (`--json` lists every one)",
                d.values.len() - rows.len()
            );
        }
    }
    if !d.claims.is_empty() {
        println!("\nclaims: {} changed", d.claims.len());
        let width = d.claims.iter().map(|c| c.id.len()).max().unwrap_or(0);
        let state = |c: &Option<pipeline::diff::ClaimState>| match c {
            None => "(absent)".to_string(),
            Some(c) => format!(
                "{} {}",
                number(&c.reproduced),
                if c.within == serde_json::Value::Bool(true) {
                    "ok"
                } else {
                    "FAIL"
                }
            ),
        };
        for c in &d.claims {
            let reported = c
                .new
                .as_ref()
                .or(c.old.as_ref())
                .map(|s| number(&s.reported))
                .unwrap_or_default();
            println!(
                "  {:width$}  reported {reported}: {} → {}",
                c.id,
                state(&c.old),
                state(&c.new)
            );
        }
    }
    if d.claims_unknown {
        println!(
            "\n(one report has no claims.json, written by reprise 0.8 and later: its claims are not compared)"
        );
    }
    Ok(code)
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

fn extract(
    paper: PathBuf,
    json: bool,
    yaml: bool,
    study: Option<PathBuf>,
) -> Result<ExitCode, Error> {
    let e = reprise::extract::extract_file(&paper)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&e).expect("serialises"));
    } else if yaml {
        let proposed = match study {
            Some(study) => {
                let a = pipeline::analyse(&study)?;
                reprise::extract::propose(&e.claims, &a.results)
            }
            None => Vec::new(),
        };
        print!("{}", reprise::extract::to_yaml(&e.claims, &proposed));
    } else {
        let width = e
            .claims
            .iter()
            .map(|c| c.text.chars().count())
            .max()
            .unwrap_or(0)
            .min(48);
        for c in &e.claims {
            println!("{:>5}  {:13}  {:width$}", c.line, c.kind.name(), c.text);
        }
        println!(
            "extract: {} statistics in {}",
            e.claims.len(),
            display_path(&paper)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a path names a paper's text rather than a study.
fn is_paper(path: &std::path::Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "txt" | "md" | "markdown" | "pdf"
        )
    })
}

fn audit(study: PathBuf, json: bool) -> Result<ExitCode, Error> {
    let (a, n) = if is_paper(&study) {
        let e = reprise::extract::extract_file(&study)?;
        (reprise::audit::audit_paper(&e.claims), e.claims.len())
    } else {
        let s = reprise::spec::Study::load(&study)?;
        (
            reprise::audit::audit(&reprise::audit::from_spec(&s.spec.claims)),
            s.spec.claims.len(),
        )
    };
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
            n,
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
        use reprise::present::claims as show;
        let width = claims.iter().map(|c| c.id.len()).max().unwrap_or(0);
        let reported_width = claims
            .iter()
            .map(|c| show::reported(c).chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        for c in claims {
            let mark = if c.within {
                "ok  "
            } else if c.reproduced.is_none() && c.result.is_none() {
                "n/a "
            } else if c.must {
                "FAIL"
            } else {
                "off "
            };
            let off = show::off_parts(c);
            let got = if c.reproduced.is_some() {
                format!("reproduced {}", show::reproduced(c))
            } else {
                show::reproduced(c)
            };
            let mut line = format!(
                "  {mark} {:width$}  reported {:reported_width$}  {got}",
                c.id,
                show::reported(c),
            );
            if !off.is_empty() && off != ["estimate"] {
                line.push_str(&format!("  [off: {}]", off.join(", ")));
            }
            if let Some(note) = &c.note {
                line.push_str(&format!("  ({note})"));
            }
            println!("{line}");
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
