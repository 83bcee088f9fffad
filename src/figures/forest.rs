//! A forest plot of Cox hazard ratios: one row per term, a point and whiskers on a log
//! scale with a reference line at 1, and the numbers beside it. Univariable and
//! multivariable estimates sit side by side when both exist.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{self, Canvas, GREY, PALETTE};
use crate::present::format;

#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    pub hr: f64,
    pub lower: f64,
    pub upper: f64,
    pub p: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    /// One entry per model (column); `None` where the model has no such term.
    pub estimates: Vec<Option<Estimate>>,
}

#[derive(Debug, Clone)]
pub struct ForestPlot {
    /// The models' names, e.g. ["Univariable", "Multivariable"].
    pub models: Vec<String>,
    pub rows: Vec<Row>,
    pub xlab: String,
    /// Each model's confidence level as printed, e.g. "95%".
    pub levels: Vec<String>,
}

const WIDTH: f64 = 800.0;
/// Width of one model's numbers: "HR (95% CI)" and p.
const NUMBERS: f64 = 172.0;
const ROW: f64 = 24.0;
const TEXT: f64 = 12.5;

/// One model's numbers at height `y`: the hazard ratio with its interval from `col`, the
/// p-value right-aligned at the column's end.
fn numbers(c: &Canvas, col: f64, y: f64, hr: &str, p: &str) {
    draw::text(c, hr, (col, y), TEXT, BLACK, HPos::Left, VPos::Center);
    draw::text(
        c,
        p,
        (col + NUMBERS - 12.0, y),
        TEXT,
        BLACK,
        HPos::Right,
        VPos::Center,
    );
}

/// Axis ticks for a log-scale range `lo..hi` (natural logs): round hazard ratios, 1 among
/// them, three to seven where the range allows.
pub(super) fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let ticks: Vec<f64> = [
        0.01f64, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
    ]
    .into_iter()
    .filter(|t| t.ln() >= lo && t.ln() <= hi)
    .collect();
    // Keep at most seven ticks, always including 1.
    let ticks: Vec<f64> = if ticks.len() > 7 {
        ticks
            .iter()
            .copied()
            .filter(|t| [0.01, 0.1, 1.0, 10.0, 100.0].contains(t))
            .collect()
    } else if ticks.len() < 3 {
        // A narrow range (tight intervals, a registry's) would show 1 and little else:
        // finer sets in turn, the first that gives three ticks, at most seven kept.
        let within = |set: &[f64]| -> Vec<f64> {
            set.iter()
                .copied()
                .filter(|t| t.ln() >= lo && t.ln() <= hi)
                .collect()
        };
        let finer = [
            within(&[0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]),
            within(&[0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0]),
        ];
        match finer.into_iter().find(|t| t.len() >= 3) {
            Some(t) if t.len() <= 7 => t,
            Some(t) => {
                // every other tick, counted from 1
                let one = t.iter().position(|&v| v == 1.0).unwrap_or(0);
                t.iter()
                    .enumerate()
                    .filter(|(i, _)| i.abs_diff(one) % 2 == 0)
                    .map(|(_, &v)| v)
                    .collect()
            }
            None => ticks,
        }
    } else {
        ticks
    };
    ticks
}

/// The columns of the figure and the log scale of its panel.
struct Frame {
    /// How many models' numbers are printed, at least one.
    models: usize,
    panel_left: f64,
    panel_width: f64,
    width: f64,
    top: f64,
    /// The natural logs of the scale's ends.
    lo: f64,
    hi: f64,
}

