//! `reprise synth`: a patient-level cohort generated from published aggregates.
//!
//! When a paper's patient data are not public, a synthetic cohort calibrated to what the
//! paper reports lets the whole analysis run, and shows how close a reproduction gets.
//! The spec declares the aggregates: exact category counts (optionally among the patients
//! a condition selects), continuous variables from a median and range (and quartiles),
//! the accrual window and data cut-off (which give administrative censoring), and survival
//! endpoints per subgroup from landmark rates and medians. Survival times follow
//! piecewise-exponential hazards that pass through the targets, and one uniform per
//! patient drives every endpoint, so a later event (death) never precedes an earlier one
//! (progression) when the targets are ordered. Same spec and seed, same bytes.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::error::{Error, Location, Result};
use crate::rng::Rng;
use crate::spec::{Seg, UniqueMap, Unit, days_from_civil, parse_date};
use crate::stats::{KmOptions, kaplan_meier};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthSpec {
    pub synth: u64,
    pub n: usize,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub description: Option<String>,
    pub columns: UniqueMap<ColumnSynth>,
    #[serde(default)]
    pub accrual: Option<Accrual>,
    #[serde(default)]
    pub endpoints: UniqueMap<EndpointSynth>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accrual {
    pub start: String,
    pub end: String,
    pub cutoff: String,
    /// Column for the date each patient entered (first treatment).
    #[serde(default)]
    pub column: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Id,
    Categorical,
    Continuous,
    /// A value mapped from another column's (completers from the treatment paths).
    Recode,
}

/// Which patients a conditional variable applies to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    pub column: String,
    #[serde(rename = "in")]
    pub values: Vec<serde_yaml::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSynth {
    pub kind: ColumnKind,
    /// categorical: level → exact count (in the order listed).
    #[serde(default)]
    pub counts: Option<IndexMap<String, usize>>,
    #[serde(default)]
    pub when: Option<When>,
    /// continuous
    #[serde(default)]
    pub median: Option<f64>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub q1: Option<f64>,
    #[serde(default)]
    pub q3: Option<f64>,
    #[serde(default)]
    pub digits: Option<usize>,
    /// continuous: interpolate between the published points on the log scale (for
    /// right-skewed positive values such as tumour markers); default linear.
    #[serde(default)]
    pub log: bool,
    /// recode: the source column and the map of its values.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub map: Option<IndexMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// time → survival probability (0–1).
    #[serde(default)]
    pub at: IndexMap<String, f64>,
    #[serde(default)]
    pub median: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effect {
    pub column: String,
    /// The level that carries the hazard ratio (categorical), or
    #[serde(default)]
    pub level: Option<String>,
    /// the threshold above which it applies (continuous).
    #[serde(default)]
    pub above: Option<f64>,
    pub hr: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSynth {
    pub time: String,
    pub event: String,
    pub unit: Unit,
    /// Targets per level of this column; without it, `all`.
    #[serde(default)]
    pub by: Option<String>,
    pub targets: IndexMap<String, Target>,
    /// Another endpoint this one cannot come after (PFS ≤ OS): its event ends this one too.
    #[serde(default)]
    pub not_after: Option<String>,
    #[serde(default)]
    pub digits: Option<usize>,
    #[serde(default)]
    pub effects: Vec<Effect>,
}

/// One line of the calibration table.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub what: String,
    pub target: String,
    pub achieved: String,
}

pub struct Synthesised {
    pub csv: String,
    pub calibration: Vec<Calibration>,
}

struct Ctx<'a> {
    path: &'a std::path::Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, at: &[Seg], message: impl Into<String>) -> Error {
        Error::in_file(crate::spec::location_in(self.path, self.text, at), message)
    }
}

