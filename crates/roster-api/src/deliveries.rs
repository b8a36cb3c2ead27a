//! Webhook deliveries: what became of each event at each endpoint, attempt by attempt, and
//! sending again — one delivery, one event, or everything that failed since a time. A key
//! limited to one organization sees and redelivers only to the endpoints limited to it.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use roster_core::id::WebhookDeliveryId;
use roster_core::{EventId, Timestamp};
use roster_store::deliveries::{
    self, Attempt, Delivery, DeliveryFilter, DeliveryStatus, EndpointScope,
};
use roster_store::events;
use roster_store::page::Order;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::list::{ListOf, Query, list_response, page_request, param, parse_timestamp};
use crate::webhooks::find_visible;
use crate::{ApiContext, ApiError, ApiKeyScope, body};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/webhook_deliveries").get(list))
        .service(web::resource("/webhook_deliveries/redeliver_failed").post(redeliver_failed))
        .service(web::resource("/webhook_deliveries/{id}/redeliver").post(redeliver))
        .service(web::resource("/events/{id}/redeliver").post(redeliver_event));
}

/// One event's delivery to one endpoint, with every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookDeliveryObject {
    /// Always `webhook_delivery`.
    #[schema(example = "webhook_delivery")]
    object: &'static str,
    /// `wd_…`
    id: String,
    event_id: String,
    endpoint_id: String,
    /// `pending`, `delivered` or `failed`.
    #[schema(example = "delivered")]
    status: &'static str,
    /// Attempts made, ever.
    attempts: i64,
    /// When the next attempt is due, while pending.
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    last_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// Every attempt, oldest first.
    attempt_log: Vec<AttemptObject>,
}

/// One attempt to deliver.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AttemptObject {
    /// 1 for the first.
    attempt: i64,
    #[schema(format = DateTime)]
    started_at: String,
    duration_ms: i64,
    /// The receiver's HTTP status, if it answered.
    status_code: Option<i64>,
    /// The start of its answer (at most 1 KiB).
    response_body: Option<String>,
    /// Why no answer counted: refused connection, timeout, refused address…
    error: Option<String>,
    /// Which Roster instance made it.
    dispatcher: String,
}

impl WebhookDeliveryObject {
    fn new(delivery: &Delivery, attempts: &[Attempt]) -> Self {
        WebhookDeliveryObject {
            object: "webhook_delivery",
            id: delivery.id.to_string(),
            event_id: delivery.event_id.to_string(),
            endpoint_id: delivery.endpoint_id.to_string(),
            status: delivery.status.as_str(),
            attempts: delivery.attempts,
            next_attempt_at: (delivery.status == DeliveryStatus::Pending)
                .then(|| delivery.next_attempt_at.to_rfc3339()),
            last_attempt_at: delivery.last_attempt_at.map(Timestamp::to_rfc3339),
            created_at: delivery.created_at.to_rfc3339(),
            updated_at: delivery.updated_at.to_rfc3339(),
            attempt_log: attempts
                .iter()
                .map(|attempt| AttemptObject {
                    attempt: attempt.attempt,
                    started_at: attempt.started_at.to_rfc3339(),
                    duration_ms: attempt.duration_ms,
                    status_code: attempt.status_code,
                    response_body: attempt.response_body.clone(),
                    error: attempt.error.clone(),
                    dispatcher: attempt.lease_owner.clone(),
                })
                .collect(),
        }
    }
}

/// What a redelivery queued.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RedeliveryObject {
    /// Always `redelivery`.
    #[schema(example = "redelivery")]
    object: &'static str,
    /// How many deliveries were queued.
    queued: usize,
    /// Their ids.
    delivery_ids: Vec<String>,
}

