//! A CONSORT-style flow diagram: boxes down the middle for the patients who remain at
//! each step, boxes to the right for those excluded, and the final groups side by side.
//! Every count comes from the data through a `flow` analysis.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::draw::{self, Canvas};

#[derive(Debug, Clone)]
pub struct Flow {
    /// (label, patients remaining) per step, in order.
    pub steps: Vec<(String, u64)>,
    /// (label, patients excluded) between step i and i + 1.
    pub excluded: Vec<Option<(String, u64)>>,
    /// The final groups, (label, patients).
    pub groups: Vec<(String, u64)>,
    /// The canvas's width in pixels: [`WIDTH`] on the page, narrower for a figure file.
    pub width: f64,
}

pub const WIDTH: f64 = 760.0;
const BOX_H: f64 = 46.0;
const GAP: f64 = 34.0;
const TEXT: f64 = 13.0;
// The steps go down the main column, those excluded to its right; on a narrower canvas
// both columns narrow in proportion (their labels wrap onto more lines) down to a floor
// under which a word would not fit its box.
const MAIN_W: f64 = 300.0;
const SIDE_W: f64 = 220.0;
const MIN_MAIN_W: f64 = 120.0;
const MIN_SIDE_W: f64 = 90.0;
// The left margin, the gap between the columns and the right margin.
const MARGINS: f64 = 40.0 + 40.0 + 20.0;

/// Where the two columns sit on a canvas.
#[derive(Debug, Clone, Copy)]
struct Columns {
    main_w: f64,
    side_w: f64,
    main_x: f64,
    side_x: f64,
    width: f64,
}

impl Columns {
    fn new(width: f64) -> Columns {
        let share = ((width - MARGINS) / (MAIN_W + SIDE_W)).min(1.0);
        let main_w = (MAIN_W * share).max(MIN_MAIN_W).round();
        let side_w = (SIDE_W * share).max(MIN_SIDE_W).round();
        let main_x = 40.0 + main_w / 2.0;
        Columns {
            main_w,
            side_w,
            main_x,
            side_x: main_x + main_w / 2.0 + 40.0 + side_w / 2.0,
            width: width.max(main_w + side_w + MARGINS),
        }
    }
}

