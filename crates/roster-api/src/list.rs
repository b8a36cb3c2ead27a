//! The list parameters every list endpoint takes and the envelope every list answers with:
//! `{"object":"list","data":[…],"list_metadata":{"before":…,"after":…}}`, both cursors always
//! present (the Python SDK stops auto-paging when `list_metadata` lacks them).

use std::collections::HashMap;

use actix_web::HttpResponse;
use roster_core::Timestamp;
use roster_store::page::{Order, Page, PageRequest};
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use utoipa::{IntoParams, ToSchema};

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
        .map(|value| parse_timestamp(name, value))
        .transpose()
}

/// An RFC 3339 timestamp, from the parameter or field `name`.
pub fn parse_timestamp(name: &'static str, value: &str) -> Result<Timestamp, ApiError> {
    Timestamp::parse_rfc3339(value).ok_or_else(|| {
        ApiError::invalid_parameter(
            name,
            format!("{name} must be an ISO 8601 timestamp such as 2026-01-01T00:00:00.000Z."),
        )
    })
}

/// The list envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListOf<T> {
    /// Always `list`.
    #[schema(example = "list")]
    object: &'static str,
    /// The page's objects, in list order.
    data: Vec<T>,
    list_metadata: ListMetadata,
}

/// The cursors around a page; both keys are always present.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListMetadata {
    /// Pass as `before` to get the previous page; null on the first.
    before: Option<String>,
    /// Pass as `after` to get the next page; null on the last.
    after: Option<String>,
}

/// Answers with a page in the list envelope.
pub fn list_response<T: Serialize>(page: Page<T>) -> HttpResponse {
    HttpResponse::Ok().json(ListOf {
        object: "list",
        data: page.items,
        list_metadata: ListMetadata {
            before: page.before,
            after: page.after,
        },
    })
}

/// The parameters every list takes, for the OpenAPI document (they are read by
/// [`page_request`]).
pub struct ListParameters;

impl IntoParams for ListParameters {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let parameter = |name: &str, schema: ObjectBuilder, description: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        let text = || ObjectBuilder::new().schema_type(Type::String);
        // Cursors are object ids: a prefix and a ULID.
        let cursor = || text().pattern(Some("^[a-z_]+_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"));
        vec![
            parameter(
                "limit",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(MAX_LIMIT)),
                "Objects per page (default 10).",
            ),
            parameter(
                "order",
                text().enum_values(Some(["desc", "asc"])),
                "`desc` (newest first) or `asc`; the default is `desc`, or `asc` for events.",
            ),
            parameter(
                "after",
                cursor(),
                "The `list_metadata.after` of the previous page.",
            ),
            parameter(
                "before",
                cursor(),
                "The `list_metadata.before` of the next page.",
            ),
        ]
    }
}