impl Frame {
    /// The panel gets what the labels and the numbers leave of `WIDTH`, but never less
    /// than 180 pixels: the figure widens instead.
    fn new(plot: &ForestPlot) -> Frame {
        let models = plot.models.len().max(1);
        let label_width = plot
            .rows
            .iter()
            .map(|r| r.label.chars().count() as f64 * TEXT * 0.5)
            .fold(60.0, f64::max)
            + 16.0;
        let number_width = NUMBERS * models as f64;
        let panel_left = label_width + 8.0;
        let panel_width = (WIDTH - panel_left - number_width - 16.0).max(180.0);
        let (lo, hi) = scale(plot);
        Frame {
            models,
            panel_left,
            panel_width,
            width: panel_left + panel_width + number_width + 16.0,
            top: 52.0,
            lo,
            hi,
        }
    }

    /// A hazard ratio's position; values off the scale are drawn at its ends.
    fn x(&self, v: f64) -> f64 {
        self.panel_left
            + (v.max(1e-300).ln().clamp(self.lo, self.hi) - self.lo) / (self.hi - self.lo)
                * self.panel_width
    }

    /// Where model `m`'s numbers start.
    fn column(&self, m: usize) -> f64 {
        self.panel_left + self.panel_width + 16.0 + NUMBERS * m as f64
    }

    fn bottom(&self, plot: &ForestPlot) -> f64 {
        self.top + ROW * plot.rows.len() as f64
    }
}

/// The scale's ends in log space: every interval that is finite, with some air.
fn scale(plot: &ForestPlot) -> (f64, f64) {
    let finite: Vec<f64> = plot
        .rows
        .iter()
        .flat_map(|r| {
            r.estimates
                .iter()
                .flatten()
                .flat_map(|e| [e.lower, e.upper])
        })
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let lo = finite.iter().copied().fold(1.0, f64::min).max(1e-3).ln();
    let hi = finite.iter().copied().fold(1.0, f64::max).min(1e3).ln();
    let pad = ((hi - lo) * 0.06).max(0.05);
    (lo - pad, hi + pad)
}

pub fn svg(plot: &ForestPlot) -> String {
    let f = Frame::new(plot);
    let height = f.top + ROW * plot.rows.len() as f64 + 56.0;

    let mut out = String::new();
    {
        let backend =
            SVGBackend::with_string(&mut out, (f.width.ceil() as u32, height.ceil() as u32));
        let c: Canvas = backend.into_drawing_area();
        let _ = c.fill(&WHITE);
        header(&c, plot, &f);
        // The shading goes under the reference line, the estimates over it.
        for i in (1..plot.rows.len()).step_by(2) {
            shade(&c, &f, i);
        }
        draw::dashed(
            &c,
            (f.x(1.0), f.top - 4.0),
            (f.x(1.0), f.bottom(plot)),
            GREY,
        );
        for (i, row) in plot.rows.iter().enumerate() {
            draw_row(&c, &f, i, row);
        }
        axis(&c, plot, &f);
        let _ = c.present();
    }
    out
}

/// The column titles: "Term", then each model's name (with its colour's key when there are
/// several) over its "HR (CI)" and "p".
fn header(c: &Canvas, plot: &ForestPlot, f: &Frame) {
    draw::bold(c, "Term", (8.0, 22.0), TEXT, HPos::Left, VPos::Center);
    for (m, name) in plot.models.iter().enumerate() {
        let col = f.column(m);
        draw::bold(c, name, (col, 14.0), TEXT, HPos::Left, VPos::Center);
        numbers(c, col, 32.0, &format!("HR ({} CI)", plot.levels[m]), "p");
        if f.models > 1 {
            let color = PALETTE[m % PALETTE.len()];
            draw::rect(c, (col - 12.0, 10.0), (col - 4.0, 18.0), color, true);
        }
    }
}

/// The band behind row `i`, so that a reader's eye keeps to one row across the figure.
fn shade(c: &Canvas, f: &Frame, i: usize) {
    let cy = f.top + ROW * (i as f64 + 0.5);
    draw::rect(
        c,
        (0.0, cy - ROW / 2.0),
        (f.width, cy + ROW / 2.0),
        RGBColor(246, 246, 246),
        true,
    );
}

