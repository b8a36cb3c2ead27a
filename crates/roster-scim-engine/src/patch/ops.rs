//! The attribute-level operations: each computes an attribute's new value from its old one.

use serde_json::{Map, Value};

use super::PatchError;
use super::PatchOpKind;
use super::value::{
    describe, enforce_single_primary, merge_object, normalize_attribute, normalize_one,
    normalize_sub, same_element, strip_nulls, value_case_exact,
};
use crate::filter::{CompValue, CompareOp, Filter, element_matches};
use crate::json::{find_key_ci, is_present, take_ci};
use crate::schema::{AttributeInfo, AttributeKind, AttributeRules, Mutability};

/// The attribute an operation acts on, resolved against the schema.
pub(super) struct Target<'p, 's> {
    /// Canonical when known, else as sent.
    pub(super) name: String,
    pub(super) info: Option<AttributeInfo<'s>>,
    pub(super) sub: Option<SubTarget<'s>>,
    pub(super) filter: Option<&'p Filter>,
}

pub(super) struct SubTarget<'s> {
    pub(super) name: String,
    pub(super) info: Option<AttributeInfo<'s>>,
}

impl Target<'_, '_> {
    /// Unknown attributes are multi-valued when they already hold, or are given, an array.
    fn is_multi(&self, old: Option<&Value>, value: Option<&Value>) -> bool {
        match self.info {
            Some(info) => info.multi_valued,
            None => match old {
                Some(old) => old.is_array(),
                None => value.is_some_and(Value::is_array),
            },
        }
    }

    /// Unknown attributes are complex when they already hold, or are given, an object.
    fn is_complex(&self, old: Option<&Value>, value: &Value) -> bool {
        match self.info {
            Some(info) => info.kind == AttributeKind::Complex,
            None => old.is_some_and(Value::is_object) || value.is_object(),
        }
    }

    fn multi_valued_sub_error(&self) -> PatchError {
        let sub = self.sub.as_ref().map_or("value", |s| s.name.as_str());
        PatchError::InvalidPath(format!(
            "'{}' is multi-valued: select the values to change with a filter, e.g. {}[type eq \"work\"].{sub}",
            self.name, self.name
        ))
    }
}

/// Replaces the attribute's value with `f(old value)`, writing it under the canonical key (or
/// the existing key, for unknown attributes) and enforcing immutability.
pub(super) fn update(
    container: &mut Map<String, Value>,
    target: &Target<'_, '_>,
    f: impl FnOnce(Option<Value>) -> Result<Option<Value>, PatchError>,
) -> Result<(), PatchError> {
    let existing = take_ci(container, &target.name);
    let key = match (&existing, target.info) {
        (Some((key, _)), None) => key.clone(),
        _ => target.name.clone(),
    };
    let old = existing.map(|(_, value)| value).filter(|v| !v.is_null());
    let immutable_value = target
        .info
        .filter(|i| i.mutability == Mutability::Immutable)
        .and_then(|_| old.clone())
        .filter(is_present);
    let new = f(old)?;
    if let Some(previous) = immutable_value
        && new.as_ref() != Some(&previous)
    {
        return Err(PatchError::Mutability(format!(
            "'{}' is immutable and already has a different value",
            target.name
        )));
    }
    if let Some(new) = new {
        container.insert(key, new);
    }
    Ok(())
}

pub(super) fn add(
    old: Option<Value>,
    target: &Target<'_, '_>,
    value: Value,
    schema: &dyn AttributeRules,
) -> Result<Option<Value>, PatchError> {
    if let Some(filter) = target.filter {
        return set_filtered(old, target, filter, value, PatchOpKind::Add, schema);
    }
    if let Some(sub) = &target.sub {
        return set_sub_attribute(old, target, sub, value);
    }
    if target.is_multi(old.as_ref(), Some(&value)) {
        let mut items = into_items(old);
        let incoming = into_items(Some(normalize_attribute(schema, target.info, value)?));
        let case_exact = value_case_exact(target.info, schema);
        let mut touched = Vec::new();
        for item in incoming.into_iter().filter(|item| !item.is_null()) {
            match items
                .iter()
                .position(|existing| same_element(existing, &item, case_exact))
            {
                Some(index) => {
                    if let (Some(Value::Object(existing)), Value::Object(item)) =
                        (items.get_mut(index), item)
                    {
                        merge_object(existing, item);
                    }
                    touched.push(index);
                }
                None => {
                    touched.push(items.len());
                    items.push(strip_nulls(item));
                }
            }
        }
        enforce_single_primary(&mut items, &touched);
        return Ok(non_empty_array(items));
    }
    if target.is_complex(old.as_ref(), &value) {
        return merge_complex(old, target, value, schema);
    }
    normalize_attribute(schema, target.info, value).map(Some)
}

