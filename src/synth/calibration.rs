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

/// One line of the calibration table.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub what: String,
    pub target: String,
    pub achieved: String,
}

/// The table as `reprise synth` prints it: one line per target, under a header.
pub fn calibration_table(made: &Synthesised) -> String {
    let width = made
        .calibration
        .iter()
        .map(|c| c.what.chars().count())
        .max()
        .unwrap_or(0);
    let mut table = format!(
        "{:width$}  {:>14}  {:>14}\n",
        "calibration", "target", "achieved"
    );
    for c in &made.calibration {
        table.push_str(&format!(
            "{:width$}  {:>14}  {:>14}\n",
            c.what, c.target, c.achieved
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
        let group = match &e.by {
            Some(by) => format!(", {by} = {label}"),
            None => String::new(),
        };
        for (t, s) in &target.at {
            let tf: f64 = t.parse().unwrap_or(f64::NAN);
            let got = curve.at.iter().find(|r| r.time == tf).and_then(|r| r.surv);
            lines.push(Calibration {
                what: format!("{name} survival at {t} {unit}{group}"),
                target: format!("{}%", format::percent(Some(*s), 1)),
                achieved: got.map_or(format::MISSING.into(), |g| {
                    format!("{}%", format::percent(Some(g), 1))
                }),
            });
        }
        if let Some(m) = target.median {
            let got = curve.median.estimate;
            lines.push(Calibration {
                what: format!("{name} median{group}"),
                target: format!("{m} {unit}"),
                achieved: got.map_or("not reached".into(), |g| {
                    format!("{} {unit}", format::num(Some(g), 1))
                }),
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
        let line = |what: &str, target: &str, achieved: &str| Calibration {
            what: what.into(),
            target: target.into(),
            achieved: achieved.into(),
        };
        let made = Synthesised {
            csv: String::new(),
            calibration: vec![
                line("age median", "56", "56"),
                line("os survival at 12 months", "96.4%", "96.5%"),
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
