//! The calibration table: every target the spec declares beside what the generated cohort
//! achieves. Counts, medians and ranges are exact by construction; survival is estimated
//! back from the generated times (Kaplan-Meier), so the table shows how close the cohort
//! comes to each published rate and median.

use super::Synthesised;
use super::spec::{Ctx, EndpointSynth, endpoint_key};
use super::survival::members;
use crate::error::Result;
use crate::present::format;
use crate::stats::{KmOptions, kaplan_meier};

/// One line of the calibration table: what was aimed at, the published value and what
/// the generated cohort has. Kept as quantities, not text, so that a report prints them
/// with its labels and house style, and the terminal as the spec spells them.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    pub what: Subject,
    /// The patients a column was generated for, when not everyone.
    pub among: Option<Among>,
    pub target: Quantity,
    pub achieved: Quantity,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// Patients with a category's level.
    Level {
        column: String,
        level: String,
    },
    Median {
        column: String,
    },
    Range {
        column: String,
    },
    /// An endpoint's survival at a time, overall or in a group (`by` and its value).
    Survival {
        endpoint: String,
        at: f64,
        unit: &'static str,
        group: Option<(String, String)>,
    },
    MedianSurvival {
        endpoint: String,
        group: Option<(String, String)>,
    },
    /// The hazard ratio of a univariable Cox model of an endpoint, for the patients an
    /// effect applies to (`ctn = T4N1-2`, `age > 60`) against the rest.
    HazardRatio {
        endpoint: String,
        column: String,
        /// Whom it applies to: `= T4N1-2` or `> 60`.
        applies: String,
    },
}

