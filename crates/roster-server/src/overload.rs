//! Limits that keep the whole server answering under load or abuse: a cap on requests in
//! flight across every route (503 with `Retry-After`, in the error format of the route's
//! protocol, before queues and memory grow), and an idle timeout on request bodies, so a client
//! trickling a body byte by byte cannot hold a worker slot for ever. Header and keep-alive
//! timeouts are actix-web's own settings (see `http.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use futures_util::Stream;
use serde_json::json;

/// Routes that must answer whatever the load: probes and the metrics scrape.
const EXEMPT: [&str; 3] = ["/health", "/ready", "/metrics"];

/// The server-wide limits, shared by every worker.
#[derive(Debug, Clone)]
pub struct Limits {
    in_flight: Arc<AtomicUsize>,
    max_in_flight: usize,
    body_timeout: Duration,
}

impl Limits {
    /// At most `max_in_flight` requests at once; a body may pause at most `body_timeout`.
    pub fn new(max_in_flight: usize, body_timeout: Duration) -> Self {
        Limits {
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: max_in_flight.max(1),
            body_timeout,
        }
    }
}

/// Leaves the count when dropped, however the request ended.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pub(crate) async fn limit(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(limits) = request.app_data::<web::Data<Limits>>().cloned() else {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    if EXEMPT.contains(&request.path()) {
        return next
            .call(request)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let previous = limits.in_flight.fetch_add(1, Ordering::AcqRel);
    let _slot = Slot(Arc::clone(&limits.in_flight));
    if previous >= limits.max_in_flight {
        metrics::counter!("roster_http_overloaded_total").increment(1);
        let response = overloaded(request.path());
        return Ok(request.into_response(response));
    }
    let payload = request.take_payload();
    request.set_payload(Payload::from(
        Box::pin(IdleTimeout::new(payload, limits.body_timeout))
            as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
    ));
    next.call(request)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// 503 with `Retry-After`.
fn overloaded(path: &str) -> HttpResponse {
    let mut response = protocol_error(
        path,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
        "The server is at its limit of requests in flight; retry after the time in Retry-After.",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// An error in the format the route's clients parse: SCIM error JSON under `/scim/`, the
/// management API's `{"message","code"}` elsewhere.
fn protocol_error(path: &str, status: StatusCode, code: &str, message: &str) -> HttpResponse {
    if path.starts_with("/scim/") {
        roster_scim::ScimError::new(status, message).error_response()
    } else {
        HttpResponse::build(status).json(json!({"message": message, "code": code}))
    }
}

/// Refuses a URL holding an encoded NUL character (`%00`) before any route sees it: no id,
/// filter or parameter can hold one, and PostgreSQL refuses it in text, which would turn a
/// client's mistake into a server error.
pub(crate) async fn refuse_nul(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let uri = request.uri().to_string();
    if uri.contains("%00") {
        let response = protocol_error(
            request.path(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The URL holds a NUL character (%00), which no identifier or parameter may contain.",
        );
        return Ok(request.into_response(response));
    }
    next.call(request)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

/// A request body stream that fails when no bytes arrive for `timeout`.
struct IdleTimeout {
    inner: Payload,
    timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl IdleTimeout {
    fn new(inner: Payload, timeout: Duration) -> Self {
        IdleTimeout {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }
}

impl Stream for IdleTimeout {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(item) => {
                let next = tokio::time::Instant::now() + self.timeout;
                self.deadline.as_mut().reset(next);
                Poll::Ready(item)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the request body stopped arriving",
                ))))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
