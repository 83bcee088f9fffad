//! Reading one analysis's keys into its kind's params, and the checks many kinds share.
//!
//! The spec keeps each analysis as YAML until its `kind` is known; the kind's params
//! struct is then read from it with the path of any failing key recorded, and the key (or
//! its value) is found again in the spec's text, so an error names its line and column.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use super::{Entry, KINDS, Planned};
use crate::error::{Error, Result, nearest};
use crate::spec::{OwnedSeg, Seg, Study};

/// One analysis being planned: its id, its keys, and the analyses above it.
pub struct ParseCx<'a> {
    pub study: &'a Study,
    pub id: &'a str,
    map: serde_yaml::Mapping,
    earlier: &'a [Planned],
}

impl<'a> ParseCx<'a> {
    pub(super) fn new(
        study: &'a Study,
        id: &'a str,
        raw: &serde_yaml::Value,
        earlier: &'a [Planned],
    ) -> Result<ParseCx<'a>> {
        let cx = ParseCx {
            study,
            id,
            map: serde_yaml::Mapping::new(),
            earlier,
        };
        let serde_yaml::Value::Mapping(map) = raw else {
            return Err(cx.error(format!(
                "analysis `{id}` must be a mapping of keys (`kind: ...`, ...)"
            )));
        };
        Ok(ParseCx {
            map: map.clone(),
            ..cx
        })
    }

    /// The registry entry its `kind` names.
    pub(super) fn entry(&self) -> Result<&'static Entry> {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        let quoted = names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let Some(kind) = self.map.get("kind") else {
            return Err(self
                .error(format!("analysis `{}` needs a `kind`", self.id))
                .hint(format!("one of {quoted}")));
        };
        let Some(kind) = kind.as_str() else {
            return Err(self.value_error(
                &["kind"],
                format!("analyses.{}.kind: expected one of {quoted}", self.id),
            ));
        };
        match KINDS.iter().find(|k| k.name == kind) {
            Some(entry) => Ok(entry),
            None => {
                let mut e = self.value_error(
                    &["kind"],
                    format!(
                        "analyses.{}.kind: unknown value `{kind}`, expected one of {quoted}",
                        self.id
                    ),
                );
                if let Some(best) = nearest(kind, names.iter().copied()) {
                    e = e.hint(format!("did you mean `{best}`?"));
                }
                Err(e)
            }
        }
    }

    pub(super) fn title(&self) -> Result<Option<String>> {
        match self.map.get("title") {
            None | Some(serde_yaml::Value::Null) => Ok(None),
            Some(v) => crate::spec::scalar_text::<serde_yaml::Error>(v.clone())
                .map(Some)
                .map_err(|e| {
                    self.value_error(&["title"], format!("analyses.{}.title: {e}", self.id))
                }),
        }
    }

    /// The kind's params, read from every key but `kind` and `title`.
    pub(super) fn params<P: DeserializeOwned>(&self, keys: &[&'static str]) -> Result<P> {
        let mut map = self.map.clone();
        // shift_remove keeps the keys in the order written, so the first bad key reported
        // is the first in the file.
        map.shift_remove("kind");
        map.shift_remove("title");
        let kind = self.map.get("kind").and_then(|k| k.as_str()).unwrap_or("");
        serde_path_to_error::deserialize(serde_yaml::Value::Mapping(map))
            .map_err(|e| self.params_error(kind, keys, e))
    }

    fn params_error(
        &self,
        kind: &str,
        keys: &[&'static str],
        e: serde_path_to_error::Error<serde_yaml::Error>,
    ) -> Error {
        let path: Vec<OwnedSeg> = e
            .path()
            .iter()
            .filter_map(|s| match s {
                serde_path_to_error::Segment::Map { key } => Some(OwnedSeg::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(OwnedSeg::Index(*index)),
                _ => None,
            })
            .collect();
        let inner = e.into_inner().to_string();
        let id = self.id;
        if let (Some(OwnedSeg::Key(key)), 1) = (path.first(), path.len())
            && inner.starts_with("unknown field")
        {
            let elsewhere = KINDS.iter().any(|k| k.keys().contains(&key.as_str()));
            let listed = keys.join(", ");
            if elsewhere {
                return self
                    .error_at_owned(
                        &path,
                        format!("analysis `{id}`: key `{key}` does not apply to `kind: {kind}`"),
                    )
                    .hint(format!("`{kind}` takes: {listed}"));
            }
            let expected = keys
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut err = self.error_at_owned(
                &path,
                format!("analyses.{id}: unknown key `{key}`, expected one of {expected}"),
            );
            if let Some(best) = nearest(key, keys.iter().copied()) {
                err = err.hint(format!("did you mean `{best}`?"));
            }
            return err;
        }
        let (message, hints) = crate::spec::serde_message(&inner);
        // An unknown key below the analysis is placed at the key, under its mapping's
        // name, as serde_yaml placed it; any other error at the value.
        let unknown_key = inner.starts_with("unknown field");
        let named = if unknown_key {
            &path[..path.len().saturating_sub(1)]
        } else {
            &path[..]
        };
        let dotted: String = named
            .iter()
            .map(|s| match s {
                OwnedSeg::Key(k) => format!(".{k}"),
                OwnedSeg::Index(i) => format!("[{i}]"),
            })
            .collect();
        let full = self.path(path.iter().map(OwnedSeg::seg));
        let location = if unknown_key {
            self.study.location(&full)
        } else {
            crate::spec::value_location(&self.study.path, &self.study.text, &full)
        };
        let mut err = Error::in_file(location, format!("analyses.{id}{dotted}: {message}"));
        for h in hints {
            err = err.hint(h);
        }
        err
    }

    /// An error placed at the analysis.
    pub fn error(&self, message: impl Into<String>) -> Error {
        self.study.error_at(&self.path([]), message)
    }

    /// An error placed at a key below the analysis.
    pub fn error_at(&self, keys: &[&str], message: impl Into<String>) -> Error {
        self.study
            .error_at(&self.path(keys.iter().map(|k| Seg::Key(k))), message)
    }

    fn error_at_owned(&self, keys: &[OwnedSeg], message: impl Into<String>) -> Error {
        self.study
            .error_at(&self.path(keys.iter().map(OwnedSeg::seg)), message)
    }

    /// An error placed at the value of a key below the analysis.
    fn value_error(&self, keys: &[&str], message: String) -> Error {
        let path = self.path(keys.iter().map(|k| Seg::Key(k)));
        Error::in_file(
            crate::spec::value_location(&self.study.path, &self.study.text, &path),
            message,
        )
    }

    /// The path of keys below this analysis, from the top of the spec.
    fn path<'s>(&'s self, below: impl IntoIterator<Item = Seg<'s>>) -> Vec<Seg<'s>> {
        let mut path = vec![Seg::Key("analyses"), Seg::Key(self.id)];
        path.extend(below);
        path
    }

    /// The analysis planned above this one under `id`, if any.
    pub fn earlier(&self, id: &str) -> Option<&'a Planned> {
        self.earlier.iter().find(|p| p.id == id)
    }

    /// The endpoint an analysis names: required, and defined under `endpoints`.
    pub fn endpoint(&self, endpoint: Option<&String>) -> Result<String> {
        let spec = &self.study.spec;
        let id = self.id;
        let Some(e) = endpoint else {
            let kind = self.map.get("kind").and_then(|k| k.as_str()).unwrap_or("");
            return Err(self.error(format!("analysis `{id}` (kind {kind}) needs an `endpoint`")));
        };
        if !spec.endpoints.contains_key(e) {
            let mut err = self.error_at(
                &["endpoint"],
                format!(
                    "analysis `{id}` uses endpoint `{e}`, which is not defined under `endpoints`"
                ),
            );
            if let Some(best) = nearest(e, spec.endpoints.keys().map(String::as_str)) {
                err = err.hint(format!("did you mean `{best}`?"));
            } else {
                let known: Vec<&str> = spec.endpoints.keys().map(String::as_str).collect();
                err = err.hint(format!("defined endpoints: {}", known.join(", ")));
            }
            return Err(err);
        }
        Ok(e.clone())
    }

    /// The causes of a competing-risks endpoint, in the order declared; none for an
    /// endpoint with one kind of event.
    pub fn causes(&self, endpoint: &str) -> Vec<String> {
        self.study
            .spec
            .endpoints
            .get(endpoint)
            .and_then(|e| e.event_codes.as_ref())
            .and_then(|c| c.causes.as_ref())
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A `cause:` of the endpoint: its name and its code (1 for the first declared).
    pub fn cause(
        &self,
        endpoint: Option<&str>,
        cause: &str,
        causes: &[String],
    ) -> Result<(String, u8)> {
        let id = self.id;
        let e = endpoint.unwrap_or("");
        if causes.is_empty() {
            return Err(self
                .error_at(
                    &["cause"],
                    format!(
                        "analysis `{id}`: `cause: {cause}`, but endpoint `{e}` has one kind of event, not competing risks"
                    ),
                )
                .hint(format!(
                    "declare the causes on the endpoint: `event_codes: {{ censored: [..], causes: {{ {cause}: [..], other: [..] }} }}`, or drop `cause`"
                )));
        }
        match causes.iter().position(|c| c == cause) {
            Some(k) => Ok((cause.to_string(), k as u8 + 1)),
            None => {
                let mut err = self.error_at(
                    &["cause"],
                    format!(
                        "analysis `{id}`: endpoint `{e}` has no cause `{cause}`; its causes are {}",
                        causes.join(", ")
                    ),
                );
                if let Some(best) = nearest(cause, causes.iter().map(String::as_str)) {
                    err = err.hint(format!("did you mean `{best}`?"));
                }
                Err(err)
            }
        }
    }

    /// Times to report estimates at: finite, ≥ 0, increasing; none when not given.
    pub fn times(&self, times: Option<Vec<f64>>) -> Result<Vec<f64>> {
        let times = times.unwrap_or_default();
        let id = self.id;
        if let Some(t) = times.iter().find(|t| !t.is_finite() || **t < 0.0) {
            return Err(self.error_at(
                &["times"],
                format!("analysis `{id}`: time {t} is not a finite time ≥ 0"),
            ));
        }
        if times.windows(2).any(|w| w[0] >= w[1]) {
            return Err(self.error_at(
                &["times"],
                format!("analysis `{id}`: `times` must be increasing with no repeats"),
            ));
        }
        Ok(times)
    }

    /// A confidence level: a fraction strictly between 0 and 1, 0.95 when not given.
    pub fn conf_level(&self, level: Option<f64>) -> Result<f64> {
        match level {
            None => Ok(0.95),
            Some(c) if c > 0.0 && c < 1.0 => Ok(c),
            Some(c) => Err(self
                .error_at(
                    &["conf_level"],
                    format!(
                        "analysis `{}`: conf_level {c} is not between 0 and 1",
                        self.id
                    ),
                )
                .hint("write the level as a fraction, e.g. 0.95")),
        }
    }
}

/// The field names of a struct that serde derives `Deserialize` for, in declaration
/// order: serde hands them to the deserializer, which here keeps them and stops.
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields = None;
    let _ = T::deserialize(Fields(&mut fields));
    fields.unwrap_or(&[])
}

struct Fields<'a>(&'a mut Option<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for Fields<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> std::result::Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> std::result::Result<V::Value, Stop> {
        *self.0 = Some(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Example {
        endpoint: String,
        by: Option<String>,
    }

    #[test]
    fn field_names_come_from_the_derive() {
        assert_eq!(field_names::<Example>(), &["endpoint", "by"]);
    }
}
