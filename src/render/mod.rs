//! The manuscript: a minijinja template fills typst source with results, tables and
//! figures; typst compiles it in-process to a PDF.
//!
//! Values printed into the template are escaped for typst markup by default, so a data
//! label such as `#panic("x")` or `$a$` prints as written and never runs. Errors, whether
//! minijinja's or typst's, are reported against the template's own file and line: each
//! template line is tagged before rendering and the tags are read back out of the typst
//! source, so a typst error in line 212 of the generated source names the template line
//! that produced it.

pub mod docx;
mod filters;
pub mod html;
mod world;

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use typst::WorldExt;
use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::layout::{Frame, FrameItem};
use typst_layout::PagedDocument;

use crate::error::{Error, Location, Result};

pub use world::ReportWorld;

/// The template every study gets unless it names its own.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../templates/default.typ.j2");
pub const DEFAULT_TEMPLATE_NAME: &str = "templates/default.typ.j2 (built in)";

/// Characters that cannot occur in a template mark the start of each template line.
const TAG_OPEN: char = '\u{10FFFD}';
const TAG_CLOSE: char = '\u{10FFFC}';

/// A template: its text and the name errors use.
pub struct Template {
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: String,
}

/// What rendering produced.
pub struct Rendered {
    /// The typst source the template produced.
    pub source: String,
    pub pdf: Vec<u8>,
    /// The document's text, page by page, as typst laid it out.
    pub text: Vec<String>,
    pub pages: usize,
    /// How far down each page its content reaches, and its shape.
    pub layout: Vec<PageLayout>,
    /// Files the typst compilation read from the study's folder.
    pub files_read: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

/// The name under which a study template can extend the built-in one:
/// `{% extends "default.typ.j2" %}` and fill its blocks.
pub const BASE_NAME: &str = "default.typ.j2";

/// Where a line of the typst source came from: (template file, line), file 0 the study's
/// template and file 1 the built-in one.
pub type LineMap = Vec<(usize, usize)>;

/// Marks every template line that does not sit inside a tag or begin with a
/// whitespace-trimming tag, so that rendered lines can be traced back.
fn tag_lines(text: &str, file: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut open = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        let trims_before = ["{%-", "{{-", "{#-"].iter().any(|t| trimmed.starts_with(t));
        if !open && !trims_before {
            out.push(TAG_OPEN);
            out.push_str(&format!("{file}:{}", i + 1));
            out.push(TAG_CLOSE);
        }
        out.push_str(line);
        // Track whether a jinja tag stays open across the line end.
        let bytes = line.as_bytes();
        let mut j = 0;
        while j + 1 < bytes.len() {
            let pair = &bytes[j..j + 2];
            if !open && (pair == b"{%" || pair == b"{{" || pair == b"{#") {
                open = true;
                j += 2;
            } else if open && (pair == b"%}" || pair == b"}}" || pair == b"#}") {
                open = false;
                j += 2;
            } else {
                j += 1;
            }
        }
    }
    out
}

/// Removes the tags; returns the clean text and, per output line, the template line.
fn untag(rendered: &str) -> (String, LineMap) {
    let mut clean = String::with_capacity(rendered.len());
    let mut lines = vec![(0, 1)];
    let mut current = (0, 1);
    let mut chars = rendered.chars().peekable();
    while let Some(c) = chars.next() {
        if c == TAG_OPEN {
            let mut n = String::new();
            for d in chars.by_ref() {
                if d == TAG_CLOSE {
                    break;
                }
                n.push(d);
            }
            if let Some((f, l)) = n.split_once(':') {
                current = (
                    f.parse().unwrap_or(current.0),
                    l.parse().unwrap_or(current.1),
                );
            }
            // A tag at the start of an output line names that line.
            if clean.is_empty() || clean.ends_with('\n') {
                *lines.last_mut().expect("one line at least") = current;
            }
            continue;
        }
        clean.push(c);
        if c == '\n' {
            lines.push(current);
        }
    }
    (clean, lines)
}

fn environment(context: &serde_json::Value, style: crate::present::Style) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Custom("typst".into()));
    env.set_formatter(filters::formatter);
    let results = context["results"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    filters::register(&mut env, results, style);
    env
}

/// The work one fill of a template may do: about 50 million instructions (or 3 GB of
/// values), far beyond a manuscript's needs, so that a template that loops without end
/// stops with an error instead of running forever.
pub const TEMPLATE_FUEL: u64 = 50_000_000;

