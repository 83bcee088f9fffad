//! The Word manuscript, written from the HTML export's document tree, so that Word, HTML
//! and PDF say the same thing: headings become Word heading styles, tables real Word
//! tables ruled as in the PDF, figures the 300 dpi PNGs at their print width.
//!
//! docx-rs numbers paragraphs per thread and pictures per process; the document is
//! therefore built on a thread of its own, pictures get ids by their order, and the
//! archive is rewritten with fixed dates ([`crate::archive`]), so a rebuild gives the same
//! bytes.

use base64::Engine;
use docx_rs::{
    AlignmentType, BorderType, BreakType, Docx, Footer, Header, LineSpacing, NumPages, PageMargin,
    PageNum, Paragraph, Pic, Run, RunFonts, Shading, Style, StyleType, Tab, TabValueType, Table,
    TableBorders, TableCell, TableCellBorder, TableCellBorderPosition, TableCellBorders, TableRow,
    WidthType,
};
use typst_html::{HtmlDocument, HtmlElement, HtmlNode};

use crate::error::{Error, Result};

/// What the Word file needs besides the document tree.
pub struct Info<'a> {
    /// The running header, when the data are synthetic.
    pub header: Option<&'a str>,
    /// The running footer's text, before the page number.
    pub footer: String,
    pub date: (i32, u32, u32),
    /// Each figure's SVG (as the HTML embeds it) and the PNG that replaces it.
    pub figures: Vec<(&'a str, &'a [u8])>,
}

/// A4 in twentieths of a point, with the PDF's margins.
const PAGE: (u32, u32) = (11906, 16838);
const MARGIN_X: i32 = 1191;
/// The text width in twips, and in EMU for pictures (1 twip = 635 EMU).
const TEXT_WIDTH: i32 = PAGE.0 as i32 - 2 * MARGIN_X;
const FONT: &str = "Times New Roman";
/// Half-points: 10.5 pt text, 8.5 pt tables and notes, 8 pt header and footer.
const BODY: usize = 21;
const SMALL: usize = 17;
const TINY: usize = 16;

pub fn write(document: &HtmlDocument, info: &Info) -> Result<Vec<u8>> {
    let body = find(document.root(), "body").unwrap_or(document.root());
    let packed = std::thread::scope(|s| {
        s.spawn(|| {
            let mut w = Writer {
                docx: Some(setup(info)),
                info,
                pictures: 0,
            };
            w.blocks(&body.children);
            let mut out = std::io::Cursor::new(Vec::new());
            w.docx
                .take()
                .expect("built once")
                .build()
                .pack(&mut out)
                .map(|_| out.into_inner())
                .map_err(|e| e.to_string())
        })
        .join()
        .unwrap_or_else(|_| Err("the Word writer stopped".into()))
    })
    .map_err(|e| Error::input(format!("cannot write the Word file: {e}")))?;
    crate::archive::normalise(&packed)
        .map_err(|e| Error::input(format!("cannot write the Word file: {e}")))
}

