//! Survival endpoints: entry dates over the accrual window, which censor each patient at
//! the cut-off, and per target group a piecewise-exponential curve through the group's
//! landmark rates and median. Hazard-ratio effects order the group's patients in time and
//! leave its curve as it is; with `effects_fit: univariable` the ratios to imprint are
//! searched for until univariable Cox models of the generated times give the spec's.

use indexmap::IndexMap;

use super::calibration::{Calibration, Quantity, Subject};
use super::spec::{Accrual, Applies, Ctx, EffectsFit, EndpointSynth, endpoint_key};
use super::{Draft, calibration, round};
use crate::error::Result;
use crate::rng::Rng;
use crate::spec::Ties;
use crate::stats::cox::{Design, coefficients};

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
        let ends = match &e.not_after {
            Some(other) => Some(earlier(ctx, &times, name, other)?),
            None => None,
        };
        let mut curves = Vec::new();
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
            curves.push((rows, curve));
        }
        let effects = effect_rows(ctx, draft, name, e)?;
        let mut draw = Draw {
            shared: &shared,
            multiplier: Vec::new(),
            follow_up,
            unit_days: e.unit.days(),
            digits: e.digits.unwrap_or(1),
            min: e.min.unwrap_or(0.0),
        };
        let generate = |draw: &mut Draw, log_hr: &[f64]| {
            draw.multiplier = multipliers(&effects, log_hr, draft.n);
            let mut out = vec![(0.0, false); draft.n];
            for (rows, curve) in &curves {
                draw.group(rows, curve, ends, &mut out);
            }
            out
        };
        let imprinted: Vec<f64> = e.effects.iter().map(|f| f.hr.ln()).collect();
        let out = match e.effects_fit {
            EffectsFit::Imprinted => generate(&mut draw, &imprinted),
            EffectsFit::Univariable => {
                let (out, fitted) = fit_effects(e, &effects, |log_hr| generate(&mut draw, log_hr));
                for (f, got) in e.effects.iter().zip(fitted) {
                    draft.calibration.push(Calibration {
                        what: Subject::HazardRatio {
                            endpoint: name.clone(),
                            column: f.column.clone(),
                            applies: match (&f.level, f.above) {
                                (Some(level), _) => format!("= {level}"),
                                (None, t) => {
                                    format!("> {}", crate::data::number_label(t.unwrap_or(0.0)))
                                }
                            },
                        },
                        among: None,
                        target: Quantity::Value(f.hr, None),
                        achieved: got
                            .map_or(Quantity::Missing, |b| Quantity::Value(b.exp(), Some(3))),
                    });
                }
                out
            }
        };
        add_columns(draft, e, &out);
        let lines = calibration::endpoint(ctx, name, e, &groups, &out)?;
        draft.calibration.extend(lines);
        times.insert(name.clone(), out);
    }
    Ok(())
}

/// For each effect, whether it applies to each patient; none for a patient without a
/// value of its column (a count of liver metastases for a patient without any), whom a
/// univariable model of that column leaves out.
fn effect_rows(
    ctx: &Ctx,
    draft: &Draft,
    name: &str,
    e: &EndpointSynth,
) -> Result<Vec<Vec<Option<bool>>>> {
    let mut out = Vec::new();
    for (k, effect) in e.effects.iter().enumerate() {
        let applies = effect.applies(ctx, name, k)?;
        out.push(
            (0..draft.n)
                .map(|i| match applies {
                    Applies::Level(level) => draft
                        .cells
                        .get(&effect.column)
                        .and_then(|c| c[i].as_deref())
                        .map(|v| v == level),
                    Applies::Above(t) => draft
                        .numbers
                        .get(&effect.column)
                        .and_then(|c| c[i])
                        .map(|x| x > t),
                })
                .collect(),
        );
    }
    Ok(out)
}

/// Each patient's hazard ratio: the product of the effects that apply to them.
fn multipliers(effects: &[Vec<Option<bool>>], log_hr: &[f64], n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            effects
                .iter()
                .zip(log_hr)
                .filter(|(rows, _)| rows[i] == Some(true))
                .map(|(_, b)| b)
                .sum::<f64>()
                .exp()
        })
        .collect()
}

/// Rounds of the search for imprinted ratios; each is one generation and one Cox fit per
/// effect, on the same draws, so the search is as reproducible as the cohort.
const ROUNDS: usize = 100;
const TRIALS: usize = 300;