/// "among 116 with metastatic_site in [liver]".
#[derive(Debug, Clone, PartialEq)]
pub struct Among {
    pub n: usize,
    pub column: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    Count(u64),
    /// A value as published, or as generated (to the decimals given).
    Value(f64, Option<usize>),
    Range(f64, f64),
    /// A survival probability, 0–1.
    Proportion(f64),
    /// A time in the endpoint's unit.
    Time(f64, &'static str, Option<usize>),
    NotReached,
    Missing,
    /// A recoded level, whose count follows from the column it recodes.
    Recoded,
}

impl Calibration {
    /// What the line is about as the spec names it: "age median", "sex = male (among 116
    /// with site in [\"liver\"])".
    pub fn what(&self) -> String {
        let group = |g: &Option<(String, String)>| match g {
            Some((by, value)) => format!(", {by} = {value}"),
            None => String::new(),
        };
        let what = match &self.what {
            Subject::Level { column, level } => format!("{column} = {level}"),
            Subject::Median { column } => format!("{column} median"),
            Subject::Range { column } => format!("{column} range"),
            Subject::Survival {
                endpoint,
                at,
                unit,
                group: g,
            } => format!("{endpoint} survival at {at} {unit}{}", group(g)),
            Subject::MedianSurvival { endpoint, group: g } => {
                format!("{endpoint} median{}", group(g))
            }
            Subject::HazardRatio {
                endpoint,
                column,
                applies,
            } => format!("{endpoint} hazard ratio of {column} {applies} (univariable Cox)"),
        };
        match &self.among {
            Some(a) => format!("{what}{}", a.plain()),
            None => what,
        }
    }
}

impl Among {
    /// " (among 116 with site in [\"liver\"])".
    pub fn plain(&self) -> String {
        format!(
            " (among {} with {} in {:?})",
            self.n, self.column, self.values
        )
    }
}

impl Quantity {
    /// The quantity as the terminal prints it.
    pub fn plain(&self) -> String {
        let value = |x: f64, digits: Option<usize>| match digits {
            Some(d) => format::num(Some(x), d),
            None => crate::data::number_label(x),
        };
        match *self {
            Quantity::Count(n) => n.to_string(),
            Quantity::Value(x, d) => value(x, d),
            Quantity::Range(a, b) => format!("{} to {}", value(a, None), value(b, None)),
            Quantity::Proportion(p) => format!("{}%", format::percent(Some(p), 1)),
            Quantity::Time(t, unit, d) => format!("{} {unit}", value(t, d)),
            Quantity::NotReached => "not reached".into(),
            Quantity::Missing => format::MISSING.into(),
            Quantity::Recoded => "(recoded)".into(),
        }
    }
}

/// The table as `reprise synth` prints it: one line per target, under a header.
pub fn calibration_table(made: &Synthesised) -> String {
    let width = made
        .calibration
        .iter()
        .map(|c| c.what().chars().count())
        .max()
        .unwrap_or(0);
    let mut table = format!(
        "{:width$}  {:>14}  {:>14}\n",
        "calibration", "target", "achieved"
    );
    for c in &made.calibration {
        table.push_str(&format!(
            "{:width$}  {:>14}  {:>14}\n",
            c.what(),
            c.target.plain(),
            c.achieved.plain()
        ));
    }
    table
}

/// Each of an endpoint's targets beside the Kaplan-Meier estimate from the generated
/// times `out` of its group.
pub(super) fn endpoint(
    ctx: &Ctx,
    name: &str,
    e: &EndpointSynth,
    groups: &[Option<String>],
    out: &[(f64, bool)],
) -> Result<Vec<Calibration>> {
    let unit = e.unit.name();
    let mut lines = Vec::new();
    for (label, target) in &e.targets {
        let rows = members(groups, label);
        let time: Vec<f64> = rows.iter().map(|&i| out[i].0).collect();
        let event: Vec<bool> = rows.iter().map(|&i| out[i].1).collect();
        let mut at: Vec<f64> = target.at.keys().filter_map(|t| t.parse().ok()).collect();
        at.sort_by(f64::total_cmp);
        let options = KmOptions {
            conf_type: crate::spec::ConfType::Log,
            conf_level: 0.95,
            times: at,
        };
        let curves = kaplan_meier(
            &time,
            &event,
            None,
            crate::stats::km::Weights::None,
            &options,
        )
        .map_err(|err| ctx.err(&endpoint_key(name, "targets"), err.0))?;
        let curve = &curves[0];
        let group = e.by.as_ref().map(|by| (by.clone(), label.clone()));
        for (t, s) in &target.at {
            let tf: f64 = t.parse().unwrap_or(f64::NAN);
            let got = curve.at.iter().find(|r| r.time == tf).and_then(|r| r.surv);
            lines.push(Calibration {
                what: Subject::Survival {
                    endpoint: name.to_string(),
                    at: tf,
                    unit,
                    group: group.clone(),
                },
                among: None,
                target: Quantity::Proportion(*s),
                achieved: got.map_or(Quantity::Missing, Quantity::Proportion),
            });
        }
        if let Some(m) = target.median {
            let got = curve.median.estimate;
            lines.push(Calibration {
                what: Subject::MedianSurvival {
                    endpoint: name.to_string(),
                    group: group.clone(),
                },
                among: None,
                target: Quantity::Time(m, unit, None),
                achieved: got.map_or(Quantity::NotReached, |g| Quantity::Time(g, unit, Some(1))),
            });
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_lines_up_under_its_header() {
        let made = Synthesised {
            csv: String::new(),
            calibration: vec![
                Calibration {
                    what: Subject::Median {
                        column: "age".into(),
                    },
                    among: None,
                    target: Quantity::Value(56.0, None),
                    achieved: Quantity::Value(56.0, None),
                },
                Calibration {
                    what: Subject::Survival {
                        endpoint: "os".into(),
                        at: 12.0,
                        unit: "months",
                        group: None,
                    },
                    among: None,
                    target: Quantity::Proportion(0.964),
                    achieved: Quantity::Proportion(0.965),
                },
            ],
        };
        assert_eq!(
            calibration_table(&made),
            "\
calibration                       target        achieved
age median                            56              56
os survival at 12 months           96.4%           96.5%
"
        );
    }
}
