//! Applying PATCH operations to a JSON resource.
//!
//! This part finds where each operation acts (expanding path-less values and extension
//! objects, and keeping extension objects and `schemas` in step); `ops` computes the
//! attribute's new value from its old one.

use serde_json::{Map, Value};

use super::ops::{SubTarget, Target, add, remove, replace, update};
use super::value::describe;
use super::{PatchError, PatchOpKind, PatchOperation, PatchPath, parse_patch_request, parse_path};
use crate::json::{find_key_ci, take_ci};
use crate::schema::{AttributeInfo, AttributeKind, AttributeRules, Location, Mutability, resolve};

/// Applies PATCH operations to `document` (a resource as a JSON object), all or nothing: on
/// error `document` is left unchanged.
///
/// Semantics are RFC 7644 §3.5.2 plus what Okta and Entra rely on:
/// * `add`: single-valued attributes are set, complex ones merged, multi-valued ones get the
///   new values appended; a value already present (same `value` sub-attribute, or equal) is
///   merged into instead of duplicated.
/// * `replace`: single-valued attributes are set, complex ones merged (RFC 7644 §3.5.2.3),
///   multi-valued ones replaced entirely; with a filter, matching elements (or their
///   sub-attribute) are replaced.
/// * Without `path`, each key of the `value` object is itself a path (`name.givenName`,
///   `urn:…:User:department`, `emails[type eq "work"].value`) or an extension URN holding an
///   object of that extension's attributes.
/// * A filter matching no element: `add`/`replace` create one when the filter is only `eq`
///   terms joined by `and` (Entra's `emails[type eq "work"].value`); otherwise `noTarget`.
/// * `remove`: a single-valued attribute becomes unassigned; a multi-valued one loses all
///   values, or only those listed in `value` (Entra's legacy member removal), or those
///   matching the filter. Removing something absent is not an error.
/// * A `null` value unassigns; an empty multi-valued or complex attribute is removed.
/// * Read-only attributes (and `schemas`) are silently ignored; changing an immutable
///   attribute's value is a `mutability` error.
/// * Known attributes are written under their canonical names; `primary: true` on one element
///   clears it on the others; writing the first attribute of an extension adds its URN to
///   `schemas`, and removing the last removes it.
pub fn apply(
    document: &mut Value,
    operations: &[PatchOperation],
    schema: &dyn AttributeRules,
) -> Result<(), PatchError> {
    apply_all(document, operations, schema, true)
}

/// Parses a PATCH request body ([`parse_patch_request`]) and [`apply`]s it.
pub fn apply_request(
    document: &mut Value,
    body: &Value,
    schema: &dyn AttributeRules,
) -> Result<(), PatchError> {
    let operations = parse_patch_request(body)?;
    apply(document, &operations, schema)
}

/// Applies operations to a copy and commits it only if all succeed; `numbered` prefixes
/// errors with the operation's index.
pub(super) fn apply_all(
    document: &mut Value,
    operations: &[PatchOperation],
    schema: &dyn AttributeRules,
    numbered: bool,
) -> Result<(), PatchError> {
    let mut working = document.clone();
    let Value::Object(root) = &mut working else {
        return Err(PatchError::InvalidSyntax(
            "the resource to patch is not a JSON object".into(),
        ));
    };
    for (index, operation) in operations.iter().enumerate() {
        apply_operation(root, operation, schema)
            .map_err(|e| if numbered { e.in_operation(index) } else { e })?;
    }
    *document = working;
    Ok(())
}

fn apply_operation(
    root: &mut Map<String, Value>,
    operation: &PatchOperation,
    schema: &dyn AttributeRules,
) -> Result<(), PatchError> {
    match (&operation.path, operation.op) {
        (Some(path), kind) => apply_at(root, path, kind, operation.value.as_ref(), schema),
        (None, PatchOpKind::Remove) => Err(PatchError::NoTarget(
            "'remove' needs a 'path' to say what to remove".into(),
        )),
        (None, kind) => {
            let Some(Value::Object(object)) = &operation.value else {
                return Err(PatchError::InvalidSyntax(
                    "without a 'path', 'value' must be an object of attributes".into(),
                ));
            };
            for (path, value) in expand_value_object(object, schema)? {
                apply_at(root, &path, kind, Some(value), schema)?;
            }
            Ok(())
        }
    }
}

