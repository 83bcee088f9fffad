//! Figures drawn from results: Kaplan-Meier curves, forest plots of hazard ratios and the
//! patient flow. Each is an SVG (for the PDF, with real text in an embedded font) and a
//! 300 dpi PNG (for journals), rendered from the same SVG with the same font.

mod draw;
pub mod flow;
pub mod forest;
pub mod km;

use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::spec::{Analysis, FigureKind, Seg, Study};

pub use crate::spec::FigureSpec;
pub use draw::tick_label;
pub use forest::format_p;

#[derive(Debug, Clone)]
pub struct Figure {
    pub id: String,
    pub kind: FigureKind,
    pub caption: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// The figures a study asks for, or, when it asks for none, one per KM, Cox and flow
/// analysis.
pub fn specs(study: &Study, analyses: &[(String, Analysis)]) -> Vec<(String, FigureSpec)> {
    if let Some(figures) = &study.spec.figures {
        return figures
            .iter()
            .map(|(id, f)| (id.clone(), f.clone()))
            .collect();
    }
    let blank = FigureSpec::blank;
    analyses
        .iter()
        .filter_map(|(id, a)| match a {
            Analysis::Km { .. } => Some((
                format!("fig_{id}"),
                FigureSpec {
                    analysis: Some(id.clone()),
                    ..blank(FigureKind::Km)
                },
            )),
            Analysis::Flow { .. } => Some((
                format!("fig_{id}"),
                FigureSpec {
                    analysis: Some(id.clone()),
                    ..blank(FigureKind::Flow)
                },
            )),
            Analysis::Cox { .. } => Some((
                format!("fig_{id}"),
                FigureSpec {
                    analyses: Some(vec![id.clone()]),
                    ..blank(FigureKind::Forest)
                },
            )),
            _ => None,
        })
        .collect()
}

/// A column's display name: its declared `label`, else its name.
pub fn column_label(study: &Study, column: &str) -> String {
    let spec = &study.spec;
    spec.data
        .columns
        .get(column)
        .and_then(|c| c.label.clone())
        .or_else(|| spec.derive.get(column).and_then(|d| d.label.clone()))
        .unwrap_or_else(|| column.to_string())
}

/// A Cox term's display name: `column=level` becomes "Label: level".
pub fn term_label(study: &Study, term: &str, labels: Option<&IndexMap<String, String>>) -> String {
    if let Some(l) = labels.and_then(|m| m.get(term)) {
        return l.clone();
    }
    match term.split_once('=') {
        Some((col, level)) => format!("{}: {level}", column_label(study, col)),
        None => column_label(study, term),
    }
}

/// The endpoint behind an analysis, for axis titles.
fn endpoint_names(study: &Study, endpoint: &str) -> (String, Option<String>) {
    let e = &study.spec.endpoints[endpoint];
    let label = e.label.clone().unwrap_or_else(|| endpoint.to_string());
    (label, e.unit.map(|u| u.name().to_string()))
}

pub fn build(
    study: &Study,
    analyses: &[(String, Analysis)],
    results: &IndexMap<String, Value>,
) -> Result<Vec<Figure>> {
    let mut out = Vec::new();
    for (id, spec) in specs(study, analyses) {
        let (svg, caption) = match spec.kind {
            FigureKind::Km => km_figure(study, analyses, results, &spec),
            FigureKind::Forest => forest_figure(study, analyses, results, &spec),
            FigureKind::Flow => flow_figure(study, results, &spec),
        };
        let png = png(&svg).map_err(|e| {
            study.error_at(
                &[Seg::Key("figures"), Seg::Key(&id)],
                format!("figure `{id}`: {e}"),
            )
        })?;
        out.push(Figure {
            id,
            kind: spec.kind,
            caption: spec.title.clone().unwrap_or(caption),
            svg,
            png,
        });
    }
    Ok(out)
}

fn relabel(label: &str, labels: Option<&IndexMap<String, String>>) -> String {
    labels
        .and_then(|m| m.get(label))
        .cloned()
        .unwrap_or_else(|| label.to_string())
}

fn km_figure(
    study: &Study,
    analyses: &[(String, Analysis)],
    results: &IndexMap<String, Value>,
    spec: &FigureSpec,
) -> (String, String) {
    let id = spec.analysis.as_deref().expect("validated");
    let r = &results[id];
    let Some((_, Analysis::Km { endpoint, by, .. })) = analyses.iter().find(|(a, _)| a == id)
    else {
        unreachable!("validated km")
    };
    let curves: Vec<km::Curve> = r["strata"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| km::Curve {
            label: relabel(s["label"].as_str().unwrap_or(""), spec.labels.as_ref()),
            n: s["n"].as_u64().unwrap_or(0),
            steps: s["table"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|row| km::Step {
                    time: row["time"].as_f64().unwrap_or(0.0),
                    surv: row["surv"].as_f64().unwrap_or(0.0),
                    lower: row["lower"].as_f64(),
                    upper: row["upper"].as_f64(),
                    n_risk: row["n_risk"].as_u64().unwrap_or(0),
                    n_event: row["n_event"].as_u64().unwrap_or(0),
                    n_censor: row["n_censor"].as_u64().unwrap_or(0),
                })
                .collect(),
        })
        .collect();
    let last = curves
        .iter()
        .flat_map(|c| c.steps.last())
        .map(|s| s.time)
        .fold(0.0, f64::max);
    let xmax = spec
        .xmax
        .unwrap_or_else(|| *draw::nice_breaks(last, 6).last().unwrap_or(&1.0));
    let breaks = spec
        .breaks
        .clone()
        .unwrap_or_else(|| draw::nice_breaks(xmax, 6))
        .into_iter()
        .filter(|b| *b <= xmax)
        .collect();
    let (label, unit) = endpoint_names(study, endpoint);
    // The log-rank p: the one named, else one on the same endpoint and grouping.
    let logrank = spec.logrank.clone().or_else(|| {
        analyses.iter().find_map(|(lid, a)| match a {
            Analysis::Logrank { endpoint: e, by: b } if e == endpoint && Some(b) == by.as_ref() => {
                Some(lid.clone())
            }
            _ => None,
        })
    });
    let annotation =
        logrank
            .and_then(|l| results[&l]["p"].as_f64())
            .map(|p| match format_p(Some(p)).as_str() {
                "<0.001" => "Log-rank p < 0.001".to_string(),
                s => format!("Log-rank p = {s}"),
            });
    let plot = km::KmPlot {
        curves,
        xlab: spec.xlab.clone().unwrap_or_else(|| match &unit {
            Some(u) => format!("Time ({u})"),
            None => "Time".into(),
        }),
        // "Overall survival (%)" reads well; "Time to recurrence (%)" does not.
        ylab: spec.ylab.clone().unwrap_or_else(|| {
            if label.to_lowercase().contains("survival") {
                format!("{label} (%)")
            } else {
                "Survival probability (%)".into()
            }
        }),
        breaks,
        xmax,
        ci: spec.ci.unwrap_or(false),
        risk_table: spec.risk_table.unwrap_or(true),
        annotation,
        legend_title: by.as_ref().map(|b| column_label(study, b)),
    };
    let caption = match by {
        Some(b) => format!("{label} by {}", column_label(study, b).to_lowercase()),
        None => label,
    };
    (km::svg(&plot), caption)
}

/// The Cox models a forest plot (and its table) shows side by side: the univariable models
/// as one column (`None`), then each multivariable model (its id); with the terms of each,
/// and the order of the rows, the multivariable model's terms first.
pub struct CoxColumns<'a> {
    pub columns: Vec<(Option<String>, Vec<&'a Value>)>,
    pub order: Vec<String>,
}

pub fn cox_columns<'a>(spec: &FigureSpec, results: &'a IndexMap<String, Value>) -> CoxColumns<'a> {
    let terms = |id: &String| {
        results[id.as_str()]["terms"]
            .as_array()
            .map(|t| t.iter().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let mut columns = Vec::new();
    if let Some(uni) = &spec.univariable {
        columns.push((None, uni.iter().flat_map(terms).collect()));
    }
    for id in spec.analyses.iter().flatten() {
        columns.push((Some(id.clone()), terms(id)));
    }
    let mut order: Vec<String> = Vec::new();
    for (_, ts) in columns.iter().rev() {
        for t in ts {
            let name = t["term"].as_str().unwrap_or("").to_string();
            if !order.contains(&name) {
                order.push(name);
            }
        }
    }
    CoxColumns { columns, order }
}

fn forest_figure(
    study: &Study,
    analyses: &[(String, Analysis)],
    results: &IndexMap<String, Value>,
    spec: &FigureSpec,
) -> (String, String) {
    let estimate = |t: &Value| -> Option<forest::Estimate> {
        Some(forest::Estimate {
            hr: t["hr"].as_f64()?,
            lower: t["lower"].as_f64().unwrap_or(f64::NAN),
            upper: t["upper"].as_f64().unwrap_or(f64::NAN),
            p: t["p"].as_f64(),
        })
    };
    let CoxColumns { columns, order } = cox_columns(spec, results);
    let multi = spec.analyses.clone().unwrap_or_default();
    let names: Vec<String> = columns
        .iter()
        .map(|(id, _)| match id {
            None => "Univariable".to_string(),
            Some(_) if multi.len() == 1 && spec.univariable.is_some() => {
                "Multivariable".to_string()
            }
            Some(_) if multi.len() == 1 => "Cox model".to_string(),
            Some(id) => study.spec.analyses[id.as_str()]
                .title
                .clone()
                .unwrap_or_else(|| id.clone()),
        })
        .collect();
    // A term no model could estimate has no row.
    let rows = order
        .iter()
        .map(|t| forest::Row {
            label: term_label(study, t, spec.labels.as_ref()),
            estimates: columns
                .iter()
                .map(|(_, terms)| {
                    terms
                        .iter()
                        .find(|x| x["term"] == t.as_str())
                        .and_then(|x| estimate(x))
                })
                .collect(),
        })
        .filter(|r| r.estimates.iter().any(Option::is_some))
        .collect();
    let endpoint = multi
        .first()
        .or(spec.univariable.as_ref().and_then(|u| u.first()))
        .and_then(|id| {
            analyses
                .iter()
                .find(|(a, _)| a == id)
                .and_then(|(_, a)| a.endpoint().map(str::to_string))
        });
    let label = endpoint
        .map(|e| endpoint_names(study, &e).0)
        .unwrap_or_else(|| "the endpoint".into());
    let plot = forest::ForestPlot {
        models: names,
        rows,
        xlab: spec
            .xlab
            .clone()
            .unwrap_or_else(|| "Hazard ratio (log scale)".into()),
    };
    (
        forest::svg(&plot),
        format!("Hazard ratios for {}", label.to_lowercase()),
    )
}

fn flow_figure(
    study: &Study,
    results: &IndexMap<String, Value>,
    spec: &FigureSpec,
) -> (String, String) {
    let id = spec.analysis.as_deref().expect("validated");
    let r = &results[id];
    let steps: Vec<&Value> = r["steps"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let flow = flow::Flow {
        steps: steps
            .iter()
            .map(|s| {
                (
                    s["label"].as_str().unwrap_or("").to_string(),
                    s["n"].as_u64().unwrap_or(0),
                )
            })
            .collect(),
        // The box beside the arrow into step i + 1 shows who step i + 1 removed.
        excluded: steps
            .iter()
            .skip(1)
            .map(|s| {
                s["excluded"].as_object().map(|e| {
                    (
                        e["label"].as_str().unwrap_or("").to_string(),
                        e["n"].as_u64().unwrap_or(0),
                    )
                })
            })
            .collect(),
        groups: r["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| {
                (
                    relabel(g["label"].as_str().unwrap_or(""), spec.labels.as_ref()),
                    g["n"].as_u64().unwrap_or(0),
                )
            })
            .collect(),
    };
    let _ = study;
    (
        flow::svg(&flow),
        "Flow of patients through the study".into(),
    )
}

/// Renders an SVG at 300 dpi with the embedded fonts, and records the resolution in the
/// PNG so journals read it as 300 dpi.
pub fn png(svg: &str) -> std::result::Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let mut db = usvg::fontdb::Database::new();
    for font in typst_assets::fonts() {
        db.load_font_data(font.to_vec());
    }
    let options = usvg::Options {
        fontdb: Arc::new(db),
        font_family: draw::FONT.to_string(),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| format!("cannot read the drawn SVG: {e}"))?;
    let scale = 300.0 / 96.0;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or("the figure has no area")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().map_err(|e| e.to_string())?;
    Ok(with_dpi(png, 300))
}

/// Inserts a pHYs chunk (pixels per metre) after the PNG header chunk.
fn with_dpi(png: Vec<u8>, dpi: u32) -> Vec<u8> {
    let ppm = (dpi as f64 / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    let mut body = b"pHYs".to_vec();
    body.extend_from_slice(&ppm.to_be_bytes());
    body.extend_from_slice(&ppm.to_be_bytes());
    body.push(1);
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    // signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 crc)
    let at = 8 + 25;
    let mut out = png[..at].to_vec();
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[at..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// An error placing a figure problem at the figure's key.
pub fn figure_error(study: &Study, id: &str, message: String) -> Error {
    study.error_at(&[Seg::Key("figures"), Seg::Key(id)], message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_specification() {
        // The CRC of "IEND" with no data, as every PNG ends with.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }
}
