//! A subgroup forest plot as trial reports print it: each subgroup with its events and
//! patients per arm, the hazard ratio drawn on a log scale and printed with its interval,
//! and the interaction p beside each subgroup variable.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{self, Canvas, GREY, PALETTE};
use super::forest::{Estimate, ratio_axis};
use crate::present::Style;

#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    /// A subgroup variable's heading (bold, no estimate of its own) or one of its levels.
    pub heading: bool,
    pub indent: bool,
    /// "events/n" per arm.
    pub counts: Vec<String>,
    pub estimate: Option<Estimate>,
    /// The interaction p, on a heading.
    pub p: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SubgroupPlot {
    /// The arms, the reference first.
    pub arms: Vec<String>,
    pub rows: Vec<Row>,
    pub xlab: String,
    pub level: String,
    pub style: Style,
    /// The canvas width to fit, for a figure file printed narrower than the page; `None`
    /// draws the page's roomy columns.
    pub width: Option<f64>,
}

const ROW: f64 = 22.0;
const TEXT: f64 = 12.5;
const COUNT: f64 = 104.0;
const HR: f64 = 136.0;
const P: f64 = 92.0;
const PANEL: f64 = 230.0;
const MIN_PANEL: f64 = 140.0;
// The width of a character of text as a share of the font size, for the figures and
// the bold headings, estimated on the wide side so a column sized by it never clips.
const DIGIT: f64 = 0.52;
const BOLD: f64 = 0.6;

/// The space a column takes at the plot's text size: its longest text, plain or bold.
fn column<'a>(
    plain: impl Iterator<Item = &'a str>,
    bold: impl Iterator<Item = &'a str>,
    pad: f64,
) -> f64 {
    let widest = |texts: &mut dyn Iterator<Item = &'a str>, share: f64| {
        texts
            .map(|t| t.chars().count() as f64 * TEXT * share)
            .fold(0.0, f64::max)
    };
    widest(&mut { plain }, DIGIT).max(widest(&mut { bold }, BOLD)) + pad
}

struct Frame {
    label: f64,
    panel_left: f64,
    width: f64,
    top: f64,
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    count_w: f64,
    hr_w: f64,
    p_w: f64,
    panel: f64,
    /// Fitted to a canvas narrower than the page's.
    fitted: bool,
}

impl Frame {
    /// On the page the columns have fixed widths; fitted to a canvas, each column takes
    /// what its longest text needs and the panel what is left, never under [`MIN_PANEL`]
    /// (the canvas then widens, and the figure file's check says what width would do).
    fn new(plot: &SubgroupPlot) -> Frame {
        let label = plot
            .rows
            .iter()
            .map(|r| {
                (r.label.chars().count() as f64 + if r.indent { 2.0 } else { 0.0 }) * TEXT * 0.52
            })
            .fold(90.0, f64::max)
            + 16.0;
        let (count_w, hr_w, p_w) = match plot.width {
            None => (COUNT, HR, P),
            Some(_) => {
                let ratios: Vec<String> = plot
                    .rows
                    .iter()
                    .filter_map(|r| r.estimate)
                    .map(|e| {
                        plot.style
                            .ratio_ci(Some(e.hr), Some(e.lower), Some(e.upper))
                    })
                    .collect();
                let hr_head = format!("HR ({} CI)", plot.level);
                (
                    column(
                        plot.rows
                            .iter()
                            .flat_map(|r| &r.counts)
                            .map(String::as_str)
                            .chain(["events/n"]),
                        plot.arms.iter().map(String::as_str),
                        16.0,
                    ),
                    column(
                        ratios.iter().map(String::as_str),
                        [hr_head.as_str()].into_iter(),
                        12.0,
                    ),
                    column(
                        plot.rows.iter().filter_map(|r| r.p.as_deref()),
                        ["interaction"].into_iter(),
                        8.0,
                    ),
                )
            }
        };
        let panel_left = label + count_w * plot.arms.len() as f64 + 8.0;
        let fixed = panel_left + 12.0 + hr_w + p_w + 8.0;
        let panel = match plot.width {
            None => PANEL,
            Some(w) => (w - fixed).clamp(MIN_PANEL, PANEL),
        };
        let finite: Vec<f64> = plot
            .rows
            .iter()
            .filter_map(|r| r.estimate)
            .flat_map(|e| [e.lower, e.upper])
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let (lo, hi, ticks) = ratio_axis(
            finite.iter().copied().fold(1.0, f64::min),
            finite.iter().copied().fold(1.0, f64::max),
        );
        Frame {
            label,
            panel_left,
            width: fixed + panel,
            top: 48.0,
            lo,
            hi,
            ticks,
            count_w,
            hr_w,
            p_w,
            panel,
            fitted: plot.width.is_some(),
        }
    }

    fn x(&self, v: f64) -> f64 {
        self.panel_left
            + (v.max(1e-300).ln().clamp(self.lo, self.hi) - self.lo) / (self.hi - self.lo)
                * self.panel
    }

    /// The size of a secondary text (the counts' unit, which side is better): `by` pixels
    /// under the text size on the page, the text size itself on a narrowed canvas, where
    /// every pixel is dearer.
    fn smaller(&self, by: f64) -> f64 {
        if self.fitted { TEXT } else { TEXT - by }
    }

    fn count(&self, a: usize) -> f64 {
        self.label + self.count_w * (a as f64 + 1.0) - 12.0
    }

