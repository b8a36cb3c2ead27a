//! SCIM Groups: validation, members, and the SCIM representation.

use std::collections::HashSet;

use roster_store::groups::StoredGroup;
use serde_json::{Map, Value, json};

use super::document::{ResourceSchema, canonicalize, project};
use super::meta;
use super::schema::{GROUP_ATTRIBUTES, GROUP_SCHEMA};
use crate::ScimError;

/// The Group resource type.
pub const GROUP: ResourceSchema = ResourceSchema {
    core_urn: GROUP_SCHEMA,
    core: &GROUP_ATTRIBUTES,
    extensions: &[],
    aliases: &[],
};

/// A normalised, valid group document, with its members apart: they live in their own table.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidGroup {
    /// The document to store, without `members`.
    pub document: Map<String, Value>,
    /// `displayName`.
    pub display_name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// Member user ids, in the order sent, without duplicates.
    pub members: Vec<String>,
}

impl ValidGroup {
    /// Normalises and validates a document a client sent.
    pub fn from_request(document: Value) -> Result<ValidGroup, ScimError> {
        Self::from_document(canonicalize(document, &GROUP)?)
    }

    /// Validates a normalised document that may carry `members`.
    pub fn from_document(mut document: Map<String, Value>) -> Result<ValidGroup, ScimError> {
        let display_name = match document.get("displayName") {
            Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
            _ => {
                return Err(ScimError::invalid_value(
                    "`displayName` is required and must be a non-empty string.",
                ));
            }
        };
        let mut members: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for member in document
            .remove("members")
            .and_then(|members| members.as_array().cloned())
            .unwrap_or_default()
        {
            if member
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.eq_ignore_ascii_case("group"))
            {
                return Err(ScimError::invalid_value(
                    "Nested groups are not supported: members must be users.",
                ));
            }
            let Some(value) = member.get("value").and_then(Value::as_str) else {
                return Err(ScimError::invalid_value(
                    "Every member needs a `value`: the user's id.",
                ));
            };
            if seen.insert(value.to_owned()) {
                members.push(value.to_owned());
            }
        }
        let external_id = document
            .get("externalId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(ValidGroup {
            document,
            display_name,
            external_id,
            members,
        })
    }
}

/// The stored document with `members` put back, as PATCH operates on it.
pub fn document_with_members(stored: &StoredGroup, members: &[String]) -> Map<String, Value> {
    let mut document = stored
        .group
        .raw_attributes
        .as_object()
        .cloned()
        .unwrap_or_default();
    document.insert(
        "members".to_owned(),
        members.iter().map(|id| json!({"value": id})).collect(),
    );
    document
}

/// The SCIM representation of a stored group; `members` is `None` when the client excluded it.
pub fn representation(stored: &StoredGroup, members: Option<&[&str]>, base: &str) -> Value {
    let document = stored
        .group
        .raw_attributes
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut output = project(&document, &GROUP);
    output.insert("schemas".to_owned(), json!([GROUP_SCHEMA]));
    output.insert("id".to_owned(), json!(stored.group.id));
    if let Some(members) = members {
        output.insert(
            "members".to_owned(),
            members
                .iter()
                .map(
                    |id| json!({"value": id, "$ref": format!("{base}/Users/{id}"), "type": "User"}),
                )
                .collect(),
        );
    }
    output.insert(
        "meta".to_owned(),
        meta(
            "Group",
            stored.group.created_at,
            stored.group.updated_at,
            &format!("{base}/Groups/{}", stored.group.id),
            stored.version,
        ),
    );
    Value::Object(output)
}
