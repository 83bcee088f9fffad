//! The analysis kinds: one module per kind, behind one trait and one registry.
//!
//! A kind is everything reprise knows about one sort of analysis, in one file: the keys it
//! takes in `study.yaml` (a params struct that refuses unknown keys), its checks against
//! the rest of the spec, the columns it reads, how it runs over a cohort, its typed output
//! (whose serialisation is its part of `results.json`), and what it contributes to the
//! report: a default figure, tables, a methods sentence, the opening of the results.
//!
//! The spec, the data stage, the scheduler, the tables, the figures and the methods text
//! loop over [`KINDS`] and over the planned analyses; none of them names an analysis kind.
//! Adding a kind is its module, its numerics in `stats`, one line in [`KINDS`], its tests
//! and its README section. Figure kinds (km, forest, flow) are a smaller registry of their
//! own in `figures`: a kind that draws a new sort of figure adds one there too.

pub mod cox;
pub mod cuminc;
pub mod describe;
pub mod finegray;
pub mod flow;
pub mod followup;
pub mod km;
pub mod logistic;
pub mod logrank;
mod params;
pub mod rmst;
mod rows;
mod run;
pub mod scope;
pub mod subgroups;

pub use params::ParseCx;
pub use run::{run, run_one};
pub use scope::{Scope, ScopeResult, WhereResult};

use std::any::Any;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::data::Cohort;
use crate::error::Result;
use crate::methods::Sentence;
use crate::present::Present;
use crate::spec::{FigureSpec, Study};
use crate::stats::StatsError;
use crate::tables::Table;

/// Every analysis kind, in the order the methods text describes them.
pub static KINDS: &[Entry] = &[
    entry::<km::Km>(),
    entry::<logrank::Logrank>(),
    entry::<cox::Cox>(),
    entry::<followup::Followup>(),
    entry::<rmst::Rmst>(),
    entry::<cuminc::Cuminc>(),
    entry::<finegray::Finegray>(),
    entry::<logistic::Logistic>(),
    entry::<subgroups::Subgroups>(),
    entry::<describe::Describe>(),
    entry::<flow::Flow>(),
];

/// One analysis, as planned from the spec: checked, with its defaults filled in.
pub trait Analysis: AsAny + std::fmt::Debug + Send + Sync {
    /// The endpoint it analyses, if any.
    fn endpoint(&self) -> Option<&str> {
        None
    }

    /// The data columns (not endpoints) it reads, each with the key that names it.
    fn columns(&self) -> Vec<(&'static str, &str)> {
        Vec::new()
    }

    /// SQL row filters it evaluates over the data, each with the path of its key below
    /// the analysis. A SQL expression may read any column.
    fn filters(&self) -> Vec<Filter<'_>> {
        Vec::new()
    }

    /// Which rows and times it uses beyond complete cases (`where`, `landmark`, `cause`,
    /// `censor_at`).
    fn scope(&self) -> Option<&Scope> {
        None
    }

    /// Analyses whose results it reads: it runs after them.
    fn reads(&self) -> Vec<&str> {
        Vec::new()
    }

    /// Whether it is the long job of a study (a Cox model at registry scale): such
    /// analyses are started first.
    fn long(&self) -> bool {
        false
    }

    fn run(&self, cx: &RunCx) -> std::result::Result<Outcome, StatsError>;

    /// The figure drawn of it when the study names no figures.
    fn default_figure(&self, _id: &str) -> Option<FigureSpec> {
        None
    }

    /// Its tables, in the order printed.
    fn tables(&self, _at: &Planned, _out: &Outcome, _cx: &Present) -> Vec<Table> {
        Vec::new()
    }

    /// Sentences for the start of the results, written from its output.
    fn summary(&self, _out: &Outcome, _cx: &Present) -> Vec<String> {
        Vec::new()
    }
}