fn setup(info: &Info) -> Docx {
    let date = format!(
        "{:04}-{:02}-{:02}T00:00:00Z",
        info.date.0, info.date.1, info.date.2
    );
    let fonts = RunFonts::new().ascii(FONT).hi_ansi(FONT).cs(FONT);
    let heading = |id: &str, name: &str, size: usize, level: usize| {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .based_on("Normal")
            .next("Normal")
            .size(size)
            .bold()
            .outline_lvl(level)
            .line_spacing(LineSpacing::new().before(240).after(120))
    };
    let footer_tab = Tab::new().val(TabValueType::Right).pos(TEXT_WIDTH as usize);
    let mut footer = Paragraph::new()
        .add_tab(footer_tab)
        .add_run(Run::new().add_text(&info.footer).size(TINY).color("505050"))
        .add_run(Run::new().add_tab().size(TINY))
        .add_page_num(PageNum::new())
        .add_run(Run::new().add_text(" / ").size(TINY).color("505050"))
        .add_num_pages(NumPages::new());
    footer = footer.size(TINY);
    let mut docx = Docx::new()
        .page_size(PAGE.0, PAGE.1)
        .page_margin(
            PageMargin::new()
                .top(1304)
                .bottom(1474)
                .left(MARGIN_X)
                .right(MARGIN_X)
                .header(600)
                .footer(700),
        )
        .default_fonts(fonts)
        .default_size(BODY)
        .created_at(&date)
        .updated_at(&date)
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .based_on("Normal")
                .size(30)
                .bold()
                .align(AlignmentType::Center),
        )
        .add_style(heading("Heading1", "heading 1", 25, 0))
        .add_style(heading("Heading2", "heading 2", 22, 1))
        .add_style(heading("Heading3", "heading 3", 21, 2))
        .add_style(
            Style::new("Caption", StyleType::Paragraph)
                .name("caption")
                .based_on("Normal")
                .size(19)
                .line_spacing(LineSpacing::new().before(120).after(80)),
        )
        .add_style(
            Style::new("TableText", StyleType::Paragraph)
                .name("Table Text")
                .based_on("Normal")
                .size(SMALL),
        )
        .footer(Footer::new().add_paragraph(footer));
    if let Some(text) = info.header {
        docx = docx.header(
            Header::new().add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Center)
                    .add_run(Run::new().add_text(text).size(TINY).color("9B1C1C")),
            ),
        );
    }
    docx
}

fn find<'a>(e: &'a HtmlElement, tag: &str) -> Option<&'a HtmlElement> {
    if e.tag.resolve().as_str() == tag {
        return Some(e);
    }
    e.children.iter().find_map(|n| match n {
        HtmlNode::Element(c) => find(c, tag),
        _ => None,
    })
}

fn name(e: &HtmlElement) -> String {
    e.tag.resolve().as_str().to_string()
}

fn attr(e: &HtmlElement, key: &str) -> Option<String> {
    e.attrs
        .0
        .iter()
        .find(|(k, _)| k.resolve().as_str() == key)
        .map(|(_, v)| v.to_string())
}

fn class(e: &HtmlElement) -> String {
    attr(e, "class").unwrap_or_default()
}

/// How a run of text is set.
#[derive(Clone, Copy, Default)]
struct Format {
    bold: bool,
    italic: bool,
    mono: bool,
    size: Option<usize>,
}

struct Writer<'a> {
    docx: Option<Docx>,
    info: &'a Info<'a>,
    pictures: usize,
}

impl<'a> Writer<'a> {
    fn paragraph(&mut self, p: Paragraph) {
        let docx = self.docx.take().expect("present");
        self.docx = Some(docx.add_paragraph(p));
    }

    fn table(&mut self, t: Table) {
        let docx = self.docx.take().expect("present");
        self.docx = Some(docx.add_table(t));
    }

    /// Block-level nodes; inline content between blocks becomes a paragraph of its own.
    fn blocks(&mut self, nodes: &[HtmlNode]) {
        let mut inline: Vec<&HtmlNode> = Vec::new();
        for node in nodes {
            match node {
                HtmlNode::Element(e) if is_block(e) => {
                    self.flush(&mut inline);
                    self.block(e);
                }
                HtmlNode::Tag(_) => {}
                other => inline.push(other),
            }
        }
        self.flush(&mut inline);
    }

    fn flush(&mut self, inline: &mut Vec<&HtmlNode>) {
        if inline.is_empty() {
            return;
        }
        let nodes: Vec<HtmlNode> = inline.drain(..).cloned().collect();
        let runs = self.runs(&nodes, Format::default());
        if runs.iter().any(has_content) {
            self.paragraph(with_runs(Paragraph::new(), runs));
        }
    }

