//! The types of `study.yaml` (format 1) and the checks that need nothing but the spec.

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{Seg, Study};
use crate::error::{Result, nearest};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub reprise: u64,
    pub study: StudyMeta,
    pub data: DataSpec,
    #[serde(default)]
    pub derive: UniqueMap<Derive>,
    pub endpoints: UniqueMap<Endpoint>,
    pub analyses: UniqueMap<AnalysisSpec>,
    /// Figures drawn from analyses; when absent, every KM and Cox analysis gets one.
    #[serde(default)]
    pub figures: Option<UniqueMap<FigureSpec>>,
    #[serde(default)]
    pub report: Option<ReportSpec>,
    #[serde(default)]
    pub claims: Vec<Claim>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyMeta {
    pub id: String,
    pub version: String,
    pub title: String,
    /// `YYYY-MM-DD`: the report's date, so that a rebuild gives the same bytes.
    pub date: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    pub path: String,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub columns: UniqueMap<ColumnSpec>,
    /// Marks data that are not real patients (a calibrated synthetic cohort); reports say so.
    #[serde(default)]
    pub synthetic: bool,
    /// The synth spec the data were generated from: the report then shows its calibration
    /// table, and the build checks that the spec still generates the data file.
    #[serde(default)]
    pub synth: Option<String>,
    /// A column saying how many patients each row stands for: the data are then counts
    /// per (time, event, group) summarised elsewhere, a warehouse's `GROUP BY`.
    /// Kaplan-Meier, log-rank and follow-up run on such data; analyses that need each
    /// patient's own values (Cox, Table 1, flows) are refused.
    #[serde(default)]
    pub count: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColType {
    Float,
    Int,
    Bool,
    Category,
    String,
    Date,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    #[serde(rename = "type")]
    pub col_type: ColType,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default, deserialize_with = "scalar_list_opt")]
    pub levels: Option<Vec<String>>,
    /// Reference level for Cox terms (default: the first level).
    #[serde(default, rename = "ref", deserialize_with = "scalar_opt")]
    pub reference: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
}

