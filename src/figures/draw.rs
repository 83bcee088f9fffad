//! Drawing helpers over a plotters SVG canvas in pixel coordinates.
//!
//! The figures lay themselves out by hand (a survival plot's risk table must line up with
//! its axis breaks to the pixel), so they draw on the root area in pixels rather than
//! through plotters' chart builder.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The text face of every figure: one of the fonts typst embeds, so the PDF needs no
/// system font and PNG rendering loads the same file.
pub const FONT: &str = "Libertinus Serif";

/// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

pub const GREY: RGBColor = RGBColor(110, 110, 110);
pub const LIGHT: RGBColor = RGBColor(220, 220, 220);

pub type Canvas<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// plotters writes `font-size` as the given size / 1.24; this takes the size wanted.
fn style(px: f64, color: RGBColor, h: HPos, v: VPos, bold: bool) -> TextStyle<'static> {
    let font = (FONT, px * 1.24).into_font();
    let font = if bold {
        font.style(FontStyle::Bold)
    } else {
        font
    };
    font.color(&color).pos(Pos::new(h, v))
}

pub fn text(c: &Canvas, s: &str, at: (f64, f64), px: f64, color: RGBColor, h: HPos, v: VPos) {
    let _ = c.draw(&Text::new(
        s.to_string(),
        (at.0.round() as i32, at.1.round() as i32),
        style(px, color, h, v, false),
    ));
}

pub fn bold(c: &Canvas, s: &str, at: (f64, f64), px: f64, h: HPos, v: VPos) {
    let _ = c.draw(&Text::new(
        s.to_string(),
        (at.0.round() as i32, at.1.round() as i32),
        style(px, BLACK, h, v, true),
    ));
}

/// Text turned a quarter left, centred on `at` (a y-axis title).
pub fn text_up(c: &Canvas, s: &str, at: (f64, f64), px: f64) {
    let st =
        style(px, BLACK, HPos::Center, VPos::Center, false).transform(FontTransform::Rotate270);
    let _ = c.draw(&Text::new(
        s.to_string(),
        (at.0.round() as i32, at.1.round() as i32),
        st,
    ));
}

pub fn line(c: &Canvas, points: &[(f64, f64)], color: RGBColor, width: u32) {
    let pts: Vec<(i32, i32)> = points
        .iter()
        .map(|p| (p.0.round() as i32, p.1.round() as i32))
        .collect();
    let _ = c.draw(&PathElement::new(pts, color.stroke_width(width)));
}

pub fn dashed(c: &Canvas, from: (f64, f64), to: (f64, f64), color: RGBColor) {
    // Short segments: plotters' SVG backend has no dash attribute.
    let length = ((to.0 - from.0).powi(2) + (to.1 - from.1).powi(2)).sqrt();
    let steps = (length / 6.0).floor() as usize;
    for i in (0..steps).step_by(2) {
        let a = i as f64 / steps as f64;
        let b = ((i + 1) as f64 / steps as f64).min(1.0);
        line(
            c,
            &[
                (from.0 + a * (to.0 - from.0), from.1 + a * (to.1 - from.1)),
                (from.0 + b * (to.0 - from.0), from.1 + b * (to.1 - from.1)),
            ],
            color,
            1,
        );
    }
}

/// A curve's line type: 0 solid, then dashed, dotted and long-dashed, so that curves
/// stay apart in greyscale where their colours do not.
pub fn styled_path(
    c: &Canvas,
    points: &[(f64, f64)],
    color: RGBColor,
    width: u32,
    line_type: usize,
) {
    match line_type % 4 {
        0 => line(c, points, color, width),
        1 => patterned_path(c, points, color, width, 7.0, 4.0),
        2 => patterned_path(c, points, color, width, 2.0, 3.0),
        _ => patterned_path(c, points, color, width, 14.0, 4.0),
    }
}