/// A kind's static side: its name, its parameters and how they become an [`Analysis`].
pub trait Kind: Analysis + Sized + 'static {
    /// The `kind:` that selects it.
    const NAME: &'static str;
    /// What the methods and messages call such analyses ("Kaplan-Meier", "Cox models").
    const NOUN: &'static str;
    /// Whether it can run on data that are counts per row (`data.count`), which carry no
    /// patient's own values.
    const ON_COUNTS: bool = false;
    /// Its keys in `study.yaml`, besides `kind` and `title`.
    type Params: DeserializeOwned + schemars::JsonSchema;

    /// Checks the parameters against the spec and fills in defaults.
    fn plan(params: Self::Params, cx: &ParseCx) -> Result<Self>;

    /// What the methods section says of every analysis of this kind in a study.
    fn methods(_all: &[&Self], _cx: &Present) -> Vec<Sentence> {
        Vec::new()
    }

    /// Tables over every analysis of this kind in a study (all its log-rank tests in one),
    /// printed after the analyses' own.
    fn study_tables(_all: &[&Planned], _cx: &Present) -> Vec<Table> {
        Vec::new()
    }
}

/// A registry line: a kind's name and its functions, type-erased.
pub struct Entry {
    pub name: &'static str,
    pub noun: &'static str,
    pub on_counts: bool,
    keys: fn() -> Vec<&'static str>,
    read: fn(&ParseCx) -> Result<()>,
    plan: fn(&ParseCx) -> Result<Arc<dyn Analysis>>,
    methods: fn(&[&dyn Analysis], &Present) -> Vec<Sentence>,
    study_tables: fn(&[&Planned], &Present) -> Vec<Table>,
    /// The JSON Schema of its keys (without `kind` and `title`), for `reprise schema`.
    pub schema: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

impl Entry {
    /// Every key the kind takes, `kind` first and `title` last, as a user would list them.
    pub fn keys(&self) -> Vec<&'static str> {
        (self.keys)()
    }

    pub fn methods(&self, all: &[&dyn Analysis], cx: &Present) -> Vec<Sentence> {
        (self.methods)(all, cx)
    }

    /// The kind's tables over its analyses among `all`.
    pub fn study_tables(&self, all: &[Planned], cx: &Present) -> Vec<Table> {
        let mine: Vec<&Planned> = all.iter().filter(|p| p.kind == self.name).collect();
        if mine.is_empty() {
            return Vec::new();
        }
        (self.study_tables)(&mine, cx)
    }
}

const fn entry<K: Kind>() -> Entry {
    Entry {
        name: K::NAME,
        noun: K::NOUN,
        on_counts: K::ON_COUNTS,
        keys: keys_of::<K>,
        read: read_as::<K>,
        plan: plan_as::<K>,
        methods: methods_of::<K>,
        study_tables: K::study_tables,
        schema: schema_of::<K>,
    }
}

fn schema_of<K: Kind>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<K::Params>()
}

fn keys_of<K: Kind>() -> Vec<&'static str> {
    let mut keys = vec!["kind"];
    keys.extend(params::field_names::<K::Params>());
    keys.push("title");
    keys
}

fn read_as<K: Kind>(cx: &ParseCx) -> Result<()> {
    cx.params::<K::Params>(&keys_of::<K>())?;
    cx.title()?;
    Ok(())
}

fn plan_as<K: Kind>(cx: &ParseCx) -> Result<Arc<dyn Analysis>> {
    let params: K::Params = cx.params::<K::Params>(&keys_of::<K>())?;
    Ok(Arc::new(K::plan(params, cx)?))
}

fn methods_of<K: Kind>(all: &[&dyn Analysis], cx: &Present) -> Vec<Sentence> {
    let mine: Vec<&K> = all.iter().filter_map(|a| downcast::<K>(*a)).collect();
    if mine.is_empty() {
        return Vec::new();
    }
    K::methods(&mine, cx)
}

/// Lets the registry and the report see a planned analysis as its own type.
pub trait AsAny {
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

pub fn downcast<T: Any>(a: &dyn Analysis) -> Option<&T> {
    a.as_any().downcast_ref::<T>()
}

/// A SQL row filter an analysis evaluates, with the keys that lead to it below the
/// analysis (`steps`, 0, `filter`).
pub struct Filter<'a> {
    pub path: Vec<crate::spec::OwnedSeg>,
    pub sql: &'a str,
}

