//! The API's one error shape, `{"message": …, "code": …}` (plus the offending `param` for a
//! validation error), which the WorkOS SDKs map to their typed exceptions. Internal causes are
//! logged, never sent.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answered to an API client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    param: Option<&'static str>,
    retry_after_seconds: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            param: None,
            retry_after_seconds: None,
        }
    }

    /// 401: no key, or not a valid unrevoked one.
    pub fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send a valid API key as `Authorization: Bearer sk_…`.",
        )
    }

    /// 403: a read-only key asked to change something.
    pub fn read_only() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This API key may only read.",
        )
    }

    /// 403: the key is limited to one organization and the request reaches beyond it.
    pub fn outside_scope(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 400: the body is not the JSON the endpoint takes.
    pub fn malformed_body(cause: &dyn fmt::Display) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("The request body is not valid JSON for this endpoint: {cause}."),
        )
    }

    /// 409: the change would break a uniqueness rule (a domain or external id already used).
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// 404: no such object, or not one the key may see.
    pub fn not_found(kind: &str, id: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "entity_not_found",
            format!("No {kind} with id '{id}' was found."),
        )
    }

    /// 422: a parameter has a value the API cannot use.
    pub fn invalid_parameter(param: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            param: Some(param),
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request_parameters",
                message,
            )
        }
    }

    /// 429: the key's rate limit is exhausted for now.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        ApiError {
            retry_after_seconds: Some(retry_after_seconds.max(1)),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "Too many requests with this API key; retry after the time in Retry-After.",
            )
        }
    }

    /// 500: our failure; the cause is logged here.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(%cause, "API request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Internal error; retry later.",
        )
    }

    /// 503: the database cannot be reached.
    pub fn unavailable(cause: &dyn fmt::Display) -> Self {
        tracing::warn!(%cause, "database unavailable for an API request");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Temporarily unavailable; retry later.",
        )
    }
}

/// Every error's body.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    /// What went wrong, for a person.
    message: &'a str,
    /// What went wrong, for a program: `unauthorized`, `forbidden`, `entity_not_found`,
    /// `invalid_request`, `invalid_request_parameters`, `rate_limit_exceeded`, …
    code: &'static str,
    /// The parameter or field at fault, on 422.
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<&'static str>,
    /// The same, as WorkOS lists validation errors, on 422.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldError<'a>>>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError<'a> {
    field: &'static str,
    code: &'static str,
    message: &'a str,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = ErrorBody {
            message: &self.message,
            code: self.code,
            param: self.param,
            errors: self.param.map(|field| {
                vec![FieldError {
                    field,
                    code: "invalid",
                    message: &self.message,
                }]
            }),
        };
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(body)
    }
}

impl From<roster_store::StoreError> for ApiError {
    fn from(error: roster_store::StoreError) -> Self {
        match error {
            roster_store::StoreError::Pool(_) | roster_store::StoreError::Connect { .. } => {
                ApiError::unavailable(&error)
            }
            roster_store::StoreError::Query(error) => ApiError::from(error),
            _ => ApiError::internal(&error),
        }
    }
}

impl From<roster_store::QueryError> for ApiError {
    fn from(error: roster_store::QueryError) -> Self {
        if let Some(cause) = roster_store::unavailable_cause(&error) {
            return ApiError::unavailable(&format_args!("{cause}: {error}"));
        }
        ApiError::internal(&error)
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(&error)
    }
}