/// A polyline drawn in dashes `on` long with gaps `off`, the pattern carried across its
/// corners.
fn patterned_path(
    c: &Canvas,
    points: &[(f64, f64)],
    color: RGBColor,
    width: u32,
    on: f64,
    off: f64,
) {
    let mut phase = 0.0;
    let mut dash: Vec<(f64, f64)> = Vec::new();
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut at = 0.0;
        while at < length {
            let drawing = phase < on;
            let left = if drawing {
                on - phase
            } else {
                on + off - phase
            };
            let step = left.min(length - at);
            let p = |t: f64| {
                (
                    a.0 + (b.0 - a.0) * t / length,
                    a.1 + (b.1 - a.1) * t / length,
                )
            };
            if drawing {
                if dash.is_empty() {
                    dash.push(p(at));
                }
                dash.push(p(at + step));
            }
            at += step;
            phase += step;
            if drawing && phase >= on {
                line(c, &dash, color, width);
                dash.clear();
            }
            if phase >= on + off {
                phase = 0.0;
            }
        }
    }
    if dash.len() > 1 {
        line(c, &dash, color, width);
    }
}

pub fn polygon(c: &Canvas, points: &[(f64, f64)], color: RGBColor, opacity: f64) {
    let pts: Vec<(i32, i32)> = points
        .iter()
        .map(|p| (p.0.round() as i32, p.1.round() as i32))
        .collect();
    let _ = c.draw(&Polygon::new(pts, color.mix(opacity).filled()));
}

pub fn rect(c: &Canvas, a: (f64, f64), b: (f64, f64), color: RGBColor, filled: bool) {
    let a = (a.0.round() as i32, a.1.round() as i32);
    let b = (b.0.round() as i32, b.1.round() as i32);
    let st = if filled {
        color.filled()
    } else {
        color.stroke_width(1)
    };
    let _ = c.draw(&Rectangle::new([a, b], st));
}

/// Tick marks and their labels under a horizontal axis at `y`: `(x, value)` pairs.
pub fn x_ticks(c: &Canvas, ticks: &[(f64, String)], y: f64, px: f64) {
    for (x, label) in ticks {
        let x = *x;
        line(c, &[(x, y), (x, y + 5.0)], BLACK, 1);
        text(c, label, (x, y + 8.0), px, BLACK, HPos::Center, VPos::Top);
    }
}

/// A point marker of shape `shape`: 0 a square, 1 a diamond, 2 a circle, 3 a triangle,
/// then round again; filled in `color`.
pub fn marker(c: &Canvas, at: (f64, f64), shape: usize, color: RGBColor) {
    let (x, y) = at;
    let r = 3.8;
    match shape % 4 {
        0 => rect(c, (x - 3.5, y - 3.5), (x + 3.5, y + 3.5), color, true),
        1 => polygon(
            c,
            &[
                (x, y - r - 0.8),
                (x + r + 0.8, y),
                (x, y + r + 0.8),
                (x - r - 0.8, y),
            ],
            color,
            1.0,
        ),
        2 => {
            let _ = c.draw(&Circle::new(
                (x.round() as i32, y.round() as i32),
                r as i32,
                color.filled(),
            ));
        }
        _ => polygon(
            c,
            &[(x, y - r - 0.5), (x + r + 0.5, y + r), (x - r - 0.5, y + r)],
            color,
            1.0,
        ),
    }
}

/// Round-number axis breaks from 0 to at least `max`: about `target` of them.
pub fn nice_breaks(max: f64, target: usize) -> Vec<f64> {
    if max.is_nan() || max <= 0.0 {
        return vec![0.0, 1.0];
    }
    let raw = max / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let n = (max / step).ceil() as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_are_round_and_cover_the_range() {
        assert_eq!(
            nice_breaks(58.0, 6),
            [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
        );
        assert_eq!(
            nice_breaks(3000.0, 6),
            [0.0, 500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0]
        );
    }
}
