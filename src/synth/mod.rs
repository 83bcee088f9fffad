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
//!
//! The steps, in the order they draw from the one seeded generator (which is why the
//! order is fixed): the columns as the spec lists them (`columns`), then the entry dates
//! and the endpoints (`survival`), each step adding its lines to the calibration table
//! (`calibration`). `spec` holds the spec's types and the checks on them.

mod calibration;
mod columns;
mod spec;
mod survival;

use indexmap::IndexMap;

use crate::error::{Error, Location, Result};
use crate::rng::Rng;
use crate::spec::Seg;

pub use calibration::{Among, Calibration, Quantity, Subject, calibration_table};
pub use spec::{Accrual, ColumnKind, ColumnSynth, Effect, EndpointSynth, SynthSpec, Target, When};

use spec::Ctx;

pub struct Synthesised {
    pub csv: String,
    pub calibration: Vec<Calibration>,
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
    // A number printed to more decimals than a double holds is no more precise, and a
    // count in the thousands would make every value a page long.
    let ctx = spec::Ctx { path, text: &text };
    let too_many = |d: Option<usize>| d.is_some_and(|d| d > MAX_DIGITS);
    for (name, c) in spec.columns.iter() {
        if too_many(c.digits) {
            return Err(ctx
                .err(
                    &spec::column_key(name, "digits"),
                    format!("column `{name}`: `digits` must be at most {MAX_DIGITS}"),
                )
                .hint("digits is the number of decimals the synthetic values are rounded to"));
        }
    }
    for (name, e) in spec.endpoints.iter() {
        if too_many(e.digits) {
            return Err(ctx
                .err(
                    &spec::endpoint_key(name, "digits"),
                    format!("endpoint `{name}`: `digits` must be at most {MAX_DIGITS}"),
                )
                .hint("digits is the number of decimals the synthetic times are rounded to"));
        }
    }
    Ok((spec, text))
}

/// The most decimals a synthetic value is written with.
const MAX_DIGITS: usize = 12;

/// Generates the cohort. `seed` overrides the spec's.
pub fn generate(
    path: &std::path::Path,
    spec: &SynthSpec,
    text: &str,
    seed: Option<u64>,
) -> Result<Synthesised> {
    let ctx = Ctx { path, text };
    if spec.n == 0 {
        return Err(ctx.err(&[Seg::Key("n")], "n must be at least 1"));
    }
    let mut rng = Rng::new(seed.or(spec.seed).unwrap_or(1));
    let mut draft = Draft::new(spec.n);
    for (name, column) in spec.columns.iter() {
        columns::add(&ctx, &mut draft, &mut rng, name, column)?;
    }
    let follow_up = match &spec.accrual {
        Some(accrual) => survival::accrue(&ctx, &mut draft, &mut rng, accrual)?,
        None => vec![f64::INFINITY; spec.n],
    };
    survival::add_endpoints(&ctx, &mut draft, &mut rng, &spec.endpoints, &follow_up)?;
    Ok(Synthesised {
        csv: draft.csv(),
        calibration: draft.calibration,
    })
}

/// The cohort as it is being generated: every column so far, in the order the CSV will
/// hold them, and the calibration lines so far.
struct Draft {
    n: usize,
    cells: IndexMap<String, Vec<Option<String>>>,
    /// The continuous columns' values, for effects that apply above a threshold.
    numbers: IndexMap<String, Vec<Option<f64>>>,
    calibration: Vec<Calibration>,
}

impl Draft {
    fn new(n: usize) -> Draft {
        Draft {
            n,
            cells: IndexMap::new(),
            numbers: IndexMap::new(),
            calibration: Vec::new(),
        }
    }

    fn csv(&self) -> String {
        let mut csv = self
            .cells
            .keys()
            .map(|k| quote(k))
            .collect::<Vec<_>>()
            .join(",");
        csv.push('\n');
        for i in 0..self.n {
            let row: Vec<String> = self
                .cells
                .values()
                .map(|c| c[i].as_deref().map(quote).unwrap_or_default())
                .collect();
            csv.push_str(&row.join(","));
            csv.push('\n');
        }
        csv
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn round(x: f64, digits: usize) -> f64 {
    let f = 10f64.powi(digits as i32);
    (x * f).round() / f
}
