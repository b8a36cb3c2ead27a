//! Case-insensitive access to JSON object keys (SCIM attribute names are case-insensitive).

use serde_json::{Map, Value};

/// The value under `name`, preferring an exact match over a case-insensitive one.
pub(crate) fn get_ci<'v>(map: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

/// The key matching `name` case-insensitively, preferring an exact match.
pub(crate) fn find_key_ci(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    map.keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
}

/// Removes every key equal to `name` ignoring case; returns the key and value that were kept
/// as "the" value (an exact match if there was one).
pub(crate) fn take_ci(map: &mut Map<String, Value>, name: &str) -> Option<(String, Value)> {
    let keys: Vec<String> = map
        .keys()
        .filter(|key| key.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    let mut kept = map.remove(name).map(|value| (name.to_owned(), value));
    for key in keys {
        if let Some(value) = map.remove(&key)
            && kept.is_none()
        {
            kept = Some((key, value));
        }
    }
    kept
}

/// Sets `name` to `value`, dropping any differently-cased duplicates of the key.
pub(crate) fn set_ci(map: &mut Map<String, Value>, name: &str, value: Value) {
    take_ci(map, name);
    map.insert(name.to_owned(), value);
}

/// Whether a value counts as present for `pr` (RFC 7644 §3.4.2.2): not null, not an empty
/// string, array or object.
pub(crate) fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}