impl RedeliveryObject {
    fn new(queued: &[WebhookDeliveryId]) -> Self {
        RedeliveryObject {
            object: "redelivery",
            queued: queued.len(),
            delivery_ids: queued.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The endpoints a key may redeliver to.
fn endpoint_scope(scope: &ApiKeyScope) -> EndpointScope<'_> {
    scope
        .organization()
        .map_or(EndpointScope::All, EndpointScope::Organization)
}

/// List deliveries, newest first.
#[utoipa::path(
    get,
    path = "/webhook_deliveries",
    operation_id = "list_webhook_deliveries",
    tag = "webhooks",
    params(
        ("endpoint_id" = Option<String>, Query, description = "Only this endpoint's.", pattern = "^we_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
        ("event_id" = Option<String>, Query, description = "Only this event's.", pattern = "^event_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
        ("status" = Option<String>, Query, description = "`pending`, `delivered` or `failed`.", pattern = "^(pending|delivered|failed)$"),
        crate::list::ListParameters,
    ),
    responses(
        (status = 200, body = ListOf<WebhookDeliveryObject>),
        (status = 404, body = crate::error::ErrorBody, description = "No such endpoint."),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn list(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query, Order::Desc)?;
    let status = param(&query, "status")
        .map(|value| {
            DeliveryStatus::parse(value).ok_or_else(|| {
                ApiError::invalid_parameter(
                    "status",
                    "status must be `pending`, `delivered` or `failed`.",
                )
            })
        })
        .transpose()?;
    let event_id = param(&query, "event_id")
        .map(|value| {
            EventId::parse(value)
                .map_err(|error| ApiError::invalid_parameter("event_id", format!("{error}.")))
        })
        .transpose()?;
    let endpoint = param(&query, "endpoint_id").map(str::to_owned);
    let page = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let endpoint_id = endpoint
            .map(|id| find_visible(&mut conn, &scope, &id).map(|endpoint| endpoint.id))
            .transpose()?;
        let filter = DeliveryFilter {
            endpoint_id,
            event_id,
            status,
            organization: scope.organization().cloned(),
            limit: request.limit,
        };
        let page = deliveries::list_page(&mut conn, &filter, &request)?;
        Ok(page.map(|(delivery, attempts)| WebhookDeliveryObject::new(&delivery, &attempts)))
    })
    .await??;
    Ok(list_response(page))
}

/// Send one delivery again now, whatever became of it.
#[utoipa::path(
    post,
    path = "/webhook_deliveries/{id}/redeliver",
    operation_id = "redeliver_webhook_delivery",
    tag = "webhooks",
    params(("id" = String, Path, description = "`wd_…`")),
    responses(
        (status = 202, body = WebhookDeliveryObject),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn redeliver(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let events_written = context.events_written.clone();
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let missing = || ApiError::not_found("webhook delivery", &id);
        let parsed = WebhookDeliveryId::parse(&id).map_err(|_| missing())?;
        let (delivery, endpoint) = deliveries::find(&mut conn, &parsed)?.ok_or_else(missing)?;
        find_visible(&mut conn, &scope, endpoint.id.as_str()).map_err(|_| missing())?;
        let queued = deliveries::redeliver(&mut conn, &delivery.id, Timestamp::now())?
            .ok_or_else(missing)?;
        Ok(WebhookDeliveryObject::new(&queued, &[]))
    })
    .await??;
    events_written.notify_one();
    Ok(HttpResponse::Accepted().json(object))
}

/// Send an event again to every endpoint that wants it (those the key may see), with the same
/// event id, so receivers that already have it can tell.
#[utoipa::path(
    post,
    path = "/events/{id}/redeliver",
    operation_id = "redeliver_event",
    tag = "webhooks",
    params(("id" = String, Path, description = "`event_…`")),
    responses(
        (status = 202, body = RedeliveryObject),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn redeliver_event(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let events_written = context.events_written.clone();
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let missing = || ApiError::not_found("event", &id);
        let event = EventId::parse(&id).map_err(|_| missing())?;
        let visible = events::find(&mut conn, &event)?
            .is_some_and(|found| scope.sees(&found.organization_id));
        if !visible {
            return Err(missing());
        }
        let queued = deliveries::redeliver_event(
            &mut conn,
            &event,
            endpoint_scope(&scope),
            Timestamp::now(),
        )?
        .ok_or_else(missing)?;
        Ok(RedeliveryObject::new(&queued))
    })
    .await??;
    events_written.notify_one();
    Ok(HttpResponse::Accepted().json(object))
}

/// `POST /webhook_deliveries/redeliver_failed`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RedeliverFailed {
    /// ISO 8601: failed deliveries of events created at or after this time.
    #[schema(value_type = String, required = true, format = DateTime)]
    since: Option<String>,
    /// Only this endpoint's.
    endpoint_id: Option<String>,
}

/// Send again every failed delivery of the events created since a time — after a
/// receiver's outage, say.
#[utoipa::path(
    post,
    path = "/webhook_deliveries/redeliver_failed",
    operation_id = "redeliver_failed_webhook_deliveries",
    tag = "webhooks",
    request_body = RedeliverFailed,
    responses(
        (status = 202, body = RedeliveryObject),
        (status = 404, body = crate::error::ErrorBody, description = "No such endpoint."),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn redeliver_failed(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    payload: Bytes,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let request: RedeliverFailed = body::json(&payload)?;
    let since = request
        .since
        .as_deref()
        .ok_or_else(|| ApiError::invalid_parameter("since", "since is required."))
        .and_then(|since| parse_timestamp("since", since))?;
    let events_written = context.events_written.clone();
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let endpoint = request
            .endpoint_id
            .map(|id| find_visible(&mut conn, &scope, &id))
            .transpose()?;
        let endpoints = match &endpoint {
            Some(endpoint) => EndpointScope::Endpoint(&endpoint.id),
            None => endpoint_scope(&scope),
        };
        let queued =
            deliveries::redeliver_failed_since(&mut conn, since, endpoints, Timestamp::now())?;
        Ok(RedeliveryObject::new(&queued))
    })
    .await??;
    events_written.notify_one();
    Ok(HttpResponse::Accepted().json(object))
}
