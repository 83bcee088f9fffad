//! The stages wired together: what `reprise build`, `check` and `verify` run.
//!
//! A build produces every output in memory first (results, tables, figures, the typst
//! source and the PDF, then the manifest of hashes), and only then writes them
//! ([`write`]). [`verify`] rebuilds and compares with the [`manifest`].

mod bundle;
mod context;
pub mod diff;
pub mod manifest;
mod verify;
pub mod write;

pub use bundle::{Bundled, bundle, verify_bundle};
pub use verify::{Difference, Verified, verify};
pub use write::write_atomic;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use crate::data::{self, Cohort};
use crate::error::{Error, Result, display_path};
use crate::figures::{self, Figure};
use crate::hash::sha256_hex;
use crate::present::Present;
use crate::progress;
use crate::render::{self, Template};
use crate::results::{self, ClaimResult, Results, Warning};
use crate::spec::{Format, Seg, Study};
use crate::tables::{self, Table};

/// A study analysed: everything `build` and `check` report on.
pub struct Analysed {
    pub study: Study,
    pub cohort: Cohort,
    pub results: Results,
    pub warnings: Vec<Warning>,
    pub claims: Vec<ClaimResult>,
    pub template: Template,
    /// `SOURCE_DATE_EPOCH`, which sets the report's date; recorded in the manifest so that
    /// `verify` rebuilds with the same date.
    pub epoch: Option<String>,
    /// The formats the manuscript is written in: the study's `report.formats`, unless the
    /// command line or the manifest being verified says otherwise.
    pub formats: Vec<Format>,
}

/// The template a study names, or the built-in one.
fn template(study: &Study) -> Result<Template> {
    let Some(name) = study.spec.report.as_ref().and_then(|r| r.template.clone()) else {
        return Ok(Template {
            name: render::DEFAULT_TEMPLATE_NAME.into(),
            path: None,
            text: render::DEFAULT_TEMPLATE.into(),
        });
    };
    let path = study.resolve(&name);
    let at = study.location(&[Seg::Key("report"), Seg::Key("template")]);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::in_file(
            at,
            format!("cannot read the template {}: {e}", display_path(&path)),
        )
        .hint("`report.template` is resolved against the study's folder")
    })?;
    Ok(Template {
        name,
        path: Some(path),
        text,
    })
}

/// A file the spec names, as a report records it ([`Study::relative`]).
fn portable(study: &Study, written: &str) -> String {
    study.relative(&study.resolve(written))
}

/// Whether a recorded name points outside the study's folder.
fn outside(name: &str) -> bool {
    name.starts_with("../") || Path::new(name).is_absolute()
}

/// The warning a build gives for data kept outside the study's folder.
fn outside_warning(study: &Study) -> Option<String> {
    let name = portable(study, study.spec.data.file()?);
    outside(&name).then(|| {
        format!(
            "the data file {name} lies outside the study's folder; the report records it by that relative path, so a copy of the folder rebuilds only where the file sits at the same place (move it into the folder to keep the study self-contained)"
        )
    })
}

/// The inputs that determine the output, each with its sha256, named relative to the
/// spec's folder ([`portable`]).
fn inputs(study: &Study, cohort: &Cohort, template: &Template) -> IndexMap<String, String> {
    let mut inputs = IndexMap::new();
    inputs.insert(study.file_name(), sha256_hex(study.text.as_bytes()));
    match (study.spec.data.file(), &cohort.database) {
        (Some(file), _) => {
            inputs.insert(portable(study, file), cohort.sha256.clone());
        }
        (None, Some(db)) => {
            inputs.insert(db.name.clone(), db.sha256());
        }
        (None, None) => {}
    }
    if template.path.is_some() {
        inputs.insert(
            portable(study, &template.name),
            sha256_hex(template.text.as_bytes()),
        );
    }
    if let Some(synth) = &study.spec.data.synth
        && let Ok(bytes) = std::fs::read(study.resolve(synth))
    {
        inputs.insert(portable(study, synth), sha256_hex(&bytes));
    }
    inputs
}

/// The build id: one hash over reprise's version and every input's hash, so equal ids
/// mean equal inputs.
pub fn build_id(inputs: &IndexMap<String, String>) -> String {
    let mut manifest = format!("reprise {}\n", env!("CARGO_PKG_VERSION"));
    for (name, hash) in inputs {
        manifest.push_str(&format!("{hash}  {name}\n"));
    }
    sha256_hex(manifest.as_bytes())
}

