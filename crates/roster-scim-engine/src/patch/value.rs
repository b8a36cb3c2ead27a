//! Shaping incoming values to the schema: canonical names, type coercion, element identity,
//! and the one-primary rule.

use serde_json::{Map, Value};

use super::PatchError;
use crate::json::{find_key_ci, get_ci, set_ci, take_ci};
use crate::schema::{AttributeInfo, AttributeKind, AttributeRules, Mutability};

/// Normalizes a whole attribute value; a multi-valued attribute always becomes an array
/// (a single value is wrapped, nulls are dropped). Unknown attributes are returned as sent.
pub(crate) fn normalize_attribute(
    schema: &dyn AttributeRules,
    info: Option<AttributeInfo<'_>>,
    value: Value,
) -> Result<Value, PatchError> {
    let Some(info) = info else {
        return Ok(value);
    };
    if !info.multi_valued {
        return normalize_one(schema, info, value);
    }
    let items = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    items
        .into_iter()
        .filter(|item| !item.is_null())
        .map(|item| normalize_one(schema, info, item))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

/// Normalizes one value of an attribute: the value of a single-valued attribute or one
/// element of a multi-valued one.
pub(crate) fn normalize_one(
    schema: &dyn AttributeRules,
    info: AttributeInfo<'_>,
    value: Value,
) -> Result<Value, PatchError> {
    if info.kind != AttributeKind::Complex {
        return coerce_simple(info, value);
    }
    match value {
        Value::Object(object) => normalize_object(schema, info, object).map(Value::Object),
        other => Err(PatchError::InvalidValue(format!(
            "values of '{}' must be objects of sub-attributes, got {}",
            info.name,
            describe(&other)
        ))),
    }
}

/// Writes known sub-attributes under their canonical names with coerced values and drops
/// read-only ones. Nulls are kept: in a merge they unassign the sub-attribute.
fn normalize_object(
    schema: &dyn AttributeRules,
    parent: AttributeInfo<'_>,
    object: Map<String, Value>,
) -> Result<Map<String, Value>, PatchError> {
    let mut out = Map::new();
    for (key, value) in object {
        match schema.sub_attribute(&parent, &key) {
            Some(sub) if sub.mutability == Mutability::ReadOnly => {}
            Some(sub) => {
                let value = normalize_sub(sub, value)?;
                set_ci(&mut out, sub.name, value);
            }
            None => set_ci(&mut out, &key, value),
        }
    }
    Ok(out)
}

/// Coerces a sub-attribute value. Sub-attributes are simple (RFC 7643 §2.3.8), so this never
/// recurses.
pub(crate) fn normalize_sub(sub: AttributeInfo<'_>, value: Value) -> Result<Value, PatchError> {
    match value {
        Value::Array(items) if sub.multi_valued => items
            .into_iter()
            .filter(|item| !item.is_null())
            .map(|item| coerce_simple(sub, item))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other if sub.kind == AttributeKind::Complex => Ok(other),
        other => coerce_simple(sub, other),
    }
}

/// Checks a simple value against its type. Booleans also arrive as the strings
/// `"True"`/`"False"` (Entra); numbers and booleans sent for a string attribute are stored as
/// their text, since identity providers map numeric profile fields onto string attributes.
fn coerce_simple(info: AttributeInfo<'_>, value: Value) -> Result<Value, PatchError> {
    use AttributeKind as K;
    match (info.kind, value) {
        (_, Value::Null) => Ok(Value::Null),
        (K::Boolean, Value::Bool(b)) => Ok(Value::Bool(b)),
        (K::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        (K::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        (K::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Value::Number(n)),
        (K::Decimal, Value::Number(n)) => Ok(Value::Number(n)),
        (K::String | K::DateTime | K::Binary | K::Reference, Value::String(s)) => {
            Ok(Value::String(s))
        }
        (K::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (K::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
        (K::Complex, value) => Ok(value),
        (kind, other) => Err(PatchError::InvalidValue(format!(
            "'{}' must be {}, got {}",
            info.name,
            kind_description(kind),
            describe(&other)
        ))),
    }
}

fn kind_description(kind: AttributeKind) -> &'static str {
    match kind {
        AttributeKind::String => "a string",
        AttributeKind::Boolean => "a boolean",
        AttributeKind::Decimal => "a number",
        AttributeKind::Integer => "an integer",
        AttributeKind::DateTime => "a dateTime string",
        AttributeKind::Binary => "a base64 string",
        AttributeKind::Reference => "a URI string",
        AttributeKind::Complex => "an object",
    }
}

/// A short description of a client value for error messages.
pub(crate) fn describe(value: &Value) -> String {
    const MAX_CHARS: usize = 40;
    match value {
        Value::String(s) if s.chars().count() > MAX_CHARS => {
            let head: String = s.chars().take(MAX_CHARS).collect();
            format!("the string {}…", Value::String(head))
        }
        Value::String(_) => format!("the string {value}"),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

/// Whether `value` comparisons for this attribute's elements are case-sensitive.
pub(crate) fn value_case_exact(
    info: Option<AttributeInfo<'_>>,
    schema: &dyn AttributeRules,
) -> bool {
    match info {
        Some(info) if info.kind == AttributeKind::Complex => schema
            .sub_attribute(&info, "value")
            .is_some_and(|sub| sub.case_exact),
        Some(info) => info.case_exact,
        None => false,
    }
}

/// Whether two elements of a multi-valued attribute are the same value: complex elements by
/// their `value` sub-attribute when both have one, otherwise by equality.
pub(crate) fn same_element(a: &Value, b: &Value, case_exact: bool) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => match (get_ci(x, "value"), get_ci(y, "value")) {
            (Some(p), Some(q)) if !p.is_null() && !q.is_null() => same_scalar(p, q, case_exact),
            _ => a == b,
        },
        _ => same_scalar(a, b, case_exact),
    }
}

fn same_scalar(a: &Value, b: &Value, case_exact: bool) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !case_exact => x.to_lowercase() == y.to_lowercase(),
        _ => a == b,
    }
}

/// Merges sub-attributes into an object; a null unassigns.
pub(crate) fn merge_object(target: &mut Map<String, Value>, source: Map<String, Value>) {
    for (key, value) in source {
        if value.is_null() {
            take_ci(target, &key);
        } else {
            set_ci(target, &key, value);
        }
    }
}

/// Drops unassigned (null) members of an object value.
pub(crate) fn strip_nulls(mut value: Value) -> Value {
    if let Value::Object(object) = &mut value {
        object.retain(|_, v| !v.is_null());
    }
    value
}

fn is_primary(value: &Value) -> bool {
    value
        .as_object()
        .and_then(|o| get_ci(o, "primary"))
        .is_some_and(|p| p == &Value::Bool(true))
}

/// Keeps at most one `primary: true` (RFC 7643 §2.4): the last of the `touched` elements that
/// is primary wins and every other element's `primary` becomes `false`.
pub(crate) fn enforce_single_primary(items: &mut [Value], touched: &[usize]) {
    let Some(winner) = touched
        .iter()
        .rev()
        .copied()
        .find(|&i| items.get(i).is_some_and(is_primary))
    else {
        return;
    };
    for (index, item) in items.iter_mut().enumerate() {
        if index != winner
            && is_primary(item)
            && let Some(object) = item.as_object_mut()
            && let Some(key) = find_key_ci(object, "primary")
        {
            object.insert(key, Value::Bool(false));
        }
    }
}