/// Lets a template `import`, `from … import` and `include` the templates beside it: any
/// file under its own folder, by a relative path without `..`. Every file read is
/// recorded in `loaded`, since it is an input of the report as much as the template is.
fn set_loader(env: &mut Environment<'static>, dir: PathBuf, loaded: Arc<Mutex<Vec<PathBuf>>>) {
    env.set_loader(move |name| {
        let rel = Path::new(name);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!(
                    "`{name}`: a template reads the templates in its own folder and below, named by a relative path without `..`"
                ),
            ));
        }
        let path = dir.join(rel);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                loaded.lock().expect("not poisoned").push(path);
                Ok(Some(text))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("cannot read {}: {e}", crate::error::display_path(&path)),
            )),
        }
    });
}

/// A filled template: the typst source, where its lines came from, and the other
/// template files it read.
pub struct Filled {
    pub source: String,
    pub lines: LineMap,
    pub loaded: Vec<PathBuf>,
}

/// Fills the template with `context`.
pub fn fill(
    template: &Template,
    context: &serde_json::Value,
    style: crate::present::Style,
) -> Result<Filled> {
    let mut env = environment(context, style);
    env.set_fuel(Some(TEMPLATE_FUEL));
    let loaded = Arc::new(Mutex::new(Vec::new()));
    let dir = template.path.as_ref().and_then(|p| p.parent());
    if let Some(dir) = dir {
        set_loader(&mut env, dir.to_path_buf(), loaded.clone());
    }
    let tagged = tag_lines(&template.text, 0);
    env.add_template_owned(BASE_NAME, tag_lines(DEFAULT_TEMPLATE, 1))
        .map_err(|e| Error::input(format!("the built-in template: {e}")))?;
    let place = |e: &minijinja::Error| {
        if e.name() == Some(BASE_NAME) && template.path.is_some() {
            return match e.line() {
                Some(line) => Location::line(DEFAULT_TEMPLATE_NAME, line),
                None => Location::file(DEFAULT_TEMPLATE_NAME),
            };
        }
        // An error inside a template this one imported names that file.
        if let (Some(name), Some(dir)) = (e.name(), dir)
            && name != template.name
            && name != BASE_NAME
        {
            let path = dir.join(name);
            return match e.line() {
                Some(line) => Location::line(&path, line),
                None => Location::file(&path),
            };
        }
        match (&template.path, e.line()) {
            (Some(p), Some(line)) => Location::line(p, line),
            (Some(p), None) => Location::file(p),
            (None, _) => Location::file(&template.name),
        }
    };
    let tmpl = env
        .template_from_named_str(&template.name, &tagged)
        .map_err(|e| {
            Error::in_file(
                place(&e),
                format!("template error: {}", e.detail().unwrap_or(&e.to_string())),
            )
        })?;
    let ctx = minijinja::Value::from(minijinja::value::Serde(context));
    let rendered = tmpl.render(ctx).map_err(|e| {
        let mut err = Error::in_file(
            place(&e),
            format!(
                "template error: {}",
                e.detail().unwrap_or(&e.kind().to_string())
            ),
        );
        match e.kind() {
            minijinja::ErrorKind::UndefinedError => {
                err = err.hint(
                    "the names a template can use are listed in the README under \"Templates\"",
                )
            }
            minijinja::ErrorKind::OutOfFuel => {
                err = err.hint(
                    "a template may run about 50 million steps; look for a loop that does not end or grows with every pass",
                )
            }
            _ => {}
        }
        err
    })?;
    let (source, lines) = untag(&rendered);
    let loaded = std::mem::take(&mut *loaded.lock().expect("not poisoned"));
    Ok(Filled {
        source,
        lines,
        loaded,
    })
}

/// The `SOURCE_DATE_EPOCH` of the environment, as typst's own CLI reads it.
pub fn source_date_epoch() -> Option<String> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// The report's timestamp: `epoch` (a `SOURCE_DATE_EPOCH`) when given, else the study's
/// date at midnight UTC.
pub fn timestamp(
    date: (i32, u32, u32),
    epoch: Option<&str>,
) -> Result<(Datetime, (i32, u32, u32))> {
    if let Some(epoch) = epoch {
        let secs: i64 = epoch.trim().parse().map_err(|_| {
            Error::input(format!(
                "SOURCE_DATE_EPOCH=`{epoch}` is not a number of seconds"
            ))
            .hint("unset it, or set it to seconds since 1970-01-01 UTC")
        })?;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = crate::spec::civil_from_days(days);
        let dt = Datetime::from_ymd_hms(
            y,
            m as u8,
            d as u8,
            (rem / 3600) as u8,
            (rem % 3600 / 60) as u8,
            (rem % 60) as u8,
        )
        .ok_or_else(|| {
            Error::input(format!(
                "SOURCE_DATE_EPOCH=`{epoch}` is outside the dates typst can print"
            ))
        })?;
        return Ok((dt, (y, m, d)));
    }
    let dt = Datetime::from_ymd_hms(date.0, date.1 as u8, date.2 as u8, 0, 0, 0)
        .expect("a checked date");
    Ok((dt, date))
}