/// A derived column: exactly one of `expr`, `cut`, `recode`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    #[serde(default)]
    pub expr: Option<String>,
    #[serde(default)]
    pub cut: Option<Cut>,
    #[serde(default)]
    pub recode: Option<Recode>,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cut {
    pub column: String,
    pub breaks: Vec<f64>,
    #[serde(default, deserialize_with = "scalar_list_opt")]
    pub labels: Option<Vec<String>>,
    /// Intervals closed on the right, `(a, b]`, as R's `cut` by default.
    #[serde(default = "yes")]
    pub right: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recode {
    pub column: String,
    #[serde(deserialize_with = "scalar_map")]
    pub map: IndexMap<String, String>,
    /// Value for anything the map does not name; absent means missing.
    #[serde(default, deserialize_with = "scalar_opt")]
    pub default: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

impl Unit {
    /// Days per unit: months and years are the average Julian lengths.
    pub fn days(self) -> f64 {
        match self {
            Unit::Days => 1.0,
            Unit::Weeks => 7.0,
            Unit::Months => 30.4375,
            Unit::Years => 365.25,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Unit::Days => "days",
            Unit::Weeks => "weeks",
            Unit::Months => "months",
            Unit::Years => "years",
        }
    }
}

/// A time-to-event endpoint, from a time column or from dates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    #[serde(default)]
    pub time: Option<String>,
    /// The event indicator: 0/1, a boolean, or codes declared in `event_codes`. With dates it
    /// is optional: a present `event_date` then marks the event.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub event_codes: Option<EventCodes>,
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub event_date: Option<String>,
    #[serde(default)]
    pub last_contact: Option<String>,
    #[serde(default)]
    pub unit: Option<Unit>,
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCodes {
    #[serde(deserialize_with = "scalar_list")]
    pub event: Vec<String>,
    #[serde(deserialize_with = "scalar_list")]
    pub censored: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalysisKind {
    Km,
    Logrank,
    Cox,
    Followup,
    Describe,
    Flow,
}

/// The rule a multivariable model's covariates are chosen by: those whose univariable
/// model (one of `from`) gives a term with p below `p_below`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Select {
    pub from: Vec<String>,
    #[serde(default = "five_percent")]
    pub p_below: f64,
}

fn five_percent() -> f64 {
    0.05
}

/// One step of a patient flow: those who remain satisfy this step's `filter` and every
/// filter before it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    pub label: String,
    /// A SQL expression over the data's columns; absent means everyone (the first box).
    #[serde(default)]
    pub filter: Option<String>,
    /// The label of the box for those this step removes.
    #[serde(default)]
    pub excluded: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FigureKind {
    Km,
    Forest,
    Flow,
}

/// A figure drawn from one or more analyses' results.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureSpec {
    pub kind: FigureKind,
    /// The caption.
    #[serde(default)]
    pub title: Option<String>,
    /// km and flow: the analysis drawn.
    #[serde(default)]
    pub analysis: Option<String>,
    /// km: the log-rank analysis whose p is shown (default: one with the same endpoint and `by`).
    #[serde(default)]
    pub logrank: Option<String>,
    #[serde(default)]
    pub breaks: Option<Vec<f64>>,
    #[serde(default)]
    pub xmax: Option<f64>,
    #[serde(default)]
    pub ci: Option<bool>,
    #[serde(default)]
    pub risk_table: Option<bool>,
    #[serde(default)]
    pub xlab: Option<String>,
    #[serde(default)]
    pub ylab: Option<String>,
    /// forest: the multivariable model(s), one column each.
    #[serde(default)]
    pub analyses: Option<Vec<String>>,
    /// forest: univariable models, one term each, shown as one column beside the others.
    #[serde(default)]
    pub univariable: Option<Vec<String>>,
    /// Display names for strata, levels or terms.
    #[serde(default, deserialize_with = "scalar_map_opt")]
    pub labels: Option<IndexMap<String, String>>,
}

impl FigureSpec {
    /// A figure of `kind` with every option at its default.
    pub fn blank(kind: FigureKind) -> FigureSpec {
        FigureSpec {
            kind,
            title: None,
            analysis: None,
            logrank: None,
            breaks: None,
            xmax: None,
            ci: None,
            risk_table: None,
            xlab: None,
            ylab: None,
            analyses: None,
            univariable: None,
            labels: None,
        }
    }

    /// A forest plot of one Cox model.
    pub fn forest_of(analysis: &str, title: Option<String>) -> FigureSpec {
        FigureSpec {
            analyses: Some(vec![analysis.to_string()]),
            title,
            ..FigureSpec::blank(FigureKind::Forest)
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// A minijinja template producing typst source; absent means the built-in one.
    #[serde(default)]
    pub template: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum ConfType {
    #[serde(rename = "log")]
    Log,
    #[serde(rename = "log-log")]
    LogLog,
    #[serde(rename = "plain")]
    Plain,
}

impl ConfType {
    pub fn name(self) -> &'static str {
        match self {
            ConfType::Log => "log",
            ConfType::LogLog => "log-log",
            ConfType::Plain => "plain",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    Efron,
    Breslow,
}

impl Ties {
    pub fn name(self) -> &'static str {
        match self {
            Ties::Efron => "efron",
            Ties::Breslow => "breslow",
        }
    }
}

/// An analysis as written: one flat set of keys, checked against its kind in
/// [`Study::analyses`]. Flat rather than a tagged enum so that serde_yaml can place
/// every error at its line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    pub kind: AnalysisKind,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub by: Option<String>,
    #[serde(default)]
    pub times: Option<Vec<f64>>,
    #[serde(default)]
    pub conf_type: Option<ConfType>,
    #[serde(default)]
    pub conf_level: Option<f64>,
    #[serde(default)]
    pub covariates: Option<Vec<String>>,
    #[serde(default)]
    pub ties: Option<Ties>,
    #[serde(default)]
    pub variables: Option<Vec<String>>,
    #[serde(default)]
    pub steps: Option<Vec<FlowStep>>,
    /// cox: choose the covariates from univariable models by their p-value.
    #[serde(default)]
    pub select: Option<Select>,
    #[serde(default)]
    pub title: Option<String>,
}

/// An analysis checked against its kind, with defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub enum Analysis {
    Km {
        endpoint: String,
        by: Option<String>,
        times: Vec<f64>,
        conf_type: ConfType,
        conf_level: f64,
    },
    Logrank {
        endpoint: String,
        by: String,
    },
    Cox {
        endpoint: String,
        covariates: Vec<String>,
        ties: Ties,
        conf_level: f64,
        /// Covariates chosen at run time from univariable models (`covariates` is then
        /// the candidates: every covariate of those models).
        select: Option<Select>,
    },
    Followup {
        endpoint: String,
        conf_level: f64,
    },
    Describe {
        variables: Vec<String>,
        by: Option<String>,
    },
    Flow {
        steps: Vec<FlowStep>,
        by: Option<String>,
    },
}

impl Analysis {
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            Analysis::Km { endpoint, .. }
            | Analysis::Logrank { endpoint, .. }
            | Analysis::Cox { endpoint, .. }
            | Analysis::Followup { endpoint, .. } => Some(endpoint),
            Analysis::Describe { .. } | Analysis::Flow { .. } => None,
        }
    }

    /// The data columns (not endpoints) this analysis reads, with the key that names each.
    pub fn columns(&self) -> Vec<(&'static str, &str)> {
        match self {
            Analysis::Km { by, .. } => by.iter().map(|b| ("by", b.as_str())).collect(),
            Analysis::Logrank { by, .. } => vec![("by", by.as_str())],
            Analysis::Cox { covariates, .. } => covariates
                .iter()
                .map(|c| ("covariates", c.as_str()))
                .collect(),
            Analysis::Followup { .. } => vec![],
            Analysis::Describe { variables, by } => variables
                .iter()
                .map(|v| ("variables", v.as_str()))
                .chain(by.iter().map(|b| ("by", b.as_str())))
                .collect(),
            Analysis::Flow { by, .. } => by.iter().map(|b| ("by", b.as_str())).collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// A path into `results.json` under `analyses`. A claim without one is a number the
    /// data cannot reproduce (the paper's toxicity counts, say): `check` lists it as not
    /// reproducible, and `audit` still checks it against the other numbers.
    #[serde(default)]
    pub result: Option<String>,
    pub reported: f64,
    pub tolerance: f64,
    #[serde(default)]
    pub lower: Option<f64>,
    #[serde(default)]
    pub upper: Option<f64>,
    /// The sentence or table cell the number comes from.
    #[serde(default)]
    pub quote: Option<String>,
    /// A claim that must hold for `check` to pass; informational claims set `must: false`.
    #[serde(default = "yes")]
    pub must: bool,
    /// How the reproduced value is held against the reported one: `within` the tolerance
    /// (default), or `below` / `above` it (for "p < 0.001").
    #[serde(default)]
    pub compare: Compare,
    #[serde(default)]
    pub note: Option<String>,
    /// What the number is, for `audit`: count, percent, proportion, hr, p (else anything).
    #[serde(default)]
    pub unit: Option<ClaimUnit>,
    /// Decimal places as printed (for rounding arithmetic); defaults by unit.
    #[serde(default)]
    pub digits: Option<u32>,
    /// A percent's or proportion's stated denominator: a whole number of patients.
    #[serde(default)]
    pub denominator: Option<f64>,
    /// A percent's count: the id of the claim holding it.
    #[serde(default)]
    pub count: Option<String>,
    /// A count that is one category of a total: the id of the total's claim.
    #[serde(default)]
    pub part_of: Option<String>,
    /// Which partition of that total the category belongs to (the variable), when one
    /// total is split several ways.
    #[serde(default)]
    pub group: Option<String>,
    /// A p-value's hazard ratio: the id of its claim (which carries `lower` and `upper`).
    #[serde(default)]
    pub p_of: Option<String>,
    /// The same quantity reported elsewhere: the id of that claim.
    #[serde(default)]
    pub same_as: Option<String>,
    /// An overall rate made of subgroup rates: each subgroup's claim and its size.
    #[serde(default)]
    pub subgroups: Vec<Subgroup>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Subgroup {
    pub claim: String,
    pub n: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimUnit {
    Count,
    Percent,
    Proportion,
    Hr,
    P,
    Other,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compare {
    #[default]
    Within,
    Below,
    Above,
}

fn yes() -> bool {
    true
}

/// An insertion-ordered map that refuses duplicate keys, which YAML allows but which here
/// would silently drop an analysis.
#[derive(Debug, Clone)]
pub struct UniqueMap<V>(pub IndexMap<String, V>);

impl<V> Default for UniqueMap<V> {
    fn default() -> Self {
        UniqueMap(IndexMap::new())
    }
}

impl<V> std::ops::Deref for UniqueMap<V> {
    type Target = IndexMap<String, V>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for UniqueMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = UniqueMap<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut access: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut map = IndexMap::new();
                while let Some(key) = access.next_key::<String>()? {
                    if map.contains_key(&key) {
                        return Err(de::Error::custom(format!(
                            "duplicate entry with key `{key}`"
                        )));
                    }
                    let value = access.next_value()?;
                    map.insert(key, value);
                }
                Ok(UniqueMap(map))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(UniqueMap(IndexMap::new()))
            }
        }
        deserializer.deserialize_map(V2(std::marker::PhantomData))
    }
}

/// YAML scalars (`1`, `yes`, `male`) as the text a data cell would hold.
pub(crate) fn scalar_text<E: de::Error>(v: serde_yaml::Value) -> std::result::Result<String, E> {
    match v {
        serde_yaml::Value::String(s) => Ok(s),
        serde_yaml::Value::Bool(b) => Ok(b.to_string()),
        serde_yaml::Value::Number(n) => Ok(match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        }),
        other => Err(E::custom(format!(
            "expected a single value (text or number), found {}",
            kind_name(&other)
        ))),
    }
}

fn kind_name(v: &serde_yaml::Value) -> &'static str {
    match v {
        serde_yaml::Value::Null => "nothing",
        serde_yaml::Value::Bool(_) => "a boolean",
        serde_yaml::Value::Number(_) => "a number",
        serde_yaml::Value::String(_) => "text",
        serde_yaml::Value::Sequence(_) => "a list",
        serde_yaml::Value::Mapping(_) => "a mapping",
        serde_yaml::Value::Tagged(_) => "a tagged value",
    }
}

