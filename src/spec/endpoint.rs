//! Where each endpoint's times and events come from, read once from its spec.
//!
//! An endpoint is written either as a time column and an event column, or as dates. The
//! keys that may be combined are checked here, and what they mean is kept as an
//! [`EndpointSource`], so the data stage matches on it and never asks again which keys
//! were given.

use indexmap::IndexMap;

use super::model::{Endpoint, EventCodes, Unit};
use super::{Seg, Study};
use crate::error::Result;

/// How an endpoint's follow-up time and event are read from the data.
#[derive(Debug, Clone)]
pub enum EndpointSource {
    /// A column of follow-up times and an event column.
    Time { time: String, event: EventColumn },
    /// Follow-up from `start` to the end date the event gives, counted in `unit`.
    Dates {
        start: String,
        last_contact: String,
        event: DateEvent,
        unit: Unit,
    },
}

/// An event indicator: 0/1, booleans, or the declared `codes`.
#[derive(Debug, Clone)]
pub struct EventColumn {
    pub column: String,
    pub codes: Option<EventCodes>,
}

/// How an endpoint from dates tells an event from a censoring, and when each ends.
#[derive(Debug, Clone)]
pub enum DateEvent {
    /// The event column decides. An event ends at `event_date` where that is given and
    /// present, else at last contact; a censoring ends at last contact.
    Column {
        event: EventColumn,
        event_date: Option<String>,
    },
    /// A present event date is the event and ends it; the others are censored at last
    /// contact.
    Date(String),
}

impl EndpointSource {
    /// The data columns the endpoint reads, each with its key in the spec, in the order
    /// time, event, start, event_date, last_contact: the order a missing column is
    /// reported in.
    pub fn columns(&self) -> Vec<(&'static str, &str)> {
        match self {
            EndpointSource::Time { time, event } => {
                vec![("time", time.as_str()), ("event", event.column.as_str())]
            }
            EndpointSource::Dates {
                start,
                last_contact,
                event,
                ..
            } => {
                let (flag, date) = match event {
                    DateEvent::Column { event, event_date } => {
                        (Some(event.column.as_str()), event_date.as_deref())
                    }
                    DateEvent::Date(date) => (None, Some(date.as_str())),
                };
                let mut out = Vec::new();
                out.extend(flag.map(|c| ("event", c)));
                out.push(("start", start.as_str()));
                out.extend(date.map(|c| ("event_date", c)));
                out.push(("last_contact", last_contact.as_str()));
                out
            }
        }
    }
}

impl Study {
    /// Every endpoint's source, in spec order: from a time and an event, or from dates,
    /// never both, with well-formed event codes.
    pub(super) fn endpoint_sources(&self) -> Result<IndexMap<String, EndpointSource>> {
        let mut sources = IndexMap::new();
        for (name, e) in self.spec.endpoints.iter() {
            let source = self.endpoint_source(name, e)?;
            self.check_event_codes(name, e)?;
            sources.insert(name.clone(), source);
        }
        Ok(sources)
    }

    fn endpoint_source(&self, name: &str, e: &Endpoint) -> Result<EndpointSource> {
        let at = |msg: String| self.error_at(&[Seg::Key("endpoints"), Seg::Key(name)], msg);
        let event = e.event.as_ref().map(|column| EventColumn {
            column: column.clone(),
            codes: e.event_codes.clone(),
        });
        let from_dates = e.start.is_some() || e.last_contact.is_some() || e.event_date.is_some();
        match (&e.time, from_dates) {
            (Some(time), false) => match event {
                Some(event) => Ok(EndpointSource::Time {
                    time: time.clone(),
                    event,
                }),
                None => Err(at(format!(
                    "endpoint `{name}` has a `time` but no `event` column"
                ))),
            },
            (None, true) => {
                let (Some(start), Some(last_contact)) = (&e.start, &e.last_contact) else {
                    return Err(at(format!(
                        "endpoint `{name}` from dates needs `start` and `last_contact`"
                    ))
                    .hint(
                        "plus `event_date` (its presence marks the event) or an `event` column",
                    ));
                };
                let event = match (event, &e.event_date) {
                    (Some(event), event_date) => DateEvent::Column {
                        event,
                        event_date: event_date.clone(),
                    },
                    (None, Some(date)) => DateEvent::Date(date.clone()),
                    (None, None) => {
                        return Err(at(format!(
                            "endpoint `{name}` needs `event_date` or an `event` column"
                        )));
                    }
                };
                Ok(EndpointSource::Dates {
                    start: start.clone(),
                    last_contact: last_contact.clone(),
                    event,
                    unit: e.unit.unwrap_or(Unit::Days),
                })
            }
            (Some(_), true) => Err(at(format!("endpoint `{name}` mixes `time` with dates"))
                .hint("use either `time` + `event`, or `start` + `last_contact` (+ `event_date`)")),
            (None, false) => Err(at(format!(
                "endpoint `{name}` needs `time` and `event` columns"
            ))),
        }
    }

