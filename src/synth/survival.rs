//! Survival endpoints: entry dates over the accrual window, which censor each patient at
//! the cut-off, and per target group a piecewise-exponential curve through the group's
//! landmark rates and median, with hazard-ratio effects scaled so the group keeps its
//! target.

use indexmap::IndexMap;

use super::spec::{Accrual, Applies, Ctx, EndpointSynth, endpoint_key};
use super::{Draft, calibration, round};
use crate::error::Result;
use crate::rng::Rng;

/// Entry dates spread evenly over the accrual window, written to the accrual's column
/// when it names one. Answers each patient's follow-up to the cut-off, in days.
pub(super) fn accrue(
    ctx: &Ctx,
    draft: &mut Draft,
    rng: &mut Rng,
    accrual: &Accrual,
) -> Result<Vec<f64>> {
    let window = accrual.window(ctx)?;
    let days = (window.end - window.start + 1) as f64;
    let entries: Vec<i64> = rng
        .stratified(draft.n)
        .iter()
        .map(|u| window.start + (days * u).floor() as i64)
        .collect();
    if let Some(column) = &accrual.column {
        let dates = entries.iter().map(|d| Some(civil_text(*d))).collect();
        draft.cells.insert(column.clone(), dates);
    }
    Ok(entries
        .iter()
        .map(|entry| (window.cutoff - entry) as f64)
        .collect())
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
fn civil_text(days: i64) -> String {
    let (y, m, d) = crate::spec::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Adds each endpoint's time and event columns, in the order the spec lists them.
/// `follow_up` is each patient's days to the cut-off (infinite without an accrual).
pub(super) fn add_endpoints(
    ctx: &Ctx,
    draft: &mut Draft,
    rng: &mut Rng,
    endpoints: &IndexMap<String, EndpointSynth>,
    follow_up: &[f64],
) -> Result<()> {
    // One uniform per patient drives every endpoint (comonotone), so ordered targets give
    // ordered times: a patient's progression never comes after their death.
    let shared = rng.stratified(draft.n);
    let mut times: IndexMap<String, Vec<(f64, bool)>> = IndexMap::new();
    for (name, e) in endpoints {
        if let Some(m) = e.min
            && !(m.is_finite() && m >= 0.0)
        {
            return Err(ctx.err(
                &endpoint_key(name, "min"),
                format!("endpoint `{name}`: `min` {m} must be a time ≥ 0"),
            ));
        }
        let groups = groups(ctx, draft, name, e)?;
        let draw = Draw {
            shared: &shared,
            multiplier: multipliers(ctx, draft, name, e)?,
            follow_up,
            unit_days: e.unit.days(),
            digits: e.digits.unwrap_or(1),
            min: e.min.unwrap_or(0.0),
        };
        let mut out = vec![(0.0, false); draft.n];
        for (label, target) in &e.targets {
            let rows = members(&groups, label);
            if rows.is_empty() {
                return Err(ctx.err(
                    &endpoint_key(name, "targets"),
                    format!("endpoint `{name}`: no patient is in group `{label}`"),
                ));
            }
            let curve = Piecewise::new(target.points(ctx, name)?).map_err(|m| {
                ctx.err(
                    &endpoint_key(name, "targets"),
                    format!("endpoint `{name}`, group `{label}`: {m}"),
                )
            })?;
            let ends = match &e.not_after {
                Some(other) => Some(earlier(ctx, &times, name, other)?),
                None => None,
            };
            draw.group(&rows, &curve, ends, &mut out);
        }
        add_columns(draft, e, &out);
        let lines = calibration::endpoint(ctx, name, e, &groups, &out)?;
        draft.calibration.extend(lines);
        times.insert(name.clone(), out);
    }
    Ok(())
}

/// The times of `other`, an endpoint generated before `name`.
fn earlier<'a>(
    ctx: &Ctx,
    times: &'a IndexMap<String, Vec<(f64, bool)>>,
    name: &str,
    other: &str,
) -> Result<&'a [(f64, bool)]> {
    times.get(other).map(Vec::as_slice).ok_or_else(|| {
        ctx.err(
            &endpoint_key(name, "not_after"),
            format!(
                "endpoint `{name}`: `not_after` names `{other}`, which must be defined above it"
            ),
        )
    })
}

/// Each patient's target group: their level of `by`, or `all`.
fn groups(ctx: &Ctx, draft: &Draft, name: &str, e: &EndpointSynth) -> Result<Vec<Option<String>>> {
    match &e.by {
        Some(b) => draft.cells.get(b).cloned().ok_or_else(|| {
            ctx.err(
                &endpoint_key(name, "by"),
                format!("endpoint `{name}`: `by` column `{b}` is not defined"),
            )
        }),
        None => Ok(vec![Some("all".to_string()); draft.n]),
    }
}

/// The patients of one target group.
pub(super) fn members(groups: &[Option<String>], label: &str) -> Vec<usize> {
    (0..groups.len())
        .filter(|&i| groups[i].as_deref() == Some(label))
        .collect()
}

