//! Figures drawn from results: Kaplan-Meier curves, forest plots of hazard ratios and the
//! patient flow. Each is an SVG (for the PDF, with real text in an embedded font) and a
//! 300 dpi PNG (for journals), rendered from the same SVG with the same font.
//!
//! The drawing is here, one module per figure kind; what a figure shows of an analysis
//! is decided by that analysis's kind (`analysis::km::figure` and so on).

mod draw;
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
}

/// The figures a study asks for, or, when it asks for none, each analysis's default.
pub fn specs(study: &Study) -> Vec<(String, FigureSpec)> {
    if let Some(figures) = &study.spec.figures {
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
    let mut out = Vec::new();
    for (id, spec) in cx.figures {
        let (svg, caption) = draw(spec, cx);
        let png = png(&svg).map_err(|e| {
            cx.study.error_at(
                &[Seg::Key("figures"), Seg::Key(id)],
                format!("figure `{id}`: {e}"),
            )
        })?;
        out.push(Figure {
            id: id.clone(),
            kind: spec.kind,
            caption: spec.title.clone().unwrap_or(caption),
            svg,
            png,
        });
    }
    Ok(out)
}

/// Renders an SVG at 300 dpi with the embedded fonts, and records the resolution in the
/// PNG so journals read it as 300 dpi.
pub fn png(svg: &str) -> std::result::Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let mut db = usvg::fontdb::Database::new();
    for font in typst_assets::fonts() {
        db.load_font_data(font.to_vec());
    }
    let options = usvg::Options {
        fontdb: Arc::new(db),
        font_family: draw::FONT.to_string(),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| format!("cannot read the drawn SVG: {e}"))?;
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
