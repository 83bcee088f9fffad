//! The patient-level columns, each for the patients its `when` selects: identifiers,
//! categories with exact counts, continuous values spread through their published points,
//! and recodes of a column defined above. Each adds its calibration lines as it goes.

use std::collections::BTreeSet;

use super::calibration::{Among, Quantity, Subject};
use super::spec::{ColumnKind, ColumnSynth, Ctx, Published, When, column_key, scalar};
use super::{Calibration, Draft, round};
use crate::error::{Error, Result};
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
struct Selected<'a> {
    rows: Vec<usize>,
    /// How the calibration table names them, when the column is not everyone's.
    scope: Option<Among>,
    when: Option<&'a When>,
}

impl Selected<'_> {
    /// The `when` that selects nobody, if it does. Without a `when` everyone is selected,
    /// and there is at least one patient.
    fn nobody(&self) -> Option<&When> {
        self.when.filter(|_| self.rows.is_empty())
    }
}

fn select<'a>(
    ctx: &Ctx,
    draft: &Draft,
    name: &str,
    when: Option<&'a When>,
) -> Result<Selected<'a>> {
    let Some(w) = when else {
        return Ok(Selected {
            rows: (0..draft.n).collect(),
            scope: None,
            when: None,
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
    let scope = Some(Among {
        n: rows.len(),
        column: w.column.clone(),
        values: wanted,
    });
    Ok(Selected {
        rows,
        scope,
        when: Some(w),
    })
}

/// A `when` that selects no patient for a column that needs some. The condition then
/// names values nobody has, most often a misspelt level, so the hint offers the level
/// meant or, failing that, the levels there are.
fn nobody_selected(ctx: &Ctx, draft: &Draft, name: &str, w: &When, consequence: &str) -> Error {
    let wanted: Vec<String> = w.values.iter().map(scalar).collect();
    let levels: BTreeSet<&str> = draft.cells[&w.column]
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let mut error = ctx.err(
        &column_key(name, "when"),
        format!(
            "column `{name}`: no patient matches `when` ({} in {wanted:?}), {consequence}",
            w.column
        ),
    );
    let mut suggested = false;
    for value in &wanted {
        if let Some(level) = nearest_level(value, &levels) {
            error = error.hint(format!(
                "no patient has {} `{value}`: did you mean `{level}`?",
                w.column
            ));
            suggested = true;
        }
    }
    if !suggested {
        error = error.hint(levels_of(&w.column, &levels));
    }
    error
}

/// The level a value most likely meant: the same but for case, else the closest spelling.
fn nearest_level<'a>(value: &str, levels: &BTreeSet<&'a str>) -> Option<&'a str> {
    levels
        .iter()
        .find(|l| l.eq_ignore_ascii_case(value))
        .copied()
        .or_else(|| crate::error::nearest(value, levels.iter().copied()))
}

