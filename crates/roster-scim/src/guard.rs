//! What wraps every SCIM request: a cap on requests in flight, answered with 429 and
//! `Retry-After` (which Okta and Entra back off on) before queues and memory grow; SCIM error
//! bodies for the errors actix-web produces itself (413 for an oversized body, 405, …); and the
//! entry in the directory's request log.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{ResponseError, web};
use roster_core::Timestamp;
use roster_store::request_log::LoggedRequest;
use ulid::Ulid;

use crate::error::{ErrorDetail, SCIM_CONTENT_TYPE};
use crate::request_log::{Entry, LoggedDirectory, redact};
use crate::{ScimContext, ScimError};

/// Counts SCIM requests in flight against a maximum.
#[derive(Debug, Clone)]
pub struct InFlight {
    current: Arc<AtomicUsize>,
    maximum: usize,
}

impl InFlight {
    /// A limit of `maximum` concurrent requests.
    pub fn new(maximum: usize) -> Self {
        InFlight {
            current: Arc::new(AtomicUsize::new(0)),
            maximum: maximum.max(1),
        }
    }

    fn enter(&self) -> Option<Ticket> {
        let previous = self.current.fetch_add(1, Ordering::AcqRel);
        let ticket = Ticket(Arc::clone(&self.current));
        (previous < self.maximum).then_some(ticket)
    }
}

/// Leaves the count when dropped, whatever path the request took.
struct Ticket(Arc<AtomicUsize>);

impl Drop for Ticket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Seconds a client is asked to wait when the server is saturated.
const RETRY_AFTER_SECONDS: &str = "1";

pub(crate) async fn guard(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let received_at = Timestamp::now();
    let context = request.app_data::<web::Data<ScimContext>>().cloned();
    let _ticket = match context.as_ref().map(|context| context.in_flight.enter()) {
        Some(None) => {
            let mut response = ScimError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many concurrent requests; retry after the time in Retry-After.",
            )
            .error_response();
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            return Ok(request.into_response(response));
        }
        Some(Some(ticket)) => Some(ticket),
        None => None,
    };
    // The body is read here, within the configured size limit, so that it can be logged; the
    // handler then reads the same bytes.
    let body = match request.extract::<Bytes>().await {
        Ok(body) => body,
        Err(error) => {
            let status = if stopped_arriving(&error) {
                StatusCode::REQUEST_TIMEOUT
            } else {
                error.error_response().status()
            };
            return Ok(request.into_response(scim_error_for(status)));
        }
    };
    request.set_payload(Payload::from(body.clone()));
    let method = request.method().to_string();
    let path = match request.query_string() {
        "" => request.path().to_owned(),
        query => format!("{}?{query}", request.path()),
    };

    let mut response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    let is_scim = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(SCIM_CONTENT_TYPE.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_scim {
        response = response.into_response(scim_error_for(status));
    }
    let directory = response
        .request()
        .extensions()
        .get::<LoggedDirectory>()
        .cloned();
    if let (Some(context), Some(LoggedDirectory(directory_id))) = (context, directory) {
        let error_detail = response
            .response()
            .extensions()
            .get::<ErrorDetail>()
            .map(|detail| detail.0.clone());
        count(&directory_id, status);
        context.request_log.record(Entry {
            request: LoggedRequest {
                id: Ulid::generate().to_string(),
                directory_id,
                method,
                path,
                status: i64::from(status.as_u16()),
                duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
                request_body: redact(&body),
                created_at: received_at.as_millis(),
            },
            error_detail,
        });
    }
    Ok(response)
}

/// The per-directory counters of `/metrics`. Directory ids as labels: one series per tenant,
/// which an operator needs to tell whose integration is failing.
fn count(directory_id: &str, status: StatusCode) {
    metrics::counter!("roster_scim_requests_total", "directory" => directory_id.to_owned())
        .increment(1);
    if status.is_client_error() || status.is_server_error() {
        metrics::counter!(
            "roster_scim_errors_total",
            "directory" => directory_id.to_owned(),
            "status" => status.as_str().to_owned()
        )
        .increment(1);
    }
}

/// Whether reading the body failed because the client stopped sending it (the server's body
/// timeout), rather than because it was malformed or too large.
fn stopped_arriving(error: &actix_web::Error) -> bool {
    matches!(
        error.as_error::<PayloadError>(),
        Some(PayloadError::Io(cause)) if cause.kind() == std::io::ErrorKind::TimedOut
    )
}

/// A SCIM error body for a status that actix-web produced without one.
fn scim_error_for(status: StatusCode) -> actix_web::HttpResponse {
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is larger than the server accepts.",
        StatusCode::METHOD_NOT_ALLOWED => "This endpoint does not support that HTTP method.",
        StatusCode::REQUEST_TIMEOUT => "The request body stopped arriving before it was complete.",
        other => other.canonical_reason().unwrap_or("Request failed"),
    };
    ScimError::new(status, detail).error_response()
}