    fn block(&mut self, e: &HtmlElement) {
        let tag = name(e);
        match tag.as_str() {
            "h1" => self.styled(e, "Title"),
            "h2" => self.styled(e, "Heading1"),
            "h3" => self.styled(e, "Heading2"),
            "h4" | "h5" | "h6" => self.styled(e, "Heading3"),
            "p" => {
                let runs = self.runs(&e.children, Format::default());
                let mut p = with_runs(Paragraph::new(), runs);
                if class(e).contains("byline") {
                    p = p.align(AlignmentType::Center);
                } else {
                    p = p.line_spacing(LineSpacing::new().after(120));
                }
                self.paragraph(p);
            }
            "figure" => self.figure(e),
            "table" => {
                let t = self.word_table(e);
                self.table(t);
            }
            "ul" | "ol" => {
                for (i, item) in elements(e).filter(|c| name(c) == "li").enumerate() {
                    let mark = if tag == "ol" {
                        format!("{}. ", i + 1)
                    } else {
                        "• ".into()
                    };
                    let mut runs = vec![Run::new().add_text(mark)];
                    runs.extend(self.runs(&item.children, Format::default()));
                    self.paragraph(with_runs(
                        Paragraph::new().indent(Some(360), None, None, None),
                        runs,
                    ));
                }
            }
            "pre" => {
                let mono = Format {
                    mono: true,
                    size: Some(SMALL),
                    ..Format::default()
                };
                let runs = self.runs(&e.children, mono);
                self.paragraph(with_runs(Paragraph::new(), runs));
            }
            "div" => {
                let class = class(e);
                if class.contains("synthetic-banner") {
                    // The running header says it on every page.
                } else if class.contains("synthetic") || class.contains("command") {
                    let fill = if class.contains("synthetic") {
                        "FBEAEA"
                    } else {
                        "F5F5F5"
                    };
                    let runs = self.runs(&e.children, Format::default());
                    let mut p = with_runs(Paragraph::new(), runs);
                    p.property = p.property.shading(Shading::new().fill(fill));
                    self.paragraph(p);
                } else if class.contains("notes") {
                    self.notes(e);
                } else {
                    self.blocks(&e.children);
                }
            }
            _ => self.blocks(&e.children),
        }
    }

    fn styled(&mut self, e: &HtmlElement, style: &str) {
        let runs = self.runs(&e.children, Format::default());
        self.paragraph(with_runs(
            Paragraph::new().style(style).keep_next(true),
            runs,
        ));
    }

    /// A table's figure: caption above, the table, its notes; an image's figure: the
    /// picture, then the caption.
    fn figure(&mut self, e: &HtmlElement) {
        let caption = elements(e).find(|c| name(c) == "figcaption");
        let has_table = find(e, "table").is_some();
        if has_table && let Some(c) = caption {
            let runs = self.runs(&c.children, Format::default());
            self.paragraph(with_runs(
                Paragraph::new().style("Caption").keep_next(true),
                runs,
            ));
        }
        for child in e.children.iter() {
            match child {
                HtmlNode::Element(c) if name(c) == "figcaption" => {}
                HtmlNode::Element(c) if name(c) == "img" => self.picture(c),
                HtmlNode::Element(c) => self.block(c),
                _ => {}
            }
        }
        if !has_table && let Some(c) = caption {
            let runs = self.runs(&c.children, Format::default());
            self.paragraph(with_runs(Paragraph::new().style("Caption"), runs));
        }
    }

    fn notes(&mut self, e: &HtmlElement) {
        let small = Format {
            size: Some(SMALL),
            ..Format::default()
        };
        let runs = self.runs(&e.children, small);
        self.paragraph(with_runs(Paragraph::new().style("TableText"), runs));
    }

