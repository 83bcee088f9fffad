//! The synth spec: the published aggregates a cohort is generated from, and the checks
//! serde cannot make (a continuous column's points in order, dates that are dates, a
//! hazard ratio above 0). Each check answers with the value generation needs, so the
//! generators never see an unchecked spec, and each error points at the key it is about.

use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::spec::{Seg, UniqueMap, Unit, days_from_civil, parse_date};

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
    /// What an effect's `hr` is: the ratio put on each patient's hazard (`imprinted`, the
    /// default), or what a univariable Cox model of the generated times gives
    /// (`univariable`, as a paper's table of univariable hazard ratios prints them). Other
    /// effects, censoring and `not_after` pull a univariable estimate towards 1, so for
    /// `univariable` the imprinted ratios are searched for until each model gives its `hr`.
    #[serde(default)]
    pub effects_fit: EffectsFit,
    /// The shortest time any patient has (a paper's "range 3.3 to 93.4"): a time drawn
    /// below it is raised to it, so the curve changes only before it.
    #[serde(default)]
    pub min: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EffectsFit {
    #[default]
    Imprinted,
    Univariable,
}

/// The synth spec's file and text. Positions are gone once the spec is typed, so an error
/// found later is placed by looking its key up again in the text.
pub(super) struct Ctx<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err(&self, at: &[Seg], message: impl Into<String>) -> Error {
        Error::in_file(crate::spec::location_in(self.path, self.text, at), message)
    }
}

/// `columns.<name>`.
pub(super) fn column(name: &str) -> Vec<Seg<'_>> {
    vec![Seg::Key("columns"), Seg::Key(name)]
}

/// `columns.<name>.<key>`.
pub(super) fn column_key<'a>(name: &'a str, key: &'static str) -> Vec<Seg<'a>> {
    vec![Seg::Key("columns"), Seg::Key(name), Seg::Key(key)]
}

/// `endpoints.<name>.<key>`.
pub(super) fn endpoint_key<'a>(name: &'a str, key: &'static str) -> Vec<Seg<'a>> {
    vec![Seg::Key("endpoints"), Seg::Key(name), Seg::Key(key)]
}

/// A YAML scalar as the text a data cell would hold (as the study spec reads levels).
pub(super) fn scalar(v: &serde_yaml::Value) -> String {
    crate::spec::scalar_text::<serde_yaml::Error>(v.clone()).unwrap_or_else(|_| {
        serde_yaml::to_string(v)
            .unwrap_or_default()
            .trim()
            .to_string()
    })
}

/// A continuous column's published points as (probability, value), from the minimum at 0
/// through the quartiles (when given) and the median to the maximum at 1.
pub(super) struct Published {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub points: Vec<(f64, f64)>,
}

impl ColumnSynth {
    pub(super) fn categorical_counts(
        &self,
        ctx: &Ctx,
        name: &str,
    ) -> Result<&IndexMap<String, usize>> {
        self.counts.as_ref().ok_or_else(|| {
            ctx.err(
                &column(name),
                format!(
                    "column `{name}`: a categorical column needs `counts: {{ level: n, ... }}`"
                ),
            )
        })
    }

    /// The source column and the map of its values.
    pub(super) fn recode_map(
        &self,
        ctx: &Ctx,
        name: &str,
    ) -> Result<(&str, &IndexMap<String, String>)> {
        match (&self.from, &self.map) {
            (Some(from), Some(map)) => Ok((from, map)),
            _ => Err(ctx.err(
                &column(name),
                format!(
                    "column `{name}`: a recode needs `from: column` and `map: {{ value: new, ... }}`"
                ),
            )),
        }
    }

    pub(super) fn published(&self, ctx: &Ctx, name: &str) -> Result<Published> {
        let (Some(median), Some(min), Some(max)) = (self.median, self.min, self.max) else {
            return Err(ctx.err(
                &column(name),
                format!("column `{name}`: a continuous column needs `median`, `min` and `max`"),
            ));
        };
        let mut points = vec![(0.0, min)];
        if let Some(q1) = self.q1 {
            points.push((0.25, q1));
        }
        points.push((0.5, median));
        if let Some(q3) = self.q3 {
            points.push((0.75, q3));
        }
        points.push((1.0, max));
        if points.windows(2).any(|w| w[0].1 > w[1].1) {
            return Err(ctx.err(
                &column(name),
                format!("column `{name}`: min ≤ q1 ≤ median ≤ q3 ≤ max does not hold"),
            ));
        }
        if self.log && min <= 0.0 {
            return Err(ctx.err(
                &column_key(name, "log"),
                format!("column `{name}`: `log: true` needs a minimum above 0"),
            ));
        }
        Ok(Published {
            median,
            min,
            max,
            points,
        })
    }
}

/// The accrual window and the data cut-off, in days since 1970-01-01.
pub(super) struct Window {
    pub start: i64,
    pub end: i64,
    pub cutoff: i64,
}

impl Accrual {
    pub(super) fn window(&self, ctx: &Ctx) -> Result<Window> {
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
            date(&self.start, "start")?,
            date(&self.end, "end")?,
            date(&self.cutoff, "cutoff")?,
        );
        if !(start <= end && end <= cutoff) {
            return Err(ctx.err(&[Seg::Key("accrual")], "accrual needs start ≤ end ≤ cutoff"));
        }
        Ok(Window { start, end, cutoff })
    }
}

/// The patients an effect's hazard ratio applies to: those with a level of a column, or
/// those above a threshold of a continuous one.
pub(super) enum Applies<'a> {
    Level(&'a str),
    Above(f64),
}

impl Effect {
    /// `k` is the effect's place in its endpoint's `effects`, to point at it.
    pub(super) fn applies(&self, ctx: &Ctx, endpoint: &str, k: usize) -> Result<Applies<'_>> {
        let at = [
            Seg::Key("endpoints"),
            Seg::Key(endpoint),
            Seg::Key("effects"),
            Seg::Index(k),
        ];
        if !(self.hr.is_finite() && self.hr > 0.0) {
            return Err(ctx.err(
                &at,
                format!(
                    "endpoint `{endpoint}`: hazard ratio {} must be > 0",
                    self.hr
                ),
            ));
        }
        match (&self.level, self.above) {
            (Some(level), _) => Ok(Applies::Level(level)),
            (None, Some(threshold)) => Ok(Applies::Above(threshold)),
            (None, None) => Err(ctx.err(
                &at,
                format!("endpoint `{endpoint}`: an effect needs `level` or `above`"),
            )),
        }
    }
}

impl Target {
    /// The (time, survival) points the curve must pass through: each landmark rate, and
    /// the median as survival 0.5.
    pub(super) fn points(&self, ctx: &Ctx, endpoint: &str) -> Result<Vec<(f64, f64)>> {
        let mut points = Vec::new();
        for (t, s) in &self.at {
            let t: f64 = t.parse().map_err(|_| {
                ctx.err(
                    &endpoint_key(endpoint, "targets"),
                    format!("endpoint `{endpoint}`: `{t}` is not a time"),
                )
            })?;
            points.push((t, *s));
        }
        if let Some(m) = self.median {
            points.push((m, 0.5));
        }
        Ok(points)
    }
}