/// Row `i`: its label, and per model the estimate drawn and printed, or a dash where the
/// model has none.
fn draw_row(c: &Canvas, f: &Frame, i: usize, row: &Row) {
    let cy = f.top + ROW * (i as f64 + 0.5);
    draw::text(
        c,
        &row.label,
        (8.0, cy),
        TEXT,
        BLACK,
        HPos::Left,
        VPos::Center,
    );
    for (m, est) in row.estimates.iter().enumerate() {
        let col = f.column(m);
        let color = PALETTE[m % PALETTE.len()];
        // Models side by side in one row sit a little apart, centred on the row.
        let offset = if f.models > 1 {
            (m as f64 - (f.models as f64 - 1.0) / 2.0) * 6.0
        } else {
            0.0
        };
        match est {
            Some(e) if e.hr.is_finite() => {
                estimate(c, f, e, cy + offset, color);
                let hr = format::estimate_ci(Some(e.hr), Some(e.lower), Some(e.upper), 2);
                numbers(c, col, cy, &hr, &format::p_cell(e.p));
            }
            _ => draw::text(c, "—", (col, cy), TEXT, GREY, HPos::Left, VPos::Center),
        }
    }
}

/// One estimate at height `py`: the whiskers, an arrowhead at each end that runs off the
/// scale, and the point.
fn estimate(c: &Canvas, f: &Frame, e: &Estimate, py: f64, color: RGBColor) {
    draw::line(c, &[(f.x(e.lower), py), (f.x(e.upper), py)], color, 1);
    if e.lower.ln() < f.lo {
        draw::line(
            c,
            &[
                (f.x(e.lower) + 5.0, py - 3.0),
                (f.x(e.lower), py),
                (f.x(e.lower) + 5.0, py + 3.0),
            ],
            color,
            1,
        );
    }
    if e.upper.ln() > f.hi {
        draw::line(
            c,
            &[
                (f.x(e.upper) - 5.0, py - 3.0),
                (f.x(e.upper), py),
                (f.x(e.upper) - 5.0, py + 3.0),
            ],
            color,
            1,
        );
    }
    draw::rect(
        c,
        (f.x(e.hr) - 3.5, py - 3.5),
        (f.x(e.hr) + 3.5, py + 3.5),
        color,
        true,
    );
}

/// The axis under the rows, its ticks and its title.
fn axis(c: &Canvas, plot: &ForestPlot, f: &Frame) {
    let bottom = f.bottom(plot);
    draw::line(
        c,
        &[
            (f.panel_left, bottom),
            (f.panel_left + f.panel_width, bottom),
        ],
        BLACK,
        1,
    );
    let marks: Vec<(f64, f64)> = ticks(f.lo, f.hi).iter().map(|t| (f.x(*t), *t)).collect();
    draw::x_ticks(c, &marks, bottom, TEXT);
    draw::text(
        c,
        &plot.xlab,
        (f.panel_left + f.panel_width / 2.0, bottom + 30.0),
        TEXT,
        BLACK,
        HPos::Center,
        VPos::Top,
    );
}

#[cfg(test)]
mod tests {
    use super::ticks;

    #[test]
    fn narrow_and_wide_ranges_get_readable_ticks() {
        let ln = f64::ln;
        // a registry's tight intervals, 0.6 to 1.35: not 1 alone
        assert_eq!(
            ticks(ln(0.57), ln(1.42)),
            [0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25]
        );
        // a trial's, 0.46 to 1.72
        assert_eq!(ticks(ln(0.43), ln(1.85)), [0.5, 0.75, 1.0, 1.5]);
        // wide: round values as before, decades only when they would be too many
        assert_eq!(ticks(ln(0.15), ln(6.0)), [0.2, 0.5, 1.0, 2.0, 5.0]);
        assert_eq!(ticks(ln(0.05), ln(20.0)), [0.1, 1.0, 10.0]);
    }
}