/// Compiles typst source to a PDF. `root` is the study's folder (the only place files
/// are read from), `memory` holds generated files by their virtual path.
pub fn compile(
    template: &Template,
    source: String,
    line_map: &[(usize, usize)],
    root: &Path,
    memory: HashMap<String, Vec<u8>>,
    stamp: (Datetime, (i32, u32, u32)),
    ident: &str,
) -> Result<Rendered> {
    // The PDF's timestamp, and the day `datetime.today()` gives (see `timestamp`).
    let (timestamp, day) = stamp;
    let memory = memory
        .into_iter()
        .map(|(k, v)| (k, Bytes::new(v)))
        .collect();
    let world = ReportWorld::new(root, "main.typ", source.clone(), memory, day);
    let warned = typst::compile::<PagedDocument>(&world);
    let describe = |d: &SourceDiagnostic| diagnostic(&world, template, line_map, d);
    let warnings: Vec<String> = warned
        .warnings
        .iter()
        .map(|d| describe(d).to_string())
        .collect();
    let document = warned
        .output
        .map_err(|errors| first_error(errors.iter().map(describe).collect()))?;
    let pdf = typst_pdf::pdf(&document, &pdf_options(ident, timestamp)).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|d| describe(d).to_string()).collect();
        Error::input(format!("cannot write the PDF: {}", lines.join("; ")))
    })?;
    let text = document
        .pages()
        .iter()
        .map(|p| frame_text(&p.frame))
        .collect();
    let layout = document
        .pages()
        .iter()
        .map(|p| page_layout(&p.frame))
        .collect();
    Ok(Rendered {
        source,
        pdf,
        text,
        pages: document.pages().len(),
        layout,
        files_read: world.files_read(),
        warnings,
    })
}

/// A figure as a one-page vector PDF `width_mm` wide, for journals: the SVG placed at
/// that width on a page of its size, fonts embedded.
pub fn figure_pdf(
    svg: &str,
    width_mm: f64,
    root: &Path,
    stamp: (Datetime, (i32, u32, u32)),
    ident: &str,
) -> Result<Vec<u8>> {
    let source = format!(
        "#set page(width: {width_mm}mm, height: auto, margin: 0pt)\n#image(\"figure.svg\", width: 100%)\n"
    );
    let memory = HashMap::from([(
        "figure.svg".to_string(),
        Bytes::new(svg.as_bytes().to_vec()),
    )]);
    let world = ReportWorld::new(root, "figure.typ", source, memory, stamp.1);
    let failed = |what: &str, errors: &[SourceDiagnostic]| {
        let why = errors
            .first()
            .map_or("typst failed", |e| e.message.as_str());
        Error::input(format!("cannot {what} the figure file: {why}"))
    };
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| failed("typeset", &errors))?;
    typst_pdf::pdf(&document, &pdf_options(ident, stamp.0))
        .map_err(|errors| failed("write", &errors))
}

/// A PDF's identity and date: the report's, so that a rebuild gives the same bytes.
fn pdf_options(ident: &str, timestamp: Datetime) -> typst_pdf::PdfOptions {
    typst_pdf::PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        timestamp: Some(typst_pdf::Timestamp::new_utc(timestamp)),
        ..Default::default()
    }
}

/// The first of typst's errors, with the next few (each once) as hints.
fn first_error(mut all: Vec<Error>) -> Error {
    all.dedup_by(|a, b| a.to_string() == b.to_string());
    if all.is_empty() {
        return Error::input("typst failed without saying why");
    }
    let mut e = all.remove(0);
    for more in all.into_iter().take(4) {
        e = e.hint(more.to_string());
    }
    e
}

