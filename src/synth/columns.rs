//! The patient-level columns, each for the patients its `when` selects: identifiers,
//! categories with exact counts, continuous values spread through their published points,
//! and recodes of a column defined above. Each adds its calibration lines as it goes.

use super::spec::{ColumnKind, ColumnSynth, Ctx, Published, When, column_key, scalar};
use super::{Calibration, Draft, round};
use crate::error::Result;
use crate::rng::Rng;

/// Generates column `name` and adds it to the draft.
pub(super) fn add(
    ctx: &Ctx,
    draft: &mut Draft,
    rng: &mut Rng,
    name: &str,
    col: &ColumnSynth,
) -> Result<()> {
    let selected = select(ctx, draft, name, col.when.as_ref())?;
    let column = match col.kind {
        ColumnKind::Id => (1..=draft.n).map(|i| Some(i.to_string())).collect(),
        ColumnKind::Categorical => categorical(ctx, draft, rng, name, col, &selected)?,
        ColumnKind::Recode => recode(ctx, draft, name, col, &selected)?,
        ColumnKind::Continuous => {
            let column = continuous(ctx, draft, rng, name, col, &selected)?;
            let numbers = column
                .iter()
                .map(|v| v.as_ref().and_then(|s| s.parse().ok()))
                .collect();
            draft.numbers.insert(name.to_string(), numbers);
            column
        }
    };
    draft.cells.insert(name.to_string(), column);
    Ok(())
}

/// The patients a column applies to.
struct Selected {
    rows: Vec<usize>,
    /// How the calibration table names them: ` (among 116 with site in ["liver"])`, or
    /// nothing when the column applies to everyone.
    scope: String,
}

fn select(ctx: &Ctx, draft: &Draft, name: &str, when: Option<&When>) -> Result<Selected> {
    let Some(w) = when else {
        return Ok(Selected {
            rows: (0..draft.n).collect(),
            scope: String::new(),
        });
    };
    let Some(source) = draft.cells.get(&w.column) else {
        return Err(ctx.err(
            &column_key(name, "when"),
            format!(
                "column `{name}`: `when` refers to `{}`, which is not a column defined above it",
                w.column
            ),
        ));
    };
    let wanted: Vec<String> = w.values.iter().map(scalar).collect();
    let rows: Vec<usize> = (0..draft.n)
        .filter(|&i| source[i].as_ref().is_some_and(|v| wanted.contains(v)))
        .collect();
    let scope = format!(" (among {} with {} in {:?})", rows.len(), w.column, wanted);
    Ok(Selected { rows, scope })
}

fn categorical(
    ctx: &Ctx,
    draft: &mut Draft,
    rng: &mut Rng,
    name: &str,
    col: &ColumnSynth,
    selected: &Selected,
) -> Result<Vec<Option<String>>> {
    let counts = col.categorical_counts(ctx, name)?;
    let total: usize = counts.values().sum();
    let rows = &selected.rows;
    if total != rows.len() {
        return Err(ctx.err(
            &column_key(name, "counts"),
            format!(
                "column `{name}`: the counts add up to {total}, but it applies to {} patients{}",
                rows.len(),
                selected.scope
            ),
        )
        .hint("the counts of a variable must add up to the patients it describes"));
    }
    let mut labels: Vec<&String> = counts
        .iter()
        .flat_map(|(level, k)| std::iter::repeat_n(level, *k))
        .collect();
    rng.shuffle(&mut labels);
    let mut column = vec![None; draft.n];
    for (&r, l) in rows.iter().zip(labels) {
        column[r] = Some(l.clone());
    }
    for (level, k) in counts {
        let got = column
            .iter()
            .filter(|v| v.as_deref() == Some(level.as_str()))
            .count();
        draft.calibration.push(Calibration {
            what: format!("{name} = {level}{}", selected.scope),
            target: k.to_string(),
            achieved: got.to_string(),
        });
    }
    Ok(column)
}

