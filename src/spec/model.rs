//! The types of `study.yaml` (format 1) and the checks that need nothing but the spec.

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The format version of this file: `1` (another number is refused).
    pub reprise: u64,
    /// The study's identity: id, version, title, date, authors.
    pub study: StudyMeta,
    /// The patient data file, its pin and its declared columns.
    pub data: DataSpec,
    /// Derived columns by name, computed in order (each may use those before it):
    /// each one `expr`, `cut` or `recode`.
    #[serde(default)]
    pub derive: UniqueMap<Derive>,
    /// Time-to-event endpoints by id, each from a time and an event column or from
    /// dates.
    pub endpoints: UniqueMap<Endpoint>,
    /// Each analysis as written: read into its kind's params once the kind is known
    /// (`crate::analysis`).
    #[schemars(schema_with = "super::schema::analyses")]
    pub analyses: UniqueMap<serde_yaml::Value>,
    /// Figures drawn from analyses; when absent, each analysis gets its kind's default
    /// (KM curves, a forest plot, a flow diagram).
    #[serde(default)]
    pub figures: Option<Figures>,
    /// How the report is written: its template, house style, formats and Table 1
    /// defaults.
    #[serde(default)]
    pub report: Option<ReportSpec>,
    /// The paper's reported numbers, each checked against `results.json` by
    /// `reprise check` and against each other by `reprise audit`.
    #[serde(default)]
    pub claims: Vec<Claim>,
    /// What `reprise bundle` packs besides the report.
    #[serde(default)]
    pub bundle: Option<BundleSpec>,
    /// Tables, figures and text that go to `supplement.pdf` instead of the manuscript.
    #[serde(default)]
    pub supplement: Option<SupplementSpec>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementSpec {
    /// The front page's title; "Supplementary material" by default.
    #[serde(default)]
    pub title: Option<String>,
    /// `e` numbers eTable 1, eFigure 1 (AMA, JAMA); `S` numbers Table S1, Figure S1.
    #[serde(default)]
    pub numbering: SupplementNumbering,
    /// The entries in the order printed: sections of text, tables and figures;
    /// a table or figure listed here leaves the manuscript.
    pub contents: Vec<SupplementItem>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, schemars::JsonSchema)]
pub enum SupplementNumbering {
    /// eTable 1, eFigure 1 (AMA, JAMA; the default).
    #[default]
    #[serde(rename = "e")]
    E,
    /// Table S1, Figure S1.
    #[serde(rename = "S")]
    S,
}

impl SupplementNumbering {
    /// How the `n`th supplementary table or figure is named.
    pub fn name(self, figure: bool, n: usize) -> String {
        match (self, figure) {
            (SupplementNumbering::E, false) => format!("eTable {n}"),
            (SupplementNumbering::E, true) => format!("eFigure {n}"),
            (SupplementNumbering::S, false) => format!("Table S{n}"),
            (SupplementNumbering::S, true) => format!("Figure S{n}"),
        }
    }
}

impl SupplementSpec {
    /// Each entry's name in the supplement's series (`eTable 1`, `Figure S2`); `None` for
    /// a section of text.
    pub fn names(&self) -> Vec<Option<String>> {
        let (mut tables, mut figures) = (0, 0);
        self.contents
            .iter()
            .map(|item| {
                if item.table.is_some() {
                    tables += 1;
                    Some(self.numbering.name(false, tables))
                } else if item.figure.is_some() {
                    figures += 1;
                    Some(self.numbering.name(true, figures))
                } else {
                    None
                }
            })
            .collect()
    }
}