fn scalar_opt<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    Option::<serde_yaml::Value>::deserialize(d)?
        .map(scalar_text)
        .transpose()
}

fn scalar_list<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    Vec::<serde_yaml::Value>::deserialize(d)?
        .into_iter()
        .map(scalar_text)
        .collect()
}

fn scalar_list_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Vec<String>>, D::Error> {
    Option::<Vec<serde_yaml::Value>>::deserialize(d)?
        .map(|v| v.into_iter().map(scalar_text).collect())
        .transpose()
}

fn scalar_map_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<IndexMap<String, String>>, D::Error> {
    let raw = Option::<IndexMap<serde_yaml::Value, serde_yaml::Value>>::deserialize(d)?;
    raw.map(|m| {
        m.into_iter()
            .map(|(k, v)| Ok((scalar_text(k)?, scalar_text(v)?)))
            .collect()
    })
    .transpose()
}

fn scalar_map<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<IndexMap<String, String>, D::Error> {
    let raw = IndexMap::<serde_yaml::Value, serde_yaml::Value>::deserialize(d)?;
    raw.into_iter()
        .map(|(k, v)| Ok((scalar_text(k)?, scalar_text(v)?)))
        .collect()
}

const KM_KEYS: &[&str] = &[
    "kind",
    "endpoint",
    "by",
    "times",
    "conf_type",
    "conf_level",
    "title",
];
const LOGRANK_KEYS: &[&str] = &["kind", "endpoint", "by", "title"];
const COX_KEYS: &[&str] = &[
    "kind",
    "endpoint",
    "covariates",
    "select",
    "ties",
    "conf_level",
    "title",
];
const FOLLOWUP_KEYS: &[&str] = &["kind", "endpoint", "conf_level", "title"];
const DESCRIBE_KEYS: &[&str] = &["kind", "variables", "by", "title"];
const FLOW_KEYS: &[&str] = &["kind", "steps", "by", "title"];