/// A YAML scalar as the text a data cell would hold (as the study spec reads levels).
fn scalar(v: &serde_yaml::Value) -> String {
    crate::spec::scalar_text::<serde_yaml::Error>(v.clone()).unwrap_or_else(|_| {
        serde_yaml::to_string(v)
            .unwrap_or_default()
            .trim()
            .to_string()
    })
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

fn round(x: f64, digits: usize) -> f64 {
    let f = 10f64.powi(digits as i32);
    (x * f).round() / f
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

pub fn load(path: &std::path::Path) -> Result<(SynthSpec, String)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let msg = if e.kind() == std::io::ErrorKind::NotFound {
            "synth spec not found".to_string()
        } else {
            format!("cannot read the synth spec: {e}")
        };
        Error::in_file(Location::file(path), msg)
    })?;
    if text.trim().is_empty() {
        return Err(
            Error::in_file(Location::file(path), "the synth spec is empty")
                .hint("see data/synth.yaml for the form"),
        );
    }
    let spec: SynthSpec =
        serde_yaml::from_str(&text).map_err(|e| crate::spec::yaml_error(path, &text, &e))?;
    if spec.synth != 1 {
        return Err(Error::in_file(
            Location::at(path, 1, 1),
            format!("unsupported synth format `{}`", spec.synth),
        )
        .hint("this reprise reads `synth: 1`"));
    }
    Ok((spec, text))
}

