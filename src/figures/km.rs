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

pub fn svg(plot: &KmPlot) -> String {
    let labels_width = plot
        .curves
        .iter()
        .map(|c| text_width(&c.label, TEXT))
        .fold(0.0, f64::max);
    let left = (labels_width + 44.0).max(78.0);
    let right = 24.0;
    let top = 44.0;
    let pw = WIDTH - left - right;
    let table_height = if plot.risk_table {
        34.0 + ROW * plot.curves.len() as f64
    } else {
        0.0
    };
    let height = top + PLOT_HEIGHT + 58.0 + table_height + 8.0;

    let mut out = String::new();
    {
        let backend = SVGBackend::with_string(&mut out, (WIDTH as u32, height.ceil() as u32));
        let c: Canvas = backend.into_drawing_area();
        let _ = c.fill(&WHITE);
        let x = |t: f64| left + t.clamp(0.0, plot.xmax) / plot.xmax * pw;
        let y = |s: f64| top + (1.0 - s.clamp(0.0, 1.0)) * PLOT_HEIGHT;
        let bottom = top + PLOT_HEIGHT;

        // Light grid, then axes.
        for s in [0.25, 0.5, 0.75, 1.0] {
            draw::line(&c, &[(left, y(s)), (left + pw, y(s))], draw::LIGHT, 1);
        }
        draw::line(
            &c,
            &[(left, top), (left, bottom), (left + pw, bottom)],
            BLACK,
            1,
        );
        for s in [0.0, 0.25, 0.5, 0.75, 1.0] {
            draw::line(&c, &[(left - 5.0, y(s)), (left, y(s))], BLACK, 1);
            draw::text(
                &c,
                &format!("{}", (s * 100.0).round()),
                (left - 8.0, y(s)),
                TEXT,
                BLACK,
                HPos::Right,
                VPos::Center,
            );
        }
        let marks: Vec<(f64, f64)> = plot
            .breaks
            .iter()
            .filter(|b| **b <= plot.xmax + 1e-9)
            .map(|b| (x(*b), *b))
            .collect();
        draw::x_ticks(&c, &marks, bottom, TEXT);
        draw::text(
            &c,
            &plot.xlab,
            (left + pw / 2.0, bottom + 30.0),
            TEXT + 1.0,
            BLACK,
            HPos::Center,
            VPos::Top,
        );
        draw::text_up(&c, &plot.ylab, (16.0, top + PLOT_HEIGHT / 2.0), TEXT + 1.0);

        for (k, curve) in plot.curves.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            if plot.ci {
                // A band per stretch between events; limits change only at events.
                let events: Vec<&Step> = curve.steps.iter().filter(|s| s.n_event > 0).collect();
                for (i, s) in events.iter().enumerate() {
                    let end = events
                        .get(i + 1)
                        .map_or_else(|| curve.steps.last().map_or(s.time, |l| l.time), |n| n.time);
                    if let (Some(lo), Some(hi)) = (s.lower, s.upper)
                        && s.time < plot.xmax
                    {
                        draw::polygon(
                            &c,
                            &[
                                (x(s.time), y(hi)),
                                (x(end), y(hi)),
                                (x(end), y(lo)),
                                (x(s.time), y(lo)),
                            ],
                            color,
                            0.15,
                        );
                    }
                }
            }
            let mut path = vec![(x(0.0), y(1.0))];
            let mut current = 1.0;
            for s in &curve.steps {
                if s.time > plot.xmax {
                    break;
                }
                if s.n_event > 0 {
                    path.push((x(s.time), y(current)));
                    path.push((x(s.time), y(s.surv)));
                    current = s.surv;
                }
            }
            let last = curve
                .steps
                .iter()
                .rfind(|s| s.time <= plot.xmax)
                .map_or(0.0, |s| s.time);
            path.push((x(last), y(current)));
            draw::line(&c, &path, color, 2);
            for s in curve
                .steps
                .iter()
                .filter(|s| s.n_censor > 0 && s.time <= plot.xmax)
            {
                let (cx, cy) = (x(s.time), y(s.surv));
                draw::line(&c, &[(cx, cy - 4.0), (cx, cy + 4.0)], color, 1);
            }
        }

        // Legend above the panel, one entry per curve; a single curve needs none.
        let mut lx = left;
        let legend = if plot.curves.len() > 1 {
            plot.curves.as_slice()
        } else {
            &[]
        };
        if let (Some(title), false) = (&plot.legend_title, legend.is_empty()) {
            draw::text(&c, title, (lx, 20.0), TEXT, BLACK, HPos::Left, VPos::Center);
            lx += text_width(title, TEXT) + 14.0;
        }
        for (k, curve) in legend.iter().enumerate() {
            let color = PALETTE[k % PALETTE.len()];
            draw::line(&c, &[(lx, 20.0), (lx + 22.0, 20.0)], color, 2);
            draw::text(
                &c,
                &curve.label,
                (lx + 28.0, 20.0),
                TEXT,
                BLACK,
                HPos::Left,
                VPos::Center,
            );
            lx += 28.0 + text_width(&curve.label, TEXT) + 22.0;
        }
        if let Some(note) = &plot.annotation {
            draw::text(
                &c,
                note,
                (left + 12.0, bottom - 14.0),
                TEXT,
                BLACK,
                HPos::Left,
                VPos::Center,
            );
        }

        if plot.risk_table {
            let table_top = bottom + 58.0;
            draw::bold(
                &c,
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
                    &c,
                    &curve.label,
                    (left - 30.0, ry),
                    TEXT,
                    color,
                    HPos::Right,
                    VPos::Center,
                );
                for &b in plot.breaks.iter().filter(|b| **b <= plot.xmax + 1e-9) {
                    draw::text(
                        &c,
                        &curve.at_risk(b).to_string(),
                        (x(b), ry),
                        TEXT,
                        GREY,
                        HPos::Center,
                        VPos::Center,
                    );
                }
            }
        }
        let _ = c.present();
    }
    out
}
