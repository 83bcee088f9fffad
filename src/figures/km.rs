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
    /// Its colour, an index into the palette.
    pub color: usize,
    /// Its line type: 0 solid, then dashed, dotted, long-dashed (see `draw::styled_path`).
    pub line: usize,
    /// Its median time, for a median line.
    pub median: Option<f64>,
    pub n: u64,
    pub steps: Vec<Step>,
}

/// What a table under the panel counts at each break.
#[derive(Debug, Clone, Copy)]
enum Count {
    AtRisk,
    Events,
    Censored,
}

impl Curve {
    /// Events (or censorings) up to and including `t`, as survminer's `cumevents` and
    /// `cumcensor` tables count them.
    fn cumulative(&self, t: f64, count: Count) -> u64 {
        self.steps
            .iter()
            .filter(|s| s.time <= t)
            .map(|s| match count {
                Count::Events => s.n_event,
                _ => s.n_censor,
            })
            .sum()
    }

    fn count(&self, t: f64, count: Count) -> u64 {
        match count {
            Count::AtRisk => self.at_risk(t),
            other => self.cumulative(t, other),
        }
    }

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
    /// What the curves start from at time 0: 1 for survival, 0 for cumulative incidence.
    pub start: f64,
    /// The top of the probability axis: 1, or lower for incidences that stay small.
    pub ymax: f64,
    /// The rows of the number-at-risk table, each a curve and its label; `None` for one
    /// row per curve under its own label.
    pub risk_rows: Option<Vec<(usize, String)>>,
    /// A mark at each censored time (survminer's `censor`).
    pub censor_marks: bool,
    /// Dashed lines from the axis to where each curve crosses one half, and down
    /// (survminer's `surv.median.line = "hv"`).
    pub median_line: bool,
    /// Tables under the number at risk: cumulative events, cumulative censored.
    pub cumevents: bool,
    pub cumcensor: bool,
    pub style: crate::present::Style,
    /// The canvas's width in pixels: [`WIDTH`] on the page, narrower for a figure file
    /// whose text must stay at 8 pt when printed a column wide.
    pub width: f64,
}

/// The time axis of a figure of step curves: its end (the spec's `xmax`, else the last
/// time observed, so that no stretch of axis lies past the data with nobody at risk) and
/// its breaks (the spec's, else round ones), within the end.
pub fn time_axis(spec: &crate::spec::FigureSpec, curves: &[Curve]) -> (f64, Vec<f64>) {
    let last = curves
        .iter()
        .flat_map(|c| c.steps.last())
        .map(|s| s.time)
        .fold(0.0, f64::max);
    let draw = crate::figures::nice_breaks;
    let xmax = spec.xmax.unwrap_or(if last > 0.0 { last } else { 1.0 });
    let breaks = spec
        .breaks
        .clone()
        .unwrap_or_else(|| draw(xmax, 6))
        .into_iter()
        .filter(|b| *b <= xmax + 1e-9)
        .collect();
    (xmax, breaks)
}

impl KmPlot {
    /// The tables under the panel, each a title and what it counts at a break.
    fn tables(&self) -> Vec<(&'static str, Count)> {
        let mut out = Vec::new();
        if self.risk_table {
            out.push(("Number at risk", Count::AtRisk));
        }
        if self.cumevents {
            out.push(("Cumulative number of events", Count::Events));
        }
        if self.cumcensor {
            out.push(("Cumulative number censored", Count::Censored));
        }
        out
    }

    /// Whether the tables under the panel name their rows by the curve's line, as
    /// survminer's `risk.table.y.text = FALSE` does, because a label would take more than
    /// a third of the figure's width; the legend names the curves.
    fn keyed_rows(&self) -> bool {
        self.curves.len() > 1
            && self
                .risk_rows()
                .iter()
                .any(|(_, l)| text_width(l, TEXT) > self.width / 3.0)
    }

    fn risk_rows(&self) -> Vec<(usize, &str)> {
        match &self.risk_rows {
            Some(rows) => rows.iter().map(|(k, l)| (*k, l.as_str())).collect(),
            None => self
                .curves
                .iter()
                .enumerate()
                .map(|(k, c)| (k, c.label.as_str()))
                .collect(),
        }
    }
}