/// Each patient's hazard ratio: the product of the effects that apply to them.
fn multipliers(ctx: &Ctx, draft: &Draft, name: &str, e: &EndpointSynth) -> Result<Vec<f64>> {
    let mut multiplier = vec![1.0; draft.n];
    for (k, effect) in e.effects.iter().enumerate() {
        let applies = effect.applies(ctx, name, k)?;
        for (i, m) in multiplier.iter_mut().enumerate() {
            let applies = match applies {
                Applies::Level(level) => {
                    draft
                        .cells
                        .get(&effect.column)
                        .and_then(|c| c[i].as_deref())
                        == Some(level)
                }
                Applies::Above(t) => draft
                    .numbers
                    .get(&effect.column)
                    .and_then(|c| c[i])
                    .is_some_and(|x| x > t),
            };
            if applies {
                *m *= effect.hr;
            }
        }
    }
    Ok(multiplier)
}

/// What every target group of one endpoint draws its times from.
struct Draw<'a> {
    shared: &'a [f64],
    multiplier: Vec<f64>,
    follow_up: &'a [f64],
    unit_days: f64,
    digits: usize,
    min: f64,
}

impl Draw<'_> {
    /// The times of one group's patients, into `out`: through the group's curve, censored
    /// at the cut-off, and ended by the `not_after` endpoint's times when it ends first.
    fn group(
        &self,
        rows: &[usize],
        curve: &Piecewise,
        not_after: Option<&[(f64, bool)]>,
        out: &mut [(f64, bool)],
    ) {
        // Hazard ratios scaled to mean 1 within the group, so the group's survival stays
        // near its target.
        let mean: f64 = rows.iter().map(|&i| self.multiplier[i]).sum::<f64>() / rows.len() as f64;
        // Within the group, the shared uniforms are replaced by their stratified ranks:
        // the order (and so the ordering between endpoints) is kept, and the group's
        // sample follows its target curve as closely as its size allows.
        let mut order: Vec<usize> = rows.to_vec();
        order.sort_by(|&a, &b| self.shared[a].total_cmp(&self.shared[b]));
        let mut u = vec![0.0; out.len()];
        for (rank, &i) in order.iter().enumerate() {
            u[i] = (rank as f64 + 0.5) / rows.len() as f64;
        }
        // Round up so a time is never 0, as no follow-up is.
        let smallest = 10f64.powi(-(self.digits as i32));
        for &i in rows {
            let t = curve
                .inverse(-u[i].ln() / (self.multiplier[i] / mean))
                .max(self.min);
            let limit = self.follow_up[i] / self.unit_days;
            let (mut t, mut event) = if t <= limit {
                (t, true)
            } else {
                (limit, false)
            };
            if let Some(other) = not_after
                && other[i].0 <= t
            {
                (t, event) = other[i];
            }
            out[i] = (round(t, self.digits).max(smallest), event);
        }
    }
}

/// The endpoint's time and event columns.
fn add_columns(draft: &mut Draft, e: &EndpointSynth, out: &[(f64, bool)]) {
    let digits = e.digits.unwrap_or(1);
    let time = out.iter().map(|(t, _)| Some(format!("{t:.digits$}")));
    draft.cells.insert(e.time.clone(), time.collect());
    let event = out.iter().map(|(_, ev)| Some((*ev as u8).to_string()));
    draft.cells.insert(e.event.clone(), event.collect());
}

/// Piecewise-exponential survival through (t, S) knots: cumulative hazard and its inverse.
struct Piecewise {
    knots: Vec<(f64, f64)>, // (time, cumulative hazard), starting at (0, 0)
    last_rate: f64,
}

impl Piecewise {
    fn new(mut points: Vec<(f64, f64)>) -> std::result::Result<Piecewise, String> {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut knots = vec![(0.0, 0.0)];
        let mut last = (0.0, 1.0);
        for (t, s) in points {
            if !(s > 0.0 && s < 1.0) {
                return Err(format!(
                    "survival {s} at {t} must lie strictly between 0 and 1"
                ));
            }
            if t <= last.0 || s >= last.1 {
                return Err(format!(
                    "survival must fall as time rises, but it is {} at {} and {s} at {t}",
                    last.1, last.0
                ));
            }
            knots.push((t, -s.ln()));
            last = (t, s);
        }
        if knots.len() < 2 {
            return Err(
                "an endpoint needs at least one target (a landmark rate or a median)".into(),
            );
        }
        let n = knots.len();
        let last_rate = (knots[n - 1].1 - knots[n - 2].1) / (knots[n - 1].0 - knots[n - 2].0);
        Ok(Piecewise { knots, last_rate })
    }

    /// The time at which the cumulative hazard reaches `h`.
    fn inverse(&self, h: f64) -> f64 {
        for w in self.knots.windows(2) {
            if h <= w[1].1 {
                return w[0].0 + (h - w[0].1) * (w[1].0 - w[0].0) / (w[1].1 - w[0].1);
            }
        }
        let (t, hh) = *self.knots.last().expect("two knots at least");
        t + (h - hh) / self.last_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_exponential_passes_through_its_targets() {
        let c = Piecewise::new(vec![(12.0, 0.9), (36.0, 0.6), (24.0, 0.75)]).unwrap();
        for (t, s) in [(12.0, 0.9f64), (24.0, 0.75), (36.0, 0.6)] {
            assert!((c.inverse(-s.ln()) - t).abs() < 1e-9);
        }
        // beyond the last knot the last hazard continues
        assert!(c.inverse(-(0.5f64).ln()) > 36.0);
    }

    #[test]
    fn targets_must_fall() {
        assert!(Piecewise::new(vec![(12.0, 0.6), (24.0, 0.7)]).is_err());
    }
}