    fn hr(&self) -> f64 {
        self.panel_left + self.panel + 12.0
    }

    fn p(&self) -> f64 {
        self.hr() + self.hr_w + self.p_w - 8.0
    }

    fn y(&self, i: usize) -> f64 {
        self.top + ROW * (i as f64 + 0.5)
    }
}

pub fn svg(plot: &SubgroupPlot) -> String {
    let f = Frame::new(plot);
    let bottom = f.top + ROW * plot.rows.len() as f64;
    let height = bottom + 64.0;
    let mut out = String::new();
    {
        let backend =
            SVGBackend::with_string(&mut out, (f.width.ceil() as u32, height.ceil() as u32));
        let c: Canvas = backend.into_drawing_area();
        let _ = c.fill(&WHITE);
        header(&c, plot, &f);
        draw::dashed(&c, (f.x(1.0), f.top - 4.0), (f.x(1.0), bottom), GREY);
        for (i, row) in plot.rows.iter().enumerate() {
            draw_row(&c, &f, f.y(i), row, &plot.style);
        }
        axis(&c, plot, &f, bottom);
        let _ = c.present();
    }
    out
}

fn header(c: &Canvas, plot: &SubgroupPlot, f: &Frame) {
    let y = 20.0;
    draw::bold(
        c,
        "Subgroup",
        (8.0, y + 8.0),
        TEXT,
        HPos::Left,
        VPos::Center,
    );
    for (a, arm) in plot.arms.iter().enumerate() {
        draw::bold(c, arm, (f.count(a), y), TEXT, HPos::Right, VPos::Center);
        draw::text(
            c,
            "events/n",
            (f.count(a), y + 16.0),
            f.smaller(1.5),
            GREY,
            HPos::Right,
            VPos::Center,
        );
    }
    draw::bold(
        c,
        &format!("HR ({} CI)", plot.level),
        (f.hr(), y + 8.0),
        TEXT,
        HPos::Left,
        VPos::Center,
    );
    draw::bold(
        c,
        &format!("{} for", plot.style.p_letter),
        (f.p(), y),
        TEXT,
        HPos::Right,
        VPos::Center,
    );
    draw::bold(
        c,
        "interaction",
        (f.p(), y + 16.0),
        TEXT,
        HPos::Right,
        VPos::Center,
    );
}

fn draw_row(c: &Canvas, f: &Frame, cy: f64, row: &Row, style: &Style) {
    let x = if row.indent { 8.0 + TEXT } else { 8.0 };
    if row.heading {
        draw::bold(c, &row.label, (x, cy), TEXT, HPos::Left, VPos::Center);
    } else {
        draw::text(
            c,
            &row.label,
            (x, cy),
            TEXT,
            BLACK,
            HPos::Left,
            VPos::Center,
        );
    }
    for (a, n) in row.counts.iter().enumerate() {
        draw::text(
            c,
            n,
            (f.count(a), cy),
            TEXT,
            BLACK,
            HPos::Right,
            VPos::Center,
        );
    }
    if let Some(p) = &row.p {
        draw::text(c, p, (f.p(), cy), TEXT, BLACK, HPos::Right, VPos::Center);
    }
    if row.heading && row.estimate.is_none() {
        return;
    }
    match row.estimate {
        Some(e) if e.hr.is_finite() && e.lower.is_finite() && e.upper.is_finite() => {
            let color = PALETTE[0];
            draw::line(c, &[(f.x(e.lower), cy), (f.x(e.upper), cy)], color, 1);
            draw::rect(
                c,
                (f.x(e.hr) - 3.5, cy - 3.5),
                (f.x(e.hr) + 3.5, cy + 3.5),
                color,
                true,
            );
            let text = style.ratio_ci(Some(e.hr), Some(e.lower), Some(e.upper));
            draw::text(
                c,
                &text,
                (f.hr(), cy),
                TEXT,
                BLACK,
                HPos::Left,
                VPos::Center,
            );
        }
        _ => draw::text(c, "—", (f.hr(), cy), TEXT, GREY, HPos::Left, VPos::Center),
    }
}

/// The log axis, and under it which side favours which arm.
fn axis(c: &Canvas, plot: &SubgroupPlot, f: &Frame, bottom: f64) {
    draw::line(
        c,
        &[(f.panel_left, bottom), (f.panel_left + f.panel, bottom)],
        BLACK,
        1,
    );
    let marks: Vec<(f64, String)> = f
        .ticks
        .iter()
        .map(|t| (f.x(*t), plot.style.trimmed(*t, 3)))
        .collect();
    draw::x_ticks(c, &marks, bottom, TEXT);
    let y = bottom + 32.0;
    if let [reference, other] = &plot.arms[..] {
        draw::text(
            c,
            &format!("← {other} better"),
            (f.x(1.0) - 6.0, y),
            f.smaller(1.0),
            BLACK,
            HPos::Right,
            VPos::Center,
        );
        draw::text(
            c,
            &format!("{reference} better →"),
            (f.x(1.0) + 6.0, y),
            f.smaller(1.0),
            BLACK,
            HPos::Left,
            VPos::Center,
        );
    }
    draw::text(
        c,
        &plot.xlab,
        (f.panel_left + f.panel / 2.0, y + 16.0),
        TEXT,
        BLACK,
        HPos::Center,
        VPos::Center,
    );
}
