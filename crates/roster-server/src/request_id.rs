//! Gives every response an `x-request-id` and logs one line per request with it, so a client's
//! report ("request 01J… failed") leads straight to the log line; and counts it for `/metrics`.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use ulid::Ulid;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub(crate) async fn tag_and_log(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = Ulid::generate().to_string();
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    // Cloning the `HttpRequest` here would make routing fail: the router needs sole ownership.
    let mut response = next.call(request).await?.map_into_boxed_body();
    // The route's pattern, not its path: one series per route, whatever the ids in it.
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_str().to_owned();
    metrics::counter!(
        "roster_http_requests_total",
        "route" => route.clone(),
        "method" => method.to_string(),
        "status" => status
    )
    .increment(1);
    metrics::histogram!("roster_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    tracing::info!(
        request_id,
        %method,
        path,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(response)
}
