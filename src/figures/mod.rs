//! Figures drawn from results: Kaplan-Meier curves, forest plots of hazard ratios and the
//! patient flow. Each is an SVG (for the PDF, with real text in an embedded font) and a
//! 300 dpi PNG (for journals), rendered from the same SVG with the same font.
//!
//! The drawing is here, one module per figure kind; what a figure shows of an analysis
//! is decided by that analysis's kind (`analysis::km::figure` and so on).

mod draw;
pub mod files;
pub mod flow;
pub mod forest;
pub mod km;
pub mod subgroups;

use std::sync::Arc;

use crate::analysis;
use crate::error::Result;
use crate::present::Present;
use crate::spec::{FigureKind, Seg, Study};
use crate::tables::Table;

pub use crate::spec::FigureSpec;
pub use draw::nice_breaks;

#[derive(Debug, Clone)]
pub struct Figure {
    pub id: String,
    pub kind: FigureKind,
    pub caption: String,
    pub svg: String,
    pub png: Vec<u8>,
    /// The SVG the journal files are made from: `svg`, or the figure redrawn narrower
    /// so that its text prints at 8 pt at `figures.width_mm`.
    pub print_svg: String,
}

/// The figure files' width and resolution: the study's `figures.width_mm` and
/// `figures.dpi`, or two columns at 300 dpi.
pub fn print_size(study: &Study) -> (f64, u32) {
    let f = study.spec.figures.as_ref();
    (
        f.and_then(|f| f.width_mm)
            .unwrap_or(crate::spec::Figures::WIDTH_MM),
        f.and_then(|f| f.dpi).unwrap_or(crate::spec::Figures::DPI),
    )
}

/// The figures a study asks for, or, when it asks for none, each analysis's default.
pub fn specs(study: &Study) -> Vec<(String, FigureSpec)> {
    if let Some(figures) = study.spec.figures.as_ref().filter(|f| !f.is_empty()) {
        return figures
            .iter()
            .map(|(id, f)| (id.clone(), f.clone()))
            .collect();
    }
    study
        .analyses
        .iter()
        .filter_map(|p| Some((format!("fig_{}", p.id), p.analysis.default_figure(&p.id)?)))
        .collect()
}

/// The SVG and the default caption of one figure.
fn draw(spec: &FigureSpec, cx: &Present) -> (String, String) {
    match spec.kind {
        FigureKind::Km => analysis::km::figure(spec, cx),
        FigureKind::Forest => analysis::cox::forest_figure(spec, cx),
        FigureKind::Flow => analysis::flow::figure(spec, cx),
        FigureKind::Cuminc => analysis::cuminc::figure(spec, cx),
        FigureKind::Subgroups => analysis::subgroups::figure(spec, cx),
    }
}

/// The table printed beside a figure, for the kinds that have one.
pub fn table(fid: &str, spec: &FigureSpec, cx: &Present) -> Option<Table> {
    match spec.kind {
        FigureKind::Forest => Some(analysis::cox::forest_table(fid, spec, cx)),
        FigureKind::Km | FigureKind::Flow | FigureKind::Cuminc | FigureKind::Subgroups => None,
    }
}

pub fn build(cx: &Present) -> Result<Vec<Figure>> {
    use rayon::prelude::*;
    let (width_mm, _) = print_size(cx.study);
    let drawn: Vec<(&String, &FigureSpec, String, String)> = cx
        .figures
        .iter()
        .map(|(id, spec)| {
            let (svg, caption) = draw(spec, cx);
            (id, spec, svg, caption)
        })
        .collect();
    // Rasterising is most of a figure's cost, and each is on its own.
    let pngs: Vec<std::result::Result<Vec<u8>, String>> =
        drawn.par_iter().map(|(_, _, svg, _)| png(svg)).collect();
    let mut out = Vec::new();
    for ((id, spec, svg, caption), png) in drawn.into_iter().zip(pngs) {
        let png = png.map_err(|e| {
            cx.study.error_at(
                &[Seg::Key("figures"), Seg::Key(id)],
                format!("figure `{id}`: {e}"),
            )
        })?;
        let mut figure = Figure {
            id: id.clone(),
            kind: spec.kind,
            caption: spec.title.clone().unwrap_or(caption),
            svg,
            png,
            print_svg: String::new(),
        };
        figure.print_svg = files::print_svg(&figure, spec, width_mm, |s| draw(s, cx).0);
        out.push(figure);
    }
    Ok(out)
}

/// What an SVG rendered to, by a hash of the SVG and how it was rendered. A process
/// that builds again (`reprise watch`) then renders only the figures that changed; a
/// long session's old entries are dropped now and then.
pub(crate) struct Memo<T>(std::sync::Mutex<std::collections::HashMap<String, T>>);

impl<T: Clone> Memo<T> {
    pub(crate) fn new() -> Memo<T> {
        Memo(std::sync::Mutex::new(std::collections::HashMap::new()))
    }

    pub(crate) fn get_or<E>(
        &self,
        key: &[&[u8]],
        make: impl FnOnce() -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut bytes = Vec::new();
        for part in key {
            bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
            bytes.extend_from_slice(part);
        }
        let key = crate::hash::sha256_hex(&bytes);
        if let Some(hit) = self.0.lock().expect("not poisoned").get(&key) {
            return Ok(hit.clone());
        }
        let made = make()?;
        let mut map = self.0.lock().expect("not poisoned");
        if map.len() >= 256 {
            map.clear();
        }
        map.insert(key, made.clone());
        Ok(made)
    }
}

/// Renders an SVG at 300 dpi with the embedded fonts, and records the resolution in the
/// PNG so journals read it as 300 dpi.
/// The embedded fonts, loaded once for every figure resvg renders.
static FONT_DB: std::sync::LazyLock<Arc<resvg::usvg::fontdb::Database>> =
    std::sync::LazyLock::new(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        for font in typst_assets::fonts() {
            db.load_font_data(font.to_vec());
        }
        Arc::new(db)
    });

/// A drawn SVG parsed for rendering, with the fonts typst embeds.
fn svg_tree(svg: &str) -> std::result::Result<resvg::usvg::Tree, String> {
    let options = resvg::usvg::Options {
        fontdb: FONT_DB.clone(),
        font_family: draw::FONT.to_string(),
        ..Default::default()
    };
    resvg::usvg::Tree::from_str(svg, &options)
        .map_err(|e| format!("cannot read the drawn SVG: {e}"))
}

pub fn png(svg: &str) -> std::result::Result<Vec<u8>, String> {
    static PNGS: std::sync::LazyLock<Memo<Vec<u8>>> = std::sync::LazyLock::new(Memo::new);
    PNGS.get_or(&[svg.as_bytes()], || render_png(svg))
}

fn render_png(svg: &str) -> std::result::Result<Vec<u8>, String> {
    use resvg::tiny_skia;
    let tree = svg_tree(svg)?;
    let scale = 300.0 / 96.0;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or("the figure has no area")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().map_err(|e| e.to_string())?;
    Ok(with_dpi(png, 300))
}

/// Inserts a pHYs chunk (pixels per metre) after the PNG header chunk.
fn with_dpi(png: Vec<u8>, dpi: u32) -> Vec<u8> {
    let ppm = (dpi as f64 / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    let mut body = b"pHYs".to_vec();
    body.extend_from_slice(&ppm.to_be_bytes());
    body.extend_from_slice(&ppm.to_be_bytes());
    body.push(1);
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    // signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 crc)
    let at = 8 + 25;
    let mut out = png[..at].to_vec();
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[at..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_specification() {
        // The CRC of "IEND" with no data, as every PNG ends with.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }
}
