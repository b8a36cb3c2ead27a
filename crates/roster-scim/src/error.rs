//! SCIM's error format (RFC 7644 §3.12), the only shape a SCIM client ever receives from us:
//! `status` as a string, `scimType` where the RFC defines one. Internal causes are logged and
//! never shown.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// The media type of every SCIM 2.0 response.
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// Seconds an identity provider is asked to wait when the database is away.
const UNAVAILABLE_RETRY_AFTER_SECONDS: u64 = 5;

/// An error answered to a SCIM client.
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
    retry_after: Option<u64>,
}

impl ScimError {
    /// An error with a status and a human-readable detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// Adds the RFC 7644 `scimType` keyword.
    pub fn with_type(mut self, scim_type: &'static str) -> Self {
        self.scim_type = Some(scim_type);
        self
    }

    /// 400 `invalidSyntax`: the body is not the JSON the endpoint expects.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, detail).with_type("invalidSyntax")
    }

    /// 400 `invalidValue`: a required attribute is missing or a value has the wrong type.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, detail).with_type("invalidValue")
    }

    /// 400 `invalidFilter`: the filter cannot be parsed or is not supported.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, detail).with_type("invalidFilter")
    }

    /// 409 `uniqueness`: another resource already has this unique value.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::CONFLICT, detail).with_type("uniqueness")
    }

    /// 412: `If-Match` names a version that is no longer current.
    pub fn precondition_failed(current: &str) -> Self {
        ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "The resource has changed: its current version is {current}. Read it again and retry."
            ),
        )
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The RFC 7644 `scimType` keyword, if the error has one.
    pub fn scim_type(&self) -> Option<&'static str> {
        self.scim_type
    }

    /// 401: missing or wrong bearer token.
    pub fn unauthorized() -> Self {
        ScimError::new(
            StatusCode::UNAUTHORIZED,
            "Authentication failed: send the directory's bearer token as `Authorization: Bearer <token>`.",
        )
    }

    /// 404 for a resource or path that does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::NOT_FOUND, detail)
    }

    /// 500 for a failure that is ours; the cause is logged here and not sent.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "SCIM request failed");
        ScimError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error; the identity provider should retry later.",
        )
    }

    /// 429 with `Retry-After`: the directory sent more requests than its rate allows.
    pub fn rate_limited(limited: roster_core::Limited) -> Self {
        ScimError {
            retry_after: Some(limited.retry_after_seconds()),
            ..ScimError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "This directory sent more requests than its rate limit allows; retry after the time in Retry-After.",
            )
        }
    }

    /// 503 when the database cannot be reached, or cannot store anything for now (full,
    /// read-only): identity providers retry on it, and nothing was stored.
    pub fn unavailable(cause: &dyn fmt::Display) -> Self {
        tracing::warn!(%cause, "database unavailable for a SCIM request");
        ScimError {
            retry_after: Some(UNAVAILABLE_RETRY_AFTER_SECONDS),
            ..ScimError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is temporarily unavailable; nothing was changed. Retry later.",
            )
        }
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.detail)
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCIM_CONTENT_TYPE),
        ));
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        let mut response = response.body(body.to_string());
        response
            .extensions_mut()
            .insert(ErrorDetail(self.detail.clone()));
        response
    }
}

/// The `detail` of the SCIM error a response carries, for the directory's last-error record.
#[derive(Debug, Clone)]
pub(crate) struct ErrorDetail(pub(crate) String);

impl From<roster_store::StoreError> for ScimError {
    fn from(error: roster_store::StoreError) -> Self {
        match error {
            roster_store::StoreError::Pool(_) | roster_store::StoreError::Connect { .. } => {
                ScimError::unavailable(&error)
            }
            roster_store::StoreError::Query(error) => ScimError::from(error),
            _ => ScimError::internal(&error),
        }
    }
}

impl From<roster_store::QueryError> for ScimError {
    fn from(error: roster_store::QueryError) -> Self {
        // Writers check uniqueness first under the directory's lock; the index is the last
        // guard, and what it refuses is still the client's conflict, not our failure.
        if roster_store::is_unique_violation(&error) {
            return ScimError::uniqueness("A resource with this unique attribute already exists.");
        }
        if let Some(cause) = roster_store::unavailable_cause(&error) {
            return ScimError::unavailable(&format_args!("{cause}: {error}"));
        }
        ScimError::internal(&error)
    }
}

impl From<roster_scim_engine::patch::PatchError> for ScimError {
    fn from(error: roster_scim_engine::patch::PatchError) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, error.to_string()).with_type(error.scim_type())
    }
}

impl From<actix_web::error::BlockingError> for ScimError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ScimError::internal(&error)
    }
}

/// Searching across resource types at the root (RFC 7644 §3.4.3) is optional; clients search
/// `/Users/.search` and `/Groups/.search` instead.
pub(crate) async fn root_search(_scope: crate::DirectoryScope) -> Result<HttpResponse, ScimError> {
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        "Searching across resource types is not supported; use POST /Users/.search or /Groups/.search.",
    ))
}

/// Any path under a base URL that names no SCIM endpoint.
pub(crate) async fn unknown_endpoint(
    _scope: crate::DirectoryScope,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ScimError> {
    Err(ScimError::not_found(format!(
        "No SCIM endpoint at {}.",
        request.path()
    )))
}
