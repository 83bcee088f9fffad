//! Figure files as journals take them: a vector PDF and an LZW-compressed TIFF, both at
//! the study's `figures.width_mm` (176 mm, two columns, unless it says otherwise), the
//! TIFF at `figures.dpi` (300 unless 600 or 1200 are asked for), and text that prints at
//! no less than 8 pt at that width.
//!
//! A figure's text keeps its size in pixels whatever the canvas, so a figure printed
//! narrower is drawn on a narrower canvas: every kind lays itself out on the canvas it is
//! given, its panels narrowing and its labels wrapping. Where a figure cannot shrink to
//! keep 8 pt (its columns of numbers need their room), the build says so and what width
//! would do.

use std::io::Cursor;

use tiff::encoder::{Compression, Rational, TiffEncoder, colortype};
use tiff::tags::ResolutionUnit;

use super::{Figure, FigureSpec};

/// The smallest text journals accept at the final size.
pub const MIN_PT: f64 = 8.0;
const PT_PER_MM: f64 = 72.0 / 25.4;

/// One figure's journal files, and what the build should warn about them.
#[derive(Clone)]
pub struct Files {
    pub pdf: Vec<u8>,
    pub tiff: Vec<u8>,
    /// The smallest text, in points, at the files' width.
    pub smallest_pt: f64,
    pub warning: Option<String>,
}

/// The canvas width in pixels and the smallest font size an SVG uses.
pub fn measure(svg: &str) -> (f64, f64) {
    let number_after = |at: usize| -> Option<f64> {
        let rest = &svg[at..];
        let end = rest.find('"')?;
        rest[..end].trim_end_matches("px").parse().ok()
    };
    let width = svg
        .find("width=\"")
        .and_then(|i| number_after(i + 7))
        .unwrap_or(1.0);
    let smallest = svg
        .match_indices("font-size=\"")
        .filter_map(|(i, m)| number_after(i + m.len()))
        .fold(f64::INFINITY, f64::min);
    (width, smallest)
}

/// The text size in points of `px` pixels on a canvas `canvas` pixels wide printed
/// `width_mm` wide.
pub fn printed_pt(px: f64, canvas: f64, width_mm: f64) -> f64 {
    px * width_mm / canvas * PT_PER_MM
}

/// The canvas, in pixels, on which text of `px` pixels prints at 8 pt at `width_mm`.
fn canvas_for(px: f64, width_mm: f64) -> f64 {
    (px * width_mm * PT_PER_MM / MIN_PT).floor()
}

/// The SVG for the figure files: the page's own when its text is large enough at
/// `width_mm`, else the figure redrawn on the canvas that gives 8 pt. A figure redrawn
/// narrower may set its secondary texts at full size, so a second fit follows its
/// smallest text once more.
pub fn print_svg(
    figure: &Figure,
    spec: &FigureSpec,
    width_mm: f64,
    redraw: impl Fn(&FigureSpec) -> String,
) -> String {
    let (canvas, smallest) = measure(&figure.svg);
    if !smallest.is_finite() || printed_pt(smallest, canvas, width_mm) >= MIN_PT - 1e-9 {
        return figure.svg.clone();
    }
    let mut narrow = spec.clone();
    narrow.canvas = Some(canvas_for(smallest, width_mm));
    let first = redraw(&narrow);
    let (_, fitted) = measure(&first);
    if fitted > smallest {
        narrow.canvas = Some(canvas_for(fitted, width_mm));
        return redraw(&narrow);
    }
    first
}

/// The PDF and TIFF of a figure whose print SVG is `svg`.
pub fn files(
    id: &str,
    svg: &str,
    width_mm: f64,
    dpi: u32,
    pdf: impl FnOnce(&str) -> crate::error::Result<Vec<u8>>,
) -> crate::error::Result<Files> {
    let (canvas, smallest) = measure(svg);
    let smallest_pt = if smallest.is_finite() {
        printed_pt(smallest, canvas, width_mm)
    } else {
        f64::INFINITY
    };
    let warning = (smallest_pt < MIN_PT - 1e-9).then(|| {
        let needed = (MIN_PT / smallest_pt * width_mm).ceil();
        format!(
            "figure `{id}`: at {width_mm} mm its smallest text prints at {smallest_pt:.1} pt, under the {MIN_PT} pt journals ask for; this figure's layout cannot narrow that far, so give `figures.width_mm: {needed}` or more for its files"
        )
    });
    let tiff = tiff(svg, width_mm, dpi)
        .map_err(|e| crate::error::Error::input(format!("figure `{id}`: {e}")))?;
    Ok(Files {
        pdf: pdf(svg)?,
        tiff,
        smallest_pt,
        warning,
    })
}

/// The SVG rendered `width_mm` wide at `dpi`, on white, as an RGB TIFF with LZW
/// compression and its resolution recorded.
fn tiff(svg: &str, width_mm: f64, dpi: u32) -> Result<Vec<u8>, String> {
    use resvg::tiny_skia;
    let tree = super::svg_tree(svg)?;
    let size = tree.size();
    let width_px = (width_mm / 25.4 * dpi as f64).round().max(1.0);
    let scale = width_px / size.width() as f64;
    let (w, h) = (
        width_px as u32,
        (size.height() as f64 * scale).ceil().max(1.0) as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or("the figure has no area")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale as f32, scale as f32),
        &mut pixmap.as_mut(),
    );
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut out)
        .map_err(|e| e.to_string())?
        .with_compression(Compression::Lzw);
    let mut image = encoder
        .new_image::<colortype::RGB8>(w, h)
        .map_err(|e| e.to_string())?;
    image.resolution(ResolutionUnit::Inch, Rational { n: dpi, d: 1 });
    image.write_data(&rgb).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_of_13_pixels_on_a_760_pixel_canvas_prints_at_8_5_pt_two_columns_wide() {
        let pt = printed_pt(13.0, 760.0, 176.0);
        assert!((pt - 8.53).abs() < 0.01, "{pt}");
        assert!(printed_pt(13.0, 760.0, 85.0) < MIN_PT);
    }

    #[test]
    fn an_svg_is_measured_by_its_width_and_its_smallest_font() {
        let svg = r#"<svg width="400" height="300"><text font-size="13">a</text><text font-size="11.5">b</text></svg>"#;
        assert_eq!(measure(svg), (400.0, 11.5));
    }
}