pub(super) fn replace(
    old: Option<Value>,
    target: &Target<'_, '_>,
    value: Value,
    schema: &dyn AttributeRules,
) -> Result<Option<Value>, PatchError> {
    if let Some(filter) = target.filter {
        return set_filtered(old, target, filter, value, PatchOpKind::Replace, schema);
    }
    if let Some(sub) = &target.sub {
        return set_sub_attribute(old, target, sub, value);
    }
    if target.is_multi(old.as_ref(), Some(&value)) {
        let mut items: Vec<Value> =
            into_items(Some(normalize_attribute(schema, target.info, value)?))
                .into_iter()
                .filter(|item| !item.is_null())
                .map(strip_nulls)
                .collect();
        let touched: Vec<usize> = (0..items.len()).collect();
        enforce_single_primary(&mut items, &touched);
        return Ok(non_empty_array(items));
    }
    if target.is_complex(old.as_ref(), &value) {
        return merge_complex(old, target, value, schema);
    }
    normalize_attribute(schema, target.info, value).map(Some)
}

pub(super) fn remove(
    old: Option<Value>,
    target: &Target<'_, '_>,
    value: Option<Value>,
    schema: &dyn AttributeRules,
) -> Result<Option<Value>, PatchError> {
    let Some(old) = old else {
        return Ok(None);
    };
    if let Some(filter) = target.filter {
        if target.info.is_some_and(|i| !i.multi_valued) {
            return Err(single_valued_filter_error(target));
        }
        let Value::Array(mut items) = old else {
            return Ok(Some(old));
        };
        match &target.sub {
            None => items.retain(|item| !element_matches(filter, item, target.info, schema)),
            Some(sub) => {
                for item in &mut items {
                    if element_matches(filter, item, target.info, schema)
                        && let Value::Object(object) = item
                    {
                        take_ci(object, &sub.name);
                    }
                }
                items.retain(|item| !item.as_object().is_some_and(Map::is_empty));
            }
        }
        return Ok(non_empty_array(items));
    }
    if let Some(sub) = &target.sub {
        if target.is_multi(Some(&old), None) {
            return Err(target.multi_valued_sub_error());
        }
        let Value::Object(mut object) = old else {
            return Ok(Some(old));
        };
        take_ci(&mut object, &sub.name);
        return Ok(non_empty_object(object));
    }
    if let Some(value) = value
        && target.is_multi(Some(&old), Some(&value))
    {
        let doomed = into_items(Some(normalize_attribute(schema, target.info, value)?));
        let case_exact = value_case_exact(target.info, schema);
        let mut items = into_items(Some(old));
        items.retain(|item| !doomed.iter().any(|d| same_element(item, d, case_exact)));
        return Ok(non_empty_array(items));
    }
    Ok(None)
}

/// `add`/`replace` of the sub-attribute of a single-valued complex attribute (`name.givenName`).
fn set_sub_attribute(
    old: Option<Value>,
    target: &Target<'_, '_>,
    sub: &SubTarget<'_>,
    value: Value,
) -> Result<Option<Value>, PatchError> {
    if target.is_multi(old.as_ref(), None) {
        return Err(target.multi_valued_sub_error());
    }
    let mut object = match old {
        None => Map::new(),
        Some(Value::Object(object)) => object,
        Some(other) => {
            return Err(PatchError::InvalidPath(format!(
                "'{}' holds {}, not sub-attributes",
                target.name,
                describe(&other)
            )));
        }
    };
    let value = match sub.info {
        Some(info) => normalize_sub(info, value)?,
        None => value,
    };
    merge_object(&mut object, Map::from_iter([(sub.name.clone(), value)]));
    Ok(non_empty_object(object))
}

/// Merges a complex value into the attribute's current one.
fn merge_complex(
    old: Option<Value>,
    target: &Target<'_, '_>,
    value: Value,
    schema: &dyn AttributeRules,
) -> Result<Option<Value>, PatchError> {
    let incoming = match target.info {
        Some(info) => normalize_one(schema, info, value)?,
        None => value,
    };
    let Value::Object(incoming) = incoming else {
        // An unknown attribute that held an object and is now given a plain value.
        return Ok(Some(incoming));
    };
    let mut object = match old {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    };
    merge_object(&mut object, incoming);
    Ok(non_empty_object(object))
}

