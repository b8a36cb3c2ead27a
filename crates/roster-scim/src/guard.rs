//! What wraps every SCIM request: a cap on requests in flight, answered with 429 and
//! `Retry-After` (which Okta and Entra back off on) before queues and memory grow, and SCIM
//! error bodies for the errors actix-web produces itself (413 for an oversized body, 405, …).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::error::SCIM_CONTENT_TYPE;
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
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = request
        .app_data::<web::Data<ScimContext>>()
        .map(|context| context.in_flight.clone());
    let _ticket = match limit.map(|limit| limit.enter()) {
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
    let response = next.call(request).await?.map_into_boxed_body();
    let status = response.status();
    let is_scim = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(SCIM_CONTENT_TYPE.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_scim {
        let detail = match status {
            StatusCode::PAYLOAD_TOO_LARGE => {
                "The request body is larger than the server accepts.".to_owned()
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                "This endpoint does not support that HTTP method.".to_owned()
            }
            other => other
                .canonical_reason()
                .unwrap_or("Request failed")
                .to_owned(),
        };
        let replacement = ScimError::new(status, detail).error_response();
        return Ok(response.into_response(replacement));
    }
    Ok(response)
}