pub const WIDTH: f64 = 760.0;
const PLOT_HEIGHT: f64 = 330.0;
const ROW: f64 = 20.0;
const TEXT: f64 = 13.0;
const LEGEND_ROW: f64 = 18.0;

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
    ymax: f64,
}

impl Frame {
    /// Room on the left for the longest stratum label, which the risk table prints there
    /// (or, for labels too long to leave the panel its width, the curves' line keys).
    fn new(plot: &KmPlot) -> Frame {
        let labels_width = if plot.keyed_rows() {
            34.0
        } else {
            plot.risk_rows()
                .iter()
                .map(|(_, l)| text_width(l, TEXT))
                .fold(0.0, f64::max)
        };
        let left = (labels_width + 44.0).max(78.0);
        let right = 24.0;
        let rows = legend_items(plot, left)
            .last()
            .map_or(1, |(_, _, row)| row + 1);
        Frame {
            left,
            top: 44.0 + LEGEND_ROW * (rows - 1) as f64,
            width: plot.width - left - right,
            xmax: plot.xmax,
            ymax: plot.ymax,
        }
    }

    /// Times beyond `xmax` are drawn at the panel's edge.
    fn x(&self, t: f64) -> f64 {
        self.left + t.clamp(0.0, self.xmax) / self.xmax * self.width
    }

