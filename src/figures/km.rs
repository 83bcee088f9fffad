//! A Kaplan-Meier figure in the manner of survminer's `ggsurvplot`: a step curve per
//! stratum with censoring marks, optional confidence bands, the log-rank p in the panel,
//! a legend, and the number at risk under the x-axis breaks.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{self, Canvas, GREY, PALETTE};

/// One step of a curve: the `table` row of a KM result.
#[derive(Debug, Clone)]
pub struct Step {
    pub time: f64,
    pub surv: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub n_risk: u64,
    pub n_event: u64,
    pub n_censor: u64,
}

#[derive(Debug, Clone)]
pub struct Curve {
    pub label: String,
    pub n: u64,
    pub steps: Vec<Step>,
}

impl Curve {
    /// Number at risk at `t`, as R's `summary(fit, times = t)`: those whose time is ≥ t.
    pub fn at_risk(&self, t: f64) -> u64 {
        if t <= 0.0 {
            return self.n;
        }
        self.steps
            .iter()
            .find(|s| s.time >= t)
            .map_or(0, |s| s.n_risk)
    }
}

#[derive(Debug, Clone)]
pub struct KmPlot {
    pub curves: Vec<Curve>,
    pub xlab: String,
    pub ylab: String,
    pub breaks: Vec<f64>,
    pub xmax: f64,
    pub ci: bool,
    pub risk_table: bool,
    /// Text in the panel's lower left, e.g. "Log-rank p = 0.003".
    pub annotation: Option<String>,
    pub legend_title: Option<String>,
}

const WIDTH: f64 = 760.0;
const PLOT_HEIGHT: f64 = 330.0;
const ROW: f64 = 20.0;
const TEXT: f64 = 13.0;

/// Rough width of text in pixels, for margins only: typst draws the real glyphs.
fn text_width(s: &str, px: f64) -> f64 {
    s.chars().count() as f64 * px * 0.5
}

/// Where the panel sits on the canvas, and how times and survival map into it.
struct Frame {
    left: f64,
    top: f64,
    /// The panel's width; its height is `PLOT_HEIGHT`.
    width: f64,
    xmax: f64,
}

impl Frame {
    /// Room on the left for the longest stratum label, which the risk table prints there.
    fn new(plot: &KmPlot) -> Frame {
        let labels_width = plot
            .curves
            .iter()
            .map(|c| text_width(&c.label, TEXT))
            .fold(0.0, f64::max);
        let left = (labels_width + 44.0).max(78.0);
        let right = 24.0;
        Frame {
            left,
            top: 44.0,
            width: WIDTH - left - right,
            xmax: plot.xmax,
        }
    }

    /// Times beyond `xmax` are drawn at the panel's edge.
    fn x(&self, t: f64) -> f64 {
        self.left + t.clamp(0.0, self.xmax) / self.xmax * self.width
    }

    fn y(&self, s: f64) -> f64 {
        self.top + (1.0 - s.clamp(0.0, 1.0)) * PLOT_HEIGHT
    }

    fn bottom(&self) -> f64 {
        self.top + PLOT_HEIGHT
    }
}

/// The breaks within the x-axis; the tolerance keeps a break equal to `xmax` up to rounding.
fn shown_breaks(plot: &KmPlot) -> impl Iterator<Item = f64> + '_ {
    plot.breaks
        .iter()
        .copied()
        .filter(|b| *b <= plot.xmax + 1e-9)
}

pub fn svg(plot: &KmPlot) -> String {
    let f = Frame::new(plot);
    let table_height = if plot.risk_table {
        34.0 + ROW * plot.curves.len() as f64
    } else {
        0.0
    };
    let height = f.top + PLOT_HEIGHT + 58.0 + table_height + 8.0;

    let mut out = String::new();
    {
        let backend = SVGBackend::with_string(&mut out, (WIDTH as u32, height.ceil() as u32));
        let c: Canvas = backend.into_drawing_area();
        let _ = c.fill(&WHITE);
        axes(&c, plot, &f);
        for (k, curve) in plot.curves.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            if plot.ci {
                ci_bands(&c, &f, curve, color);
            }
            draw::line(&c, &step_path(&f, curve), color, 2);
            censor_marks(&c, &f, curve, color);
        }
        legend(&c, plot, &f);
        if let Some(note) = &plot.annotation {
            draw::text(
                &c,
                note,
                (f.left + 12.0, f.bottom() - 14.0),
                TEXT,
                BLACK,
                HPos::Left,
                VPos::Center,
            );
        }
        if plot.risk_table {
            risk_table(&c, plot, &f);
        }
        let _ = c.present();
    }
    out
}

