//! Reading request bodies and writing SCIM responses.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::ScimError;
use crate::error::SCIM_CONTENT_TYPE;
use crate::resources::etag;

/// Parses a JSON body. The content type is not checked: identity providers send
/// `application/scim+json` and `application/json`, with and without a charset, and some send
/// neither.
pub fn parse_json(body: &[u8]) -> Result<Value, ScimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ScimError::invalid_syntax(
            "The request body is empty; a JSON object is required.",
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        ScimError::invalid_syntax(format!("The request body is not valid JSON: {error}."))
    })?;
    if holds_nul(&value) {
        return Err(ScimError::invalid_value(
            "The request body holds a NUL character (\\u0000), which no attribute may contain.",
        ));
    }
    Ok(value)
}

/// Whether any key or string in the document contains U+0000, which PostgreSQL cannot store in
/// text and no identity provider sends on purpose.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// A SCIM resource response with its `ETag` (and `Location` when created).
pub fn resource_response(
    status: StatusCode,
    resource: &Value,
    version: i64,
    location: Option<&str>,
) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    response.content_type(SCIM_CONTENT_TYPE);
    if let Ok(value) = HeaderValue::from_str(&etag(version)) {
        response.insert_header((header::ETAG, value));
    }
    if let Some(location) = location.and_then(|location| HeaderValue::from_str(location).ok()) {
        response.insert_header((header::LOCATION, location));
    }
    response.body(resource.to_string())
}

/// A SCIM JSON response without resource headers.
pub fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(SCIM_CONTENT_TYPE)
        .body(body.to_string())
}

/// The request's `If-Match` header, taken out of the request so it can cross to the blocking
/// thread that does the write.
pub fn if_match(request: &HttpRequest) -> Option<String> {
    request
        .headers()
        .get(header::IF_MATCH)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Refuses the write when `If-Match` names another version (RFC 7644 §3.14). Weak and strong
/// forms of the same version match; `*` matches any.
pub fn check_if_match(if_match: Option<&str>, version: i64) -> Result<(), ScimError> {
    let Some(value) = if_match else {
        return Ok(());
    };
    let current = version.to_string();
    let matches = value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == current);
    if matches {
        Ok(())
    } else {
        Err(ScimError::precondition_failed(&etag(version)))
    }
}