/// A typst diagnostic as an error placed in the template when the problem is in the
/// generated source (the line the typst source came from), else in the file typst read.
fn diagnostic(
    world: &ReportWorld,
    template: &Template,
    line_map: &[(usize, usize)],
    d: &SourceDiagnostic,
) -> Error {
    let severity = match d.severity {
        Severity::Error => "typst error",
        Severity::Warning => "typst warning",
    };
    let mut place = match &template.path {
        Some(p) => Location::file(p),
        None => Location::file(&template.name),
    };
    if let Some(id) = d.span.id() {
        use typst::World;
        if let (Ok(source), Some(range)) = (world.source(id), world.range(d.span)) {
            let lines = source.lines();
            let line = lines.byte_to_line(range.start).unwrap_or(0);
            if id == world.main() {
                let (file, template_line) = line_map.get(line).copied().unwrap_or((0, 1));
                if file == 1 && template.path.is_some() {
                    place = Location::file(DEFAULT_TEMPLATE_NAME);
                }
                place = Location::line(place.file, template_line);
            } else {
                let column = lines.byte_to_column(range.start).unwrap_or(0);
                place = Location::at(id.vpath().get_without_slash(), line + 1, column + 1);
            }
        }
    }
    // Typst's sandbox message speaks of the "project root"; here it is the study's folder.
    let message = d.message.replace("project root", "study's folder");
    let mut out = format!("{severity}: {message}");
    // Hints about typst's command line (`--root`) do not apply to reprise.
    for hint in d
        .hints
        .iter()
        .filter(|h| !h.v.contains("--root") && !h.v.contains("project sandbox"))
    {
        out.push_str(&format!(" (hint: {})", hint.v));
    }
    Error::in_file(place, out)
}

/// How a laid-out page is filled, for checking that no page is left mostly blank.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PageLayout {
    /// The lowest point of the page's body content (its running header and footer, the
    /// top 8% and the bottom 9%, left out) as a fraction of the page's height.
    pub bottom: f64,
    pub landscape: bool,
}

fn page_layout(frame: &Frame) -> PageLayout {
    let h = frame.height().to_pt();
    let (top, foot) = (0.08 * h, 0.91 * h);
    let mut lowest = top;
    deepest(frame, 0.0, (top, foot), &mut lowest);
    PageLayout {
        bottom: lowest / h,
        landscape: frame.width() > frame.height(),
    }
}

/// The lowest bottom edge of any text, shape or image of `frame` (placed `dy` down) that
/// lies within `body`.
fn deepest(frame: &Frame, dy: f64, body: (f64, f64), lowest: &mut f64) {
    for (pos, item) in frame.items() {
        let y = dy + pos.y.to_pt();
        let bottom = match item {
            FrameItem::Group(g) => {
                deepest(&g.frame, y, body, lowest);
                continue;
            }
            FrameItem::Text(t) => y + 0.25 * t.size.to_pt(),
            FrameItem::Shape(shape, _) => y + shape.bbox(false).max.y.to_pt(),
            FrameItem::Image(_, size, _) => y + size.y.to_pt(),
            _ => continue,
        };
        if y >= body.0 && bottom <= body.1 + 1.0 && bottom > *lowest {
            *lowest = bottom;
        }
    }
}

/// The text of a frame in reading order, as laid out: for checking what a reader sees.
fn frame_text(frame: &Frame) -> String {
    let mut out = String::new();
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(g) => {
                out.push_str(&frame_text(&g.frame));
            }
            FrameItem::Text(t) => {
                out.push_str(&t.text);
                out.push(' ');
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_trace_rendered_lines_to_template_lines() {
        let template = "a\n{% for x in [1, 2] %}\nitem {{ x }}\n{% endfor %}\nz\n";
        let tagged = tag_lines(template, 0);
        let env = Environment::new();
        let out = env.render_str(&tagged, ()).unwrap();
        let (clean, map) = untag(&out);
        assert_eq!(clean, "a\n\nitem 1\n\nitem 2\n\nz");
        let z = clean.lines().position(|l| l == "z").unwrap();
        assert_eq!(map[z], (0, 5));
        let item2 = clean.lines().position(|l| l == "item 2").unwrap();
        assert_eq!(map[item2], (0, 3));
    }

    #[test]
    fn a_tag_open_across_lines_is_not_broken() {
        let template = "{{\n 1 + 1 }}\nb\n";
        let env = Environment::new();
        let out = env.render_str(&tag_lines(template, 0), ()).unwrap();
        assert_eq!(untag(&out).0, "2\nb");
    }
}