/// One entry of the supplement: a section of text, a table or a figure, by id.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementItem {
    /// A section's heading; its `text` follows it.
    #[serde(default)]
    pub section: Option<String>,
    /// The text of a `section`.
    #[serde(default)]
    pub text: Option<String>,
    /// A table by its id, as `tables/<id>.csv` names it (the analysis id,
    /// `cox_zph`, `logrank_tests`, or `tab_<x>` for forest figure `fig_<x>`).
    #[serde(default)]
    pub table: Option<String>,
    /// A figure by its id under `figures` (a default figure is
    /// `fig_<analysis id>`).
    #[serde(default)]
    pub figure: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleSpec {
    /// Whether the patient data go into the bundle; by default only their dictionary
    /// does, since a bundle travels to journals and reviewers.
    #[serde(default)]
    pub include_data: bool,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StudyMeta {
    /// The study's identifier: in every page's footer and the bundle's name
    /// (`<id>-<version>.zip`).
    pub id: String,
    /// The study's version: the report goes to `reports/<version>/` (letters,
    /// digits, `.`, `-`, `_`, `+`).
    pub version: String,
    /// The report's title.
    pub title: String,
    /// `YYYY-MM-DD`: the report's date, so that a rebuild gives the same bytes.
    pub date: String,
    /// Author names, printed under the title, joined by commas.
    #[serde(default)]
    pub authors: Vec<String>,
    /// A paragraph the built-in template prints after the title, as the
    /// abstract.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// The data file, `.csv` (header row; empty or `NA` is missing) or `.parquet`,
    /// relative to the study's folder. Give this or `database`.
    #[serde(default)]
    pub path: Option<String>,
    /// A PostgreSQL database holding one row per patient, instead of a file: the server
    /// computes the aggregates the statistics need, and reprise never holds the rows.
    #[serde(default)]
    pub database: Option<DatabaseSpec>,
    /// The data file's expected sha256 (64 hex digits): another file is refused.
    /// Absent: the data are not pinned.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Declared columns by name, each value checked against its declaration; a
    /// declared column absent from the data is an error. Others are typed as read.
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
    /// The kinds that need only counts per time run on such data (each kind says so);
    /// those that need each patient's own values (Cox, Table 1, flows) are refused.
    #[serde(default)]
    pub count: Option<String>,
}

impl DataSpec {
    /// The data file as written; `None` for a cohort in a database (validation has made
    /// sure there is exactly one of the two).
    pub fn file(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// How the data are named to a reader: the file as written, or the database's table
    /// or query (never its URL, which may name a user).
    pub fn name(&self) -> String {
        match (&self.path, &self.database) {
            (Some(p), _) => p.clone(),
            (None, Some(db)) => db.relation_name(),
            (None, None) => String::new(),
        }
    }
}

impl DatabaseSpec {
    /// `database table cohort` or `database query`, as inputs and messages name it.
    pub fn relation_name(&self) -> String {
        match &self.table {
            Some(t) => format!("database table {t}"),
            None => "database query".to_string(),
        }
    }
}

/// Where a cohort in a database lies: its server and the rows, as a table or a query.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    /// `postgresql://USER@HOST:PORT/DATABASE` or `postgresql:///DATABASE?host=/SOCKET/DIR`,
    /// without a password (that comes from `PGPASSWORD` or `~/.pgpass`).
    pub url: String,
    /// A table or view, one row per patient (`schema.table` allowed).
    #[serde(default)]
    pub table: Option<String>,
    /// A `SELECT` whose rows are the patients, instead of `table`.
    #[serde(default)]
    pub query: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColType {
    /// A number.
    Float,
    /// A whole number.
    Int,
    /// `0`/`1` or `true`/`false`.
    Bool,
    /// Categories: `levels` and `ref` fix their values, order and reference.
    Category,
    /// Text, treated as categories in sorted order.
    String,
    /// A date, `YYYY-MM-DD`.
    Date,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// The type every value must have: `float`, `int`, `bool`, `category`,
    /// `string` or `date` (`YYYY-MM-DD`).
    #[serde(rename = "type")]
    pub col_type: ColType,
    /// The smallest value allowed (inclusive) of a numeric column.
    #[serde(default)]
    pub min: Option<f64>,
    /// The largest value allowed (inclusive) of a numeric column.
    #[serde(default)]
    pub max: Option<f64>,
    /// A category's values, in the order tables list them; any other value is an
    /// error. Absent: the values present, sorted.
    #[serde(default, deserialize_with = "scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    pub levels: Option<Vec<String>>,
    /// Reference level for Cox terms (default: the first level).
    #[serde(default, rename = "ref", deserialize_with = "scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    pub reference: Option<String>,
    /// The name tables, figures and text print (default: the column name as
    /// words, `wt_loss` → "Wt loss").
    #[serde(default)]
    pub label: Option<String>,
}

/// A derived column: exactly one of `expr`, `cut`, `recode`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Derive {
    /// A polars SQL expression over the data's columns and earlier derived ones,
    /// e.g. `"age > 60"`.
    #[serde(default)]
    pub expr: Option<String>,
    /// A numeric column cut into intervals, as R's `cut`.
    #[serde(default)]
    pub cut: Option<Cut>,
    /// A column's values mapped to new ones.
    #[serde(default)]
    pub recode: Option<Recode>,
    /// The name tables, figures and text print (default: the name as words).
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cut {
    /// The numeric column to cut.
    pub column: String,
    /// The cut points, finite and strictly increasing: n breaks make n + 1 intervals
    /// from −∞ to ∞.
    pub breaks: Vec<f64>,
    /// One label per interval (one more than the breaks), in order; default R's
    /// interval names, such as `(60,70]`.
    #[serde(default, deserialize_with = "scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    pub labels: Option<Vec<String>>,
    /// Intervals closed on the right, `(a, b]`, as R's `cut` by default.
    #[serde(default = "yes")]
    pub right: bool,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recode {
    /// The column whose values are recoded (compared as text).
    pub column: String,
    /// Each old value and its new one; the new levels follow the order of the new
    /// values.
    #[serde(deserialize_with = "scalar_map")]
    #[schemars(with = "indexmap::IndexMap<String, crate::spec::schema::Scalar>")]
    pub map: IndexMap<String, String>,
    /// Value for anything the map does not name; absent means missing.
    #[serde(default, deserialize_with = "scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    pub default: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Days.
    Days,
    /// Weeks of 7 days.
    Weeks,
    /// Months of 30.4375 days.
    Months,
    /// Years of 365.25 days.
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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// A column of follow-up times, with `event`; not combined with dates.
    #[serde(default)]
    pub time: Option<String>,
    /// The event indicator: 0/1, a boolean, or codes declared in `event_codes`. With dates it
    /// is optional: a present `event_date` then marks the event.
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub event_codes: Option<EventCodes>,
    /// From dates: the date column where follow-up starts.
    #[serde(default)]
    pub start: Option<String>,
    /// From dates: the event's date column; without an `event` column a present
    /// date marks the event.
    #[serde(default)]
    pub event_date: Option<String>,
    /// From dates: the date of last follow-up, where a censored time ends (and
    /// an event's, without its `event_date`).
    #[serde(default)]
    pub last_contact: Option<String>,
    /// The unit of the times: `days`, `weeks`, `months` or `years`. From dates,
    /// follow-up is counted in it (default days); with `time`, it says what the times are in.
    #[serde(default)]
    pub unit: Option<Unit>,
    /// The name tables, figures and text print (default: the endpoint's id).
    #[serde(default)]
    pub label: Option<String>,
    /// Administrative censoring: a time beyond it is censored at it.
    #[serde(default)]
    pub censor_at: Option<f64>,
}

/// How the event column's values read: `event` and `censored` codes, or with competing
/// risks, `censored` and the codes of each cause.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventCodes {
    /// The values of the event column that mark an event (not with `causes`).
    #[serde(default, deserialize_with = "scalar_list")]
    #[schemars(with = "Vec<crate::spec::schema::Scalar>")]
    pub event: Vec<String>,
    /// The values that mark a censoring; a value neither listed is an error.
    #[serde(deserialize_with = "scalar_list")]
    #[schemars(with = "Vec<crate::spec::schema::Scalar>")]
    pub censored: Vec<String>,
    /// Competing risks: each cause's name and its codes, in the order written.
    #[serde(default, deserialize_with = "causes_opt")]
    #[schemars(with = "Option<indexmap::IndexMap<String, Vec<crate::spec::schema::Scalar>>>")]
    pub causes: Option<IndexMap<String, Vec<String>>>,
}

fn causes_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<IndexMap<String, Vec<String>>>, D::Error> {
    let raw = Option::<IndexMap<serde_yaml::Value, Vec<serde_yaml::Value>>>::deserialize(d)?;
    raw.map(|m| {
        m.into_iter()
            .map(|(k, v)| {
                Ok((
                    scalar_text(k)?,
                    v.into_iter()
                        .map(scalar_text)
                        .collect::<std::result::Result<_, _>>()?,
                ))
            })
            .collect()
    })
    .transpose()
}

/// The rule a multivariable model's covariates are chosen by: those whose univariable
/// model (one of `from`) gives a term with p below `p_below`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Select {
    /// Univariable Cox models (with `covariates`) defined above this one, by id:
    /// their covariates are the candidates.
    #[serde(deserialize_with = "scalar_list")]
    #[schemars(with = "Vec<crate::spec::schema::Scalar>")]
    pub from: Vec<String>,
    /// A candidate enters when its model's smallest term p-value is below this
    /// (default 0.05).
    #[serde(default = "five_percent")]
    pub p_below: f64,
}

fn five_percent() -> f64 {
    0.05
}

/// One step of a patient flow: those who remain satisfy this step's `filter` and every
/// filter before it.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    /// The box's label; the box counts the patients left after this step.
    #[serde(deserialize_with = "scalar_string")]
    #[schemars(with = "crate::spec::schema::Scalar")]
    pub label: String,
    /// A SQL expression over the data's columns; absent means everyone (the first box).
    #[serde(default)]
    pub filter: Option<String>,
    /// The label of the box for those this step removes.
    #[serde(default, deserialize_with = "scalar_opt")]
    #[schemars(with = "Option<crate::spec::schema::Scalar>")]
    pub excluded: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FigureKind {
    /// Kaplan-Meier curves of a km analysis.
    Km,
    /// A forest plot of Cox models' hazard ratios.
    Forest,
    /// The patient-flow diagram of a flow analysis.
    Flow,
    /// Cumulative incidence curves of a cuminc analysis.
    Cuminc,
    /// The subgroup forest plot of a subgroups analysis.
    Subgroups,
}

/// A figure drawn from one or more analyses' results.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FigureSpec {
    /// What the figure draws: `km`, `forest`, `flow`, `cuminc` or `subgroups`.
    pub kind: FigureKind,
    /// The canvas width to draw at, when a figure file needs another than the page's.
    #[serde(skip)]
    pub canvas: Option<f64>,
    /// The caption.
    #[serde(default)]
    pub title: Option<String>,
    /// km and flow: the analysis drawn.
    #[serde(default)]
    pub analysis: Option<String>,
    /// km: the log-rank analysis whose p is shown (default: one with the same endpoint and `by`).
    #[serde(default)]
    pub logrank: Option<String>,
    /// km, cuminc: the time axis's ticks, where the number at risk is counted, in
    /// the endpoint's unit (default: round numbers up to `xmax`).
    #[serde(default)]
    pub breaks: Option<Vec<f64>>,
    /// km, cuminc: where the time axis ends, in the endpoint's unit (default: the
    /// last time observed).
    #[serde(default)]
    pub xmax: Option<f64>,
    /// km, cuminc: confidence bands around the curves (default: no).
    #[serde(default)]
    pub ci: Option<bool>,
    /// km, cuminc: the number at risk under each break (default: yes).
    #[serde(default)]
    pub risk_table: Option<bool>,
    /// The x-axis title (default: "Time (<unit>)" for curves, "Hazard ratio (log scale)"
    /// on a forest plot, "Hazard ratio, B vs A" on a subgroups plot).
    #[serde(default)]
    pub xlab: Option<String>,
    /// km, cuminc: the y-axis title (default from the endpoint, e.g. "Overall
    /// survival (%)").
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
    #[schemars(with = "Option<indexmap::IndexMap<String, crate::spec::schema::Scalar>>")]
    pub labels: Option<IndexMap<String, String>>,
    /// cuminc: the causes drawn (default: every cause).
    #[serde(default, deserialize_with = "scalar_list_opt")]
    #[schemars(with = "Option<Vec<crate::spec::schema::Scalar>>")]
    pub causes: Option<Vec<String>>,
    /// km, cuminc: a "+" at each censored time (default: yes).
    #[serde(default)]
    pub censor_marks: Option<bool>,
    /// km, cuminc: dashed lines at one half to each curve's median and down to the axis.
    #[serde(default)]
    pub median_line: Option<bool>,
    /// km: `surv` (the default) or `event`, the cumulative incidence 1 − S (survminer's
    /// `fun = "event"`).
    #[serde(default)]
    pub fun: Option<KmFun>,
    /// km, cuminc: cumulative events and cumulative censored under the number at risk.
    #[serde(default)]
    pub cumevents: Option<bool>,
    /// km, cuminc: a table of the cumulative number censored at each break
    /// (default: no).
    #[serde(default)]
    pub cumcensor: Option<bool>,
}

