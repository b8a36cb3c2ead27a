//! In-memory filter evaluation over JSON resources: used for PATCH value filters and as the
//! reference semantics the SQL translation is tested against.

use std::cmp::Ordering;

use serde_json::Value;

use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use crate::json::{get_ci, is_present};
use crate::schema::{AttributeInfo, AttributeRules, resolve};

/// Whether `resource` matches `filter`, with RFC 7644 §3.4.2.2 semantics:
///
/// * attribute names are case-insensitive; a URN-qualified path looks inside that extension's
///   object, and the resource's core schema URN refers to top-level attributes;
/// * a multi-valued attribute matches when any of its values matches;
/// * a complex value compared without a sub-attribute is compared through its `value`
///   sub-attribute (`members eq "id"`, `emails co "@example.com"`);
/// * strings compare case-insensitively unless the schema says the attribute is `caseExact`;
///   `gt`/`ge`/`lt`/`le` compare strings lexicographically (after lower-casing when not
///   case-exact) and numbers numerically; `co`/`sw`/`ew` apply only to strings;
/// * values of different JSON types never match (`active eq "true"` does not match `true`),
///   and booleans support only `eq`/`ne`;
/// * `eq null` is `not pr` and `ne` is always `not eq`, so both match an absent attribute; any
///   other operator with `null` never matches;
/// * `pr`: some value that is not null, `""`, `[]` or `{}`.
pub fn matches(filter: &Filter, resource: &Value, schema: &dyn AttributeRules) -> bool {
    eval(filter, Context::Resource(resource), schema)
}

/// Whether one element of a multi-valued attribute matches a value filter (the part between
/// brackets), `parent` being the multi-valued attribute's definition.
pub(crate) fn element_matches(
    filter: &Filter,
    element: &Value,
    parent: Option<AttributeInfo<'_>>,
    schema: &dyn AttributeRules,
) -> bool {
    element.is_object() && eval(filter, Context::Element(element, parent), schema)
}

/// What attribute paths are relative to.
#[derive(Clone, Copy)]
enum Context<'v, 's> {
    Resource(&'v Value),
    /// One element of a multi-valued attribute, with the attribute's definition.
    Element(&'v Value, Option<AttributeInfo<'s>>),
}

fn eval<'s>(filter: &Filter, ctx: Context<'_, 's>, schema: &'s dyn AttributeRules) -> bool {
    match filter {
        Filter::And(left, right) => eval(left, ctx, schema) && eval(right, ctx, schema),
        Filter::Or(left, right) => eval(left, ctx, schema) || eval(right, ctx, schema),
        Filter::Not(inner) => !eval(inner, ctx, schema),
        Filter::Present(path) => leaves(path, ctx, schema)
            .iter()
            .any(|(value, _)| is_present(value)),
        Filter::Compare { path, op, value } => compare_path(path, *op, value, ctx, schema),
        Filter::ValuePath { path, filter } => {
            leaves(path, ctx, schema).iter().any(|(element, info)| {
                element.is_object() && eval(filter, Context::Element(element, *info), schema)
            })
        }
    }
}

fn compare_path<'s>(
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
    ctx: Context<'_, 's>,
    schema: &'s dyn AttributeRules,
) -> bool {
    if op == CompareOp::Ne {
        return !compare_path(path, CompareOp::Eq, value, ctx, schema);
    }
    let values = leaves(path, ctx, schema);
    match (op, value) {
        (CompareOp::Eq, CompValue::Null) => !values.iter().any(|(v, _)| is_present(v)),
        (_, CompValue::Null) => false,
        _ => values
            .iter()
            .any(|(v, info)| compare_leaf(v, *info, op, value, schema)),
    }
}

/// The values a path designates, with arrays flattened one level, each with its definition.
fn leaves<'v, 's>(
    path: &AttrPath,
    ctx: Context<'v, 's>,
    schema: &'s dyn AttributeRules,
) -> Vec<(&'v Value, Option<AttributeInfo<'s>>)> {
    let (attribute, info) = match ctx {
        Context::Resource(resource) => {
            let resolved = resolve(schema, path);
            let container = match &resolved.location {
                None => resource.as_object(),
                Some(location) => resource
                    .as_object()
                    .and_then(|r| get_ci(r, &location.urn))
                    .and_then(Value::as_object),
            };
            (
                container.and_then(|c| get_ci(c, &resolved.name)),
                resolved.info,
            )
        }
        // Paths inside brackets name sub-attributes of the element; a URN there means nothing.
        Context::Element(_, _) if path.urn.is_some() => (None, None),
        Context::Element(element, parent) => (
            element.as_object().and_then(|e| get_ci(e, &path.attribute)),
            parent.and_then(|p| schema.sub_attribute(&p, &path.attribute)),
        ),
    };
    let Some(attribute) = attribute else {
        return Vec::new();
    };
    match &path.sub_attribute {
        None => flatten(attribute).map(|v| (v, info)).collect(),
        Some(sub) => {
            let sub_info = info.and_then(|i| schema.sub_attribute(&i, sub));
            flatten(attribute)
                .filter_map(|v| v.as_object().and_then(|o| get_ci(o, sub)))
                .flat_map(flatten)
                .map(|v| (v, sub_info))
                .collect()
        }
    }
}

fn flatten(value: &Value) -> impl Iterator<Item = &Value> {
    match value {
        Value::Array(items) => items.iter(),
        other => std::slice::from_ref(other).iter(),
    }
}

fn compare_leaf(
    value: &Value,
    info: Option<AttributeInfo<'_>>,
    op: CompareOp,
    expected: &CompValue,
    schema: &dyn AttributeRules,
) -> bool {
    if let Value::Object(object) = value {
        let Some(inner) = get_ci(object, "value") else {
            return false;
        };
        if inner.is_object() {
            return false;
        }
        let inner_info = info.and_then(|i| schema.sub_attribute(&i, "value"));
        return compare_leaf(inner, inner_info, op, expected, schema);
    }
    match (value, expected) {
        (Value::String(actual), CompValue::Str(expected)) => {
            let case_exact = info.is_some_and(|i| i.case_exact);
            compare_strings(actual, expected, op, case_exact)
        }
        // Entra leaves filter values unquoted (`externalId eq 12345`), which reads as a number;
        // a string attribute is compared with the number's text.
        (Value::String(actual), CompValue::Number(expected)) => {
            let case_exact = info.is_some_and(|i| i.case_exact);
            compare_strings(actual, &expected.to_string(), op, case_exact)
        }
        (Value::Number(actual), CompValue::Number(expected)) => {
            compare_numbers(actual, expected).is_some_and(|ord| ordering_matches(ord, op))
        }
        (Value::Bool(actual), CompValue::Bool(expected)) => {
            op == CompareOp::Eq && actual == expected
        }
        _ => false,
    }
}

fn compare_strings(actual: &str, expected: &str, op: CompareOp, case_exact: bool) -> bool {
    let (actual, expected) = if case_exact {
        (actual.to_owned(), expected.to_owned())
    } else {
        (actual.to_lowercase(), expected.to_lowercase())
    };
    match op {
        CompareOp::Co => actual.contains(&expected),
        CompareOp::Sw => actual.starts_with(&expected),
        CompareOp::Ew => actual.ends_with(&expected),
        _ => ordering_matches(actual.cmp(&expected), op),
    }
}

/// Compares exactly when both are integers, else as `f64`.
fn compare_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    let as_int = |n: &serde_json::Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn ordering_matches(ordering: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}