fn recode(
    ctx: &Ctx,
    draft: &mut Draft,
    name: &str,
    col: &ColumnSynth,
    selected: &Selected,
) -> Result<Vec<Option<String>>> {
    let (from, map) = col.recode_map(ctx, name)?;
    let Some(source) = draft.cells.get(from) else {
        return Err(ctx.err(
            &column_key(name, "from"),
            format!(
                "column `{name}`: `from` names `{from}`, which is not a column defined above it"
            ),
        ));
    };
    let mut column = vec![None; draft.n];
    for &r in &selected.rows {
        column[r] = source[r].as_ref().and_then(|v| map.get(v)).cloned();
    }
    let mut levels: Vec<&String> = map.values().collect();
    levels.dedup();
    for level in levels {
        let got = column.iter().filter(|v| v.as_ref() == Some(level)).count();
        draft.calibration.push(Calibration {
            what: format!("{name} = {level}{}", selected.scope),
            target: "(recoded)".into(),
            achieved: got.to_string(),
        });
    }
    Ok(column)
}

fn continuous(
    ctx: &Ctx,
    draft: &mut Draft,
    rng: &mut Rng,
    name: &str,
    col: &ColumnSynth,
    selected: &Selected,
) -> Result<Vec<Option<String>>> {
    let published = col.published(ctx, name)?;
    let digits = col.digits.unwrap_or(1);
    let mut xs = spread(&published, col.log, selected.rows.len(), digits);
    rng.shuffle(&mut xs);
    let mut column = vec![None; draft.n];
    for (&r, x) in selected.rows.iter().zip(&xs) {
        column[r] = Some(format!("{x:.digits$}"));
    }
    let mut sorted = xs;
    sorted.sort_by(f64::total_cmp);
    let median = crate::stats::describe::quantile_type2(&sorted, 0.5);
    let scope = &selected.scope;
    draft.calibration.push(Calibration {
        what: format!("{name} median{scope}"),
        target: published.median.to_string(),
        achieved: crate::data::number_label(round(median, digits + 2)),
    });
    draft.calibration.push(Calibration {
        what: format!("{name} range{scope}"),
        target: format!("{} to {}", published.min, published.max),
        achieved: format!("{} to {}", sorted[0], sorted[sorted.len() - 1]),
    });
    Ok(column)
}

/// `m` values evenly spread through the published quantiles, rounded to `digits`: the
/// extremes exactly at min and max, and the middle value (or both middle values) exactly
/// at the median, so the sample's median, minimum and maximum are the published ones.
fn spread(published: &Published, log: bool, m: usize, digits: usize) -> Vec<f64> {
    let q = quantile_fn(&published.points, log);
    let mut xs: Vec<f64> = (0..m)
        .map(|i| {
            let u = if m == 1 {
                0.5
            } else {
                i as f64 / (m - 1) as f64
            };
            round(q(u), digits)
        })
        .collect();
    let median = round(published.median, digits);
    if m % 2 == 1 {
        xs[m / 2] = median;
    } else if m >= 2 {
        xs[m / 2 - 1] = median;
        xs[m / 2] = median;
    }
    xs
}

/// A continuous variable's quantile function: piecewise linear through the published
/// points (min, quartiles, median, max), on the log scale when `log`.
fn quantile_fn(points: &[(f64, f64)], log: bool) -> impl Fn(f64) -> f64 + '_ {
    move |u: f64| {
        let k = points
            .windows(2)
            .position(|w| u <= w[1].0)
            .unwrap_or(points.len() - 2);
        let ((p0, x0), (p1, x1)) = (points[k], points[k + 1]);
        let w = if p1 == p0 { 1.0 } else { (u - p0) / (p1 - p0) };
        if log {
            (x0.ln() + (x1.ln() - x0.ln()) * w).exp()
        } else {
            x0 + (x1 - x0) * w
        }
    }
}
