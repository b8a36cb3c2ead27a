//! Okta's SCIM 1.1 PATCH: the body is a partial resource rather than a list of operations.

use serde_json::{Map, Value};

use super::apply::{apply_all, expand_value_object, is_multi_valued};
use super::{PatchError, PatchOpKind, PatchOperation, parse_path};
use crate::json::{get_ci, take_ci};
use crate::schema::AttributeRules;

/// Applies a SCIM 1.1 partial resource (`{"schemas": …, "active": false}`) to `document`,
/// all or nothing.
///
/// * Attributes listed in `meta.attributes` (`["title", "name.givenName"]`) are removed first.
/// * Every other key except `schemas`, `id` and `meta` is applied like a SCIM 2.0 path: a
///   single-valued attribute is replaced (complex ones merged); each value of a multi-valued
///   attribute is added, except values carrying `"operation": "delete"`, which are removed
///   (matched by their `value`).
/// * Extension objects (`urn:okta:custom:group:1.0`) are applied attribute by attribute.
pub fn apply_scim11_partial(
    document: &mut Value,
    partial: &Value,
    schema: &dyn AttributeRules,
) -> Result<(), PatchError> {
    let operations = scim11_operations(partial, schema)?;
    apply_all(document, &operations, schema, false)
}

fn scim11_operations(
    partial: &Value,
    schema: &dyn AttributeRules,
) -> Result<Vec<PatchOperation>, PatchError> {
    let Value::Object(partial) = partial else {
        return Err(PatchError::InvalidSyntax(
            "the PATCH body must be a JSON object".into(),
        ));
    };
    let mut operations = Vec::new();
    if let Some(Value::Object(meta)) = get_ci(partial, "meta")
        && let Some(removed) = get_ci(meta, "attributes")
    {
        let Value::Array(removed) = removed else {
            return Err(PatchError::InvalidSyntax(
                "'meta.attributes' must be an array of attribute names".into(),
            ));
        };
        for name in removed {
            let Value::String(name) = name else {
                return Err(PatchError::InvalidSyntax(
                    "'meta.attributes' must be an array of attribute names".into(),
                ));
            };
            operations.push(PatchOperation {
                op: PatchOpKind::Remove,
                path: Some(parse_path(name)?),
                value: None,
            });
        }
    }
    let attributes: Map<String, Value> = partial
        .iter()
        .filter(|(key, _)| {
            !["schemas", "id", "meta"]
                .iter()
                .any(|skip| key.eq_ignore_ascii_case(skip))
        })
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    for (path, value) in expand_value_object(&attributes, schema)? {
        if !is_multi_valued(&path, value, schema) {
            operations.push(PatchOperation {
                op: PatchOpKind::Replace,
                path: Some(path),
                value: Some(value.clone()),
            });
            continue;
        }
        let items = match value {
            Value::Array(items) => items.as_slice(),
            other => std::slice::from_ref(other),
        };
        let mut deleted = Vec::new();
        let mut added = Vec::new();
        for item in items {
            match item {
                Value::Object(object) => {
                    let mut object = object.clone();
                    let operation = take_ci(&mut object, "operation");
                    let is_delete = operation.is_some_and(|(_, op)| {
                        op.as_str()
                            .is_some_and(|op| op.eq_ignore_ascii_case("delete"))
                    });
                    if is_delete {
                        deleted.push(Value::Object(object));
                    } else {
                        added.push(Value::Object(object));
                    }
                }
                other => added.push(other.clone()),
            }
        }
        if !deleted.is_empty() {
            operations.push(PatchOperation {
                op: PatchOpKind::Remove,
                path: Some(path.clone()),
                value: Some(Value::Array(deleted)),
            });
        }
        if !added.is_empty() {
            operations.push(PatchOperation {
                op: PatchOpKind::Add,
                path: Some(path),
                value: Some(Value::Array(added)),
            });
        }
    }
    Ok(operations)
}
