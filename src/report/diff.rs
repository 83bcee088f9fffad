//! What changed between two reports: the inputs whose hashes differ, every value of
//! `results.json` that differs, and every claim whose reproduced value or verdict does.
//! This is how a co-author or a journal sees what a data correction did to a paper.
//!
//! Values are named by the paths claims use (`km/strata/B/at/12/surv`), so a changed
//! number can be pasted into a claim; a list whose elements have no unique name is
//! indexed (`times/0`) instead.

use std::path::Path;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result, display_path};

/// One report as a diff reads it: a folder or the report inside a bundle.
struct Side {
    manifest: Value,
    results: Value,
    claims: Option<Value>,
}

/// An input present on either side whose hash differs.
#[derive(Debug, Serialize)]
pub struct InputChange {
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A value of results.json that differs; `None` on the side that lacks it.
#[derive(Debug, Serialize)]
pub struct ValueChange {
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    /// new − old, where both are numbers.
    pub difference: Option<f64>,
}

/// A claim as one report reproduced it.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimState {
    pub reported: Value,
    pub reproduced: Value,
    pub within: Value,
}

#[derive(Debug, Serialize)]
pub struct ClaimChange {
    pub id: String,
    pub old: Option<ClaimState>,
    pub new: Option<ClaimState>,
}

/// Everything that differs between two reports.
#[derive(Debug, Serialize)]
pub struct Diff {
    pub old: String,
    pub new: String,
    pub old_build: String,
    pub new_build: String,
    /// reprise's versions, when they differ.
    pub reprise: Option<(String, String)>,
    pub inputs: Vec<InputChange>,
    pub values: Vec<ValueChange>,
    /// How many values each side has.
    pub values_compared: usize,
    pub claims: Vec<ClaimChange>,
    /// Whether either report lacks claims.json (reports before reprise 0.8): its claims
    /// cannot be compared.
    pub claims_unknown: bool,
}

impl Diff {
    pub fn changed(&self) -> bool {
        !(self.inputs.is_empty()
            && self.values.is_empty()
            && self.claims.is_empty()
            && self.reprise.is_none())
    }
}

/// The differences between the reports at `old` and `new`, each a report folder or a
/// bundle.
pub fn diff(old: &Path, new: &Path) -> Result<Diff> {
    let (a, b) = (open(old)?, open(new)?);
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let reprise = (a.manifest["reprise"] != b.manifest["reprise"])
        .then(|| (text(&a.manifest["reprise"]), text(&b.manifest["reprise"])));

    let hashes = |m: &Value| -> IndexMap<String, String> {
        m["inputs"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), text(v))).collect())
            .unwrap_or_default()
    };
    let (ha, hb) = (hashes(&a.manifest), hashes(&b.manifest));
    let inputs = union(&ha, &hb)
        .filter(|n| ha.get(*n) != hb.get(*n))
        .map(|n| InputChange {
            name: n.clone(),
            old: ha.get(n).cloned(),
            new: hb.get(n).cloned(),
        })
        .collect();

    let (va, vb) = (flat(&a.results["analyses"]), flat(&b.results["analyses"]));
    let values = union(&va, &vb)
        .filter(|p| va.get(*p) != vb.get(*p))
        .map(|p| {
            let (old, new) = (va.get(p).cloned(), vb.get(p).cloned());
            let difference = match (
                old.as_ref().and_then(Value::as_f64),
                new.as_ref().and_then(Value::as_f64),
            ) {
                (Some(x), Some(y)) => Some(y - x),
                _ => None,
            };
            ValueChange {
                path: p.clone(),
                old,
                new,
                difference,
            }
        })
        .collect();

    let (ca, cb) = (claims(&a), claims(&b));
    let claims = union(&ca, &cb)
        .filter(|id| {
            let (x, y) = (ca.get(*id), cb.get(*id));
            x.map(|c| (&c.reproduced, &c.within)) != y.map(|c| (&c.reproduced, &c.within))
        })
        .map(|id| ClaimChange {
            id: id.clone(),
            old: ca.get(id).cloned(),
            new: cb.get(id).cloned(),
        })
        .collect();

    Ok(Diff {
        old: display_path(old),
        new: display_path(new),
        old_build: text(&a.manifest["build_id"]),
        new_build: text(&b.manifest["build_id"]),
        reprise,
        inputs,
        values,
        values_compared: va.len().max(vb.len()),
        claims,
        claims_unknown: a.claims.is_none() || b.claims.is_none(),
    })
}