/// What a km figure plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KmFun {
    /// The survival probability S (the default).
    Surv,
    /// The cumulative incidence 1 − S.
    Event,
}

impl FigureSpec {
    /// A figure of `kind` with every option at its default.
    pub fn blank(kind: FigureKind) -> FigureSpec {
        FigureSpec {
            kind,
            canvas: None,
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
            causes: None,
            censor_marks: None,
            median_line: None,
            fun: None,
            cumevents: None,
            cumcensor: None,
        }
    }

    /// The analyses it draws (not a km figure's log-rank test, whose p it only quotes).
    pub fn drawn(&self) -> Vec<&str> {
        match self.kind {
            FigureKind::Km | FigureKind::Flow | FigureKind::Cuminc | FigureKind::Subgroups => {
                self.analysis.iter().map(String::as_str).collect()
            }
            FigureKind::Forest => self
                .analyses
                .iter()
                .flatten()
                .chain(self.univariable.iter().flatten())
                .map(String::as_str)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// A minijinja template producing typst source; absent means the built-in one.
    #[serde(default)]
    pub template: Option<String>,
    /// The journal whose rules print p-values, intervals, percentages and large numbers.
    #[serde(default)]
    pub style: crate::present::StyleName,
    /// What joins an interval's bounds, overriding the style's: `to`, `dash`, `hyphen`
    /// or `comma` (gtsummary's "0.54, 0.86").
    #[serde(default)]
    pub ci_separator: Option<crate::present::CiSeparator>,
    /// Defaults for every Table 1 of the study; an analysis's own keys override them.
    #[serde(default)]
    pub describe: Option<DescribeDefaults>,
    /// The files the manuscript is written as; absent means `[pdf]`.
    #[serde(default)]
    pub formats: Option<Vec<Format>>,
}

/// A format the manuscript is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `report.pdf`, typeset by typst.
    Pdf,
    /// `report.docx`: Word, with real tables and heading styles, for co-authors and journals.
    Docx,
    /// `report.html`: one self-contained file.
    Html,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Pdf, Format::Docx, Format::Html];