    fn y(&self, s: f64) -> f64 {
        self.top + (1.0 - s.clamp(0.0, self.ymax) / self.ymax) * PLOT_HEIGHT
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
    let table_height = plot.tables().len() as f64 * (34.0 + ROW * plot.risk_rows().len() as f64);
    let height = f.top + PLOT_HEIGHT + 58.0 + table_height + 8.0;

    let mut out = String::new();
    {
        let backend = SVGBackend::with_string(&mut out, (plot.width as u32, height.ceil() as u32));
        let c: Canvas = backend.into_drawing_area();
        let _ = c.fill(&WHITE);
        axes(&c, plot, &f);
        for curve in &plot.curves {
            let color = PALETTE[curve.color % PALETTE.len()];
            if plot.ci {
                ci_bands(&c, &f, curve, color);
            }
            let path = step_path(&f, curve, plot.start);
            draw::styled_path(&c, &path, color, 2, curve.line);
            if plot.censor_marks {
                censor_marks(&c, &f, curve, color);
            }
        }
        if plot.median_line {
            median_lines(&c, plot, &f);
        }
        legend(&c, plot, &f);
        if let Some(note) = &plot.annotation {
            // Survival curves leave the lower left empty, incidence curves the upper left.
            let y = if plot.start > 0.5 {
                f.bottom() - 14.0
            } else {
                f.top + 14.0
            };
            draw::text(
                &c,
                note,
                (f.left + 12.0, y),
                TEXT,
                BLACK,
                HPos::Left,
                VPos::Center,
            );
        }
        for (k, (title, count)) in plot.tables().into_iter().enumerate() {
            let top = f.bottom() + 58.0 + k as f64 * (34.0 + ROW * plot.risk_rows().len() as f64);
            count_table(&c, plot, &f, top, title, count);
        }
        let _ = c.present();
    }
    out
}

/// A light grid under the survival ticks, the axes, their ticks and their titles.
fn axes(c: &Canvas, plot: &KmPlot, f: &Frame) {
    let (left, top, bottom) = (f.left, f.top, f.bottom());
    let ticks = y_ticks(plot.ymax);
    for &s in ticks.iter().skip(1) {
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
    for &s in &ticks {
        draw::line(c, &[(left - 5.0, f.y(s)), (left, f.y(s))], BLACK, 1);
        draw::text(
            c,
            &plot.style.trimmed(s * 100.0, 1),
            (left - 8.0, f.y(s)),
            TEXT,
            BLACK,
            HPos::Right,
            VPos::Center,
        );
    }
    let marks: Vec<(f64, String)> = shown_breaks(plot)
        .map(|b| (f.x(b), plot.style.trimmed(b, 2)))
        .collect();
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

/// The probability axis's ticks: quarters up to 1, else round steps up to `ymax`.
fn y_ticks(ymax: f64) -> Vec<f64> {
    if ymax >= 1.0 {
        return vec![0.0, 0.25, 0.5, 0.75, 1.0];
    }
    crate::figures::nice_breaks(ymax * 100.0, 4)
        .into_iter()
        .map(|t| t / 100.0)
        .filter(|t| *t <= ymax + 1e-12)
        .collect()
}

/// The step curve from `start` at time 0, dropping at each event, to the last time within the
/// axis.
fn step_path(f: &Frame, curve: &Curve, start: f64) -> Vec<(f64, f64)> {
    let mut path = vec![(f.x(0.0), f.y(start))];
    let mut current = start;
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

/// A "+" on the curve at each time with a censored patient, as survminer marks them.
fn censor_marks(c: &Canvas, f: &Frame, curve: &Curve, color: RGBColor) {
    for s in curve
        .steps
        .iter()
        .filter(|s| s.n_censor > 0 && s.time <= f.xmax)
    {
        let (cx, cy) = (f.x(s.time), f.y(s.surv));
        draw::line(c, &[(cx, cy - 4.0), (cx, cy + 4.0)], color, 1);
        draw::line(c, &[(cx - 4.0, cy), (cx + 4.0, cy)], color, 1);
    }
}

/// survminer's `surv.median.line = "hv"`: a dashed line across at one half, from the axis
/// to the last curve that reaches it, and one down from each median to the time axis.
fn median_lines(c: &Canvas, plot: &KmPlot, f: &Frame) {
    let medians: Vec<f64> = plot
        .curves
        .iter()
        .filter_map(|k| k.median)
        .filter(|m| *m <= f.xmax)
        .collect();
    let Some(last) = medians.iter().copied().reduce(f64::max) else {
        return;
    };
    let half = f.y(0.5);
    draw::dashed(c, (f.x(0.0), half), (f.x(last), half), BLACK);
    for m in medians {
        draw::dashed(c, (f.x(m), half), (f.x(m), f.bottom()), BLACK);
    }
}

/// The legend above the panel, one entry per curve; a single curve needs none.
fn legend(c: &Canvas, plot: &KmPlot, f: &Frame) {
    let items = legend_items(plot, f.left);
    if let (Some(title), false) = (&plot.legend_title, items.is_empty()) {
        draw::text(
            c,
            title,
            (f.left, 20.0),
            TEXT,
            BLACK,
            HPos::Left,
            VPos::Center,
        );
    }
    for (curve, lx, row) in items {
        let color = PALETTE[curve.color % PALETTE.len()];
        let y = 20.0 + LEGEND_ROW * row as f64;
        draw::styled_path(c, &[(lx, y), (lx + 22.0, y)], color, 2, curve.line);
        draw::text(
            c,
            &curve.label,
            (lx + 28.0, y),
            TEXT,
            BLACK,
            HPos::Left,
            VPos::Center,
        );
    }
}

/// Where each legend entry goes: after the title, left to right, onto a new row when the
/// next would run past the figure's edge.
fn legend_items(plot: &KmPlot, left: f64) -> Vec<(&Curve, f64, usize)> {
    if plot.curves.len() < 2 {
        return Vec::new();
    }
    let start = left
        + plot
            .legend_title
            .as_ref()
            .map_or(0.0, |t| text_width(t, TEXT) + 14.0);
    let (mut lx, mut row) = (start, 0);
    let mut out = Vec::new();
    for curve in &plot.curves {
        let width = 28.0 + text_width(&curve.label, TEXT) + 22.0;
        if lx > start && lx + width - 22.0 > plot.width - 8.0 {
            lx = start;
            row += 1;
        }
        out.push((curve, lx, row));
        lx += width;
    }
    out
}

/// A count at each break, one row per curve in its colour: the number at risk under the
/// axis title, then cumulative events or censorings.
fn count_table(c: &Canvas, plot: &KmPlot, f: &Frame, table_top: f64, title: &str, count: Count) {
    draw::bold(
        c,
        title,
        (8.0, table_top + 8.0),
        TEXT,
        HPos::Left,
        VPos::Center,
    );
    for (row, (k, label)) in plot.risk_rows().into_iter().enumerate() {
        let curve = &plot.curves[k];
        let color = PALETTE[curve.color % PALETTE.len()];
        let ry = table_top + 30.0 + ROW * row as f64;
        if plot.keyed_rows() {
            let key = [(f.left - 36.0, ry), (f.left - 14.0, ry)];
            draw::styled_path(c, &key, color, 2, curve.line);
        } else {
            draw::text(
                c,
                label,
                (f.left - 30.0, ry),
                TEXT,
                color,
                HPos::Right,
                VPos::Center,
            );
        }
        for b in shown_breaks(plot) {
            draw::text(
                c,
                &plot.style.count(curve.count(b, count)),
                (f.x(b), ry),
                TEXT,
                GREY,
                HPos::Center,
                VPos::Center,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(k: usize, label: &str) -> Curve {
        let steps = (1..=6)
            .map(|i| Step {
                time: i as f64 * 10.0,
                surv: 1.0 - 0.12 * i as f64,
                lower: None,
                upper: None,
                n_risk: 12 - i as u64,
                n_event: 1,
                n_censor: u64::from(i % 2 == 0),
            })
            .collect();
        Curve {
            label: label.into(),
            color: k,
            line: k,
            median: Some(40.0),
            n: 12,
            steps,
        }
    }

    fn plot(curves: Vec<Curve>) -> KmPlot {
        let spec = crate::spec::FigureSpec::blank(crate::spec::FigureKind::Km);
        let (xmax, breaks) = time_axis(&spec, &curves);
        KmPlot {
            curves,
            xlab: "Time (months)".into(),
            ylab: "Survival (%)".into(),
            breaks,
            xmax,
            ci: false,
            risk_table: true,
            annotation: None,
            legend_title: None,
            start: 1.0,
            ymax: 1.0,
            risk_rows: None,
            censor_marks: true,
            median_line: false,
            cumevents: false,
            cumcensor: false,
            style: crate::present::Style::default(),
            width: WIDTH,
        }
    }

    fn paths(svg: &str) -> usize {
        svg.matches("<polyline").count() + svg.matches("<path").count()
    }

    #[test]
    fn the_time_axis_ends_at_the_last_observation() {
        let p = plot(vec![curve(0, "")]);
        assert_eq!(p.xmax, 60.0);
        assert_eq!(p.breaks.last(), Some(&60.0));
    }

    #[test]
    fn censor_marks_and_the_median_line_are_drawn_only_when_asked() {
        let marked = svg(&plot(vec![curve(0, "")]));
        let mut p = plot(vec![curve(0, "")]);
        p.censor_marks = false;
        let plain = svg(&p);
        // three censored times, a "+" of two strokes each
        assert_eq!(paths(&marked) - paths(&plain), 6);
        p.median_line = true;
        assert!(paths(&svg(&p)) > paths(&plain));
    }

    #[test]
    fn one_curve_has_no_risk_row_label_and_cumulative_tables_count_up() {
        let mut p = plot(vec![curve(0, "")]);
        p.cumevents = true;
        p.cumcensor = true;
        let s = svg(&p);
        assert!(!s.contains(">all<"), "a single curve's row is not labelled");
        assert!(s.contains("Cumulative number of events"));
        assert!(s.contains("Cumulative number censored"));
        assert_eq!(p.curves[0].cumulative(60.0, Count::Events), 6);
        assert_eq!(p.curves[0].cumulative(35.0, Count::Censored), 1);
    }

    #[test]
    fn twelve_long_labels_stay_inside_the_figure() {
        let label =
            |k: usize| format!("Institution {k}, an enrolling site with a long descriptive name");
        let p = plot((0..12).map(|k| curve(k, &label(k))).collect());
        // the risk rows are keyed by line, so the panel keeps most of the width
        assert!(p.keyed_rows());
        let f = Frame::new(&p);
        assert!(f.width > WIDTH * 0.8, "{}", f.width);
        for (c, x, _) in legend_items(&p, f.left) {
            assert!(
                x + 28.0 + text_width(&c.label, TEXT) <= WIDTH,
                "{} runs off",
                c.label
            );
        }
        // two curves with short labels name their rows
        assert!(!plot(vec![curve(0, "A"), curve(1, "B")]).keyed_rows());
    }
}