/// Reads the spec and the data, runs every analysis and evaluates the claims.
pub fn analyse(spec_path: &Path) -> Result<Analysed> {
    let study = Study::load(spec_path)?;
    let template = template(&study)?;
    let cohort = {
        let _step = progress::step(format!("reading {}", study.spec.data.name()));
        data::load(&study)?
    };
    let inputs = inputs(&study, &cohort, &template);
    let id = build_id(&inputs);
    let (results, warnings) = {
        let _step = progress::step("running the analyses");
        crate::analysis::run(&study, &cohort, &id, inputs)?
    };
    let claims = results::claims(&study, &results)?;
    let formats = study.formats();
    Ok(Analysed {
        formats,
        study,
        cohort,
        results,
        warnings,
        claims,
        template,
        epoch: render::source_date_epoch(),
    })
}

/// Every file of a report, by its path inside the report folder.
pub struct Report {
    pub files: IndexMap<String, Vec<u8>>,
    pub build_id: String,
    /// The PDF's text, page by page.
    pub text: Vec<String>,
    pub pages: usize,
    /// How each page is filled.
    pub layout: Vec<crate::render::PageLayout>,
    pub warnings: Vec<String>,
    /// The tables as printed, for writers of other forms (the bundle's workbook).
    pub tables: Vec<Table>,
}

fn json_bytes(v: &impl serde::Serialize) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).expect("serialises");
    s.push('\n');
    s.into_bytes()
}

/// Produces the whole report in memory.
pub fn produce(a: &mut Analysed) -> Result<Report> {
    let _step = progress::step("drawing the figures and typesetting the report");
    let specs = figures::specs(&a.study);
    let (figures, tables) = {
        let _t = progress::timed("  figures and tables");
        let cx = Present::new(&a.study, &a.results, &specs);
        (figures::build(&cx)?, tables::build(&cx))
    };
    let (calibration, mut warnings) = context::calibration(&a.study, &a.cohort)?;
    warnings.extend(outside_warning(&a.study));
    check_supplement(&a.study, &tables, &figures)?;
    let journal = {
        let _t = progress::timed("  figure files for journals");
        journal_files(a, &figures)?
    };
    warnings.extend(journal.iter().filter_map(|(_, f)| f.warning.clone()));
    let drawn = Drawn {
        specs: &specs,
        figures: &figures,
        tables: &tables,
        calibration: &calibration,
        journal: &journal,
    };
    let mut extra: IndexMap<String, String> = IndexMap::new();
    // Files the template pulls in (a logo, an appendix) are inputs too, but they are only
    // known once typst has run: a second pass includes them in the build id.
    for _ in 0..2 {
        let (mut report, read) = produce_once(a, &drawn, &extra)?;
        report.warnings.extend(warnings.iter().cloned());
        if read.keys().all(|k| extra.contains_key(k)) {
            return Ok(report);
        }
        extra = read;
    }
    Err(
        Error::input("the files the template reads change from one pass to the next")
            .hint("a template should not choose files by the build id"),
    )
}

/// What a report shows besides the results: figures, tables, the calibration table.
pub struct Drawn<'a> {
    pub specs: &'a [(String, figures::FigureSpec)],
    pub figures: &'a [Figure],
    pub tables: &'a [Table],
    pub calibration: &'a [Value],
    /// Each figure's files for journals, by figure id.
    pub journal: &'a [(String, figures::files::Files)],
}

/// Every figure as a vector PDF and a TIFF at the study's figure width and resolution.
fn journal_files(a: &Analysed, figures: &[Figure]) -> Result<Vec<(String, figures::files::Files)>> {
    use rayon::prelude::*;
    static MADE: std::sync::LazyLock<figures::Memo<figures::files::Files>> =
        std::sync::LazyLock::new(figures::Memo::new);
    let (width_mm, dpi) = figures::print_size(&a.study);
    let stamp = render::timestamp(a.study.date, a.epoch.as_deref())?;
    figures
        .par_iter()
        .map(|f| {
            let ident = format!("{}-{}", a.study.spec.study.id, f.id);
            let key = format!("{width_mm} {dpi} {stamp:?} {ident}");
            let files = MADE.get_or(&[f.print_svg.as_bytes(), key.as_bytes()], || {
                figures::files::files(&f.id, &f.print_svg, width_mm, dpi, |svg| {
                    render::figure_pdf(svg, width_mm, &a.study.root, stamp, &ident)
                })
            })?;
            Ok((f.id.clone(), files))
        })
        .collect()
}