    pub fn name(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Html => "html",
        }
    }

    /// A list as `--format` writes it (`pdf,docx`), in the order given, each once.
    pub fn parse_list(text: &str) -> std::result::Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = Format::ALL
                .into_iter()
                .find(|f| f.name().eq_ignore_ascii_case(part))
                .ok_or_else(|| {
                    format!("unknown format `{part}`; reprise writes pdf, docx and html")
                })?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err("no format given; write for example `--format pdf,docx,html`".into());
        }
        Ok(out)
    }
}

/// How a Table 1 summarises its variables, study-wide.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeDefaults {
    /// The statistic of continuous variables.
    #[serde(default)]
    pub statistic: Option<Statistic>,
    /// Decimals of continuous statistics; absent, gtsummary's guess from the values.
    #[serde(default)]
    pub digits: Option<usize>,
    /// Whether Table 1s print an "Unknown" row of missing values: `ifany`
    /// (default), `no` or `always`.
    #[serde(default)]
    pub missing: Option<MissingRow>,
}

/// What a Table 1 row of a variable shows (gtsummary's `statistic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statistic {
    /// "54 (45–63)": median (Q1–Q3), gtsummary's default statistic, with the interquartile
    /// range joined by an en dash as its journal themes print it.
    MedianIqr,
    /// "54 (18–81)": median (range).
    MedianRange,
    /// "53.1 (9.4)": mean (SD).
    MeanSd,
    /// "1,387 (47%)": count and percentage, for a numeric variable shown as categories.
    NPercent,
}