/// Generates the cohort. `seed` overrides the spec's.
pub fn generate(
    path: &std::path::Path,
    spec: &SynthSpec,
    text: &str,
    seed: Option<u64>,
) -> Result<Synthesised> {
    let ctx = Ctx { path, text };
    let n = spec.n;
    if n == 0 {
        return Err(ctx.err(&[Seg::Key("n")], "n must be at least 1"));
    }
    let mut rng = Rng::new(seed.or(spec.seed).unwrap_or(1));
    let mut values: IndexMap<String, Vec<Option<String>>> = IndexMap::new();
    let mut numbers: IndexMap<String, Vec<Option<f64>>> = IndexMap::new();
    let mut calibration = Vec::new();

    for (name, col) in spec.columns.iter() {
        let here =
            |key: &'static str| vec![Seg::Key("columns"), Seg::Key(name.as_str()), Seg::Key(key)];
        // The patients this column applies to.
        let rows: Vec<usize> = match &col.when {
            None => (0..n).collect(),
            Some(w) => {
                let Some(source) = values.get(&w.column) else {
                    return Err(ctx.err(&here("when"), format!("column `{name}`: `when` refers to `{}`, which is not a column defined above it", w.column)));
                };
                let wanted: Vec<String> = w.values.iter().map(scalar).collect();
                (0..n)
                    .filter(|&i| source[i].as_ref().is_some_and(|v| wanted.contains(v)))
                    .collect()
            }
        };
        let scope = match &col.when {
            Some(w) => format!(
                " (among {} with {} in {:?})",
                rows.len(),
                w.column,
                w.values.iter().map(scalar).collect::<Vec<_>>()
            ),
            None => String::new(),
        };
        let mut column = vec![None; n];
        match col.kind {
            ColumnKind::Id => {
                for (i, c) in column.iter_mut().enumerate() {
                    *c = Some((i + 1).to_string());
                }
            }
            ColumnKind::Categorical => {
                let Some(counts) = &col.counts else {
                    return Err(ctx.err(&[Seg::Key("columns"), Seg::Key(name)], format!("column `{name}`: a categorical column needs `counts: {{ level: n, ... }}`")));
                };
                let total: usize = counts.values().sum();
                if total != rows.len() {
                    return Err(ctx.err(&here("counts"), format!("column `{name}`: the counts add up to {total}, but it applies to {} patients{scope}", rows.len()))
                        .hint("the counts of a variable must add up to the patients it describes"));
                }
                let mut labels: Vec<&String> = counts
                    .iter()
                    .flat_map(|(level, k)| std::iter::repeat_n(level, *k))
                    .collect();
                rng.shuffle(&mut labels);
                for (&r, l) in rows.iter().zip(labels) {
                    column[r] = Some(l.clone());
                }
                for (level, k) in counts {
                    let got = column
                        .iter()
                        .filter(|v| v.as_deref() == Some(level.as_str()))
                        .count();
                    calibration.push(Calibration {
                        what: format!("{name} = {level}{scope}"),
                        target: k.to_string(),
                        achieved: got.to_string(),
                    });
                }
            }
            ColumnKind::Recode => {
                let (Some(from), Some(map)) = (&col.from, &col.map) else {
                    return Err(ctx.err(&[Seg::Key("columns"), Seg::Key(name)], format!("column `{name}`: a recode needs `from: column` and `map: {{ value: new, ... }}`")));
                };
                let Some(source) = values.get(from) else {
                    return Err(ctx.err(&here("from"), format!("column `{name}`: `from` names `{from}`, which is not a column defined above it")));
                };
                for &r in &rows {
                    column[r] = source[r].as_ref().and_then(|v| map.get(v)).cloned();
                }
                let mut levels: Vec<&String> = map.values().collect();
                levels.dedup();
                for level in levels {
                    let got = column.iter().filter(|v| v.as_ref() == Some(level)).count();
                    calibration.push(Calibration {
                        what: format!("{name} = {level}{scope}"),
                        target: "(recoded)".into(),
                        achieved: got.to_string(),
                    });
                }
            }
            ColumnKind::Continuous => {
                let (Some(median), Some(min), Some(max)) = (col.median, col.min, col.max) else {
                    return Err(ctx.err(
                        &[Seg::Key("columns"), Seg::Key(name)],
                        format!(
                            "column `{name}`: a continuous column needs `median`, `min` and `max`"
                        ),
                    ));
                };
                let mut points = vec![(0.0, min)];
                if let Some(q1) = col.q1 {
                    points.push((0.25, q1));
                }
                points.push((0.5, median));
                if let Some(q3) = col.q3 {
                    points.push((0.75, q3));
                }
                points.push((1.0, max));
                if points.windows(2).any(|w| w[0].1 > w[1].1) {
                    return Err(ctx.err(
                        &[Seg::Key("columns"), Seg::Key(name)],
                        format!("column `{name}`: min ≤ q1 ≤ median ≤ q3 ≤ max does not hold"),
                    ));
                }
                if col.log && min <= 0.0 {
                    return Err(ctx.err(
                        &here("log"),
                        format!("column `{name}`: `log: true` needs a minimum above 0"),
                    ));
                }
                let q = quantile_fn(&points, col.log);
                let m = rows.len();
                let digits = col.digits.unwrap_or(1);
                // Evenly spread quantiles, the extremes exactly at min and max, and the middle
                // value (or both middle values) exactly at the median, so the sample's median,
                // minimum and maximum are the published ones.
                let mut xs: Vec<f64> = (0..m)
                    .map(|i| {
                        round(
                            q(if m == 1 {
                                0.5
                            } else {
                                i as f64 / (m - 1) as f64
                            }),
                            digits,
                        )
                    })
                    .collect();
                if m % 2 == 1 {
                    xs[m / 2] = round(median, digits);
                } else if m >= 2 {
                    xs[m / 2 - 1] = round(median, digits);
                    xs[m / 2] = round(median, digits);
                }
                rng.shuffle(&mut xs);
                for (&r, x) in rows.iter().zip(&xs) {
                    column[r] = Some(format!("{x:.digits$}"));
                }
                let mut sorted = xs.clone();
                sorted.sort_by(f64::total_cmp);
                let achieved = crate::stats::describe::quantile_type2(&sorted, 0.5);
                calibration.push(Calibration {
                    what: format!("{name} median{scope}"),
                    target: median.to_string(),
                    achieved: crate::data::number_label(round(achieved, digits + 2)),
                });
                calibration.push(Calibration {
                    what: format!("{name} range{scope}"),
                    target: format!("{min} to {max}"),
                    achieved: format!("{} to {}", sorted[0], sorted[m - 1]),
                });
                numbers.insert(
                    name.clone(),
                    column
                        .iter()
                        .map(|v| v.as_ref().and_then(|s| s.parse().ok()))
                        .collect(),
                );
            }
        }
        values.insert(name.clone(), column);
    }

    // Entry dates across the accrual window; follow-up runs to the cut-off.
    let mut follow_days: Vec<Option<f64>> = vec![None; n];
    if let Some(acc) = &spec.accrual {
        let date = |s: &str, key: &'static str| {
            parse_date(s)
                .map(|(y, m, d)| days_from_civil(y, m, d))
                .ok_or_else(|| {
                    ctx.err(
                        &[Seg::Key("accrual"), Seg::Key(key)],
                        format!("`{s}` is not a date (YYYY-MM-DD)"),
                    )
                })
        };
        let (start, end, cutoff) = (
            date(&acc.start, "start")?,
            date(&acc.end, "end")?,
            date(&acc.cutoff, "cutoff")?,
        );
        if !(start <= end && end <= cutoff) {
            return Err(ctx.err(&[Seg::Key("accrual")], "accrual needs start ≤ end ≤ cutoff"));
        }
        let u = rng.stratified(n);
        let mut entries = Vec::with_capacity(n);
        for (i, ui) in u.iter().enumerate() {
            let entry = start + ((end - start + 1) as f64 * ui).floor() as i64;
            follow_days[i] = Some((cutoff - entry) as f64);
            entries.push(entry);
        }
        if let Some(col) = &acc.column {
            values.insert(
                col.clone(),
                entries.iter().map(|d| Some(civil_text(*d))).collect(),
            );
        }
    }

    // One uniform per patient drives every endpoint (comonotone), so ordered targets give
    // ordered times: a patient's progression never comes after their death.
    let shared = rng.stratified(n);
    let mut times: IndexMap<String, Vec<(f64, bool)>> = IndexMap::new();
    for (name, e) in spec.endpoints.iter() {
        let here = |key: &'static str| {
            vec![
                Seg::Key("endpoints"),
                Seg::Key(name.as_str()),
                Seg::Key(key),
            ]
        };
        let groups: Vec<Option<String>> = match &e.by {
            Some(b) => values.get(b).cloned().ok_or_else(|| {
                ctx.err(
                    &here("by"),
                    format!("endpoint `{name}`: `by` column `{b}` is not defined"),
                )
            })?,
            None => vec![Some("all".to_string()); n],
        };
        // Hazard ratio multipliers, scaled to mean 1 within each target group so the group's
        // survival stays near its target.
        let mut multiplier = vec![1.0; n];
        for (k, effect) in e.effects.iter().enumerate() {
            let at = vec![
                Seg::Key("endpoints"),
                Seg::Key(name.as_str()),
                Seg::Key("effects"),
                Seg::Index(k),
            ];
            if !(effect.hr.is_finite() && effect.hr > 0.0) {
                return Err(ctx.err(
                    &at,
                    format!("endpoint `{name}`: hazard ratio {} must be > 0", effect.hr),
                ));
            }
            for (i, m) in multiplier.iter_mut().enumerate() {
                let applies = match (&effect.level, effect.above) {
                    (Some(level), _) => {
                        values.get(&effect.column).and_then(|c| c[i].as_ref()) == Some(level)
                    }
                    (None, Some(t)) => numbers
                        .get(&effect.column)
                        .and_then(|c| c[i])
                        .is_some_and(|x| x > t),
                    (None, None) => {
                        return Err(ctx.err(
                            &at,
                            format!("endpoint `{name}`: an effect needs `level` or `above`"),
                        ));
                    }
                };
                if applies {
                    *m *= effect.hr;
                }
            }
        }
        let mut out = vec![(0.0, false); n];
        for (label, target) in &e.targets {
            let rows: Vec<usize> = (0..n)
                .filter(|&i| groups[i].as_deref() == Some(label.as_str()))
                .collect();
            if rows.is_empty() {
                return Err(ctx.err(
                    &here("targets"),
                    format!("endpoint `{name}`: no patient is in group `{label}`"),
                ));
            }
            let mut points: Vec<(f64, f64)> = Vec::new();
            for (t, s) in &target.at {
                let t: f64 = t.parse().map_err(|_| {
                    ctx.err(
                        &here("targets"),
                        format!("endpoint `{name}`: `{t}` is not a time"),
                    )
                })?;
                points.push((t, *s));
            }
            if let Some(m) = target.median {
                points.push((m, 0.5));
            }
            let curve = Piecewise::new(points).map_err(|m| {
                ctx.err(
                    &here("targets"),
                    format!("endpoint `{name}`, group `{label}`: {m}"),
                )
            })?;
            let mean: f64 = rows.iter().map(|&i| multiplier[i]).sum::<f64>() / rows.len() as f64;
            // Within the group, the shared uniforms are replaced by their stratified ranks:
            // the order (and so the ordering between endpoints) is kept, and the group's
            // sample follows its target curve as closely as its size allows.
            let mut order: Vec<usize> = rows.clone();
            order.sort_by(|&a, &b| shared[a].total_cmp(&shared[b]));
            let mut u = vec![0.0; n];
            for (rank, &i) in order.iter().enumerate() {
                u[i] = (rank as f64 + 0.5) / rows.len() as f64;
            }
            let digits = e.digits.unwrap_or(1);
            for &i in &rows {
                let t = curve.inverse(-u[i].ln() / (multiplier[i] / mean));
                let limit = follow_days[i]
                    .map(|d| d / e.unit.days())
                    .unwrap_or(f64::INFINITY);
                let (mut t, mut event) = if t <= limit {
                    (t, true)
                } else {
                    (limit, false)
                };
                if let Some(other) = &e.not_after {
                    let Some(o) = times.get(other) else {
                        return Err(ctx.err(&here("not_after"), format!("endpoint `{name}`: `not_after` names `{other}`, which must be defined above it")));
                    };
                    if o[i].0 <= t {
                        (t, event) = o[i];
                    }
                }
                // Round up so a time is never 0, as no follow-up is.
                let unit = 10f64.powi(-(digits as i32));
                out[i] = ((round(t, digits)).max(unit), event);
            }
        }
        times.insert(name.clone(), out.clone());
        values.insert(
            e.time.clone(),
            out.iter()
                .map(|(t, _)| Some(format!("{t:.prec$}", prec = e.digits.unwrap_or(1))))
                .collect(),
        );
        values.insert(
            e.event.clone(),
            out.iter()
                .map(|(_, ev)| Some((*ev as u8).to_string()))
                .collect(),
        );

        // Calibration: each target beside the Kaplan-Meier estimate from the generated data.
        for (label, target) in &e.targets {
            let rows: Vec<usize> = (0..n)
                .filter(|&i| groups[i].as_deref() == Some(label.as_str()))
                .collect();
            let time: Vec<f64> = rows.iter().map(|&i| out[i].0).collect();
            let event: Vec<bool> = rows.iter().map(|&i| out[i].1).collect();
            let mut at: Vec<f64> = target.at.keys().filter_map(|t| t.parse().ok()).collect();
            at.sort_by(f64::total_cmp);
            let options = KmOptions {
                conf_type: crate::spec::ConfType::Log,
                conf_level: 0.95,
                times: at.clone(),
            };
            let curves = kaplan_meier(&time, &event, None, None, &options)
                .map_err(|e| ctx.err(&here("targets"), e.0))?;
            let group = if e.by.is_some() {
                format!(", {} = {label}", e.by.as_deref().unwrap_or(""))
            } else {
                String::new()
            };
            for (t, s) in &target.at {
                let tf: f64 = t.parse().unwrap_or(f64::NAN);
                let got = curves[0]
                    .at
                    .iter()
                    .find(|r| r.time == tf)
                    .and_then(|r| r.surv);
                calibration.push(Calibration {
                    what: format!("{name} survival at {t} {}{group}", e.unit.name()),
                    target: format!("{:.1}%", 100.0 * s),
                    achieved: got.map_or("–".into(), |g| format!("{:.1}%", 100.0 * g)),
                });
            }
            if let Some(m) = target.median {
                let got = curves[0].median.estimate;
                calibration.push(Calibration {
                    what: format!("{name} median{group}"),
                    target: format!("{m} {}", e.unit.name()),
                    achieved: got.map_or("not reached".into(), |g| {
                        format!("{g:.1} {}", e.unit.name())
                    }),
                });
            }
        }
    }

    let mut csv = values
        .keys()
        .map(|k| quote(k))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for i in 0..n {
        let row: Vec<String> = values
            .values()
            .map(|c| c[i].as_deref().map(quote).unwrap_or_default())
            .collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    Ok(Synthesised { csv, calibration })
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Days since 1970-01-01 as `YYYY-MM-DD`.
fn civil_text(days: i64) -> String {
    let (y, m, d) = crate::spec::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
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