/// One pass: the build id from the inputs known so far, the files, the typst source and
/// the PDF, and the files the template read.
fn produce_once(
    a: &mut Analysed,
    drawn: &Drawn,
    extra: &IndexMap<String, String>,
) -> Result<(Report, IndexMap<String, String>)> {
    let study = &a.study;
    let mut inputs = inputs(study, &a.cohort, &a.template);
    inputs.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let id = build_id(&inputs);
    a.results.reprise.build_id = id.clone();
    a.results.reprise.inputs = inputs.clone();

    let mut files: IndexMap<String, Vec<u8>> = IndexMap::new();
    files.insert("results.json".into(), json_bytes(&a.results));
    // The claims as `check --json` prints them, so `diff` can say which verdicts changed.
    files.insert("claims.json".into(), json_bytes(&claims_json(&a.claims)));
    for t in drawn.tables {
        files.insert(format!("tables/{}.csv", t.id), t.csv().into_bytes());
    }
    for f in drawn.figures {
        files.insert(format!("figures/{}.svg", f.id), f.svg.clone().into_bytes());
        files.insert(format!("figures/{}.png", f.id), f.png.clone());
        if let Some((_, journal)) = drawn.journal.iter().find(|(id, _)| *id == f.id) {
            files.insert(format!("figures/{}.pdf", f.id), journal.pdf.clone());
            files.insert(format!("figures/{}.tiff", f.id), journal.tiff.clone());
        }
    }
    // The report's date: the study's, unless SOURCE_DATE_EPOCH says otherwise.
    let stamp = render::timestamp(study.date, a.epoch.as_deref())?;
    let context = context::context(a, drawn, &id, &inputs, &files, stamp.1);
    let filled_template = filled(study, &a.template, &context)?;
    let memory: HashMap<String, Vec<u8>> = drawn
        .figures
        .iter()
        .map(|f| (format!("figures/{}.svg", f.id), f.svg.clone().into_bytes()))
        .collect();
    let typeset = progress::timed("  typeset the PDF");
    let mut rendered = render::compile(
        &a.template,
        filled_template.source,
        &filled_template.lines,
        &study.root,
        memory.clone(),
        stamp,
        &id,
    )?;
    drop(typeset);
    let mut read = files_read(study, &filled_template.loaded);
    read.extend(files_read(study, &rendered.files_read));
    files.insert("report.typ".into(), rendered.source.clone().into_bytes());
    if a.formats.contains(&Format::Pdf) {
        files.insert("report.pdf".into(), std::mem::take(&mut rendered.pdf));
    }
    if a.formats.contains(&Format::Html) || a.formats.contains(&Format::Docx) {
        // Word and HTML both come from typst's HTML export of the same template, filled
        // for that target: one manuscript, whatever the format.
        let _t = progress::timed("  HTML and Word");
        let html = html_export(study, &a.template, &context, &memory, stamp.1)?;
        rendered.warnings.extend(html.warnings.iter().cloned());
        if a.formats.contains(&Format::Html) {
            files.insert(
                "report.html".into(),
                render::html::encode(&html)?.into_bytes(),
            );
        }
        if a.formats.contains(&Format::Docx) {
            let docx = render::docx::write(&html.document, &docx_info(study, drawn, &id))?;
            files.insert("report.docx".into(), docx);
        }
    }
    if study.spec.supplement.is_some() {
        let _t = progress::timed("  the supplement");
        supplement(a, drawn, &context, &memory, stamp, &id, &mut files)?;
    }
    let mut manifest =
        manifest::manifest(study, &id, a.epoch.as_deref(), &a.formats, &inputs, &files);
    if let Some(db) = &a.cohort.database {
        manifest["database"] = db.manifest();
    }
    files.insert("manifest.json".into(), json_bytes(&manifest));
    Ok((
        Report {
            files,
            build_id: id,
            text: rendered.text,
            pages: rendered.pages,
            layout: rendered.layout,
            warnings: rendered.warnings,
            tables: drawn.tables.to_vec(),
        },
        read,
    ))
}

