//! The statistical-methods paragraph, written from the spec: what was estimated, with which
//! confidence transform, ties method and tests, so the text always matches what ran; and
//! the opening sentences of the results, written from the results.

use indexmap::IndexMap;
use serde_json::Value;

use crate::spec::{Analysis, ConfType, Study, Ties};

fn conf_name(c: ConfType) -> &'static str {
    match c {
        ConfType::Log => "log",
        ConfType::LogLog => "log-log (complementary log-log)",
        ConfType::Plain => "plain (linear)",
    }
}

fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn percent(level: f64) -> String {
    let p = level * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round())
    } else {
        format!("{p}%")
    }
}

pub fn paragraphs(study: &Study, analyses: &[(String, Analysis)]) -> Vec<String> {
    let mut out = Vec::new();
    let endpoints: Vec<String> = study
        .spec
        .endpoints
        .iter()
        .filter(|(name, _)| {
            analyses
                .iter()
                .any(|(_, a)| a.endpoint() == Some(name.as_str()))
        })
        .map(|(name, e)| {
            let label = e
                .label
                .clone()
                .unwrap_or_else(|| name.clone())
                .to_lowercase();
            match (&e.start, &e.unit) {
                (Some(start), Some(u)) => format!("{label} (from {start}, in {})", u.name()),
                (_, Some(u)) => format!("{label} (in {})", u.name()),
                _ => label,
            }
        })
        .collect();
    if !endpoints.is_empty() {
        out.push(format!(
            "The time-to-event endpoints were {}.",
            list(&endpoints)
        ));
    }

    let mut s = Vec::new();
    let km: Vec<(ConfType, f64)> = analyses
        .iter()
        .filter_map(|(_, a)| {
            if let Analysis::Km {
                conf_type,
                conf_level,
                ..
            } = a
            {
                Some((*conf_type, *conf_level))
            } else {
                None
            }
        })
        .collect();
    if !km.is_empty() {
        let mut transforms: Vec<String> =
            km.iter().map(|(c, _)| conf_name(*c).to_string()).collect();
        transforms.dedup();
        let mut levels: Vec<String> = km.iter().map(|(_, l)| percent(*l)).collect();
        levels.dedup();
        s.push(format!(
            "Survival was estimated with the Kaplan-Meier method, with {} confidence intervals from Greenwood's variance on the {} scale; medians and their confidence intervals follow Brookmeyer and Crowley as R's survival package computes them.",
            list(&levels),
            list(&transforms)
        ));
    }
    if analyses
        .iter()
        .any(|(_, a)| matches!(a, Analysis::Logrank { .. }))
    {
        s.push("Survival between groups was compared with the log-rank test.".into());
    }
    let cox: Vec<Ties> = analyses
        .iter()
        .filter_map(|(_, a)| {
            if let Analysis::Cox { ties, .. } = a {
                Some(*ties)
            } else {
                None
            }
        })
        .collect();
    if !cox.is_empty() {
        let mut ties: Vec<&str> = cox
            .iter()
            .map(|t| {
                if *t == Ties::Efron {
                    "Efron's"
                } else {
                    "Breslow's"
                }
            })
            .collect();
        ties.dedup();
        s.push(format!(
            "Hazard ratios with 95% Wald confidence intervals were estimated by Cox proportional hazards regression, with {} method for tied event times; the models are summarised by likelihood-ratio, Wald and score tests and Harrell's concordance, and proportional hazards were checked with the test of Grambsch and Therneau (Kaplan-Meier time transform).",
            list(&ties.iter().map(|t| t.to_string()).collect::<Vec<_>>())
        ));
    }
    if analyses
        .iter()
        .any(|(_, a)| matches!(a, Analysis::Followup { .. }))
    {
        s.push("Median follow-up was estimated with the reverse Kaplan-Meier method.".into());
    }
    if !s.is_empty() {
        out.push(s.join(" "));
    }
    if analyses
        .iter()
        .any(|(_, a)| matches!(a, Analysis::Describe { by: Some(_), .. }))
    {
        out.push(
            "Patient characteristics are summarised as n (%) and median (range). Groups were compared with Pearson's chi-square test without continuity correction, or Fisher's exact test when an expected count was below 5, for categorical characteristics, and with the Wilcoxon rank-sum test (two groups) or the Kruskal-Wallis test (more groups) for continuous ones."
                .into(),
        );
    }
    out.push(format!(
        "Each analysis used the patients with complete data for the variables it involves. All tests are two-sided. The analyses were run with reprise {}, whose statistics agree with R's survival package to within 1e-9; the inputs are identified by their SHA-256 hashes in the colophon.",
        env!("CARGO_PKG_VERSION")
    ));
    out
}

/// Sentences for the start of the results, written from the results: the follow-up.
pub fn summary(
    study: &Study,
    analyses: &[(String, Analysis)],
    results: &IndexMap<String, Value>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (id, a) in analyses {
        if let Analysis::Followup { endpoint, .. } = a {
            let r = &results[id];
            let unit = study.spec.endpoints[endpoint.as_str()]
                .unit
                .map(|u| u.name())
                .unwrap_or("time units");
            let n = |k: &str| crate::tables::num(r[k].as_f64(), 1);
            let median = if r["reverse_km_median"].is_null() {
                "was not reached".to_string()
            } else {
                format!(
                    "was {} {unit} (95% CI {} to {})",
                    n("reverse_km_median"),
                    n("lower"),
                    n("upper")
                )
            };
            out.push(format!("Median follow-up by the reverse Kaplan-Meier method {median}; observed times ranged from {} to {} {unit}.", n("min"), n("max")));
        }
    }
    out
}