/// `add`/`replace` on the elements a value filter selects, creating one from the filter's
/// equality terms when none matches.
fn set_filtered(
    old: Option<Value>,
    target: &Target<'_, '_>,
    filter: &Filter,
    value: Value,
    kind: PatchOpKind,
    schema: &dyn AttributeRules,
) -> Result<Option<Value>, PatchError> {
    if target.info.is_some_and(|i| !i.multi_valued) {
        return Err(single_valued_filter_error(target));
    }
    let mut items = match old {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(PatchError::InvalidPath(format!(
                "'{}' holds {}, not a list of values a filter could select",
                target.name,
                describe(&other)
            )));
        }
    };
    let mut touched = Vec::new();
    for (index, item) in items.iter_mut().enumerate() {
        if element_matches(filter, item, target.info, schema) {
            update_element(item, target, value.clone(), kind, schema)?;
            touched.push(index);
        }
    }
    if touched.is_empty() {
        let Some(mut element) = element_from_equalities(filter, target, schema)? else {
            return Err(PatchError::NoTarget(format!(
                "no value of '{}' matches [{filter}], and only a filter of 'eq' terms joined by 'and' can create one",
                target.name
            )));
        };
        update_element(&mut element, target, value, kind, schema)?;
        touched.push(items.len());
        items.push(strip_nulls(element));
    }
    enforce_single_primary(&mut items, &touched);
    Ok(non_empty_array(items))
}

fn update_element(
    element: &mut Value,
    target: &Target<'_, '_>,
    value: Value,
    kind: PatchOpKind,
    schema: &dyn AttributeRules,
) -> Result<(), PatchError> {
    let Value::Object(object) = element else {
        return Ok(());
    };
    if let Some(sub) = &target.sub {
        let value = match sub.info {
            Some(info) => normalize_sub(info, value)?,
            None => value,
        };
        merge_object(object, Map::from_iter([(sub.name.clone(), value)]));
        return Ok(());
    }
    let incoming = match target.info {
        Some(info) => normalize_one(schema, info, value)?,
        None => value,
    };
    let Value::Object(incoming) = incoming else {
        return Err(PatchError::InvalidValue(format!(
            "values of '{}' selected by a filter can only be set to an object, got {}",
            target.name,
            describe(&incoming)
        )));
    };
    match kind {
        PatchOpKind::Replace => {
            *object = incoming;
            object.retain(|_, v| !v.is_null());
        }
        PatchOpKind::Add | PatchOpKind::Remove => merge_object(object, incoming),
    }
    Ok(())
}

/// The element described by a filter made only of `attr eq value` terms joined by `and`
/// (`type eq "work" and primary eq true`), or `None` for any other filter.
fn element_from_equalities(
    filter: &Filter,
    target: &Target<'_, '_>,
    schema: &dyn AttributeRules,
) -> Result<Option<Value>, PatchError> {
    let mut terms = Vec::new();
    if !collect_equalities(filter, &mut terms) {
        return Ok(None);
    }
    let mut object = Map::new();
    for (name, value) in terms {
        let info = target
            .info
            .and_then(|parent| schema.sub_attribute(&parent, name));
        let name = info.map_or(name, |i| i.name);
        // `type eq "a" and type eq "b"` describes no element.
        if find_key_ci(&object, name).is_some() {
            return Ok(None);
        }
        let value = match info {
            Some(info) => normalize_sub(info, value.to_json())?,
            None => value.to_json(),
        };
        object.insert(name.to_owned(), value);
    }
    Ok(Some(Value::Object(object)))
}

fn collect_equalities<'f>(filter: &'f Filter, out: &mut Vec<(&'f str, &'f CompValue)>) -> bool {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.urn.is_none() && path.sub_attribute.is_none() && *value != CompValue::Null => {
            out.push((&path.attribute, value));
            true
        }
        Filter::And(left, right) => collect_equalities(left, out) && collect_equalities(right, out),
        _ => false,
    }
}

fn single_valued_filter_error(target: &Target<'_, '_>) -> PatchError {
    PatchError::InvalidPath(format!(
        "'{}' is single-valued; value filters only select values of multi-valued attributes",
        target.name
    ))
}

fn into_items(value: Option<Value>) -> Vec<Value> {
    match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => vec![other],
    }
}

fn non_empty_array(items: Vec<Value>) -> Option<Value> {
    (!items.is_empty()).then_some(Value::Array(items))
}

fn non_empty_object(object: Map<String, Value>) -> Option<Value> {
    (!object.is_empty()).then_some(Value::Object(object))
}