/// An analysis in the study: its id, kind, title and plan.
#[derive(Debug, Clone)]
pub struct Planned {
    pub id: String,
    pub kind: &'static str,
    pub title: Option<String>,
    pub analysis: Arc<dyn Analysis>,
}

impl Planned {
    pub fn get<T: Any>(&self) -> Option<&T> {
        downcast::<T>(self.analysis.as_ref())
    }
}

/// Reads every analysis's keys into its kind's params, so that an unknown key or a value
/// of the wrong type is reported before any check of meaning, as a parse error is.
pub fn read(study: &Study) -> Result<()> {
    for (id, raw) in study.spec.analyses.iter() {
        let cx = ParseCx::new(study, id, raw, &[])?;
        (cx.entry()?.read)(&cx)?;
    }
    Ok(())
}

/// The registry's entry for a kind name.
pub fn kind(name: &str) -> Option<&'static Entry> {
    KINDS.iter().find(|k| k.name == name)
}

/// Plans every analysis of the spec in order: each is checked by its kind, with the
/// analyses above it in view (a selection reads earlier models).
pub fn plan(study: &Study) -> Result<Vec<Planned>> {
    let mut planned = Vec::new();
    for (id, raw) in study.spec.analyses.iter() {
        let cx = ParseCx::new(study, id, raw, &planned)?;
        let entry = cx.entry()?;
        let analysis = (entry.plan)(&cx)?;
        planned.push(Planned {
            id: id.clone(),
            kind: entry.name,
            title: cx.title()?,
            analysis,
        });
    }
    Ok(planned)
}

/// What an analysis runs over: the cohort, and the results of the analyses it reads.
pub struct RunCx<'a> {
    pub cohort: &'a Cohort,
    pub done: &'a IndexMap<String, Outcome>,
    /// What its scope did, for its results.
    pub scope: ScopeResult,
}

impl<'a> RunCx<'a> {
    pub fn new(cohort: &'a Cohort, done: &'a IndexMap<String, Outcome>) -> RunCx<'a> {
        RunCx {
            cohort,
            done,
            scope: ScopeResult::default(),
        }
    }

    pub fn output<T: Any>(&self, id: &str) -> Option<&T> {
        self.done.get(id).and_then(Outcome::get::<T>)
    }
}

/// An analysis's output: its own type, and that type's JSON for `results.json`, claims
/// and templates.
pub struct Outcome {
    typed: Box<dyn Any + Send + Sync>,
    pub json: Value,
    /// What R would warn about (non-convergence, an infinite coefficient), for the terminal.
    pub warnings: Vec<String>,
}

impl Outcome {
    pub fn new<T: Serialize + Any + Send + Sync>(output: T) -> Outcome {
        Outcome {
            json: serde_json::to_value(&output).expect("results serialise"),
            typed: Box::new(output),
            warnings: Vec::new(),
        }
    }

    pub fn with_warnings(mut self, warnings: Vec<String>) -> Outcome {
        self.warnings = warnings;
        self
    }

    pub fn get<T: Any>(&self) -> Option<&T> {
        self.typed.downcast_ref::<T>()
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.json.fmt(f)
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once_with_its_keys() {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "{name} registered twice");
        }
        let km = KINDS.iter().find(|k| k.name == "km").unwrap();
        assert_eq!(
            km.keys(),
            [
                "kind",
                "endpoint",
                "by",
                "times",
                "conf_type",
                "conf_level",
                "weights",
                "where",
                "landmark",
                "cause",
                "censor_at",
                "title"
            ]
        );
        for k in KINDS {
            let keys = k.keys();
            assert_eq!(keys.first(), Some(&"kind"), "{}", k.name);
            assert_eq!(keys.last(), Some(&"title"), "{}", k.name);
        }
    }
}