/// Searches the imprinted log hazard ratios until each effect's univariable Cox model of
/// the generated times gives its `hr`, and answers the times and the fitted log ratios of
/// the round that came closest (the largest miss of any ratio, smallest).
///
/// A Cox fit sees only the times' order, and a patient moving past another can flip an
/// event at the cut-off, so the fitted ratios move in steps and a plain iteration ends up
/// hopping between two near answers. It is run first, each ratio moved by part of its
/// miss (the fitted ratio follows the imprinted one with a slope below 1); then small
/// random moves from the best point so far are kept when they come closer. The moves come
/// from a fixed seed: the same spec gives the same cohort.
fn fit_effects(
    e: &EndpointSynth,
    effects: &[Vec<Option<bool>>],
    mut generate: impl FnMut(&[f64]) -> Vec<(f64, bool)>,
) -> (Vec<(f64, bool)>, Vec<Option<f64>>) {
    let target: Vec<f64> = e.effects.iter().map(|f| f.hr.ln()).collect();
    let mut try_at = |imprint: &[f64]| {
        let out = generate(imprint);
        let fitted: Vec<Option<f64>> = effects.iter().map(|rows| univariable(&out, rows)).collect();
        let miss = fitted
            .iter()
            .zip(&target)
            .map(|(f, t)| f.map_or(f64::INFINITY, |f| (f.exp() - t.exp()).abs()))
            .fold(0.0, f64::max);
        (miss, out, fitted)
    };
    let mut imprint = target.clone();
    let mut best = (f64::INFINITY, Vec::new(), Vec::new(), imprint.clone());
    for round in 0..ROUNDS {
        let (miss, out, fitted) = try_at(&imprint);
        if miss < best.0 {
            best = (miss, out, fitted.clone(), imprint.clone());
        }
        if miss < 5e-4 || miss.is_infinite() {
            break;
        }
        let gain = 0.5 / (1.0 + round as f64 / 20.0);
        for (j, f) in fitted.iter().enumerate() {
            if let Some(f) = f {
                imprint[j] += gain * (target[j] - f);
            }
        }
    }
    let mut rng = Rng::new(0x5eed_4a7d);
    for trial in 0..TRIALS {
        if best.0 < 5e-4 || best.0.is_infinite() {
            break;
        }
        let scale = 0.05 * (1.0 - trial as f64 / TRIALS as f64);
        let moved: Vec<f64> = best.3.iter().map(|b| b + scale * rng.normal()).collect();
        let (miss, out, fitted) = try_at(&moved);
        if miss < best.0 {
            best = (miss, out, fitted, moved);
        }
    }
    (best.1, best.2)
}

/// The log hazard ratio of a Cox model of `out` on one 0/1 covariate (Efron ties), or
/// none when it cannot be estimated (no events, or everyone on one side).
fn univariable(out: &[(f64, bool)], rows: &[Option<bool>]) -> Option<f64> {
    let kept: Vec<(f64, bool, f64)> = out
        .iter()
        .zip(rows)
        .filter_map(|(&(t, e), r)| r.map(|r| (t, e, r as u8 as f64)))
        .collect();
    let time: Vec<f64> = kept.iter().map(|k| k.0).collect();
    let event: Vec<bool> = kept.iter().map(|k| k.1).collect();
    let design = Design {
        x: kept.iter().map(|k| k.2).collect(),
        rows: kept.len(),
        names: vec!["effect".into()],
        covariates: vec![("effect".into(), vec![0])],
    };
    coefficients(&time, &event, design, Ties::Efron)
        .ok()?
        .first()
        .copied()
        .flatten()
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
        // Within the group, each patient's place in time order comes from the shared
        // uniforms and the hazard ratios (a proportional-hazards draw, −ln u / ratio on the
        // cumulative-hazard scale); the times themselves are the target curve's stratified
        // quantiles, handed out in that order. The group's sample follows its target as
        // closely as its size allows, whatever the ratios, and a Cox model, which sees
        // only the order, sees the ratios. With no ratios the order is the uniforms', so
        // ordered targets give ordered times across endpoints.
        let n = rows.len() as f64;
        let score = |i: usize| -self.shared[i].ln() / self.multiplier[i];
        let mut order: Vec<usize> = rows.to_vec();
        order.sort_by(|&a, &b| score(a).total_cmp(&score(b)).then(a.cmp(&b)));
        let mut quantiles: Vec<f64> = (0..rows.len())
            .map(|r| -((r as f64 + 0.5) / n).ln())
            .collect();
        quantiles.sort_by(f64::total_cmp);
        // Round up so a time is never 0, as no follow-up is.
        let smallest = 10f64.powi(-(self.digits as i32));
        for (&i, &h) in order.iter().zip(&quantiles) {
            let t = curve.inverse(h).max(self.min);
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