/// Splits a path-less value object (or a SCIM 1.1 partial resource) into (path, value)
/// pairs, expanding extension objects into their attributes.
pub(super) fn expand_value_object<'v>(
    object: &'v Map<String, Value>,
    schema: &dyn AttributeRules,
) -> Result<Vec<(PatchPath, &'v Value)>, PatchError> {
    let mut out = Vec::new();
    for (key, value) in object {
        match extension_key(key, value, schema) {
            Some(urn) => {
                let Value::Object(inner) = value else {
                    return Err(PatchError::InvalidValue(format!(
                        "'{urn}' must be an object of extension attributes, got {}",
                        describe(value)
                    )));
                };
                expand_extension(&urn, inner, &mut out)?;
            }
            None => out.push((parse_path(key)?, value)),
        }
    }
    Ok(out)
}

/// Whether a value-object key names an extension schema rather than an attribute; returns
/// the key to store the extension under. An unknown `urn:…` key holding an object is taken as
/// an extension (Okta's `urn:okta:custom:group:1.0`) unless it qualifies an attribute with the
/// core schema or a known extension.
fn extension_key(key: &str, value: &Value, schema: &dyn AttributeRules) -> Option<String> {
    if let Some(canonical) = schema.extension_schema(key) {
        return Some(canonical.to_owned());
    }
    let is_urn = key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    if !is_urn || !value.is_object() {
        return None;
    }
    let qualifies_known_schema = parse_path(key)
        .ok()
        .and_then(|path| path.attr.urn)
        .is_some_and(|urn| {
            urn.eq_ignore_ascii_case(schema.core_schema())
                || schema.extension_schema(&urn).is_some()
        });
    (!qualifies_known_schema).then(|| key.to_owned())
}

fn expand_extension<'v>(
    urn: &str,
    inner: &'v Map<String, Value>,
    out: &mut Vec<(PatchPath, &'v Value)>,
) -> Result<(), PatchError> {
    for (key, value) in inner {
        let mut path = parse_path(key)?;
        if path.attr.urn.is_none() {
            path.attr.urn = Some(urn.to_owned());
        }
        out.push((path, value));
    }
    Ok(())
}

/// Applies one operation at a path; a path naming a whole known extension
/// (`urn:…:enterprise:2.0:User`) acts on each of its attributes.
fn apply_at(
    root: &mut Map<String, Value>,
    path: &PatchPath,
    kind: PatchOpKind,
    value: Option<&Value>,
    schema: &dyn AttributeRules,
) -> Result<(), PatchError> {
    let Some(urn) = whole_extension(path, schema) else {
        return apply_attribute(root, path, kind, value, schema);
    };
    match (kind, value.filter(|v| !v.is_null())) {
        (PatchOpKind::Remove, _) | (PatchOpKind::Replace, None) => {
            if take_ci(root, &urn).is_some() {
                remove_schema_urn(root, &urn);
            }
            Ok(())
        }
        (PatchOpKind::Add, None) => Ok(()),
        (_, Some(Value::Object(inner))) => {
            let mut paths = Vec::new();
            expand_extension(&urn, inner, &mut paths)?;
            for (path, value) in paths {
                apply_attribute(root, &path, kind, Some(value), schema)?;
            }
            Ok(())
        }
        (_, Some(other)) => Err(PatchError::InvalidValue(format!(
            "'{urn}' must be an object of extension attributes, got {}",
            describe(other)
        ))),
    }
}

fn whole_extension(path: &PatchPath, schema: &dyn AttributeRules) -> Option<String> {
    if path.filter.is_some() || path.attr.sub_attribute.is_some() {
        return None;
    }
    let urn = path.attr.urn.as_ref()?;
    schema
        .extension_schema(&format!("{urn}:{}", path.attr.attribute))
        .map(str::to_owned)
}