fn levels_of(column: &str, levels: &BTreeSet<&str>) -> String {
    const SHOWN: usize = 12;
    if levels.is_empty() {
        return format!("`{column}` has no value for any patient");
    }
    let mut list: Vec<String> = levels
        .iter()
        .take(SHOWN)
        .map(|l| format!("`{l}`"))
        .collect();
    if levels.len() > SHOWN {
        list.push(format!("and {} more", levels.len() - SHOWN));
    }
    format!("the values of `{column}` are {}", list.join(", "))
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
        if let Some(w) = selected.nobody() {
            let consequence = format!("but the counts add up to {total}");
            return Err(nobody_selected(ctx, draft, name, w, &consequence));
        }
        return Err(ctx.err(
            &column_key(name, "counts"),
            format!(
                "column `{name}`: the counts add up to {total}, but it applies to {} patients{}",
                rows.len(),
                selected.scope.as_ref().map(Among::plain).unwrap_or_default()
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
            what: Subject::Level {
                column: name.to_string(),
                level: level.clone(),
            },
            among: selected.scope.clone(),
            target: Quantity::Count(*k as u64),
            achieved: Quantity::Count(got as u64),
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
            what: Subject::Level {
                column: name.to_string(),
                level: level.clone(),
            },
            among: selected.scope.clone(),
            target: Quantity::Recoded,
            achieved: Quantity::Count(got as u64),
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
    if let Some(w) = selected.nobody() {
        let consequence = "so there is no one to give its median and range";
        return Err(nobody_selected(ctx, draft, name, w, consequence));
    }
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
    draft.calibration.push(Calibration {
        what: Subject::Median {
            column: name.to_string(),
        },
        among: selected.scope.clone(),
        target: Quantity::Value(published.median, None),
        achieved: Quantity::Value(round(median, digits + 2), None),
    });
    draft.calibration.push(Calibration {
        what: Subject::Range {
            column: name.to_string(),
        },
        among: selected.scope.clone(),
        target: Quantity::Range(published.min, published.max),
        achieved: Quantity::Range(sorted[0], sorted[sorted.len() - 1]),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    const SITES: &str = "\
synth: 1
n: 10
columns:
  site: { kind: categorical, counts: { liver: 6, lung: 4 } }
";

    fn generate(columns: &str) -> Result<crate::synth::Synthesised> {
        let text = format!("{SITES}{columns}");
        let spec = serde_yaml::from_str(&text).expect("a well-formed spec");
        crate::synth::generate(std::path::Path::new("s.yaml"), &spec, &text, None)
    }

    #[test]
    fn a_continuous_column_whose_when_matches_nobody_is_refused_at_the_when() {
        let e = generate(
            "  size: { kind: continuous, when: { column: site, in: [Liver] }, median: 2, min: 1, max: 5 }\n",
        )
        .err()
        .expect("no patient to spread the values over");
        assert_eq!(e.location(), Some(&Location::at("s.yaml", 5, 29)));
        assert!(e.message().contains("no patient matches `when`"), "{e}");
        assert_eq!(
            e.hints(),
            ["no patient has site `Liver`: did you mean `liver`?"]
        );
    }

    #[test]
    fn categorical_counts_for_nobody_are_refused_at_the_when() {
        let e = generate(
            "  number:\n    kind: categorical\n    when: { column: site, in: [livr] }\n    counts: { few: 3, many: 3 }\n",
        )
        .err()
        .expect("counts for a selection that is empty");
        assert_eq!(e.location(), Some(&Location::at("s.yaml", 7, 5)));
        assert!(
            e.message().ends_with(
                "no patient matches `when` (site in [\"livr\"]), but the counts add up to 6"
            ),
            "{e}"
        );
        assert_eq!(
            e.hints(),
            ["no patient has site `livr`: did you mean `liver`?"]
        );
    }

    #[test]
    fn without_a_likely_level_the_hint_lists_the_levels() {
        let e = generate(
            "  size: { kind: continuous, when: { column: site, in: [bone] }, median: 2, min: 1, max: 5 }\n",
        )
        .err()
        .expect("no patient has bone");
        assert_eq!(e.hints(), ["the values of `site` are `liver`, `lung`"]);
    }

    #[test]
    fn counts_of_zero_for_nobody_still_add_up() {
        let made = generate(
            "  number: { kind: categorical, when: { column: site, in: [bone] }, counts: { few: 0 } }\n",
        )
        .expect("zero counts among zero patients");
        assert!(made.csv.lines().skip(1).all(|l| l.ends_with(',')));
    }

    #[test]
    fn the_level_meant_is_found_despite_case_or_a_slip() {
        let levels = BTreeSet::from(["liver", "lung", "liver and lung"]);
        assert_eq!(nearest_level("LIVER", &levels), Some("liver"));
        assert_eq!(nearest_level("lvier", &levels), Some("liver"));
        assert_eq!(nearest_level("bone", &levels), None);
    }

    #[test]
    fn spread_puts_median_and_extremes_exactly() {
        let published = Published {
            median: 2.0,
            min: 1.0,
            max: 5.0,
            points: vec![(0.0, 1.0), (0.5, 2.0), (1.0, 5.0)],
        };
        assert_eq!(spread(&published, false, 0, 1), Vec::<f64>::new());
        assert_eq!(spread(&published, false, 1, 1), [2.0]);
        assert_eq!(spread(&published, false, 4, 1), [1.0, 2.0, 2.0, 5.0]);
        assert_eq!(spread(&published, false, 5, 1), [1.0, 1.5, 2.0, 3.5, 5.0]);
    }
}