/// Whether a Table 1 prints an "Unknown" row for missing values (gtsummary's `missing`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema, Serialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MissingRow {
    /// Where any value is missing.
    #[default]
    Ifany,
    /// Never.
    No,
    /// For every variable, zero or not.
    Always,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
pub enum ConfType {
    /// On the log scale of survival (survfit's default).
    #[serde(rename = "log")]
    Log,
    /// On the log(−log S) scale (survfit's "log-log").
    #[serde(rename = "log-log")]
    LogLog,
    /// Linear: S ± z·se (survfit's "plain").
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ties {
    /// Efron's approximation (coxph's default).
    Efron,
    /// Breslow's approximation.
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

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The claim's id, unique; other claims' links name it.
    pub id: String,
    /// A path into `results.json` under `analyses`, or an expression over paths
    /// (`1 - km_os/strata/all/at/36/surv`, `a + b`, `a - b`, `a / b`, `a * b`, with spaces
    /// around each operator and brackets as needed). A claim without one is a number this
    /// study does not compute (the paper's toxicity counts, say): `check` lists it as not
    /// computed, and `audit` still checks it against the other numbers.
    #[serde(default)]
    pub result: Option<String>,
    /// The number as the paper prints it: a number, or the printed text, quoted, as
    /// `"47%"`, `"1,387 (47%)"`, `"0.59 (0.42 to 0.82)"`, `"HR 0.59, 95% CI 0.42–0.82,
    /// P = 0.001"`, `"310 (285, 363)"`, `"p < 0.001"`, `"0·62"`. Every part printed (the
    /// estimate, both limits, the p, a count's percentage) is checked against its result.
    pub reported: Reported,
    /// How far the reproduced estimate (and its limits) may lie from what is printed
    /// (absolute, ≥ 0; 0 for an exact match). Defaults to half a unit of the last printed
    /// digit, which is what rounding allows; counts, percentages and p-values keep that
    /// default whatever this says.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// What the two numbers after a printed estimate are, when the text does not say:
    /// `ci` (default), `range` or `iqr`. Decides which results a claim's limits are held
    /// against: `lower`/`upper`, `min`/`max` or `q1`/`q3` beside the estimate's path.
    #[serde(default)]
    pub interval: Option<IntervalOf>,
    /// Results for printed parts that do not sit beside the estimate's path (or when
    /// `result` is an expression), each a path or expression.
    #[serde(default)]
    pub parts: Parts,
    /// The printed text, parsed (filled in when the spec is read).
    #[serde(skip)]
    #[schemars(skip)]
    pub printed: Option<crate::printed::Statistic>,
    /// The reported confidence interval's lower limit, for `audit` (the estimate
    /// must lie inside it; a hazard ratio's p must fit it); not checked against data.
    #[serde(default)]
    pub lower: Option<f64>,
    /// The reported confidence interval's upper limit, for `audit` (the estimate
    /// must lie inside it; a hazard ratio's p must fit it); not checked against data.
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
    /// A remark printed with the claim in the replication table.
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

/// A claim's number: as a YAML number, or as the paper prints it.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(untagged)]
pub enum Reported {
    Number(f64),
    Text(String),
}

/// The limits of an interval, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalOf {
    /// A confidence interval: the results `lower` and `upper`.
    Ci,
    /// The smallest and largest value: `min` and `max`.
    Range,
    /// The quartiles: `q1` and `q3`.
    Iqr,
}

/// Where each printed part of a claim is found in the results.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Parts {
    /// The interval's lower limit.
    #[serde(default)]
    pub lower: Option<String>,
    /// The interval's upper limit.
    #[serde(default)]
    pub upper: Option<String>,
    /// The p printed with the estimate.
    #[serde(default)]
    pub p: Option<String>,
    /// The percentage printed with a count (`pct` beside the count by default).
    #[serde(default)]
    pub percent: Option<String>,
}