    /// A figure's PNG at the text width, found by the SVG the HTML embeds.
    fn picture(&mut self, img: &HtmlElement) {
        let Some(png) = attr(img, "src").and_then(|src| self.png_for(&src)) else {
            return;
        };
        let Some((w, h)) = png_size(png) else {
            return;
        };
        self.pictures += 1;
        let width = TEXT_WIDTH as u32 * 635;
        let height = (width as f64 * h as f64 / w as f64).round() as u32;
        let pic = Pic::new_with_dimensions(png.to_vec(), w, h)
            .id(format!("rIdImage{}", self.pictures))
            .size(width, height);
        self.paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .keep_next(true)
                .add_run(Run::new().add_image(pic)),
        );
    }

    fn png_for(&self, src: &str) -> Option<&'a [u8]> {
        let data = src.strip_prefix("data:image/svg+xml;base64,")?;
        let svg = base64::engine::general_purpose::STANDARD
            .decode(data)
            .ok()?;
        let svg = String::from_utf8(svg).ok()?;
        self.info
            .figures
            .iter()
            .find(|(s, _)| *s == svg)
            .map(|(_, png)| *png)
    }

    /// An HTML table as a Word table: bold header rows, the first column left and the
    /// rest centred, and the three rules of the PDF (above and below the header, below
    /// the last row).
    fn word_table(&mut self, table: &HtmlElement) -> Table {
        let mut rows: Vec<(bool, &HtmlElement)> = Vec::new();
        collect_rows(table, false, &mut rows);
        let columns = rows
            .iter()
            .map(|(_, r)| cells(r).map(span).sum::<usize>())
            .max()
            .unwrap_or(1)
            .max(1);
        let header_rows = rows.iter().filter(|(h, _)| *h).count();
        let last = rows.len().saturating_sub(1);
        let widths = column_widths(&rows, columns);
        let mut word_rows = Vec::with_capacity(rows.len());
        for (i, (header, row)) in rows.iter().enumerate() {
            let mut at = 0usize;
            let mut word_cells = Vec::new();
            for cell in cells(row) {
                let span = span(cell);
                let bold = *header || name(cell) == "th";
                let format = Format {
                    bold,
                    size: Some(SMALL),
                    ..Format::default()
                };
                let runs = self.runs(&cell.children, format);
                let align = if at == 0 {
                    AlignmentType::Left
                } else {
                    AlignmentType::Center
                };
                let mut p = with_runs(Paragraph::new().style("TableText").align(align), runs);
                if *header {
                    p = p.keep_next(true);
                }
                let width: i32 = widths[at.min(columns - 1)..(at + span).min(columns)]
                    .iter()
                    .sum();
                let mut borders = TableCellBorders::with_empty();
                if i == 0 {
                    borders = borders.set(rule(TableCellBorderPosition::Top, 12));
                }
                if header_rows > 0 && i + 1 == header_rows {
                    borders = borders.set(rule(TableCellBorderPosition::Bottom, 6));
                }
                if i == last {
                    borders = borders.set(rule(TableCellBorderPosition::Bottom, 12));
                }
                let mut c = TableCell::new()
                    .add_paragraph(p)
                    .width(width.max(1) as usize, WidthType::Dxa)
                    .set_borders(borders);
                if span > 1 {
                    c = c.grid_span(span);
                }
                word_cells.push(c);
                at += span;
            }
            word_rows.push(TableRow::new(word_cells).cant_split());
        }
        Table::new(word_rows)
            .set_grid(widths.iter().map(|w| *w as usize).collect())
            .width(TEXT_WIDTH as usize, WidthType::Dxa)
            .set_borders(TableBorders::with_empty())
    }

    /// The runs of inline content, bold inside `strong`, italic inside `em`, monospace
    /// inside `code`; a `br` breaks the line.
    fn runs(&mut self, nodes: &[HtmlNode], format: Format) -> Vec<Run> {
        let mut out = Vec::new();
        for node in nodes {
            match node {
                HtmlNode::Text(text, _) => out.push(run(text, format)),
                HtmlNode::Element(e) => {
                    let mut f = format;
                    match name(e).as_str() {
                        "strong" | "b" | "th" => f.bold = true,
                        "em" | "i" => f.italic = true,
                        "code" | "pre" => f.mono = true,
                        "br" => {
                            out.push(Run::new().add_break(BreakType::TextWrapping));
                            continue;
                        }
                        "span" if class(e).contains("indent") => {
                            out.push(run("\u{2003}", format));
                            continue;
                        }
                        "img" => continue,
                        _ => {}
                    }
                    out.extend(self.runs(&e.children, f));
                }
                _ => {}
            }
        }
        out
    }
}

fn run(text: &str, f: Format) -> Run {
    let mut r = Run::new().add_text(text);
    if f.bold {
        r = r.bold();
    }
    if f.italic {
        r = r.italic();
    }
    if f.mono {
        r = r.fonts(RunFonts::new().ascii("Courier New").hi_ansi("Courier New"));
    }
    if let Some(size) = f.size {
        r = r.size(size);
    }
    r
}