fn apply_attribute(
    root: &mut Map<String, Value>,
    path: &PatchPath,
    kind: PatchOpKind,
    value: Option<&Value>,
    schema: &dyn AttributeRules,
) -> Result<(), PatchError> {
    // The engine keeps `schemas` in step with the extensions itself.
    if path.attr.urn.is_none() && path.attr.attribute.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    let resolved = resolve(schema, &path.attr);
    let read_only = |info: Option<AttributeInfo<'_>>| {
        info.is_some_and(|i| i.mutability == Mutability::ReadOnly)
    };
    if read_only(resolved.info) {
        return Ok(());
    }
    let sub = match &path.attr.sub_attribute {
        None => None,
        Some(name) => {
            if let Some(info) = resolved.info
                && info.kind != AttributeKind::Complex
            {
                return Err(PatchError::InvalidPath(format!(
                    "'{}' has no sub-attributes, so '{path}' is not a valid path",
                    info.name
                )));
            }
            let info = resolved
                .info
                .and_then(|parent| schema.sub_attribute(&parent, name));
            if read_only(info) {
                return Ok(());
            }
            Some(SubTarget {
                name: info.map_or_else(|| name.clone(), |i| i.name.to_owned()),
                info,
            })
        }
    };
    let target = Target {
        name: resolved.name,
        info: resolved.info,
        sub,
        filter: path.filter.as_ref(),
    };
    let value = value.filter(|v| !v.is_null()).cloned();
    let creates = kind != PatchOpKind::Remove && value.is_some();
    with_container(root, resolved.location.as_ref(), creates, |container| {
        update(container, &target, |old| match (kind, value) {
            (PatchOpKind::Remove, value) | (PatchOpKind::Replace, value @ None) => {
                remove(old, &target, value, schema)
            }
            (PatchOpKind::Add, None) => Ok(old),
            (PatchOpKind::Add, Some(value)) => add(old, &target, value, schema),
            (PatchOpKind::Replace, Some(value)) => replace(old, &target, value, schema),
        })
    })
}

/// Runs `f` on the object holding the attribute: the resource itself, or an extension object
/// (created when `create`, dropped when emptied, with `schemas` kept in step).
fn with_container(
    root: &mut Map<String, Value>,
    location: Option<&Location>,
    create: bool,
    f: impl FnOnce(&mut Map<String, Value>) -> Result<(), PatchError>,
) -> Result<(), PatchError> {
    let Some(location) = location else {
        return f(root);
    };
    let existing = take_ci(root, &location.urn);
    let key = match (&existing, location.known) {
        (Some((key, _)), false) => key.clone(),
        _ => location.urn.clone(),
    };
    let mut object = match existing.map(|(_, value)| value) {
        Some(Value::Object(object)) => object,
        None | Some(Value::Null) if create => Map::new(),
        None | Some(Value::Null) => return Ok(()),
        Some(other) => {
            return Err(PatchError::InvalidValue(format!(
                "'{key}' holds {} instead of an object of extension attributes",
                describe(&other)
            )));
        }
    };
    let was_empty = object.is_empty();
    f(&mut object)?;
    if !object.is_empty() {
        root.insert(key.clone(), Value::Object(object));
        add_schema_urn(root, &key);
    } else if !was_empty {
        remove_schema_urn(root, &key);
    }
    Ok(())
}

fn add_schema_urn(root: &mut Map<String, Value>, urn: &str) {
    let Some(key) = find_key_ci(root, "schemas") else {
        return;
    };
    if let Some(Value::Array(schemas)) = root.get_mut(&key)
        && !schemas
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
    {
        schemas.push(Value::String(urn.to_owned()));
    }
}

fn remove_schema_urn(root: &mut Map<String, Value>, urn: &str) {
    let Some(key) = find_key_ci(root, "schemas") else {
        return;
    };
    if let Some(Value::Array(schemas)) = root.get_mut(&key) {
        schemas.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)));
    }
}

/// Whether a partial-resource key names a whole multi-valued attribute (SCIM 1.1 PATCH adds
/// and deletes its values instead of replacing them).
pub(super) fn is_multi_valued(
    path: &PatchPath,
    value: &Value,
    schema: &dyn AttributeRules,
) -> bool {
    if path.filter.is_some() || path.attr.sub_attribute.is_some() {
        return false;
    }
    match resolve(schema, &path.attr).info {
        Some(info) => info.multi_valued,
        None => value.is_array(),
    }
}
