//! The bulk API's errors, in the management API's shape: `{"message": …, "code": …}`, plus the
//! offending `param` where there is one. Internal causes are logged, never sent.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use roster_core::Limited;
use roster_store::directories::Directory;
use serde_json::json;

use crate::batch::BatchError;

/// An error answered to a bulk API client.
#[derive(Debug)]
pub struct BulkError {
    status: StatusCode,
    code: &'static str,
    message: String,
    param: Option<String>,
    retry_after_seconds: Option<u64>,
}

impl BulkError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        BulkError {
            status,
            code,
            message: message.into(),
            param: None,
            retry_after_seconds: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 401: no token, a wrong one, or an unknown directory, all alike so that nobody can probe
    /// which directories exist.
    pub fn unauthorized() -> Self {
        BulkError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication failed: send the directory's bearer token as `Authorization: Bearer <token>`.",
        )
    }

    /// 403: the token is right, but the directory's source writes through SCIM.
    pub fn scim_directory(directory: &Directory, public_url: &str) -> Self {
        let endpoint = directory.scim_base_url(public_url).unwrap_or_default();
        BulkError::new(
            StatusCode::FORBIDDEN,
            "wrong_directory_type",
            format!(
                "This is a `{}` directory: its identity provider writes through SCIM at {endpoint}. Only `custom api` directories accept bulk batches.",
                directory.directory_type
            ),
        )
    }

    /// 429 with `Retry-After`: the directory sent more requests than its rate allows.
    pub fn rate_limited(limited: Limited) -> Self {
        BulkError {
            retry_after_seconds: Some(limited.retry_after_seconds()),
            ..BulkError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "This directory sent more requests than its rate limit allows; nothing was written. Retry after the time in Retry-After.",
            )
        }
    }

    /// 413: the body is larger than a batch of the largest accepted size can be.
    pub fn body_too_large(limit: usize) -> Self {
        BulkError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "The request body is larger than {limit} bytes, the most this server reads for one batch; split the batch."
            ),
        )
    }

    /// 400: the body could not be read.
    pub fn unreadable_body(cause: &dyn fmt::Display) -> Self {
        BulkError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("The request body could not be read: {cause}."),
        )
    }

    /// 422 for a header with a value the API cannot use.
    pub fn invalid_header(header: &str, message: impl Into<String>) -> Self {
        BulkError {
            param: Some(header.to_owned()),
            ..BulkError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request_parameters",
                message,
            )
        }
    }

    /// 422: an `Idempotency-Key` already answered another batch.
    pub fn idempotency_key_reused() -> Self {
        BulkError {
            param: Some(crate::idempotency::HEADER.to_owned()),
            ..BulkError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was sent with another batch in the last 24 hours; send each new batch with a new key.",
            )
        }
    }

    /// 422 for a query parameter with a value the API cannot use.
    pub fn invalid_query(param: &str, message: impl Into<String>) -> Self {
        BulkError::invalid_header(param, message)
    }

    /// 404 for a path that names no endpoint.
    pub fn unknown_endpoint(path: &str) -> Self {
        BulkError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No bulk API endpoint at {path}; batches are POSTed to {{base}}/bulk."),
        )
    }

    /// 405 for a method the endpoint does not take.
    pub fn method_not_allowed() -> Self {
        BulkError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Batches are sent with POST.",
        )
    }

    /// 500: our failure; the cause is logged here.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "bulk request failed");
        BulkError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Internal error; nothing was written. Retry later.",
        )
    }

    /// 503: the database cannot be reached.
    pub fn unavailable(cause: &dyn fmt::Display) -> Self {
        tracing::warn!(%cause, "database unavailable for a bulk request");
        BulkError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Temporarily unavailable; nothing was written. Retry later.",
        )
    }
}

impl fmt::Display for BulkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl ResponseError for BulkError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({"message": self.message, "code": self.code});
        if let Some(param) = &self.param {
            body["param"] = json!(param);
            body["errors"] = json!([{"field": param, "code": "invalid", "message": self.message}]);
        }
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(body)
    }
}

impl From<BatchError> for BulkError {
    fn from(error: BatchError) -> Self {
        match error {
            BatchError::NotJson(_) => {
                BulkError::new(StatusCode::BAD_REQUEST, "invalid_json", error.to_string())
            }
            BatchError::TooLarge { .. } => BulkError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch_too_large",
                error.to_string(),
            ),
            BatchError::Invalid { param, message } => BulkError {
                param: Some(param),
                ..BulkError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request_parameters",
                    message,
                )
            },
        }
    }
}

impl From<roster_store::StoreError> for BulkError {
    fn from(error: roster_store::StoreError) -> Self {
        match error {
            roster_store::StoreError::Pool(_) | roster_store::StoreError::Connect { .. } => {
                BulkError::unavailable(&error)
            }
            _ => BulkError::internal(&error),
        }
    }
}

impl From<roster_store::QueryError> for BulkError {
    fn from(error: roster_store::QueryError) -> Self {
        BulkError::internal(&error)
    }
}

impl From<actix_web::error::BlockingError> for BulkError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        BulkError::internal(&error)
    }
}