/// Splits a label into lines that fit a box `chars` wide.
fn wrap(s: &str, chars: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in s.split_whitespace() {
        let current = lines.last_mut().expect("one line at least");
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > chars {
            lines.push(word.to_string());
        } else {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    lines
}

fn boxed(c: &Canvas, centre: (f64, f64), width: f64, height: f64, label: &str, n: u64) {
    draw::rect(
        c,
        (centre.0 - width / 2.0, centre.1 - height / 2.0),
        (centre.0 + width / 2.0, centre.1 + height / 2.0),
        BLACK,
        false,
    );
    let mut lines = wrap(label, chars_in(width));
    lines.push(format!("n = {n}"));
    let first = centre.1 - (lines.len() as f64 - 1.0) * 8.0;
    for (i, l) in lines.iter().enumerate() {
        draw::text(
            c,
            l,
            (centre.0, first + 16.0 * i as f64),
            TEXT,
            BLACK,
            HPos::Center,
            VPos::Center,
        );
    }
}

fn arrow_down(c: &Canvas, from: (f64, f64), to_y: f64) {
    draw::line(c, &[from, (from.0, to_y)], BLACK, 1);
    draw::line(
        c,
        &[
            (from.0 - 4.0, to_y - 6.0),
            (from.0, to_y),
            (from.0 + 4.0, to_y - 6.0),
        ],
        BLACK,
        1,
    );
}

/// How many characters of a label fit on a line of a box `width` wide (one at least, so a
/// crowded row of boxes still wraps rather than fails).
fn chars_in(width: f64) -> usize {
    ((width / (TEXT * 0.5)) as usize).saturating_sub(2).max(1)
}

fn box_height(label: &str, width: f64) -> f64 {
    BOX_H.max(16.0 * (wrap(label, chars_in(width)).len() as f64 + 1.0) + 12.0)
}

pub fn svg(flow: &Flow) -> String {
    let cols = Columns::new(flow.width);
    let heights: Vec<f64> = flow
        .steps
        .iter()
        .map(|(l, _)| box_height(l, cols.main_w))
        .collect();
    let steps_h: f64 =
        heights.iter().sum::<f64>() + GAP * flow.steps.len().saturating_sub(1) as f64;
    let groups = flow.groups.len();
    let group_w = if groups > 0 {
        ((cols.width - 40.0) / groups as f64 - 20.0).min(260.0)
    } else {
        0.0
    };
    let group_h = flow
        .groups
        .iter()
        .map(|(l, _)| box_height(l, group_w))
        .fold(0.0, f64::max);
    let height = 20.0
        + steps_h
        + if groups > 0 {
            GAP + 16.0 + group_h
        } else {
            0.0
        }
        + 20.0;

    let mut out = String::new();
    {
        let backend = SVGBackend::with_string(&mut out, (cols.width as u32, height.ceil() as u32));
        let c: Canvas = backend.into_drawing_area();
        let _ = c.fill(&WHITE);
        let last_bottom = steps(&c, flow, &cols, &heights);
        if groups > 0 {
            final_groups(&c, flow, &cols, last_bottom, (group_w, group_h));
        }
        let _ = c.present();
    }
    out
}

/// The steps down the main column, each joined to the next by an arrow with the exclusion
/// between them, if any, to its right. Returns the bottom of the last step's box.
fn steps(c: &Canvas, flow: &Flow, cols: &Columns, heights: &[f64]) -> f64 {
    let mut y = 20.0;
    for (i, (label, n)) in flow.steps.iter().enumerate() {
        let h = heights[i];
        boxed(c, (cols.main_x, y + h / 2.0), cols.main_w, h, label, *n);
        if i + 1 < flow.steps.len() {
            arrow_down(c, (cols.main_x, y + h), y + h + GAP);
            if let Some(Some((why, k))) = flow.excluded.get(i) {
                exclusion(c, cols, y + h + GAP / 2.0, why, *k);
            }
        }
        y += h + GAP;
    }
    y - GAP
}

/// An arrow from the main column at height `mid` to a box of those excluded there.
fn exclusion(c: &Canvas, cols: &Columns, mid: f64, why: &str, k: u64) {
    let eh = box_height(why, cols.side_w);
    let edge = cols.side_x - cols.side_w / 2.0;
    draw::line(c, &[(cols.main_x, mid), (edge, mid)], BLACK, 1);
    draw::line(
        c,
        &[
            (edge - 6.0, mid - 4.0),
            (edge, mid),
            (edge - 6.0, mid + 4.0),
        ],
        BLACK,
        1,
    );
    boxed(c, (cols.side_x, mid), cols.side_w, eh, why, k);
}

/// The final groups side by side across the figure, branching from the last step's box
/// (whose bottom is at `last_bottom`), each box `size` (width, height).
fn final_groups(c: &Canvas, flow: &Flow, cols: &Columns, last_bottom: f64, size: (f64, f64)) {
    let (group_w, group_h) = size;
    let groups = flow.groups.len();
    let branch_y = last_bottom + GAP / 2.0 + 8.0;
    let main_x = cols.main_x;
    draw::line(c, &[(main_x, last_bottom), (main_x, branch_y)], BLACK, 1);
    let span = (cols.width - 40.0) / groups as f64;
    let centres: Vec<f64> = (0..groups)
        .map(|g| 20.0 + span * (g as f64 + 0.5))
        .collect();
    // The branch reaches from the line coming down to every group's arrow.
    draw::line(
        c,
        &[
            (centres[0].min(main_x), branch_y),
            (centres[groups - 1].max(main_x), branch_y),
        ],
        BLACK,
        1,
    );
    let top = branch_y + GAP / 2.0 + 8.0;
    for (g, (label, n)) in flow.groups.iter().enumerate() {
        arrow_down(c, (centres[g], branch_y), top);
        boxed(
            c,
            (centres[g], top + group_h / 2.0),
            group_w,
            group_h,
            label,
            *n,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_final_groups_are_drawn_not_refused() {
        let flow = Flow {
            steps: vec![("Enrolled".into(), 400)],
            excluded: vec![],
            groups: (0..40).map(|g| (format!("site {g}"), 10)).collect(),
            width: WIDTH,
        };
        assert!(svg(&flow).matches("site").count() >= 40);
    }

    #[test]
    fn one_final_group_hangs_from_the_branch() {
        let flow = Flow {
            steps: vec![("Enrolled".into(), 10)],
            excluded: vec![],
            groups: vec![("all".into(), 10)],
            width: WIDTH,
        };
        let svg = svg(&flow);
        assert!(
            svg.contains(&format!("{},", Columns::new(WIDTH).main_x)),
            "{svg}"
        );
    }

    #[test]
    fn a_narrower_canvas_narrows_the_columns_and_wraps_their_labels() {
        let flow = |width| Flow {
            steps: vec![
                ("Patients with stage IV rectal cancer".into(), 228),
                ("Completed the whole schedule".into(), 142),
            ],
            excluded: vec![Some(("Did not complete the schedule".into(), 86))],
            groups: vec![],
            width,
        };
        let (wide, narrow) = (svg(&flow(WIDTH)), svg(&flow(390.0)));
        assert_eq!(super::super::files::measure(&narrow).0, 390.0);
        assert!(narrow.matches("<text").count() > wide.matches("<text").count());
        // Below the floor the columns keep their width and the canvas stops narrowing.
        assert_eq!(
            super::super::files::measure(&svg(&flow(100.0))).0,
            MIN_MAIN_W + MIN_SIDE_W + MARGINS
        );
    }

    #[test]
    fn labels_wrap_at_word_boundaries() {
        assert_eq!(
            wrap("Patients with stage IV rectal cancer", 16),
            ["Patients with", "stage IV rectal", "cancer"]
        );
    }
}
