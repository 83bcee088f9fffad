//! The JSON Schema of `study.yaml`, generated from the types that read it, so it cannot
//! drift from what reprise accepts: every key with its doc comment as its description,
//! every closed set of values as an enum, unknown keys refused as the reader refuses
//! them. Each analysis is checked against its own kind's keys, selected by `kind:`.
//!
//! Editors that speak the YAML language server (VS Code's YAML extension, Neovim,
//! Helix, JetBrains) complete and check a study while it is typed once it starts with
//! `# yaml-language-server: $schema=study.schema.json`.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value;

use super::{FigureSpec, Figures, Spec, UniqueMap};

/// Where a study's schema line points, next to the study, as `reprise init` writes it.
pub const FILE_NAME: &str = "study.schema.json";

/// The schema line an editor reads at the top of a study.
pub fn modeline() -> String {
    format!("# yaml-language-server: $schema={FILE_NAME}")
}

/// The schema of `study.yaml` (format 1), every subschema inline.
pub fn schema() -> Value {
    let generator = SchemaSettings::draft07()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<Spec>();
    schema.insert(
        "title".into(),
        "reprise study (study.yaml, format 1)".into(),
    );
    schema.insert(
        "description".into(),
        format!(
            "A study reprise {} builds: its data, endpoints, analyses, figures, report and claims.",
            env!("CARGO_PKG_VERSION")
        )
        .into(),
    );
    schema.to_value()
}

/// The schema as `reprise schema` prints it and `reprise init` writes it.
pub fn text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("serialises");
    text.push('\n');
    text
}

/// A value YAML writes as a scalar and reprise reads as text: `ref: 1` and `ref: "1"`
/// name the same level.
pub struct Scalar;

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

impl<V: JsonSchema> JsonSchema for UniqueMap<V> {
    fn schema_name() -> Cow<'static, str> {
        format!("UniqueMap_{}", V::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["object", "null"],
            "additionalProperties": generator.subschema_for::<V>(),
        })
    }
}

impl JsonSchema for Figures {
    fn schema_name() -> Cow<'static, str> {
        "Figures".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": "Figures by id, each drawn from analyses' results; `dpi` and `width_mm` set the figure files for journals.",
            "properties": {
                "dpi": {
                    "type": "integer",
                    "minimum": 72,
                    "maximum": 2400,
                    "description": "The TIFF files' resolution: 300 unless the journal asks for 600 or 1200.",
                },
                "width_mm": {
                    "type": "number",
                    "minimum": 20,
                    "maximum": 300,
                    "description": "The figure files' width in mm: 85 (one column), 176 (two columns, the default) or any.",
                },
            },
            "additionalProperties": generator.subschema_for::<FigureSpec>(),
        })
    }
}

/// `analyses:` by id, each checked against the keys of the kind its `kind:` names.
pub fn analyses(generator: &mut SchemaGenerator) -> Schema {
    let kinds = crate::analysis::KINDS;
    let names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
    let each: Vec<Value> = kinds
        .iter()
        .map(|k| {
            let mut params = (k.schema)(generator).to_value();
            if let Some(props) = params
                .get_mut("properties")
                .and_then(Value::as_object_mut)
            {
                props.insert(
                    "kind".into(),
                    serde_json::json!({ "const": k.name, "description": k.noun }),
                );
                props.insert(
                    "title".into(),
                    serde_json::json!({
                        "type": "string",
                        "description": "The analysis's table caption, instead of the one reprise writes.",
                    }),
                );
            }
            serde_json::json!({
                "if": { "properties": { "kind": { "const": k.name } }, "required": ["kind"] },
                "then": params,
            })
        })
        .collect();
    json_schema!({
        "type": "object",
        "description": "The analyses by id, in the order the report prints them.",
        "additionalProperties": {
            "type": "object",
            "required": ["kind"],
            "properties": {
                "kind": {
                    "enum": names,
                    "description": "The analysis kind; its other keys follow from it.",
                },
            },
            "allOf": each,
        },
    })
}
