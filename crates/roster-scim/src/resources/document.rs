//! Input normalisation and output projection of SCIM documents against the schema table:
//! attribute names become canonical (Entra sends `UserName`), booleans arrive as `"True"`,
//! read-only and write-only attributes are dropped, unknown attributes are kept as sent, and
//! what is returned is exactly what is published.

use serde_json::{Map, Value};

use super::schema::{Attribute, Kind, Mutability, find};
use crate::ScimError;

/// A resource type's schema: its core attributes and its extensions by URN.
pub struct ResourceSchema {
    /// The core schema URN.
    pub core_urn: &'static str,
    /// Core attributes.
    pub core: &'static [Attribute],
    /// Extension URNs with their attributes.
    pub extensions: &'static [(&'static str, &'static [Attribute])],
    /// Other names clients use for an extension URN (SCIM 1.1's), with the URN they stand for.
    pub aliases: &'static [(&'static str, &'static str)],
}

impl ResourceSchema {
    /// The extension whose URN is `name`, ignoring case.
    pub fn extension(&self, name: &str) -> Option<(&'static str, &'static [Attribute])> {
        let name = self
            .aliases
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(name))
            .map_or(name, |(_, urn)| urn);
        self.extensions
            .iter()
            .find(|(urn, _)| urn.eq_ignore_ascii_case(name))
            .copied()
    }
}

/// Normalises a document a client sent. Errors name the offending attribute.
pub fn canonicalize(
    document: Value,
    schema: &ResourceSchema,
) -> Result<Map<String, Value>, ScimError> {
    let Value::Object(input) = document else {
        return Err(ScimError::invalid_syntax(
            "The request body must be a JSON object.",
        ));
    };
    let mut output = Map::new();
    for (key, value) in input {
        if key.eq_ignore_ascii_case("schemas") {
            if !value
                .as_array()
                .is_some_and(|urns| urns.iter().all(Value::is_string))
            {
                return Err(ScimError::invalid_value(
                    "`schemas` must be an array of schema URNs.",
                ));
            }
            output.insert("schemas".to_owned(), value);
        } else if key.eq_ignore_ascii_case("password") || key.eq_ignore_ascii_case("meta") {
            // Write-only and server-managed: accepted, never stored.
        } else if let Some(attribute) = find(schema.core, &key) {
            insert_attribute(&mut output, attribute, value, &key)?;
        } else if let Some((urn, attributes)) = schema.extension(&key) {
            let Value::Object(fields) = value else {
                return Err(ScimError::invalid_value(format!(
                    "`{urn}` must be an object of extension attributes."
                )));
            };
            let mut extension = Map::new();
            for (name, value) in fields {
                match find(attributes, &name) {
                    Some(attribute) => insert_attribute(
                        &mut extension,
                        attribute,
                        value,
                        &format!("{urn}:{name}"),
                    )?,
                    None => {
                        extension.insert(name, value);
                    }
                }
            }
            if !extension.is_empty() {
                output.insert(urn.to_owned(), Value::Object(extension));
            }
        } else {
            output.insert(key, value);
        }
    }
    Ok(output)
}

fn insert_attribute(
    output: &mut Map<String, Value>,
    attribute: &Attribute,
    value: Value,
    shown: &str,
) -> Result<(), ScimError> {
    if attribute.mutability == Mutability::ReadOnly || value.is_null() {
        return Ok(());
    }
    output.insert(attribute.name.to_owned(), coerce(attribute, value, shown)?);
    Ok(())
}

/// Checks and converts a value for an attribute.
pub fn coerce(attribute: &Attribute, value: Value, shown: &str) -> Result<Value, ScimError> {
    if attribute.multi_valued {
        let Value::Array(elements) = value else {
            return Err(ScimError::invalid_value(format!(
                "`{shown}` must be an array."
            )));
        };
        return elements
            .into_iter()
            .filter(|element| !element.is_null())
            .map(|element| coerce_single(attribute, element, shown))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    coerce_single(attribute, value, shown)
}

fn coerce_single(attribute: &Attribute, value: Value, shown: &str) -> Result<Value, ScimError> {
    match attribute.kind {
        Kind::Complex => {
            let Value::Object(fields) = value else {
                return Err(ScimError::invalid_value(format!(
                    "`{shown}` must be an object."
                )));
            };
            let mut output = Map::new();
            for (name, value) in fields {
                match find(attribute.sub_attributes, &name) {
                    Some(_) if value.is_null() => {}
                    Some(sub) => {
                        output.insert(
                            sub.name.to_owned(),
                            coerce_single(sub, value, &format!("{shown}.{}", sub.name))?,
                        );
                    }
                    None => {
                        output.insert(name, value);
                    }
                }
            }
            Ok(Value::Object(output))
        }
        Kind::Boolean => match &value {
            Value::Bool(_) => Ok(value),
            Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(ScimError::invalid_value(format!(
                "`{shown}` must be a boolean (true or false), not {value}."
            ))),
        },
        Kind::String | Kind::Reference | Kind::DateTime => match value {
            Value::String(_) => Ok(value),
            // Some identity providers send employee numbers and the like as JSON numbers.
            Value::Number(number) => Ok(Value::String(number.to_string())),
            other => Err(ScimError::invalid_value(format!(
                "`{shown}` must be a string, not {other}."
            ))),
        },
    }
}

/// The published attributes of a stored document: everything the schema defines, nothing else.
pub fn project(document: &Map<String, Value>, schema: &ResourceSchema) -> Map<String, Value> {
    let mut output = Map::new();
    for attribute in schema.core {
        if let Some(value) = document.get(attribute.name) {
            output.insert(attribute.name.to_owned(), project_value(attribute, value));
        }
    }
    for (urn, attributes) in schema.extensions {
        if let Some(Value::Object(extension)) = document.get(*urn) {
            let projected: Map<String, Value> = attributes
                .iter()
                .filter_map(|attribute| {
                    extension
                        .get(attribute.name)
                        .map(|value| (attribute.name.to_owned(), project_value(attribute, value)))
                })
                .collect();
            if !projected.is_empty() {
                output.insert((*urn).to_owned(), Value::Object(projected));
            }
        }
    }
    output
}

fn project_value(attribute: &Attribute, value: &Value) -> Value {
    match value {
        Value::Array(elements) if attribute.multi_valued => Value::Array(
            elements
                .iter()
                .map(|element| project_single(attribute, element))
                .collect(),
        ),
        single => project_single(attribute, single),
    }
}

fn project_single(attribute: &Attribute, value: &Value) -> Value {
    match (attribute.kind, value) {
        (Kind::Complex, Value::Object(fields)) => Value::Object(
            attribute
                .sub_attributes
                .iter()
                .filter_map(|sub| {
                    fields
                        .get(sub.name)
                        .map(|value| (sub.name.to_owned(), value.clone()))
                })
                .collect(),
        ),
        _ => value.clone(),
    }
}