/// A light grid under the survival ticks, the axes, their ticks and their titles.
fn axes(c: &Canvas, plot: &KmPlot, f: &Frame) {
    let (left, top, bottom) = (f.left, f.top, f.bottom());
    for s in [0.25, 0.5, 0.75, 1.0] {
        draw::line(
            c,
            &[(left, f.y(s)), (left + f.width, f.y(s))],
            draw::LIGHT,
            1,
        );
    }
    draw::line(
        c,
        &[(left, top), (left, bottom), (left + f.width, bottom)],
        BLACK,
        1,
    );
    for s in [0.0, 0.25, 0.5, 0.75, 1.0] {
        draw::line(c, &[(left - 5.0, f.y(s)), (left, f.y(s))], BLACK, 1);
        draw::text(
            c,
            &format!("{}", (s * 100.0).round()),
            (left - 8.0, f.y(s)),
            TEXT,
            BLACK,
            HPos::Right,
            VPos::Center,
        );
    }
    let marks: Vec<(f64, f64)> = shown_breaks(plot).map(|b| (f.x(b), b)).collect();
    draw::x_ticks(c, &marks, bottom, TEXT);
    draw::text(
        c,
        &plot.xlab,
        (left + f.width / 2.0, bottom + 30.0),
        TEXT + 1.0,
        BLACK,
        HPos::Center,
        VPos::Top,
    );
    draw::text_up(c, &plot.ylab, (16.0, top + PLOT_HEIGHT / 2.0), TEXT + 1.0);
}

/// A band per stretch between events: the limits change only at events.
fn ci_bands(c: &Canvas, f: &Frame, curve: &Curve, color: RGBColor) {
    let events: Vec<&Step> = curve.steps.iter().filter(|s| s.n_event > 0).collect();
    for (i, s) in events.iter().enumerate() {
        let end = events
            .get(i + 1)
            .map_or_else(|| curve.steps.last().map_or(s.time, |l| l.time), |n| n.time);
        if let (Some(lo), Some(hi)) = (s.lower, s.upper)
            && s.time < f.xmax
        {
            draw::polygon(
                c,
                &[
                    (f.x(s.time), f.y(hi)),
                    (f.x(end), f.y(hi)),
                    (f.x(end), f.y(lo)),
                    (f.x(s.time), f.y(lo)),
                ],
                color,
                0.15,
            );
        }
    }
}

/// The step curve from 1 at time 0, dropping at each event, to the last time within the
/// axis.
fn step_path(f: &Frame, curve: &Curve) -> Vec<(f64, f64)> {
    let mut path = vec![(f.x(0.0), f.y(1.0))];
    let mut current = 1.0;
    for s in &curve.steps {
        if s.time > f.xmax {
            break;
        }
        if s.n_event > 0 {
            path.push((f.x(s.time), f.y(current)));
            path.push((f.x(s.time), f.y(s.surv)));
            current = s.surv;
        }
    }
    let last = curve
        .steps
        .iter()
        .rfind(|s| s.time <= f.xmax)
        .map_or(0.0, |s| s.time);
    path.push((f.x(last), f.y(current)));
    path
}

/// A short vertical tick on the curve at each time with a censored patient.
fn censor_marks(c: &Canvas, f: &Frame, curve: &Curve, color: RGBColor) {
    for s in curve
        .steps
        .iter()
        .filter(|s| s.n_censor > 0 && s.time <= f.xmax)
    {
        let (cx, cy) = (f.x(s.time), f.y(s.surv));
        draw::line(c, &[(cx, cy - 4.0), (cx, cy + 4.0)], color, 1);
    }
}

/// The legend above the panel, one entry per curve; a single curve needs none.
fn legend(c: &Canvas, plot: &KmPlot, f: &Frame) {
    let mut lx = f.left;
    let legend = if plot.curves.len() > 1 {
        plot.curves.as_slice()
    } else {
        &[]
    };
    if let (Some(title), false) = (&plot.legend_title, legend.is_empty()) {
        draw::text(c, title, (lx, 20.0), TEXT, BLACK, HPos::Left, VPos::Center);
        lx += text_width(title, TEXT) + 14.0;
    }
    for (k, curve) in legend.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        draw::line(c, &[(lx, 20.0), (lx + 22.0, 20.0)], color, 2);
        draw::text(
            c,
            &curve.label,
            (lx + 28.0, 20.0),
            TEXT,
            BLACK,
            HPos::Left,
            VPos::Center,
        );
        lx += 28.0 + text_width(&curve.label, TEXT) + 22.0;
    }
}

/// The number at risk at each break, one row per curve in its colour, under the axis title.
fn risk_table(c: &Canvas, plot: &KmPlot, f: &Frame) {
    let table_top = f.bottom() + 58.0;
    draw::bold(
        c,
        "Number at risk",
        (8.0, table_top + 8.0),
        TEXT,
        HPos::Left,
        VPos::Center,
    );
    for (k, curve) in plot.curves.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let ry = table_top + 30.0 + ROW * k as f64;
        draw::text(
            c,
            &curve.label,
            (f.left - 30.0, ry),
            TEXT,
            color,
            HPos::Right,
            VPos::Center,
        );
        for b in shown_breaks(plot) {
            draw::text(
                c,
                &curve.at_risk(b).to_string(),
                (f.x(b), ry),
                TEXT,
                GREY,
                HPos::Center,
                VPos::Center,
            );
        }
    }
}
