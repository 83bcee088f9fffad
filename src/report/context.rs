//! What a template is filled with: the study, its results, tables, figures, claims, the
//! audit and the build's identity.

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::{Analysed, Drawn};
use crate::data::Cohort;
use crate::error::Result;
use crate::hash::sha256_hex;
use crate::present::{Present, format};
use crate::results::ClaimResult;
use crate::spec::Study;

/// The synthetic cohort's calibration table, regenerated from its spec; a warning if the
/// spec no longer generates the data file.
pub fn calibration(study: &Study, cohort: &Cohort) -> Result<(Vec<Value>, Vec<String>)> {
    let Some(name) = &study.spec.data.synth else {
        return Ok((Vec::new(), Vec::new()));
    };
    let path = study.resolve(name);
    let (spec, text) = crate::synth::load(&path)?;
    let made = crate::synth::generate(&path, &spec, &text, None)?;
    let mut warnings = Vec::new();
    if sha256_hex(made.csv.as_bytes()) != cohort.sha256 {
        warnings.push(format!(
            "{name} no longer generates {}: regenerate it with `reprise synth {name} -o {}`",
            study.spec.data.name(),
            study.spec.data.name()
        ));
    }
    let labels = crate::present::Labels::new(study);
    let style = study.house_style();
    let rows = made
        .calibration
        .iter()
        .map(|c| {
            json!({
                "what": calibration_target(c, &labels, &style),
                "target": quantity(&c.target, &style),
                "achieved": quantity(&c.achieved, &style),
            })
        })
        .collect();
    Ok((rows, warnings))
}

/// A calibration line's target as a reader names it: "Sex: male", "Age (years), median",
/// "Overall survival at 12 months, Arm: B", with the patients it is among.
fn calibration_target(
    c: &crate::synth::Calibration,
    labels: &crate::present::Labels,
    style: &crate::present::Style,
) -> String {
    use crate::synth::Subject;
    let group = |g: &Option<(String, String)>| match g {
        Some((by, value)) => format!(", {}: {value}", labels.column(by)),
        None => String::new(),
    };
    let what = match &c.what {
        Subject::Level { column, level } => format!("{}: {level}", labels.column(column)),
        Subject::Median { column } => format!("{}, median", labels.column(column)),
        Subject::Range { column } => format!("{}, range", labels.column(column)),
        Subject::Survival {
            endpoint,
            at,
            unit,
            group: g,
        } => format!(
            "{} at {}{}",
            labels.endpoint(endpoint),
            style.time_point(*at, unit),
            group(g)
        ),
        Subject::MedianSurvival { endpoint, group: g } => {
            format!("{}, median{}", labels.endpoint(endpoint), group(g))
        }
        Subject::HazardRatio {
            endpoint,
            column,
            applies,
        } => format!(
            "{}, hazard ratio of {}{} (univariable Cox)",
            labels.endpoint(endpoint),
            labels.inline(&labels.column(column)),
            match applies.strip_prefix("= ") {
                Some(level) => format!(": {level}"),
                None => format!(" {applies}"),
            }
        ),
    };
    match &c.among {
        Some(a) => format!(
            "{what} (of the {} with {} {})",
            style.count(a.n as u64),
            labels.inline(&labels.column(&a.column)),
            a.values.join(" or ")
        ),
        None => what,
    }
}

/// A published or generated quantity in the house style, to the decimals it was given
/// with.
fn quantity(q: &crate::synth::Quantity, style: &crate::present::Style) -> String {
    use crate::synth::Quantity;
    let value = |x: f64, digits: Option<usize>| {
        let digits = digits.unwrap_or_else(|| {
            crate::data::number_label(x)
                .split_once('.')
                .map_or(0, |(_, d)| d.len())
        });
        style.num(Some(x), digits)
    };
    match *q {
        Quantity::Count(n) => style.count(n),
        Quantity::Value(x, d) => value(x, d),
        Quantity::Range(a, b) => style.range(&value(a, None), &value(b, None)),
        Quantity::Proportion(p) => format!("{}%", style.percent(Some(p))),
        Quantity::Time(t, unit, d) => format!("{} {unit}", value(t, d)),
        Quantity::NotReached => "not reached".into(),
        Quantity::Missing => format::MISSING.into(),
        Quantity::Recoded => "recoded".into(),
    }
}

/// The template's context.
pub fn context(
    a: &Analysed,
    drawn: &Drawn,
    id: &str,
    inputs: &IndexMap<String, String>,
    files: &IndexMap<String, Vec<u8>>,
    date: (i32, u32, u32),
) -> Value {
    let study = &a.study;
    let meta = &study.spec.study;
    let cx = Present::new(study, &a.results, drawn.specs);
    let spec_arg = study.file_name();
    json!({
        "target": "paged",
        "study": {
            "id": meta.id, "version": meta.version, "title": meta.title, "date": meta.date,
            "authors": meta.authors, "description": meta.description, "synthetic": study.spec.data.synthetic,
        },
        "date": { "year": date.0, "month": date.1, "day": date.2 },
        "methods": crate::methods::paragraphs(&cx),
        "summary": crate::methods::summary(&cx),
        "tables": drawn.tables.iter().map(table).collect::<Vec<_>>(),
        "blocks": blocks(drawn, study),
        "part": "main",
        "supplement": supplement(study, drawn),
        "figures": drawn.figures.iter().map(figure).collect::<Vec<_>>(),
        "results": a.results.analyses,
        "claims": a.claims.iter().map(|c| claim(c, &cx.style)).collect::<Vec<_>>(),
        "claims_within": a.claims.iter().filter(|c| c.within).count(),
        "calibration": drawn.calibration,
        "audit": crate::audit::audit(&crate::audit::from_spec(&study.spec.claims)),
        "build": {
            "id": id, "short": &id[..12], "reprise": env!("CARGO_PKG_VERSION"),
            "command": format!("reprise build {spec_arg}"),
            "verify": format!("reprise verify {spec_arg}"),
        },
        "inputs": inputs.iter().map(|(n, h)| json!({ "name": n, "sha256": h })).collect::<Vec<_>>(),
        "outputs": files.iter().map(|(name, bytes)| json!({ "name": name, "sha256": sha256_hex(bytes) })).collect::<Vec<_>>(),
    })
}

