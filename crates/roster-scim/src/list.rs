//! List and read parameters (RFC 7644 §3.4.2): filter, paging, and attribute projection.

use std::collections::HashMap;

use roster_scim_engine::filter::{Filter, parse_filter};
use serde_json::{Map, Value, json};

use crate::ScimError;
use crate::discovery::MAX_PAGE_SIZE;

/// Page size when the client asks for none.
const DEFAULT_PAGE_SIZE: i64 = 100;

/// The list and projection parameters of a request, from its query string or a `.search` body.
#[derive(Debug, Default)]
pub struct ListParams {
    /// The parsed filter.
    pub filter: Option<Filter>,
    /// 1-based index of the first result.
    pub start_index: i64,
    /// Page size, at most [`MAX_PAGE_SIZE`].
    pub count: i64,
    /// Which attributes to return.
    pub projection: Projection,
}

/// `attributes` / `excludedAttributes`.
#[derive(Debug, Default, Clone)]
pub struct Projection {
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl ListParams {
    /// From query parameters, whose names are matched case-insensitively.
    pub fn from_query(query: &HashMap<String, String>) -> Result<Self, ScimError> {
        let get = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        Self::from_parts(
            get("filter"),
            get("startIndex").map(|value| value.trim().parse::<i64>()),
            get("count").map(|value| value.trim().parse::<i64>()),
            get("attributes"),
            get("excludedAttributes"),
        )
    }

    /// From a `POST /.search` body (RFC 7644 §3.4.3).
    pub fn from_search_body(body: &Value) -> Result<Self, ScimError> {
        let Some(body) = body.as_object() else {
            return Err(ScimError::invalid_syntax(
                "A search request must be a JSON object.",
            ));
        };
        let get = |name: &str| {
            body.iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value)
        };
        let integer = |value: &Value| value.as_i64().ok_or(());
        let list = |value: Option<&Value>| {
            value.map(|value| match value {
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Value::String(text) => text.clone(),
                _ => String::new(),
            })
        };
        let attributes = list(get("attributes"));
        let excluded = list(get("excludedAttributes"));
        Self::from_parts(
            get("filter").and_then(Value::as_str),
            get("startIndex").map(integer),
            get("count").map(integer),
            attributes.as_deref(),
            excluded.as_deref(),
        )
    }

    fn from_parts<E>(
        filter: Option<&str>,
        start_index: Option<Result<i64, E>>,
        count: Option<Result<i64, E>>,
        attributes: Option<&str>,
        excluded: Option<&str>,
    ) -> Result<Self, ScimError> {
        let filter =
            match filter.map(str::trim).filter(|text| !text.is_empty()) {
                Some(text) => Some(parse_filter(text).map_err(|error| {
                    ScimError::invalid_filter(format!("Invalid filter: {error}."))
                })?),
                None => None,
            };
        let start_index = match start_index {
            Some(Ok(value)) => value.max(1),
            Some(Err(_)) => {
                return Err(ScimError::invalid_value("`startIndex` must be an integer."));
            }
            None => 1,
        };
        // RFC 7644 §3.4.2.4: a negative count means 0; more than the maximum gets the maximum.
        let count = match count {
            Some(Ok(value)) => value.clamp(0, i64::from(MAX_PAGE_SIZE)),
            Some(Err(_)) => return Err(ScimError::invalid_value("`count` must be an integer.")),
            None => DEFAULT_PAGE_SIZE,
        };
        Ok(ListParams {
            filter,
            start_index,
            count,
            projection: Projection::new(attributes, excluded),
        })
    }
}