/// `template` filled with `context`, the supplement's names put in for `@etab:`/`@efig:`.
fn filled(study: &Study, template: &Template, context: &Value) -> Result<render::Filled> {
    let mut filled = render::fill(template, context, study.house_style())?;
    filled.source = supplement_refs(study, template, filled.source, &filled.lines)?;
    Ok(filled)
}

/// typst's HTML export of `template` filled for the `html` target: the HTML report and
/// the Word file are both written from it.
fn html_export(
    study: &Study,
    template: &Template,
    context: &Value,
    memory: &HashMap<String, Vec<u8>>,
    day: (i32, u32, u32),
) -> Result<render::html::HtmlReport> {
    let mut context = context.clone();
    context["target"] = "html".into();
    let filled = filled(study, template, &context)?;
    render::html::compile(
        template,
        filled.source,
        &filled.lines,
        &study.root,
        memory.clone(),
        day,
    )
}

/// The supplement, typeset by the built-in template's supplement part: `supplement.pdf`
/// always, `supplement.docx` when the report is written in Word too.
fn supplement(
    a: &Analysed,
    drawn: &Drawn,
    context: &Value,
    memory: &HashMap<String, Vec<u8>>,
    stamp: (typst::foundations::Datetime, (i32, u32, u32)),
    id: &str,
    files: &mut IndexMap<String, Vec<u8>>,
) -> Result<()> {
    let study = &a.study;
    let builtin = Template {
        name: render::DEFAULT_TEMPLATE_NAME.into(),
        path: None,
        text: render::DEFAULT_TEMPLATE.into(),
    };
    let mut context = context.clone();
    context["part"] = "supplement".into();
    let supplement = filled(study, &builtin, &context)?;
    let pdf = render::compile(
        &builtin,
        supplement.source,
        &supplement.lines,
        &study.root,
        memory.clone(),
        stamp,
        &format!("{id}-supplement"),
    )?;
    files.insert("supplement.pdf".into(), pdf.pdf);
    if a.formats.contains(&Format::Docx) {
        let html = html_export(study, &builtin, &context, memory, stamp.1)?;
        let docx = render::docx::write(&html.document, &docx_info(study, drawn, id))?;
        files.insert("supplement.docx".into(), docx);
    }
    Ok(())
}

/// The supplement's names for its tables and figures, by reference key: `etab:table1`
/// is `eTable 1`, `efig:fig_os` `Figure S2`.
fn supplement_names(study: &Study) -> Vec<(String, String)> {
    let Some(sup) = &study.spec.supplement else {
        return Vec::new();
    };
    let keys = sup
        .contents
        .iter()
        .map(|item| match (&item.table, &item.figure) {
            (Some(t), _) => Some(format!("etab:{t}")),
            (_, Some(f)) => Some(format!("efig:{f}")),
            _ => None,
        });
    keys.zip(sup.names())
        .filter_map(|(key, name)| Some((key?, name?)))
        .collect()
}

