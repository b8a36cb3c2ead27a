//! The list parameters every list endpoint takes and the envelope every list answers with:
//! `{"object":"list","data":[…],"list_metadata":{"before":…,"after":…}}`, both cursors always
//! present (the Python SDK stops auto-paging when `list_metadata` lacks them).

use std::collections::HashMap;

use actix_web::HttpResponse;
use roster_core::Timestamp;
use roster_store::page::{Order, Page, PageRequest};
use serde_json::{Value, json};

use crate::ApiError;

/// Query parameters, as a map: unknown ones are ignored, as WorkOS does.
pub type Query = HashMap<String, String>;

const DEFAULT_LIMIT: i64 = 10;
const MAX_LIMIT: i64 = 100;

/// `limit`, `before`, `after` and `order`, validated; `default_order` when `order` is absent.
pub fn page_request(query: &Query, default_order: Order) -> Result<PageRequest, ApiError> {
    let limit = match query.get("limit") {
        Some(value) => value
            .parse::<i64>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "limit",
                    format!("limit must be an integer from 1 to {MAX_LIMIT}."),
                )
            })?,
        None => DEFAULT_LIMIT,
    };
    let order = match query.get("order").map(String::as_str) {
        None => default_order,
        Some("desc") => Order::Desc,
        Some("asc") => Order::Asc,
        Some(_) => {
            return Err(ApiError::invalid_parameter(
                "order",
                "order must be `asc` or `desc`.",
            ));
        }
    };
    let cursor = |name| query.get(name).filter(|value| !value.is_empty()).cloned();
    Ok(PageRequest {
        limit,
        before: cursor("before"),
        after: cursor("after"),
        order,
    })
}

/// A non-empty query parameter.
pub fn param<'a>(query: &'a Query, name: &str) -> Option<&'a str> {
    query
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
}

/// An RFC 3339 timestamp parameter.
pub fn timestamp(query: &Query, name: &'static str) -> Result<Option<Timestamp>, ApiError> {
    param(query, name)
        .map(|value| {
            Timestamp::parse_rfc3339(value).ok_or_else(|| {
                ApiError::invalid_parameter(
                    name,
                    format!(
                        "{name} must be an ISO 8601 timestamp such as 2026-01-01T00:00:00.000Z."
                    ),
                )
            })
        })
        .transpose()
}

/// The list envelope.
pub fn list_response(page: Page<Value>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "object": "list",
        "data": page.items,
        "list_metadata": {"before": page.before, "after": page.after},
    }))
}