impl Projection {
    /// From the comma-separated parameter values.
    pub fn new(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let split = |value: Option<&str>| {
            value
                .unwrap_or_default()
                .split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty())
                .collect()
        };
        Projection {
            attributes: split(attributes),
            excluded: split(excluded),
        }
    }

    /// From query parameters (for reads of one resource).
    pub fn from_query(query: &HashMap<String, String>) -> Self {
        let get = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        Projection::new(get("attributes"), get("excludedAttributes"))
    }

    /// Whether the client may want `name` (a top-level attribute), so its loading can be skipped.
    pub fn wants(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let mentioned = |list: &[String]| {
            list.iter()
                .any(|path| path == &name || path.starts_with(&format!("{name}.")))
        };
        if !self.attributes.is_empty() {
            return mentioned(&self.attributes);
        }
        !self.excluded.iter().any(|path| path == &name)
    }

    /// Applies the projection to a resource. `schemas` and `id` are always returned
    /// (RFC 7643 §7, `returned: always`).
    pub fn apply(&self, resource: Value, core_urn: &str) -> Value {
        let Value::Object(fields) = resource else {
            return resource;
        };
        if self.attributes.is_empty() && self.excluded.is_empty() {
            return Value::Object(fields);
        }
        let mut output = Map::new();
        for (key, value) in fields {
            if matches!(key.as_str(), "schemas" | "id") {
                output.insert(key, value);
                continue;
            }
            if let Some(projected) = self.project_attribute(&key, value, core_urn) {
                output.insert(key, projected);
            }
        }
        Value::Object(output)
    }

    fn project_attribute(&self, key: &str, value: Value, core_urn: &str) -> Option<Value> {
        let key_lower = key.to_ascii_lowercase();
        let core_prefix = format!("{}:", core_urn.to_ascii_lowercase());
        // Paths may be qualified with the core URN; extension attributes with theirs.
        let normalise = |path: &String| {
            path.strip_prefix(&core_prefix)
                .map_or_else(|| path.clone(), str::to_owned)
        };
        let relative = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(normalise)
                .filter_map(|path| {
                    if path == key_lower {
                        Some(String::new())
                    } else {
                        path.strip_prefix(&format!("{key_lower}."))
                            .or_else(|| path.strip_prefix(&format!("{key_lower}:")))
                            .map(str::to_owned)
                    }
                })
                .collect()
        };
        if !self.attributes.is_empty() {
            let wanted = relative(&self.attributes);
            if wanted.is_empty() {
                return None;
            }
            if wanted.iter().any(String::is_empty) {
                return Some(value);
            }
            return Some(keep_sub_attributes(value, &wanted));
        }
        let excluded = relative(&self.excluded);
        if excluded.iter().any(String::is_empty) {
            return None;
        }
        if excluded.is_empty() {
            return Some(value);
        }
        Some(drop_sub_attributes(value, &excluded))
    }
}

fn keep_sub_attributes(value: Value, wanted: &[String]) -> Value {
    map_objects(value, &|fields| {
        fields
            .into_iter()
            .filter(|(key, _)| wanted.iter().any(|name| name.eq_ignore_ascii_case(key)))
            .collect()
    })
}

fn drop_sub_attributes(value: Value, excluded: &[String]) -> Value {
    map_objects(value, &|fields| {
        fields
            .into_iter()
            .filter(|(key, _)| !excluded.iter().any(|name| name.eq_ignore_ascii_case(key)))
            .collect()
    })
}

fn map_objects(value: Value, f: &dyn Fn(Map<String, Value>) -> Map<String, Value>) -> Value {
    match value {
        Value::Object(fields) => Value::Object(f(fields)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|item| map_objects(item, f)).collect())
        }
        other => other,
    }
}

/// A ListResponse (RFC 7644 §3.4.2) with integer counts and an array even when empty.
pub fn list_response(total: i64, start_index: i64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u1",
            "userName": "alice",
            "name": {"givenName": "Alice", "familyName": "Smith"},
            "emails": [{"value": "a@x.com", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "division": "Core"},
        })
    }

    const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    #[test]
    fn attributes_keep_only_what_is_asked_plus_id_and_schemas() {
        let projected =
            Projection::new(Some("userName,name.givenName,emails.value"), None).apply(user(), CORE);
        assert_eq!(
            projected,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "u1",
                "userName": "alice",
                "name": {"givenName": "Alice"},
                "emails": [{"value": "a@x.com"}],
            })
        );
    }

    #[test]
    fn excluded_attributes_drop_what_is_named_including_urn_qualified_paths() {
        let projected = Projection::new(
            None,
            Some("emails,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division,urn:ietf:params:scim:schemas:core:2.0:User:name"),
        )
        .apply(user(), CORE);
        assert_eq!(
            projected,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": "u1",
                "userName": "alice",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
            })
        );
        assert!(!Projection::new(None, Some("members")).wants("members"));
        assert!(Projection::new(None, Some("emails")).wants("members"));
        assert!(!Projection::new(Some("displayName"), None).wants("members"));
    }

    #[test]
    fn paging_parameters_are_clamped_as_the_rfc_says() {
        let query: HashMap<String, String> = [
            ("StartIndex".to_owned(), "0".to_owned()),
            ("count".to_owned(), "-5".to_owned()),
        ]
        .into();
        let params = ListParams::from_query(&query).unwrap();
        assert_eq!((params.start_index, params.count), (1, 0));
        let query: HashMap<String, String> = [("count".to_owned(), "100000".to_owned())].into();
        assert_eq!(
            ListParams::from_query(&query).unwrap().count,
            i64::from(MAX_PAGE_SIZE)
        );
        let query: HashMap<String, String> =
            [("filter".to_owned(), "userName eq".to_owned())].into();
        assert!(ListParams::from_query(&query).is_err());
    }
}