    fn check_event_codes(&self, name: &str, e: &Endpoint) -> Result<()> {
        let at = |msg: String| self.error_at(&[Seg::Key("endpoints"), Seg::Key(name)], msg);
        if let Some(c) = e.censor_at
            && !(c.is_finite() && c > 0.0)
        {
            return Err(at(format!(
                "endpoint `{name}`: `censor_at` {c} is not a time > 0"
            )));
        }
        let Some(codes) = &e.event_codes else {
            return Ok(());
        };
        let mut seen: Vec<(&str, &str)> = codes
            .censored
            .iter()
            .map(|c| (c.as_str(), "censored"))
            .collect();
        match &codes.causes {
            None if codes.event.is_empty() => {
                return Err(at(format!(
                    "endpoint `{name}`: `event_codes.event` is empty"
                ))
                .hint("list the codes that mark an event, or with competing risks give `causes: { name: [codes], ... }`"));
            }
            None => seen.extend(codes.event.iter().map(|c| (c.as_str(), "an event"))),
            Some(_) if !codes.event.is_empty() => {
                return Err(at(format!(
                    "endpoint `{name}`: `event_codes` has both `event` and `causes`"
                ))
                .hint("with competing risks every event code belongs to one cause: drop `event`"));
            }
            Some(causes) if causes.len() < 2 => {
                return Err(at(format!(
                    "endpoint `{name}`: `causes` names {} cause; competing risks need two or more",
                    causes.len()
                ))
                .hint("with one kind of event use `event: [codes]` instead"));
            }
            Some(causes) if causes.len() > 200 => {
                return Err(at(format!(
                    "endpoint `{name}`: `causes` names {} causes; reprise takes at most 200",
                    causes.len()
                )));
            }
            Some(causes) => {
                for (cause, list) in causes {
                    if list.is_empty() {
                        return Err(at(format!(
                            "endpoint `{name}`: cause `{cause}` has no codes"
                        )));
                    }
                    seen.extend(list.iter().map(|c| (c.as_str(), cause.as_str())));
                }
            }
        }
        for (i, (code, what)) in seen.iter().enumerate() {
            if let Some((_, other)) = seen[..i].iter().find(|(c, _)| c == code) {
                return Err(at(format!(
                    "endpoint `{name}`: code `{code}` is both {} and {}",
                    describe(other),
                    describe(what)
                )));
            }
        }
        Ok(())
    }
}

/// "a censoring", "an event", "cause `pcm`".
fn describe(what: &str) -> String {
    match what {
        "censored" => "a censoring".to_string(),
        "an event" => "an event".to_string(),
        cause => format!("cause `{cause}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(endpoints: &str) -> IndexMap<String, EndpointSource> {
        let text = format!(
            "reprise: 1\nstudy: {{ id: t, version: 1.0.0, title: T, date: 2024-01-01 }}\n\
             data: {{ path: data.csv }}\nendpoints:\n{endpoints}analyses: {{}}\n"
        );
        Study::from_text(std::path::Path::new("study.yaml"), &text)
            .expect("a valid spec")
            .endpoints
    }

    #[test]
    fn each_endpoint_is_read_as_its_source() {
        let s = sources(
            "  os: { time: t, event: e, event_codes: { event: [2], censored: [1] } }\n\
             \x20 pfs: { start: s, last_contact: l, event_date: d, event: e, unit: months }\n\
             \x20 dfs: { start: s, last_contact: l, event_date: d }\n",
        );
        let EndpointSource::Time { time, event } = &s["os"] else {
            panic!("{:?}", s["os"]);
        };
        assert_eq!((time.as_str(), event.column.as_str()), ("t", "e"));
        assert_eq!(
            event.codes.as_ref().map(|c| c.event.clone()),
            Some(vec!["2".to_string()])
        );
        let EndpointSource::Dates { event, unit, .. } = &s["pfs"] else {
            panic!("{:?}", s["pfs"]);
        };
        assert!(matches!(event, DateEvent::Column { event_date: Some(d), .. } if d == "d"));
        assert_eq!(*unit, Unit::Months);
        let EndpointSource::Dates { event, unit, .. } = &s["dfs"] else {
            panic!("{:?}", s["dfs"]);
        };
        assert!(matches!(event, DateEvent::Date(d) if d == "d"));
        assert_eq!(*unit, Unit::Days, "dates count days unless told otherwise");
    }

    #[test]
    fn columns_come_in_the_order_missing_ones_are_reported() {
        let s = sources(
            "  os: { time: t, event: e }\n\
             \x20 pfs: { last_contact: l, event_date: d, start: s, event: e }\n\
             \x20 dfs: { start: s, last_contact: l, event_date: d }\n",
        );
        assert_eq!(s["os"].columns(), [("time", "t"), ("event", "e")]);
        assert_eq!(
            s["pfs"].columns(),
            [
                ("event", "e"),
                ("start", "s"),
                ("event_date", "d"),
                ("last_contact", "l")
            ]
        );
        assert_eq!(
            s["dfs"].columns(),
            [("start", "s"), ("event_date", "d"), ("last_contact", "l")]
        );
    }
}