/// Replaces `@etab:ID` and `@efig:ID` in filled typst source by the supplement's name
/// for that table or figure; a reference to something the supplement does not list is
/// an error at the template line that wrote it.
fn supplement_refs(
    study: &Study,
    template: &Template,
    source: String,
    line_map: &render::LineMap,
) -> Result<String> {
    if !source.contains("@etab:") && !source.contains("@efig:") {
        return Ok(source);
    }
    let names = supplement_names(study);
    let mut out = String::with_capacity(source.len());
    let mut rest = source.as_str();
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if !(after.starts_with("etab:") || after.starts_with("efig:")) {
            out.push('@');
            rest = after;
            continue;
        }
        let len = 5 + after[5..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len() - 5);
        let key = after[..len].trim_end_matches('-');
        let Some((_, name)) = names.iter().find(|(k, _)| k == key) else {
            let line = source[..source.len() - rest.len() + at]
                .matches('\n')
                .count();
            let (file, template_line) = line_map.get(line).copied().unwrap_or((0, 1));
            let place = match (&template.path, file) {
                (Some(p), 0) => crate::error::Location::line(p, template_line),
                _ => crate::error::Location::line(render::DEFAULT_TEMPLATE_NAME, template_line),
            };
            let listed: Vec<String> = names.iter().map(|(k, _)| format!("@{k}")).collect();
            return Err(Error::in_file(
                place,
                format!("the template refers to @{key}, which the supplement does not list"),
            )
            .hint(if listed.is_empty() {
                "list the table or figure under `supplement: contents:` in the study".to_string()
            } else {
                format!("the supplement has {}", listed.join(", "))
            }));
        };
        out.push_str(name);
        rest = &after[key.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Every table and figure the supplement lists exists in the report.
fn check_supplement(study: &Study, tables: &[Table], figures: &[Figure]) -> Result<()> {
    let Some(sup) = &study.spec.supplement else {
        return Ok(());
    };
    for (i, item) in sup.contents.iter().enumerate() {
        let (key, id, known): (&'static str, &String, Vec<&str>) = if let Some(t) = &item.table {
            ("table", t, tables.iter().map(|t| t.id.as_str()).collect())
        } else if let Some(f) = &item.figure {
            ("figure", f, figures.iter().map(|f| f.id.as_str()).collect())
        } else {
            continue;
        };
        if !known.contains(&id.as_str()) {
            return Err(study
                .error_at(
                    &[
                        Seg::Key("supplement"),
                        Seg::Key("contents"),
                        Seg::Index(i),
                        Seg::Key(key),
                    ],
                    format!("the supplement lists {key} `{id}`, which the report does not have"),
                )
                .hint(format!("the report's {key}s are {}", known.join(", "))));
        }
    }
    Ok(())
}

/// What the Word file needs besides the document: its running header and footer, its
/// date, and each figure's PNG for the SVG the HTML embeds.
fn docx_info<'a>(study: &'a Study, drawn: &'a Drawn, id: &str) -> render::docx::Info<'a> {
    let meta = &study.spec.study;
    render::docx::Info {
        header: study.spec.data.synthetic.then_some(
            "Synthetic data: the patients in this report are simulated; no number here describes real patients.",
        ),
        footer: format!("{} · version {} · build {}", meta.id, meta.version, &id[..12]),
        date: study.date,
        figures: drawn
            .figures
            .iter()
            .map(|f| (f.svg.as_str(), f.png.as_slice()))
            .collect(),
    }
}

/// The files typst read from the study's folder, named relative to it, with their hashes.
fn files_read(study: &Study, read: &[PathBuf]) -> IndexMap<String, String> {
    read.iter()
        .filter_map(|p| {
            let name = study.relative(p);
            if outside(&name) {
                return None;
            }
            let bytes = std::fs::read(p).ok()?;
            Some((name, sha256_hex(&bytes)))
        })
        .collect()
}

/// The claims in the contract's form of `check --json`.
pub fn claims_json(claims: &[crate::results::ClaimResult]) -> Value {
    let within = claims.iter().filter(|c| c.within).count();
    serde_json::json!({ "claims": claims, "total": claims.len(), "within": within })
}

/// What a build wrote.
pub struct Built {
    pub analysed: Analysed,
    pub report: Report,
    pub out_dir: PathBuf,
}

impl Built {
    /// Every file the build read, as a path: the inputs its manifest records (the spec,
    /// the data, the template and what it imported or typst read).
    pub fn inputs_read(&self) -> impl Iterator<Item = PathBuf> + '_ {
        let a = &self.analysed;
        a.results
            .reprise
            .inputs
            .keys()
            .map(|name| a.study.resolve(name))
    }
}

/// Analyses the study and writes the report into the output folder. A folder that
/// already holds a report of other inputs is left alone unless `force` is set: a version
/// names one report, and a silent replacement would break that. Anything else already
/// there (a file, a folder that is not a report) is refused whatever `force` says.
/// `formats`, when given, replaces the study's `report.formats`.
pub fn build(
    spec_path: &Path,
    out: Option<&Path>,
    force: bool,
    formats: Option<Vec<Format>>,
) -> Result<Built> {
    let mut analysed = analyse(spec_path)?;
    if let Some(formats) = formats {
        analysed.formats = formats;
    }
    let report = produce(&mut analysed)?;
    let out_dir = analysed.study.out_dir(out);
    manifest::check_out_dir(&out_dir, &report, force)?;
    write::write_folder(&out_dir, &report.files)?;
    Ok(Built {
        analysed,
        report,
        out_dir,
    })
}
