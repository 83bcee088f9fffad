//! A forest plot of Cox hazard ratios: one row per term, a point and whiskers on a log
//! scale with a reference line at 1, and the numbers beside it. Univariable and
//! multivariable estimates sit side by side when both exist.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{self, Canvas, GREY, PALETTE};
use crate::present::Style;

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
    /// A category's name over its levels: a label and nothing else.
    pub heading: bool,
    /// A category's reference level: "1 (reference)" and no point, under each model
    /// that has the category (one flag per model).
    pub reference: Option<Vec<bool>>,
    /// A level under its category.
    pub indent: bool,
}

impl Row {
    pub fn estimate(label: String, estimates: Vec<Option<Estimate>>, indent: bool) -> Row {
        Row {
            label,
            estimates,
            heading: false,
            reference: None,
            indent,
        }
    }

    pub fn heading(label: String) -> Row {
        Row {
            label,
            estimates: Vec::new(),
            heading: true,
            reference: None,
            indent: false,
        }
    }

    pub fn reference(label: String, models: Vec<bool>) -> Row {
        Row {
            label,
            estimates: Vec::new(),
            heading: false,
            reference: Some(models),
            indent: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ForestPlot {
    /// The models' names, e.g. ["Univariable", "Multivariable"].
    pub models: Vec<String>,
    pub rows: Vec<Row>,
    pub xlab: String,
    /// Each model's confidence level as printed, e.g. "95%".
    pub levels: Vec<String>,
    pub style: Style,
    /// The canvas width the panel is fitted to ([`WIDTH`] on the page).
    pub width: f64,
}

pub const WIDTH: f64 = 800.0;
/// Width of one model's numbers: "HR (95% CI)" and p.
const NUMBERS: f64 = 196.0;
const ROW: f64 = 24.0;
const TEXT: f64 = 12.5;
/// About how wide a character of the figure's text is, for laying out labels.
const CHAR: f64 = TEXT * 0.5;

/// One model's numbers at height `y`: the hazard ratio with its interval from `col`, the
/// p-value right-aligned at the column's end. Both sit on one baseline.
fn numbers(c: &Canvas, col: f64, y: f64, hr: &str, p: &str, heading: bool) {
    let put = |s: &str, x: f64, h: HPos| {
        if heading {
            draw::bold(c, s, (x, y), TEXT, h, VPos::Bottom);
        } else {
            draw::text(c, s, (x, y), TEXT, BLACK, h, VPos::Bottom);
        }
    };
    put(hr, col, HPos::Left);
    put(p, col + NUMBERS - 12.0, HPos::Right);
}

/// Candidate tick sets for a ratio axis, coarsest first: decades; 1-2-5; with quarters;
/// tenths near 1.
fn tick_sets() -> Vec<Vec<f64>> {
    let decades: Vec<f64> = (-3..=3).map(|k| 10f64.powi(k)).collect();
    let coarse: Vec<f64> = decades
        .iter()
        .flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * d))
        .filter(|v| *v <= 1000.0)
        .collect();
    let with = |base: &[f64], extra: &[f64]| {
        let mut v: Vec<f64> = base.iter().chain(extra).copied().collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    };
    let medium = with(&coarse, &[0.25, 0.75, 1.5, 3.0, 4.0]);
    let fine = with(&medium, &[0.6, 0.7, 0.8, 0.9, 1.1, 1.25]);
    vec![decades, coarse, medium, fine]
}

/// The axis of a ratio scale covering `min..max`: it always shows 1 with a tick on each
/// side of it, ends on ticks (so no stretch of the data lies past the last label), and
/// keeps three to seven ticks, of the set that lets the data fill most of the axis.
/// Returns the natural logs of the ends and the ticks.
pub(super) fn ratio_axis(min: f64, max: f64) -> (f64, f64, Vec<f64>) {
    let a = min.clamp(1e-3, 1.0);
    let b = max.clamp(1.0, 1e3);
    let mut best: Option<(f64, f64, Vec<f64>, f64)> = None;
    for set in tick_sets() {
        let Some(&lo) = set.iter().rev().find(|&&t| t <= a && t < 1.0) else {
            continue;
        };
        let Some(&hi) = set.iter().find(|&&t| t >= b && t > 1.0) else {
            continue;
        };
        let ticks: Vec<f64> = set
            .iter()
            .copied()
            .filter(|&t| t >= lo && t <= hi)
            .collect();
        if !(3..=7).contains(&ticks.len()) {
            continue;
        }
        let fill = (b.ln() - a.ln()) / (hi.ln() - lo.ln());
        // On a tie the finer set wins: more labels, same room.
        if best.as_ref().is_none_or(|(.., f)| fill >= *f - 1e-9) {
            best = Some((lo.ln(), hi.ln(), ticks, fill));
        }
    }
    match best {
        Some((lo, hi, ticks, _)) => (lo, hi, ticks),
        // Wider than six decades: decades from the ends.
        None => (
            1e-3f64.ln(),
            1e3f64.ln(),
            vec![1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3],
        ),
    }
}

/// The columns of the figure and the log scale of its panel.
struct Frame {
    /// How many models' numbers are printed, at least one.
    models: usize,
    panel_left: f64,
    panel_width: f64,
    width: f64,
    /// The models' names, each wrapped to its column.
    names: Vec<Vec<String>>,
    top: f64,
    /// The natural logs of the scale's ends, and its ticks.
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Frame {
    /// The panel gets what the labels and the numbers leave of the canvas, but never less
    /// than 240 pixels (140 on a canvas narrowed for a figure file): the figure widens
    /// instead. Long model names wrap within their
    /// column, and the rows start below the deepest of them.
    fn new(plot: &ForestPlot) -> Frame {
        let models = plot.models.len().max(1);
        let label_width = plot
            .rows
            .iter()
            .map(|r| r.label.chars().count() as f64 * CHAR + if r.indent { TEXT } else { 0.0 })
            .fold(60.0, f64::max)
            + 16.0;
        let number_width = NUMBERS * models as f64;
        let panel_left = label_width + 8.0;
        // A figure file drawn narrow for its print width lets the panel narrow further,
        // so that the text, not the panel, keeps its size.
        let least = if plot.width < WIDTH { 140.0 } else { 240.0 };
        let panel_width = (plot.width - panel_left - number_width - 16.0).max(least);
        let (min, max) = extent(plot);
        let (lo, hi, ticks) = ratio_axis(min, max);
        let names: Vec<Vec<String>> = plot
            .models
            .iter()
            .map(|n| wrap(n, ((NUMBERS - 16.0) / (CHAR * 1.1)) as usize))
            .collect();
        let lines = names.iter().map(Vec::len).max().unwrap_or(0) as f64;
        Frame {
            models,
            panel_left,
            panel_width,
            width: panel_left + panel_width + number_width + 16.0,
            names,
            top: 30.0 + 16.0 * lines,
            lo,
            hi,
            ticks,
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

/// Words of `text` in lines of at most `width` characters (a longer word stands alone).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= width => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// The smallest and largest finite bound of any interval, 1 among them.
fn extent(plot: &ForestPlot) -> (f64, f64) {
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
    let min = finite.iter().copied().fold(1.0, f64::min);
    let max = finite.iter().copied().fold(1.0, f64::max);
    (min, max)
}

pub fn svg(plot: &ForestPlot) -> String {
    let f = Frame::new(plot);
    let height = f.bottom(plot) + 56.0;

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
            draw_row(&c, &f, i, row, &plot.style);
        }
        axis(&c, plot, &f);
        let _ = c.present();
    }
    out
}

/// The column titles: "Characteristic", then each model's name, wrapped, (with its
/// colour's key when there are several) over its "HR (CI)" and p-value heading, all the
/// headings on one baseline.
fn header(c: &Canvas, plot: &ForestPlot, f: &Frame) {
    let baseline = f.top - 8.0;
    draw::bold(
        c,
        "Characteristic",
        (8.0, baseline),
        TEXT,
        HPos::Left,
        VPos::Bottom,
    );
    for (m, lines) in f.names.iter().enumerate() {
        let col = f.column(m);
        let first = baseline - 18.0 - 16.0 * (lines.len() as f64 - 1.0);
        for (k, line) in lines.iter().enumerate() {
            let y = first + 16.0 * k as f64;
            draw::bold(c, line, (col, y), TEXT, HPos::Left, VPos::Bottom);
        }
        let head = format!("HR ({} CI)", plot.levels[m]);
        numbers(c, col, baseline, &head, &plot.style.p_header(), true);
        if f.models > 1 {
            let color = PALETTE[m % PALETTE.len()];
            let y = first - 5.0;
            draw::rect(c, (col - 12.0, y - 4.0), (col - 4.0, y + 4.0), color, true);
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

/// Row `i`: its label, and per model the estimate drawn and printed, "1 (reference)" for
/// a reference level, or a dash where the model has none.
fn draw_row(c: &Canvas, f: &Frame, i: usize, row: &Row, style: &Style) {
    let cy = f.top + ROW * (i as f64 + 0.5);
    let base = cy + TEXT * 0.4;
    let x = if row.indent { 8.0 + TEXT } else { 8.0 };
    if row.heading {
        draw::bold(c, &row.label, (x, base), TEXT, HPos::Left, VPos::Bottom);
        return;
    }
    draw::text(
        c,
        &row.label,
        (x, base),
        TEXT,
        BLACK,
        HPos::Left,
        VPos::Bottom,
    );
    if let Some(models) = &row.reference {
        for (m, &shown) in models.iter().enumerate() {
            if shown {
                let at = (f.column(m), base);
                draw::text(c, "1 (reference)", at, TEXT, GREY, HPos::Left, VPos::Bottom);
            }
        }
        return;
    }
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
                estimate(c, f, e, cy + offset, color, m);
                let hr = style.ratio_ci(Some(e.hr), Some(e.lower), Some(e.upper));
                numbers(c, col, base, &hr, &style.p_cell(e.p), false);
            }
            // Not in this model: left blank, as the table beside it is.
            _ => {}
        }
    }
}

/// One estimate at height `py`: the whiskers, an arrowhead at each end that runs off the
/// scale, and the point: a square for the first model, a diamond for the second and a
/// circle after, so that models part in greyscale too.
fn estimate(c: &Canvas, f: &Frame, e: &Estimate, py: f64, color: RGBColor, m: usize) {
    let lower = if e.lower.is_finite() { e.lower } else { e.hr };
    let upper = if e.upper.is_finite() { e.upper } else { e.hr };
    draw::line(c, &[(f.x(lower), py), (f.x(upper), py)], color, 1);
    if lower.ln() < f.lo {
        draw::line(
            c,
            &[
                (f.x(lower) + 5.0, py - 3.0),
                (f.x(lower), py),
                (f.x(lower) + 5.0, py + 3.0),
            ],
            color,
            1,
        );
    }
    if upper.ln() > f.hi {
        draw::line(
            c,
            &[
                (f.x(upper) - 5.0, py - 3.0),
                (f.x(upper), py),
                (f.x(upper) - 5.0, py + 3.0),
            ],
            color,
            1,
        );
    }
    draw::marker(c, (f.x(e.hr), py), m, color);
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
    let marks: Vec<(f64, String)> = f
        .ticks
        .iter()
        .map(|t| (f.x(*t), plot.style.trimmed(*t, 3)))
        .collect();
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
    use super::{ratio_axis, wrap};

    #[test]
    fn a_ratio_axis_labels_both_sides_of_one_and_ends_on_ticks() {
        // every interval below 1: the axis still reaches past 1, and its lowest label
        // sits under the data
        let (lo, hi, ticks) = ratio_axis(0.31, 0.76);
        assert_eq!(ticks, [0.25, 0.5, 0.75, 1.0, 1.5]);
        assert!(lo <= 0.31f64.ln() && hi > 0.0);
        // a registry's tight intervals
        assert_eq!(ratio_axis(0.6, 1.35).2, [0.5, 0.75, 1.0, 1.5]);
        // a trial's
        assert_eq!(ratio_axis(0.46, 1.72).2, [0.25, 0.5, 0.75, 1.0, 1.5, 2.0]);
        // wide: decades when 1-2-5 would be too many
        assert_eq!(ratio_axis(0.05, 20.0).2, [0.01, 0.1, 1.0, 10.0, 100.0]);
        assert_eq!(
            ratio_axis(0.15, 6.0).2,
            [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
        );
        for (a, b) in [(0.9, 1.05), (1.01, 1.02), (1.0, 1.0), (0.002, 900.0)] {
            let (lo, hi, t) = ratio_axis(a, b);
            assert!(
                t.iter().any(|&x| x < 1.0) && t.iter().any(|&x| x > 1.0),
                "{a}..{b}: {t:?}"
            );
            assert!(lo <= a.min(1.0).ln() + 1e-12 && hi >= b.max(1.0).ln() - 1e-12);
        }
    }

    #[test]
    fn long_model_names_wrap_by_words() {
        assert_eq!(
            wrap("Multivariable model with every prognostic factor", 20),
            ["Multivariable model", "with every", "prognostic factor"]
        );
    }
}