/// Column widths in twips that fill the text width, shared by each column's longest
/// cell (a label column up to 40 characters, a number column up to 22), so a narrow
/// number column does not take the room a label needs.
fn column_widths(rows: &[(bool, &HtmlElement)], columns: usize) -> Vec<i32> {
    let mut longest = vec![2usize; columns];
    // A column is never narrower than its longest word, so no word (a header's "Group")
    // breaks in the middle.
    let mut word = vec![1usize; columns];
    for (_, row) in rows {
        let mut at = 0;
        for cell in cells(row) {
            let span = span(cell);
            if span == 1 && at < columns {
                let cap = if at == 0 { 40 } else { 22 };
                let text = text_of(&cell.children);
                longest[at] = longest[at].max(text.chars().count().min(cap));
                let w = text
                    .split_whitespace()
                    .map(|w| w.chars().count())
                    .max()
                    .unwrap_or(0);
                word[at] = word[at].max(w.min(cap));
            }
            at += span;
        }
    }
    // Each cell's padding is worth about three characters.
    for l in &mut longest {
        *l += 3;
    }
    let total: usize = longest.iter().sum();
    let mut widths: Vec<i32> = longest
        .iter()
        .map(|l| (TEXT_WIDTH as f64 * *l as f64 / total as f64).floor() as i32)
        .collect();
    // About 120 twips a character of 9-point bold, and the cell's padding.
    let least: Vec<i32> = word.iter().map(|w| (*w as i32 + 2) * 120).collect();
    let short: i32 = (0..columns).map(|i| (least[i] - widths[i]).max(0)).sum();
    let spare: i32 = (0..columns).map(|i| (widths[i] - least[i]).max(0)).sum();
    if short > 0 && spare > short {
        for i in 0..columns {
            if widths[i] < least[i] {
                widths[i] = least[i];
            } else {
                let give = (widths[i] - least[i]) as f64 / spare as f64 * short as f64;
                widths[i] -= give.ceil() as i32;
            }
        }
    }
    // Rounding leaves a few twips: the label column takes them.
    widths[0] += TEXT_WIDTH - widths.iter().sum::<i32>();
    widths
}

fn text_of(nodes: &[HtmlNode]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            HtmlNode::Text(t, _) => out.push_str(t),
            HtmlNode::Element(e) => out.push_str(&text_of(&e.children)),
            _ => {}
        }
    }
    out
}

fn has_content(r: &Run) -> bool {
    !r.children.is_empty()
}

fn with_runs(mut p: Paragraph, runs: Vec<Run>) -> Paragraph {
    for r in runs {
        p = p.add_run(r);
    }
    p
}

fn rule(position: TableCellBorderPosition, size: usize) -> TableCellBorder {
    TableCellBorder::new(position)
        .border_type(BorderType::Single)
        .size(size)
        .color("000000")
}

fn is_block(e: &HtmlElement) -> bool {
    matches!(
        name(e).as_str(),
        "p" | "div"
            | "figure"
            | "table"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "pre"
            | "section"
            | "header"
            | "main"
            | "article"
            | "blockquote"
    )
}

fn elements(e: &HtmlElement) -> impl Iterator<Item = &HtmlElement> {
    e.children.iter().filter_map(|n| match n {
        HtmlNode::Element(c) => Some(c),
        _ => None,
    })
}

fn cells(row: &HtmlElement) -> impl Iterator<Item = &HtmlElement> {
    elements(row).filter(|c| matches!(name(c).as_str(), "td" | "th"))
}

fn span(cell: &HtmlElement) -> usize {
    attr(cell, "colspan")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1usize)
        .max(1)
}

/// Every `tr` of a table in order, and whether it sits in the `thead`.
fn collect_rows<'a>(e: &'a HtmlElement, header: bool, out: &mut Vec<(bool, &'a HtmlElement)>) {
    for c in elements(e) {
        match name(c).as_str() {
            "tr" => out.push((header, c)),
            "thead" => collect_rows(c, true, out),
            "tbody" | "tfoot" => collect_rows(c, header, out),
            _ => {}
        }
    }
}

/// Width and height from a PNG's header.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    if png.len() < 24 || &png[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(png[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(png[20..24].try_into().ok()?);
    Some((w, h))
}