/// The keys of `a`, then those only `b` has.
fn union<'a, V>(
    a: &'a IndexMap<String, V>,
    b: &'a IndexMap<String, V>,
) -> impl Iterator<Item = &'a String> {
    a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)))
}

fn claims(side: &Side) -> IndexMap<String, ClaimState> {
    let Some(list) = side.claims.as_ref().and_then(|c| c["claims"].as_array()) else {
        return IndexMap::new();
    };
    list.iter()
        .filter_map(|c| {
            Some((
                c["id"].as_str()?.to_string(),
                ClaimState {
                    reported: c["reported"].clone(),
                    reproduced: c["reproduced"].clone(),
                    within: c["within"].clone(),
                },
            ))
        })
        .collect()
}

/// Every value under `analyses` by its path.
fn flat(analyses: &Value) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    if let Some(map) = analyses.as_object() {
        for (id, v) in map {
            walk(id.clone(), v, &mut out);
        }
    }
    out
}

fn walk(path: String, v: &Value, out: &mut IndexMap<String, Value>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                walk(format!("{path}/{k}"), v, out);
            }
        }
        Value::Array(items) => {
            let names = element_names(items);
            for (i, item) in items.iter().enumerate() {
                let seg = names
                    .as_ref()
                    .map_or_else(|| i.to_string(), |n| n[i].clone());
                walk(format!("{path}/{seg}"), item, out);
            }
        }
        leaf => {
            out.insert(path, leaf.clone());
        }
    }
}

/// The names claim paths give a list's elements ([`crate::results::element_name`]),
/// when every element has one and no two share it.
fn element_names(items: &[Value]) -> Option<Vec<String>> {
    let names: Vec<String> = items
        .iter()
        .map(crate::results::element_name)
        .collect::<Option<_>>()?;
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .all(|n| seen.insert(n.as_str()))
        .then_some(names)
}

fn open(path: &Path) -> Result<Side> {
    let not_report = || {
        Error::input(format!(
            "{} is not a reprise report: it has no manifest.json",
            display_path(path)
        ))
        .hint("give two report folders (reports/<version>/) or two bundles (<id>-<version>.zip)")
    };
    let parse = |name: &str, bytes: &[u8]| -> Result<Value> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::input(format!("{}: {name} is not JSON: {e}", display_path(path))))
    };
    if path.is_dir() {
        let read = |name: &str| std::fs::read(path.join(name)).ok();
        let manifest = read("manifest.json").ok_or_else(not_report)?;
        let results = read("results.json").ok_or_else(not_report)?;
        return Ok(Side {
            manifest: parse("manifest.json", &manifest)?,
            results: parse("results.json", &results)?,
            claims: read("claims.json")
                .map(|c| parse("claims.json", &c))
                .transpose()?,
        });
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Error::input(format!("cannot read {}: {e}", display_path(path))))?;
    let entries: IndexMap<String, Vec<u8>> = crate::archive::entries(&bytes)
        .map_err(|_| not_report())?
        .into_iter()
        .collect();
    let dir = entries
        .keys()
        .find(|n| n.starts_with("reports/") && n.ends_with("/manifest.json"))
        .map(|n| n.trim_end_matches("manifest.json").to_string())
        .ok_or_else(not_report)?;
    let get = |name: &str| entries.get(&format!("{dir}{name}"));
    Ok(Side {
        manifest: parse(
            "manifest.json",
            get("manifest.json").ok_or_else(not_report)?,
        )?,
        results: parse("results.json", get("results.json").ok_or_else(not_report)?)?,
        claims: get("claims.json")
            .map(|c| parse("claims.json", c))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_named_by_the_paths_claims_use() {
        let analyses = serde_json::json!({"km": {"strata": [
            {"label": "A", "n": 4, "at": [{"time": 12, "surv": 0.5}]},
            {"label": "B", "n": 4, "at": [{"time": 12, "surv": 0.25}]}],
            "times": [6, 12]}});
        let flat = flat(&analyses);
        assert_eq!(flat["km/strata/B/at/12/surv"], 0.25);
        assert_eq!(flat["km/times/1"], 12);
    }

    #[test]
    fn elements_sharing_a_name_are_indexed() {
        let items = [
            serde_json::json!({"label": "x"}),
            serde_json::json!({"label": "x"}),
        ];
        assert_eq!(element_names(&items), None);
    }
}
