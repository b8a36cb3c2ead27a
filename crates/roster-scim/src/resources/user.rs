//! SCIM Users: validation, the normalised profile apps consume, and the SCIM representation.

use roster_core::{ProfileEmail, UserProfile, UserState};
use roster_store::users::{GroupRef, StoredUser};
use serde_json::{Map, Value, json};

use super::document::{ResourceSchema, canonicalize, project};
use super::meta;
use super::schema::{
    CUSTOM_ATTRIBUTES_SCHEMA, ENTERPRISE_ATTRIBUTES, ENTERPRISE_USER_SCHEMA, USER_ATTRIBUTES,
    USER_SCHEMA,
};
use crate::ScimError;

/// The User resource type.
pub const USER: ResourceSchema = ResourceSchema {
    core_urn: USER_SCHEMA,
    core: &USER_ATTRIBUTES,
    extensions: &[(ENTERPRISE_USER_SCHEMA, &ENTERPRISE_ATTRIBUTES)],
    aliases: &[(
        "urn:scim:schemas:extension:enterprise:1.0",
        ENTERPRISE_USER_SCHEMA,
    )],
};

/// A normalised, valid user document.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidUser {
    /// The document to store.
    pub document: Map<String, Value>,
    /// `userName`.
    pub user_name: String,
    /// `externalId`.
    pub external_id: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
}

impl ValidUser {
    /// Normalises and validates a document a client sent.
    pub fn from_request(document: Value) -> Result<ValidUser, ScimError> {
        Self::from_document(canonicalize(document, &USER)?)
    }

    /// Validates an already normalised document (after a PATCH).
    pub fn from_document(document: Map<String, Value>) -> Result<ValidUser, ScimError> {
        let user_name = match document.get("userName") {
            Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
            _ => {
                return Err(ScimError::invalid_value(
                    "`userName` is required and must be a non-empty string.",
                ));
            }
        };
        let text = |key: &str| document.get(key).and_then(Value::as_str).map(str::to_owned);
        Ok(ValidUser {
            external_id: text("externalId"),
            display_name: text("displayName"),
            user_name,
            document,
        })
    }

    /// The profile apps consume; `id` is the user's Roster id (the `idp_id` fallback).
    pub fn profile(&self, id: &str) -> UserProfile {
        let document = &self.document;
        let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
        let emails: Vec<ProfileEmail> = document
            .get("emails")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|email| {
                Some(ProfileEmail {
                    primary: email
                        .get("primary")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    kind: text(email.get("type")),
                    value: text(email.get("value"))?,
                })
            })
            .collect();
        let email = emails
            .iter()
            .find(|email| email.primary)
            .or_else(|| {
                emails
                    .iter()
                    .find(|email| email.kind.as_deref() == Some("work"))
            })
            .or_else(|| emails.first())
            .map(|email| email.value.clone());
        let name = document.get("name");
        let mut custom_attributes = Map::new();
        if let Some(Value::Object(enterprise)) = document.get(ENTERPRISE_USER_SCHEMA) {
            for (from, to) in [
                ("department", "department"),
                ("division", "division"),
                ("costCenter", "cost_center"),
                ("employeeNumber", "employee_number"),
                ("organization", "organization"),
            ] {
                if let Some(value) = enterprise.get(from).filter(|value| value.is_string()) {
                    custom_attributes.insert(to.to_owned(), value.clone());
                }
            }
            if let Some(manager) = enterprise.get("manager") {
                if let Some(value) = manager.get("value").filter(|value| value.is_string()) {
                    custom_attributes.insert("manager_id".to_owned(), value.clone());
                }
                if let Some(value) = manager.get("displayName").filter(|value| value.is_string()) {
                    custom_attributes.insert("manager_name".to_owned(), value.clone());
                }
            }
        }
        if let Some(value) = document.get("userType").filter(|value| value.is_string()) {
            custom_attributes.insert("employee_type".to_owned(), value.clone());
        }
        if let Some(Value::Object(custom)) = document.get(CUSTOM_ATTRIBUTES_SCHEMA) {
            for (name, value) in custom.iter().filter(|(_, value)| !value.is_null()) {
                custom_attributes
                    .entry(name.clone())
                    .or_insert_with(|| value.clone());
            }
        }
        UserProfile {
            idp_id: self.external_id.clone().unwrap_or_else(|| id.to_owned()),
            email,
            emails,
            first_name: text(name.and_then(|name| name.get("givenName"))),
            last_name: text(name.and_then(|name| name.get("familyName"))),
            username: Some(self.user_name.clone()),
            job_title: text(document.get("title")),
            // An unassigned `active` (after a PATCH remove) is not a deactivation.
            state: match document.get("active") {
                Some(Value::Bool(false)) => UserState::Inactive,
                _ => UserState::Active,
            },
            custom_attributes,
        }
    }
}

/// The SCIM representation of a stored user, with its groups.
pub fn representation(stored: &StoredUser, groups: &[&GroupRef], base: &str) -> Value {
    let document = stored
        .user
        .raw_attributes
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut output = project(&document, &USER);
    let mut schemas = vec![json!(USER_SCHEMA)];
    if output.contains_key(ENTERPRISE_USER_SCHEMA) {
        schemas.push(json!(ENTERPRISE_USER_SCHEMA));
    }
    output.insert("schemas".to_owned(), Value::Array(schemas));
    output.insert("id".to_owned(), json!(stored.user.id));
    output.insert(
        "groups".to_owned(),
        groups
            .iter()
            .map(|group| {
                json!({
                    "value": group.group_id,
                    "display": group.display_name,
                    "$ref": format!("{base}/Groups/{}", group.group_id),
                    "type": "direct",
                })
            })
            .collect(),
    );
    output.insert(
        "meta".to_owned(),
        meta(
            "User",
            stored.user.created_at,
            stored.user.updated_at,
            &format!("{base}/Users/{}", stored.user.id),
            stored.version,
        ),
    );
    Value::Object(output)
}
