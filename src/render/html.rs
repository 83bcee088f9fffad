//! The HTML report: the same typst source compiled by typst's HTML export, with the
//! house style as a stylesheet in the file, so one file holds everything a browser
//! needs (figures are `data:` images; there is no network reference).

use std::collections::HashMap;
use std::path::Path;

use typst::diag::SourceDiagnostic;
use typst::foundations::Bytes;
use typst_html::{HtmlDocument, HtmlOptions};

use super::{LineMap, ReportWorld, Template, diagnostic, first_error};
use crate::error::{Error, Result};

/// The house style for screens and print: a readable measure on a phone and a desktop,
/// tables ruled as in the PDF (three rules), wide tables scrolling inside their figure
/// rather than widening the page.
const STYLE: &str = "\
:root{color-scheme:light;--pad:1.1rem}\
body{font-family:'Libertinus Serif','Linux Libertine',Georgia,'Times New Roman',serif;\
font-size:1.05rem;line-height:1.5;color:#111;background:#fff;max-width:48rem;margin:0 auto;\
padding:1rem var(--pad) 3rem}\
h1{font-size:1.6rem;line-height:1.25;margin:1.2rem 0 .4rem;text-align:center}\
h2{font-size:1.25rem;margin:2rem 0 .6rem}h3{font-size:1.08rem;margin:1.5rem 0 .5rem}\
p{margin:.55rem 0;hyphens:auto}\
.byline{text-align:center;font-size:.95rem;color:#333;margin:.2rem 0}\
.synthetic-banner{position:sticky;top:0;z-index:1;background:#fbeaea;color:#9b1c1c;\
font-size:.8rem;text-align:center;padding:.3rem .5rem;margin:0 calc(-1 * var(--pad))}\
.synthetic{background:#fbeaea;padding:.6rem .8rem;border-radius:2px;margin:1rem 0}\
figure{margin:1.4rem 0;overflow-x:auto}\
figure img{max-width:100%;height:auto;display:block;margin:0 auto}\
figcaption{font-size:.92rem;margin:.4rem 0}\
table{display:block;overflow-x:auto;max-width:fit-content;border-collapse:collapse;\
font-size:.82rem;line-height:1.3;margin:.3rem 0;\
border-top:1.5px solid #111;border-bottom:1.5px solid #111;font-variant-numeric:tabular-nums}\
thead tr:last-child th{border-bottom:.8px solid #111}\
th,td{padding:.18rem .45rem;vertical-align:top;text-align:center}th{font-weight:bold}\
td:not(:first-child){white-space:nowrap}td:first-child,th:first-child{text-align:left}\
.indent{display:inline-block;width:1em}\
.notes{font-size:.78rem;color:#222;margin:.35rem 0 0}\
.wide td:first-child{position:sticky;left:0;background:#fff}\
code{font-size:.85em;word-break:break-all}\
.command{background:#f5f5f5;padding:.4rem .6rem}\
.colophon{font-size:.8rem}\
@media print{body{max-width:none;font-size:10pt;padding:0}\
.synthetic-banner{position:static;margin:0}figure,table{break-inside:avoid}\
figure{overflow:visible}h2,h3{break-after:avoid}}\
@media (max-width:600px){:root{--pad:.7rem}body{font-size:1rem;padding:.6rem var(--pad) 2rem}table{font-size:.75rem}}";

/// The HTML document typst produced, and its warnings.
pub struct HtmlReport {
    pub document: HtmlDocument,
    pub warnings: Vec<String>,
}

/// Compiles the typst source (filled for the `html` target) with typst's HTML export.
pub fn compile(
    template: &Template,
    source: String,
    line_map: &LineMap,
    root: &Path,
    memory: HashMap<String, Vec<u8>>,
    day: (i32, u32, u32),
) -> Result<HtmlReport> {
    let memory = memory
        .into_iter()
        .map(|(k, v)| (k, Bytes::new(v)))
        .collect();
    let world = ReportWorld::new(root, "main.typ", source, memory, day).for_html();
    let warned = typst::compile::<HtmlDocument>(&world);
    let describe = |d: &SourceDiagnostic| diagnostic(&world, template, line_map, d);
    let warnings = warned
        .warnings
        .iter()
        // typst says of every HTML export that the export is young; that is not the
        // study's to fix.
        .filter(|d| {
            !d.message
                .contains("html export is under active development")
        })
        .map(|d| describe(d).to_string())
        .collect();
    let document = warned
        .output
        .map_err(|errors| first_error(errors.iter().map(describe).collect()))?;
    Ok(HtmlReport { document, warnings })
}

/// The report as one HTML file: typst's encoding with the house style in its head.
pub fn encode(report: &HtmlReport) -> Result<String> {
    let text =
        typst_html::html(&report.document, &HtmlOptions { pretty: false }).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|d| d.message.to_string()).collect();
            Error::input(format!(
                "cannot write the HTML report: {}",
                lines.join("; ")
            ))
        })?;
    let style = format!("<style>{STYLE}</style></head>");
    Ok(text.replacen("</head>", &style, 1))
}
