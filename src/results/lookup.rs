//! Paths into `results.json`, as claims and templates name a number.

use serde_json::Value;

/// The keys that name a list's elements in a path.
const NAMED: [&str; 6] = ["label", "term", "group", "cause", "variable", "arm"];

/// A path that names no number, with what is there instead.
#[derive(Debug, Clone, PartialEq)]
pub struct NotFound(pub String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotFound {}

/// The segment a path names a list's element by: its first `label`, `term`, `group`,
/// `cause`, `variable` or `arm` that is text, else its `time`.
pub fn element_name(item: &Value) -> Option<String> {
    NAMED
        .iter()
        .find_map(|k| item.get(k).and_then(Value::as_str).map(str::to_string))
        .or_else(|| {
            item.get("time")
                .filter(|t| t.is_number())
                .map(Value::to_string)
        })
}

/// The value a claim's path names: object keys by name, list elements by their `label`,
/// `term`, `group` (an rmst contrast), `cause` (a cumulative incidence), `variable` (a
/// subgroup), `arm` or `time`. `Ok(None)` when the path exists but holds no number (null).
pub fn lookup<'a>(
    analysis: impl Fn(&str) -> Option<&'a Value>,
    path: &str,
) -> Result<Option<f64>, NotFound> {
    let mut segments = path.split('/');
    let first = segments.next().unwrap_or("");
    let mut here = analysis(first).ok_or_else(|| NotFound(format!("no analysis `{first}`")))?;
    let mut walked = first.to_string();
    for seg in segments {
        here = match here {
            Value::Object(map) => match map.get(seg) {
                Some(v) => v,
                None => {
                    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                    let hint = crate::error::nearest(seg, keys.iter().copied())
                        .map(|b| format!("; did you mean `{b}`?"))
                        .unwrap_or_default();
                    return Err(NotFound(format!(
                        "`{walked}` has no key `{seg}` (it has: {}){hint}",
                        keys.join(", ")
                    )));
                }
            },
            Value::Array(items) => {
                let found = items.iter().find(|item| {
                    NAMED
                        .iter()
                        .any(|k| item.get(k).and_then(Value::as_str) == Some(seg))
                        || item
                            .get("time")
                            .and_then(Value::as_f64)
                            .zip(seg.parse::<f64>().ok())
                            .is_some_and(|(a, b)| a == b)
                });
                match found {
                    Some(v) => v,
                    None => {
                        let names: Vec<String> = items.iter().filter_map(element_name).collect();
                        return Err(NotFound(format!(
                            "`{walked}` has no element `{seg}` (it has: {})",
                            names.join(", ")
                        )));
                    }
                }
            }
            _ => {
                return Err(NotFound(format!(
                    "`{walked}` is a value, so `{seg}` cannot follow it"
                )));
            }
        };
        walked = format!("{walked}/{seg}");
    }
    match here {
        Value::Number(n) => Ok(n.as_f64()),
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b as u8 as f64)),
        _ => Err(NotFound(format!(
            "`{walked}` is not a number; a claim must point at one value"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_causes_subgroups_and_arms_by_their_names() {
        let cif = serde_json::json!({"causes": [{"cause": "relapse", "strata": [
            {"label": "A", "at": [{"time": 5, "estimate": 0.31}]}]}]});
        let sub = serde_json::json!({"subgroups": [{"variable": "sex", "interaction_p": 0.03,
            "levels": [{"label": "F", "per_arm": [{"arm": "B", "events": 12}]}]}]});
        let get = |id: &str| match id {
            "cif" => Some(&cif),
            "sub" => Some(&sub),
            _ => None,
        };
        assert_eq!(
            lookup(get, "cif/causes/relapse/strata/A/at/5/estimate"),
            Ok(Some(0.31))
        );
        assert_eq!(
            lookup(get, "sub/subgroups/sex/interaction_p"),
            Ok(Some(0.03))
        );
        assert_eq!(
            lookup(get, "sub/subgroups/sex/levels/F/per_arm/B/events"),
            Ok(Some(12.0))
        );
        let missing = lookup(get, "cif/causes/death").unwrap_err();
        assert!(missing.0.contains("(it has: relapse)"), "{missing}");
    }
}