impl AnalysisSpec {
    fn keys_given(&self) -> Vec<&'static str> {
        let mut keys = vec!["kind"];
        let given = [
            ("endpoint", self.endpoint.is_some()),
            ("by", self.by.is_some()),
            ("times", self.times.is_some()),
            ("conf_type", self.conf_type.is_some()),
            ("conf_level", self.conf_level.is_some()),
            ("covariates", self.covariates.is_some()),
            ("ties", self.ties.is_some()),
            ("variables", self.variables.is_some()),
            ("steps", self.steps.is_some()),
            ("select", self.select.is_some()),
            ("title", self.title.is_some()),
        ];
        keys.extend(given.iter().filter(|(_, g)| *g).map(|(k, _)| *k));
        keys
    }
}

impl Study {
    /// Checks everything that can be checked without the data.
    pub(super) fn validate(&self) -> Result<()> {
        let spec = &self.spec;
        let meta = &spec.study;
        let at = |path: &[Seg], msg: String| self.error_at(path, msg);

        if meta.id.trim().is_empty() {
            return Err(at(
                &[Seg::Key("study"), Seg::Key("id")],
                "study id is empty".into(),
            ));
        }
        let version_ok = !meta.version.is_empty()
            && meta.version != "."
            && meta.version != ".."
            && meta
                .version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c));
        if !version_ok {
            return Err(at(
                &[Seg::Key("study"), Seg::Key("version")],
                format!("study version `{}` cannot name a folder", meta.version),
            )
            .hint("use a version such as 1.0.0 (letters, digits, `.`, `-`, `_`, `+`)"));
        }
        if parse_date(&meta.date).is_none() {
            return Err(at(
                &[Seg::Key("study"), Seg::Key("date")],
                format!("study date `{}` is not a date", meta.date),
            )
            .hint("write it as YYYY-MM-DD, e.g. 2021-12-13"));
        }

        let data_path = &spec.data.path;
        let lower = data_path.to_ascii_lowercase();
        if !(lower.ends_with(".csv") || lower.ends_with(".parquet")) {
            return Err(at(
                &[Seg::Key("data"), Seg::Key("path")],
                format!("data file `{data_path}` is neither .csv nor .parquet"),
            )
            .hint("reprise reads CSV (with a header row) and Parquet files"));
        }
        if let Some(pin) = &spec.data.sha256
            && (pin.len() != 64 || !pin.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(at(&[Seg::Key("data"), Seg::Key("sha256")], "sha256 must be 64 hexadecimal characters".into())
                    .hint("compute it with `sha256sum <file>`, or set `sha256: null` to leave the data unpinned"));
        }
        for (name, col) in spec.data.columns.iter() {
            let here = [Seg::Key("data"), Seg::Key("columns"), Seg::Key(name)];
            if col.levels.is_some() && col.col_type != ColType::Category {
                return Err(at(
                    &here,
                    format!("column `{name}` declares `levels` but is not `type: category`"),
                ));
            }
            if col.reference.is_some() && col.levels.is_none() && col.col_type != ColType::Category
            {
                return Err(at(
                    &here,
                    format!("column `{name}` declares `ref` but is not `type: category`"),
                ));
            }
            if let (Some(levels), Some(reference)) = (&col.levels, &col.reference)
                && !levels.contains(reference)
            {
                return Err(at(
                    &here,
                    format!(
                        "column `{name}`: ref `{reference}` is not one of its levels {levels:?}"
                    ),
                ));
            }
            if let (Some(min), Some(max)) = (col.min, col.max)
                && min > max
            {
                return Err(at(
                    &here,
                    format!("column `{name}`: min {min} is above max {max}"),
                ));
            }
        }

        for (name, d) in spec.derive.iter() {
            let here = [Seg::Key("derive"), Seg::Key(name)];
            let count = d.expr.is_some() as u8 + d.cut.is_some() as u8 + d.recode.is_some() as u8;
            if count != 1 {
                return Err(at(
                    &here,
                    format!(
                        "derived column `{name}` needs exactly one of `expr`, `cut` or `recode`"
                    ),
                ));
            }
            if spec.data.columns.contains_key(name) {
                return Err(at(
                    &here,
                    format!("derived column `{name}` has the name of a declared data column"),
                ));
            }
            if let Some(cut) = &d.cut {
                if cut.breaks.is_empty()
                    || cut.breaks.windows(2).any(|w| w[0] >= w[1])
                    || cut.breaks.iter().any(|b| !b.is_finite())
                {
                    return Err(at(
                        &here,
                        format!(
                            "derived column `{name}`: cut breaks must be finite and strictly increasing"
                        ),
                    ));
                }
                if let Some(labels) = &cut.labels
                    && labels.len() != cut.breaks.len() + 1
                {
                    return Err(at(
                        &here,
                        format!(
                            "derived column `{name}`: {} breaks make {} intervals, but {} labels are given",
                            cut.breaks.len(),
                            cut.breaks.len() + 1,
                            labels.len()
                        ),
                    ));
                }
            }
            if let Some(expr) = &d.expr
                && expr.trim().is_empty()
            {
                return Err(at(
                    &here,
                    format!("derived column `{name}`: `expr` is empty"),
                ));
            }
        }

        for (name, e) in spec.endpoints.iter() {
            let here = [Seg::Key("endpoints"), Seg::Key(name)];
            let from_time = e.time.is_some();
            let from_dates =
                e.start.is_some() || e.last_contact.is_some() || e.event_date.is_some();
            match (from_time, from_dates) {
                (true, false) => {
                    if e.event.is_none() {
                        return Err(at(
                            &here,
                            format!("endpoint `{name}` has a `time` but no `event` column"),
                        ));
                    }
                }
                (false, true) => {
                    if e.start.is_none() || e.last_contact.is_none() {
                        return Err(at(
                            &here,
                            format!(
                                "endpoint `{name}` from dates needs `start` and `last_contact`"
                            ),
                        )
                        .hint(
                            "plus `event_date` (its presence marks the event) or an `event` column",
                        ));
                    }
                    if e.event.is_none() && e.event_date.is_none() {
                        return Err(at(
                            &here,
                            format!("endpoint `{name}` needs `event_date` or an `event` column"),
                        ));
                    }
                }
                (true, true) => {
                    return Err(at(&here, format!("endpoint `{name}` mixes `time` with dates")).hint("use either `time` + `event`, or `start` + `last_contact` (+ `event_date`)"));
                }
                (false, false) => {
                    return Err(at(
                        &here,
                        format!("endpoint `{name}` needs `time` and `event` columns"),
                    ));
                }
            }
            if let Some(codes) = &e.event_codes {
                if codes.event.is_empty() {
                    return Err(at(
                        &here,
                        format!("endpoint `{name}`: `event_codes.event` is empty"),
                    ));
                }
                if let Some(both) = codes.event.iter().find(|c| codes.censored.contains(c)) {
                    return Err(at(
                        &here,
                        format!(
                            "endpoint `{name}`: code `{both}` is both an event and a censoring"
                        ),
                    ));
                }
            }
        }

        let analyses = self.analyses()?;
        self.validate_figures(&analyses)?;
        self.validate_claim_links()?;

        let mut seen = std::collections::HashSet::new();
        for (i, claim) in spec.claims.iter().enumerate() {
            let here = [Seg::Key("claims"), Seg::Index(i)];
            if !seen.insert(claim.id.as_str()) {
                return Err(at(&here, format!("claim id `{}` is used twice", claim.id)));
            }
            if !claim.reported.is_finite() {
                return Err(at(
                    &here,
                    format!("claim `{}`: `reported` must be a number", claim.id),
                ));
            }
            if !(claim.tolerance.is_finite() && claim.tolerance >= 0.0) {
                return Err(at(
                    &here,
                    format!("claim `{}`: `tolerance` must be a number ≥ 0", claim.id),
                ));
            }
            if let Some(n) = claim.denominator
                && !(n.is_finite() && n >= 1.0 && n.fract() == 0.0)
            {
                return Err(self
                    .error_at(
                        &[Seg::Key("claims"), Seg::Index(i), Seg::Key("denominator")],
                        format!(
                            "claim `{}`: `denominator` {n} is not a number of patients",
                            claim.id
                        ),
                    )
                    .hint("a denominator counts patients: a whole number ≥ 1, such as 228"));
            }
            let first = claim
                .result
                .as_deref()
                .map(|r| r.split('/').next().unwrap_or(""));
            if let Some(first) = first.filter(|f| !spec.analyses.contains_key(*f)) {
                let mut e = self.error_at(
                    &[Seg::Key("claims"), Seg::Index(i), Seg::Key("result")],
                    format!(
                        "claim `{}` points into analysis `{first}`, which is not defined",
                        claim.id
                    ),
                );
                if let Some(best) = nearest(first, spec.analyses.keys().map(String::as_str)) {
                    e = e.hint(format!("did you mean `{best}`?"));
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Claims that name other claims (`count`, `part_of`, `p_of`, `same_as`, subgroups)
    /// must name ones that exist.
    fn validate_claim_links(&self) -> Result<()> {
        let ids: Vec<&str> = self.spec.claims.iter().map(|c| c.id.as_str()).collect();
        for (i, c) in self.spec.claims.iter().enumerate() {
            let links = [
                ("count", &c.count),
                ("part_of", &c.part_of),
                ("p_of", &c.p_of),
                ("same_as", &c.same_as),
            ];
            let named = links
                .iter()
                .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)))
                .chain(c.subgroups.iter().map(|s| ("subgroups", s.claim.as_str())));
            for (key, other) in named {
                if !ids.contains(&other) {
                    let mut e = self.error_at(
                        &[Seg::Key("claims"), Seg::Index(i), Seg::Key(key)],
                        format!(
                            "claim `{}`: `{key}` names claim `{other}`, which is not defined",
                            c.id
                        ),
                    );
                    if let Some(best) = nearest(other, ids.iter().copied()) {
                        e = e.hint(format!("did you mean `{best}`?"));
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn validate_figures(&self, analyses: &[(String, Analysis)]) -> Result<()> {
        let Some(figures) = &self.spec.figures else {
            return Ok(());
        };
        let kind_of = |id: &str| analyses.iter().find(|(a, _)| a == id).map(|(_, a)| a);
        for (fid, f) in figures.iter() {
            let here = |key: &'static str| {
                vec![Seg::Key("figures"), Seg::Key(fid.as_str()), Seg::Key(key)]
            };
            let want = |key: &'static str,
                        id: &str,
                        ok: fn(&Analysis) -> bool,
                        what: &str|
             -> Result<()> {
                match kind_of(id) {
                    Some(a) if ok(a) => Ok(()),
                    Some(_) => Err(self.error_at(
                        &here(key),
                        format!("figure `{fid}`: analysis `{id}` is not a {what} analysis"),
                    )),
                    None => {
                        let mut e = self.error_at(
                            &here(key),
                            format!("figure `{fid}`: analysis `{id}` is not defined"),
                        );
                        if let Some(best) = nearest(id, analyses.iter().map(|(a, _)| a.as_str())) {
                            e = e.hint(format!("did you mean `{best}`?"));
                        }
                        Err(e)
                    }
                }
            };
            match f.kind {
                FigureKind::Km | FigureKind::Flow => {
                    let Some(id) = &f.analysis else {
                        return Err(self.error_at(
                            &[Seg::Key("figures"), Seg::Key(fid)],
                            format!("figure `{fid}` needs the `analysis` it draws"),
                        ));
                    };
                    if f.kind == FigureKind::Km {
                        want("analysis", id, |a| matches!(a, Analysis::Km { .. }), "km")?;
                        if let Some(lr) = &f.logrank {
                            want(
                                "logrank",
                                lr,
                                |a| matches!(a, Analysis::Logrank { .. }),
                                "logrank",
                            )?;
                        }
                    } else {
                        want(
                            "analysis",
                            id,
                            |a| matches!(a, Analysis::Flow { .. }),
                            "flow",
                        )?;
                    }
                }
                FigureKind::Forest => {
                    let models = f.analyses.iter().flatten().map(|a| ("analyses", a));
                    let uni = f.univariable.iter().flatten().map(|a| ("univariable", a));
                    let mut any = false;
                    for (key, id) in models.chain(uni) {
                        want(key, id, |a| matches!(a, Analysis::Cox { .. }), "cox")?;
                        any = true;
                    }
                    if !any {
                        return Err(self.error_at(&[Seg::Key("figures"), Seg::Key(fid)], format!("figure `{fid}` needs Cox models: `analyses: [..]` and/or `univariable: [..]`")));
                    }
                }
            }
            if let Some(xmax) = f.xmax
                && !(xmax.is_finite() && xmax > 0.0)
            {
                return Err(self.error_at(
                    &here("xmax"),
                    format!("figure `{fid}`: xmax must be a time > 0"),
                ));
            }
            if let Some(b) = &f.breaks
                && (b.iter().any(|x| !x.is_finite() || *x < 0.0)
                    || b.windows(2).any(|w| w[0] >= w[1]))
            {
                return Err(self.error_at(
                    &here("breaks"),
                    format!("figure `{fid}`: breaks must be increasing times ≥ 0"),
                ));
            }
        }
        if let Some(report) = &self.spec.report
            && let Some(t) = &report.template
            && t.trim().is_empty()
        {
            return Err(self.error_at(
                &[Seg::Key("report"), Seg::Key("template")],
                "report template path is empty".to_string(),
            ));
        }
        Ok(())
    }

    /// The analyses, each checked against its kind and with defaults filled in.
    pub fn analyses(&self) -> Result<Vec<(String, Analysis)>> {
        let spec = &self.spec;
        let mut out = Vec::new();
        for (id, a) in spec.analyses.iter() {
            let here = |key: &'static str| {
                vec![Seg::Key("analyses"), Seg::Key(id.as_str()), Seg::Key(key)]
            };
            let allowed = match a.kind {
                AnalysisKind::Km => KM_KEYS,
                AnalysisKind::Logrank => LOGRANK_KEYS,
                AnalysisKind::Cox => COX_KEYS,
                AnalysisKind::Followup => FOLLOWUP_KEYS,
                AnalysisKind::Describe => DESCRIBE_KEYS,
                AnalysisKind::Flow => FLOW_KEYS,
            };
            let kind = serde_yaml::to_string(&a.kind)
                .unwrap_or_default()
                .trim()
                .to_string();
            if let Some(extra) = a.keys_given().into_iter().find(|k| !allowed.contains(k)) {
                return Err(self
                    .error_at(
                        &here(extra),
                        format!("analysis `{id}`: key `{extra}` does not apply to `kind: {kind}`"),
                    )
                    .hint(format!("`{kind}` takes: {}", allowed.join(", "))));
            }
            let endpoint = || -> Result<String> {
                let Some(e) = &a.endpoint else {
                    return Err(self.error_at(
                        &[Seg::Key("analyses"), Seg::Key(id)],
                        format!("analysis `{id}` (kind {kind}) needs an `endpoint`"),
                    ));
                };
                if !spec.endpoints.contains_key(e) {
                    let mut err = self.error_at(&here("endpoint"), format!("analysis `{id}` uses endpoint `{e}`, which is not defined under `endpoints`"));
                    if let Some(best) = nearest(e, spec.endpoints.keys().map(String::as_str)) {
                        err = err.hint(format!("did you mean `{best}`?"));
                    } else {
                        let known: Vec<&str> = spec.endpoints.keys().map(String::as_str).collect();
                        err = err.hint(format!("defined endpoints: {}", known.join(", ")));
                    }
                    return Err(err);
                }
                Ok(e.clone())
            };
            let conf_level = match a.conf_level {
                None => 0.95,
                Some(c) if c > 0.0 && c < 1.0 => c,
                Some(c) => {
                    return Err(self
                        .error_at(
                            &here("conf_level"),
                            format!("analysis `{id}`: conf_level {c} is not between 0 and 1"),
                        )
                        .hint("write the level as a fraction, e.g. 0.95"));
                }
            };
            let analysis = match a.kind {
                AnalysisKind::Km => {
                    let times = a.times.clone().unwrap_or_default();
                    if let Some(t) = times.iter().find(|t| !t.is_finite() || **t < 0.0) {
                        return Err(self.error_at(
                            &here("times"),
                            format!("analysis `{id}`: time {t} is not a finite time ≥ 0"),
                        ));
                    }
                    if times.windows(2).any(|w| w[0] >= w[1]) {
                        return Err(self.error_at(
                            &here("times"),
                            format!("analysis `{id}`: `times` must be increasing with no repeats"),
                        ));
                    }
                    Analysis::Km {
                        endpoint: endpoint()?,
                        by: a.by.clone(),
                        times,
                        conf_type: a.conf_type.unwrap_or(ConfType::Log),
                        conf_level,
                    }
                }
                AnalysisKind::Logrank => {
                    let Some(by) = a.by.clone() else {
                        return Err(self.error_at(&[Seg::Key("analyses"), Seg::Key(id)], format!("analysis `{id}`: a log-rank test needs `by`, the column that forms the groups")));
                    };
                    Analysis::Logrank {
                        endpoint: endpoint()?,
                        by,
                    }
                }
                AnalysisKind::Cox => {
                    let mut covariates = a.covariates.clone().unwrap_or_default();
                    if let Some(select) = &a.select {
                        if a.covariates.is_some() {
                            return Err(self.error_at(
                                &here("select"),
                                format!("analysis `{id}`: give `covariates` or `select`, not both"),
                            ));
                        }
                        // The candidates are the univariable models' covariates, in order;
                        // those models must come earlier, so their results exist.
                        for from in &select.from {
                            let earlier = spec
                                .analyses
                                .get_index_of(from)
                                .zip(spec.analyses.get_index_of(id))
                                .is_some_and(|(f, me)| f < me);
                            let cox = spec
                                .analyses
                                .get(from)
                                .is_some_and(|f| f.kind == AnalysisKind::Cox && f.select.is_none());
                            if !earlier || !cox {
                                return Err(self.error_at(&here("select"), format!("analysis `{id}`: `select.from` names `{from}`, which must be a Cox model with `covariates` defined above `{id}`")));
                            }
                            for c in spec.analyses[from.as_str()].covariates.iter().flatten() {
                                if !covariates.contains(c) {
                                    covariates.push(c.clone());
                                }
                            }
                        }
                    }
                    if covariates.is_empty() {
                        return Err(self
                            .error_at(
                                &[Seg::Key("analyses"), Seg::Key(id)],
                                format!(
                                    "analysis `{id}`: a Cox model needs at least one covariate"
                                ),
                            )
                            .hint("add `covariates: [column, ...]`"));
                    }
                    if let Some(dup) = covariates
                        .iter()
                        .enumerate()
                        .find(|(i, c)| covariates[..*i].contains(c))
                        .map(|(_, c)| c)
                    {
                        return Err(self.error_at(
                            &here("covariates"),
                            format!("analysis `{id}`: covariate `{dup}` is listed twice"),
                        ));
                    }
                    Analysis::Cox {
                        endpoint: endpoint()?,
                        covariates,
                        ties: a.ties.unwrap_or(Ties::Efron),
                        conf_level,
                        select: a.select.clone(),
                    }
                }
                AnalysisKind::Followup => Analysis::Followup {
                    endpoint: endpoint()?,
                    conf_level,
                },
                AnalysisKind::Describe => {
                    let variables = a.variables.clone().unwrap_or_default();
                    if variables.is_empty() {
                        return Err(self.error_at(
                            &[Seg::Key("analyses"), Seg::Key(id)],
                            format!("analysis `{id}`: describe needs `variables: [column, ...]`"),
                        ));
                    }
                    Analysis::Describe {
                        variables,
                        by: a.by.clone(),
                    }
                }
                AnalysisKind::Flow => {
                    let steps = a.steps.clone().unwrap_or_default();
                    if steps.is_empty() {
                        return Err(self.error_at(
                            &[Seg::Key("analyses"), Seg::Key(id)],
                            format!(
                                "analysis `{id}`: a flow needs `steps: [{{ label, filter }}, ...]`"
                            ),
                        ));
                    }
                    Analysis::Flow {
                        steps,
                        by: a.by.clone(),
                    }
                }
            };
            out.push((id.clone(), analysis));
        }
        Ok(out)
    }
}

/// `YYYY-MM-DD` → (year, month, day), checking the day exists.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d == 0 || d > days[(m - 1) as usize] || !(1..=9999).contains(&y) {
        return None;
    }
    Some((y, m, d))
}

/// Days since 1970-01-01 (proleptic Gregorian), for date arithmetic without a date crate.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Days since 1970-01-01 → (year, month, day).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_days_to_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(
            civil_from_days(days_from_civil(2021, 12, 13)),
            (2021, 12, 13)
        );
    }

    #[test]
    fn dates_are_checked_and_counted() {
        assert_eq!(parse_date("2021-12-13"), Some((2021, 12, 13)));
        assert_eq!(parse_date("2021-02-29"), None);
        assert_eq!(parse_date("2020-02-29"), Some((2020, 2, 29)));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(
            days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28),
            2
        );
    }
}