impl Parts {
    pub fn is_empty(&self) -> bool {
        self.lower.is_none() && self.upper.is_none() && self.p.is_none() && self.percent.is_none()
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Subgroup {
    /// The id of the subgroup's claim.
    pub claim: String,
    /// The subgroup's size in patients: its weight in the overall rate.
    pub n: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimUnit {
    /// A number of patients or events.
    Count,
    /// A percentage.
    Percent,
    /// A proportion between 0 and 1.
    Proportion,
    /// A hazard ratio.
    Hr,
    /// A p-value.
    P,
    /// Any other number.
    Other,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema, Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Compare {
    /// The reproduced value within `tolerance` of `reported` (the default).
    #[default]
    Within,
    /// The reproduced value below `reported` (for "p < 0.001").
    Below,
    /// The reproduced value above `reported`.
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

/// `figures:`: each figure by its id, beside the two keys that set the figure files for
/// journals, `dpi` and `width_mm`, which no figure may take as its id.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// The raster files' resolution: 300 unless the journal asks for 600 or 1200.
    pub dpi: Option<u32>,
    /// The figure files' width: 85 (one column), 176 (two columns) or any.
    pub width_mm: Option<f64>,
    pub items: UniqueMap<FigureSpec>,
}

impl std::ops::Deref for Figures {
    type Target = IndexMap<String, FigureSpec>;
    fn deref(&self) -> &Self::Target {
        &self.items.0
    }
}

impl Figures {
    pub const DPI: u32 = 300;
    pub const WIDTH_MM: f64 = 176.0;
}

impl<'de> Deserialize<'de> for Figures {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Figures;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a map of figures by id, with `dpi` and `width_mm` for the figure files",
                )
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut access: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out = Figures::default();
                while let Some(key) = access.next_key::<String>()? {
                    match key.as_str() {
                        "dpi" => out.dpi = Some(access.next_value()?),
                        "width_mm" => out.width_mm = Some(access.next_value()?),
                        _ if out.items.0.contains_key(&key) => {
                            return Err(de::Error::custom(format!(
                                "duplicate entry with key `{key}`"
                            )));
                        }
                        _ => {
                            let value = access.next_value()?;
                            out.items.0.insert(key, value);
                        }
                    }
                }
                Ok(out)
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(Figures::default())
            }
        }
        deserializer.deserialize_map(V)
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

pub(crate) fn scalar_string<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<String, D::Error> {
    scalar_text(serde_yaml::Value::deserialize(d)?)
}

pub(crate) fn scalar_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Option::<serde_yaml::Value>::deserialize(d)?
        .map(scalar_text)
        .transpose()
}

pub(crate) fn scalar_list<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    Vec::<serde_yaml::Value>::deserialize(d)?
        .into_iter()
        .map(scalar_text)
        .collect()
}

pub(crate) fn scalar_list_opt<'de, D: Deserializer<'de>>(
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