/// A figure as a template places it.
fn figure(f: &crate::figures::Figure) -> Value {
    json!({ "id": f.id, "caption": f.caption, "path": format!("figures/{}.svg", f.id) })
}

/// A table with its spanner row laid out across every column: `[{title, span}]`, blank
/// titles between spanners.
fn table(t: &crate::tables::Table) -> Value {
    let mut v = serde_json::to_value(t).expect("serialises");
    v["spanner_row"] = json!([]);
    if !t.spanners.is_empty() {
        let mut row = Vec::new();
        let mut at = 0;
        for s in &t.spanners {
            if s.start > at {
                row.push(json!({ "title": "", "span": s.start - at }));
            }
            row.push(json!({ "title": s.title, "span": s.span }));
            at = s.start + s.span;
        }
        if at < t.header.len() {
            row.push(json!({ "title": "", "span": t.header.len() - at }));
        }
        v["spanner_row"] = json!(row);
    }
    v
}

/// The supplement as its part of the template prints it: its title, its entries in the
/// order listed (sections of text, tables, figures) and its list of contents; `null`
/// without one. Ids the report does not have were refused before ([`super::supplement_refs`]).
fn supplement(study: &Study, drawn: &Drawn) -> Value {
    let Some(sup) = &study.spec.supplement else {
        return Value::Null;
    };
    let mut blocks = Vec::new();
    let mut contents = Vec::new();
    for (item, name) in sup.contents.iter().zip(sup.names()) {
        if let Some(title) = &item.section {
            blocks.push(json!({ "kind": "section", "title": title, "text": item.text }));
            contents.push(json!({ "name": "", "title": title }));
        } else if let Some(t) = item
            .table
            .as_ref()
            .and_then(|id| drawn.tables.iter().find(|t| t.id == *id))
        {
            contents.push(json!({ "name": name, "title": t.title }));
            blocks.push(json!({ "kind": "table", "table": table(t) }));
        } else if let Some(f) = item
            .figure
            .as_ref()
            .and_then(|id| drawn.figures.iter().find(|f| f.id == *id))
        {
            contents.push(json!({ "name": name, "title": f.caption }));
            blocks.push(json!({ "kind": "figure", "figure": figure(f) }));
        }
    }
    json!({
        "title": sup.title.clone().unwrap_or_else(|| "Supplementary material".into()),
        "prefix": match sup.numbering { crate::spec::SupplementNumbering::E => "e", crate::spec::SupplementNumbering::S => "S" },
        "blocks": blocks,
        "contents": contents,
    })
}

/// Tables and figures in the order a reader meets them: each figure right after the table
/// that gives its numbers (`tab_x` before `fig_x`), so that the two share a page when they
/// fit; the other tables in their own order.
fn blocks(drawn: &Drawn, study: &Study) -> Vec<Value> {
    let moved = |kind: &str, id: &str| {
        study.spec.supplement.as_ref().is_some_and(|s| {
            s.contents.iter().any(|i| match kind {
                "table" => i.table.as_deref() == Some(id),
                _ => i.figure.as_deref() == Some(id),
            })
        })
    };
    // The tables a figure shows: its own (`tab_x`) and those of the analyses it draws.
    let shows = |f: &crate::figures::Figure, table: &str| {
        let own = format!("tab_{}", f.id.trim_start_matches("fig_"));
        table == own
            || drawn
                .specs
                .iter()
                .find(|(id, _)| *id == f.id)
                .is_some_and(|(_, spec)| spec.drawn().contains(&table))
    };
    let mut out = Vec::new();
    let mut placed = vec![false; drawn.figures.len()];
    for t in drawn.tables.iter().filter(|t| !moved("table", &t.id)) {
        out.push(json!({ "kind": "table", "table": table(t) }));
        for (k, f) in drawn.figures.iter().enumerate() {
            if !placed[k] && !moved("figure", &f.id) && shows(f, &t.id) {
                out.push(json!({ "kind": "figure", "figure": figure(f) }));
                placed[k] = true;
            }
        }
    }
    for (k, f) in drawn.figures.iter().enumerate() {
        if !placed[k] && !moved("figure", &f.id) {
            out.push(json!({ "kind": "figure", "figure": figure(f) }));
        }
    }
    out
}

/// A claim with the texts a replication table prints.
fn claim(c: &ClaimResult, style: &crate::present::Style) -> Value {
    use crate::present::claims as show;
    let mut v = serde_json::to_value(c).expect("serialises");
    v["difference"] = json!(c.reproduced.map(|r| r - c.reported));
    v["must"] = json!(c.must);
    v["note"] = json!(c.note);
    v["computed"] = json!(c.reproduced.is_some());
    v["reported_text"] = json!(show::reported(c));
    v["reproduced_text"] = json!(show::reproduced(c));
    v["off_parts"] = json!(show::off_parts(c));
    let head = &c.parts[0];
    v["difference_text"] = json!(c.reproduced.map_or(format::MISSING.to_string(), |r| {
        let d = r - c.reported;
        let text = style.num(Some(d), head.decimals as usize + 1);
        if text.starts_with('-') {
            text
        } else {
            format!("+{text}")
        }
    }));
    v["tolerance_text"] = json!(style.trimmed(c.tolerance, 10));
    v
}
