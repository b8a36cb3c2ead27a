//! `/webhook_endpoints`: WorkOS's list, create, update (PATCH) and delete, and secret
//! rotation. The signing secret is in the answer that created or rotated it, and nowhere else.
//! A key limited to one organization sees and manages only the endpoints limited to it, and
//! the endpoints it creates are limited to it.

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use roster_core::id::WebhookEndpointId;
use roster_core::{EventType, OrganizationId, Timestamp};
use roster_events::admin::{self, AdminError};
use roster_events::signing::generate_secret;
use roster_store::audit_log::{self, NewEntry};
use roster_store::page::Order;
use roster_store::webhooks::{self, NewEndpoint, WebhookEndpoint};
use roster_store::{AnyConnection, organizations};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::list::{ListOf, Query, list_response, page_request};
use crate::{ApiContext, ApiError, ApiKeyScope, body};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/webhook_endpoints").get(list).post(create))
        .service(
            web::resource("/webhook_endpoints/{id}")
                .get(read)
                .patch(update)
                .delete(remove),
        )
        .service(web::resource("/webhook_endpoints/{id}/rotate_secret").post(rotate_secret))
        .service(web::resource("/webhook_endpoints/{id}/test").post(send_test));
}

/// The longest a rotated-out secret may keep signing.
const MAX_OVERLAP_HOURS: u32 = 720;
/// How long a rotated-out secret keeps signing when the request doesn't say.
const DEFAULT_OVERLAP_HOURS: u32 = 24;

/// A URL that receives events, signed with its secret.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookEndpointObject {
    /// Always `webhook_endpoint`.
    #[schema(example = "webhook_endpoint")]
    object: &'static str,
    /// `we_…`
    id: String,
    /// Where deliveries are POSTed.
    endpoint_url: String,
    /// The signing secret (`whsec_…`), only in the answer that created or rotated it; null
    /// otherwise.
    secret: Option<String>,
    /// `enabled` or `disabled`.
    #[schema(example = "enabled")]
    status: &'static str,
    /// The event types it receives; empty means every type.
    events: Vec<EventType>,
    /// Only this organization's events when set.
    organization_id: Option<String>,
    /// Why it is disabled, when it is (by an administrator, or after failing too long).
    disabled_reason: Option<String>,
    /// When its current run of failed deliveries began.
    #[schema(format = DateTime)]
    failing_since: Option<String>,
    /// Until when the secret before the last rotation also signs `webhook-signature`.
    #[schema(format = DateTime)]
    previous_secret_expires_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl WebhookEndpointObject {
    fn new(endpoint: &WebhookEndpoint, with_secret: bool) -> Self {
        WebhookEndpointObject {
            object: "webhook_endpoint",
            id: endpoint.id.to_string(),
            endpoint_url: endpoint.url.clone(),
            secret: with_secret.then(|| endpoint.secret.expose().to_owned()),
            status: if endpoint.enabled {
                "enabled"
            } else {
                "disabled"
            },
            events: endpoint.event_types.clone(),
            organization_id: endpoint.organization_id.as_ref().map(ToString::to_string),
            disabled_reason: endpoint.disabled_reason.clone(),
            failing_since: endpoint.failing_since.map(Timestamp::to_rfc3339),
            previous_secret_expires_at: endpoint
                .previous_secret_expires_at
                .map(Timestamp::to_rfc3339),
            created_at: endpoint.created_at.to_rfc3339(),
            updated_at: endpoint.updated_at.to_rfc3339(),
        }
    }
}

/// The endpoint `id` if it exists and the key may see it: a key limited to an organization
/// sees only endpoints limited to the same one.
pub(crate) fn find_visible(
    conn: &mut AnyConnection,
    scope: &ApiKeyScope,
    id: &str,
) -> Result<WebhookEndpoint, ApiError> {
    WebhookEndpointId::parse(id)
        .ok()
        .map(|parsed| webhooks::find(conn, &parsed))
        .transpose()?
        .flatten()
        .filter(|endpoint| match scope.organization() {
            None => true,
            Some(own) => endpoint.organization_id.as_ref() == Some(own),
        })
        .ok_or_else(|| ApiError::not_found("webhook endpoint", id))
}

fn invalid(param: &'static str, error: AdminError) -> ApiError {
    match error {
        AdminError::Invalid(message) | AdminError::NotFound(message) => {
            ApiError::invalid_parameter(param, format!("{message}."))
        }
        AdminError::Query(cause) => cause.into(),
    }
}

fn parse_events(events: Option<Vec<String>>) -> Result<Option<Vec<EventType>>, ApiError> {
    events
        .map(|names| admin::parse_event_types(&names.join(",")).map_err(|e| invalid("events", e)))
        .transpose()
}

/// List webhook endpoints.
#[utoipa::path(
    get,
    path = "/webhook_endpoints",
    operation_id = "list_webhook_endpoints",
    tag = "webhooks",
    params(crate::list::ListParameters),
    responses(
        (status = 200, body = ListOf<WebhookEndpointObject>),
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
    let page = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let page = webhooks::list_page(&mut conn, scope.organization(), &request)?;
        Ok(page.map(|endpoint| WebhookEndpointObject::new(&endpoint, false)))
    })
    .await??;
    Ok(list_response(page))
}

/// `POST /webhook_endpoints`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CreateWebhookEndpoint {
    /// An http(s) URL without a fragment; `url` is accepted too.
    #[serde(alias = "url")]
    #[schema(value_type = String, required = true, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(:[0-9]{1,4})?([/?][^#\s]*)?$")]
    endpoint_url: Option<String>,
    /// Event types to receive; absent or empty: every type.
    #[schema(schema_with = crate::schemas::event_types)]
    events: Option<Vec<String>>,
    /// Only this organization's events (a key limited to one organization always creates
    /// endpoints limited to it).
    organization_id: Option<String>,
}

/// Create a webhook endpoint; the answer carries its signing secret, the only time it can
/// be read.
#[utoipa::path(
    post,
    path = "/webhook_endpoints",
    operation_id = "create_webhook_endpoint",
    tag = "webhooks",
    request_body = CreateWebhookEndpoint,
    responses(
        (status = 201, body = WebhookEndpointObject),
        (status = 404, body = crate::error::ErrorBody, description = "No such organization, or not one the key may see."),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn create(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    payload: Bytes,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let request: CreateWebhookEndpoint = body::json(&payload)?;
    let url = request
        .endpoint_url
        .as_deref()
        .ok_or_else(|| ApiError::invalid_parameter("endpoint_url", "endpoint_url is required."))
        .and_then(|url| admin::validate_url(url).map_err(|e| invalid("endpoint_url", e)))?;
    let event_types = parse_events(request.events)?.unwrap_or_default();
    let organization = match (scope.organization(), request.organization_id) {
        (Some(own), Some(asked)) if own.as_str() != asked => {
            return Err(ApiError::not_found("organization", &asked));
        }
        (Some(own), _) => Some(own.clone()),
        (None, Some(asked)) => Some(
            OrganizationId::parse(&asked)
                .map_err(|_| ApiError::not_found("organization", &asked))?,
        ),
        (None, None) => None,
    };
    let endpoint = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        if let Some(organization) = &organization
            && !organizations::exists(&mut conn, organization)?
        {
            return Err(ApiError::not_found("organization", organization.as_str()));
        }
        Ok(webhooks::create(
            &mut conn,
            NewEndpoint {
                url,
                event_types,
                organization_id: organization,
                secret: generate_secret(),
            },
        )?)
    })
    .await??;
    Ok(HttpResponse::Created().json(WebhookEndpointObject::new(&endpoint, true)))
}

/// Get a webhook endpoint.
#[utoipa::path(
    get,
    path = "/webhook_endpoints/{id}",
    operation_id = "get_webhook_endpoint",
    tag = "webhooks",
    params(("id" = String, Path, description = "`we_…`")),
    responses(
        (status = 200, body = WebhookEndpointObject),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn read(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let endpoint = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        find_visible(&mut conn, &scope, &id)
    })
    .await??;
    Ok(HttpResponse::Ok().json(WebhookEndpointObject::new(&endpoint, false)))
}

/// `PATCH /webhook_endpoints/{id}`: only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateWebhookEndpoint {
    /// `url` is accepted too.
    #[serde(alias = "url")]
    #[schema(
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(:[0-9]{1,4})?([/?][^#\s]*)?$"
    )]
    endpoint_url: Option<String>,
    /// `enabled` or `disabled`. A disabled endpoint is not sent the events recorded while it
    /// is disabled (`POST /events/{id}/redeliver` sends one later); enabling clears its failure
    /// record and sends the deliveries that were pending when it was disabled.
    #[schema(pattern = "^(enabled|disabled)$")]
    status: Option<String>,
    /// The complete new list of event types; empty: every type.
    #[schema(schema_with = crate::schemas::event_types)]
    events: Option<Vec<String>>,
}

/// Update a webhook endpoint.
#[utoipa::path(
    patch,
    path = "/webhook_endpoints/{id}",
    operation_id = "update_webhook_endpoint",
    tag = "webhooks",
    params(("id" = String, Path, description = "`we_…`")),
    request_body = UpdateWebhookEndpoint,
    responses(
        (status = 200, body = WebhookEndpointObject),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn update(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
    payload: Bytes,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let request: UpdateWebhookEndpoint = body::json(&payload)?;
    let url = request
        .endpoint_url
        .as_deref()
        .map(|url| admin::validate_url(url).map_err(|e| invalid("endpoint_url", e)))
        .transpose()?;
    let event_types = parse_events(request.events)?;
    let enabled = request
        .status
        .as_deref()
        .map(|status| match status {
            "enabled" => Ok(true),
            "disabled" => Ok(false),
            _ => Err(ApiError::invalid_parameter(
                "status",
                "status must be `enabled` or `disabled`.",
            )),
        })
        .transpose()?;
    let events_written = context.events_written.clone();
    let endpoint = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let endpoint = find_visible(&mut conn, &scope, &id)?;
        conn.write_transaction(|conn| -> Result<_, ApiError> {
            webhooks::update_target(conn, &endpoint.id, url.as_deref(), event_types.as_deref())?;
            if let Some(enabled) = enabled {
                let reason = (!enabled).then_some("disabled by an administrator");
                webhooks::set_enabled(conn, &endpoint.id, enabled, reason)?;
            }
            webhooks::find(conn, &endpoint.id)?
                .ok_or_else(|| ApiError::not_found("webhook endpoint", &id))
        })
    })
    .await??;
    // An endpoint enabled again has deliveries waiting for the dispatcher.
    events_written.notify_one();
    Ok(HttpResponse::Ok().json(WebhookEndpointObject::new(&endpoint, false)))
}

/// Delete a webhook endpoint with its deliveries.
#[utoipa::path(
    delete,
    path = "/webhook_endpoints/{id}",
    operation_id = "delete_webhook_endpoint",
    tag = "webhooks",
    params(("id" = String, Path, description = "`we_…`")),
    responses(
        (status = 204),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn remove(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let endpoint = find_visible(&mut conn, &scope, &id)?;
        webhooks::delete(&mut conn, &endpoint.id)?;
        Ok(())
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /webhook_endpoints/{id}/rotate_secret`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RotateSecret {
    /// Hours (0 to 720, default 24) during which the old secret also signs
    /// `webhook-signature`, so receivers can switch without losing events; 0 ends it now.
    #[schema(value_type = Option<u32>, maximum = 720)]
    overlap_hours: Option<serde_json::Value>,
}

/// Replace an endpoint's signing secret; the answer carries the new one, the only time it
/// can be read.
#[utoipa::path(
    post,
    path = "/webhook_endpoints/{id}/rotate_secret",
    operation_id = "rotate_webhook_endpoint_secret",
    tag = "webhooks",
    params(("id" = String, Path, description = "`we_…`")),
    request_body = RotateSecret,
    responses(
        (status = 200, body = WebhookEndpointObject),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn rotate_secret(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
    payload: Bytes,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let request: RotateSecret = body::json(&payload)?;
    let overlap_hours = match &request.overlap_hours {
        None | Some(serde_json::Value::Null) => DEFAULT_OVERLAP_HOURS,
        Some(hours) => body::whole_number(hours)
            .and_then(|hours| u32::try_from(hours).ok())
            .filter(|hours| *hours <= MAX_OVERLAP_HOURS)
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "overlap_hours",
                    format!(
                        "overlap_hours must be a number of hours from 0 to {MAX_OVERLAP_HOURS}."
                    ),
                )
            })?,
    };
    let endpoint = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let endpoint = find_visible(&mut conn, &scope, &id)?;
        admin::rotate(&mut conn, &endpoint.id, overlap_hours, Timestamp::now())?
            .ok_or_else(|| ApiError::not_found("webhook endpoint", &id))
    })
    .await??;
    Ok(HttpResponse::Ok().json(WebhookEndpointObject::new(&endpoint, true)))
}

/// What a test event met at the endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WebhookTestObject {
    /// Always `webhook_endpoint_test`.
    #[schema(example = "webhook_endpoint_test")]
    object: &'static str,
    /// `we_…`
    endpoint_id: String,
    /// The event sent: a `dsync.user.created` for an example person, whose id starts with
    /// `event_test_`; the request's body was this, serialised compactly.
    #[schema(value_type = crate::events::EventObject)]
    event: serde_json::Value,
    /// Whether the receiver answered 2xx (what counts as delivered).
    delivered: bool,
    /// The receiver's HTTP status, if it answered.
    status_code: Option<u16>,
    /// The start of its answer (at most 1 KiB).
    response_body: Option<String>,
    /// Why there was no answer: refused connection, timeout, refused address…
    error: Option<String>,
    #[schema(format = DateTime)]
    started_at: String,
    duration_ms: i64,
}

/// Send a test event: one signed `dsync.user.created` for an example person (its id starts with
/// `event_test_`) is POSTed to the endpoint now, as deliveries are (both signatures, the same
/// address checks and timeout), enabled or not, and the answer says what the receiver did. It
/// is one attempt with no retries, recorded in no delivery list, and leaves the endpoint's
/// failure record alone.
#[utoipa::path(
    post,
    path = "/webhook_endpoints/{id}/test",
    operation_id = "send_webhook_endpoint_test",
    tag = "webhooks",
    params(("id" = String, Path, description = "`we_…`")),
    responses(
        (status = 200, body = WebhookTestObject, description = "Sent; `delivered` says whether the receiver accepted it."),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn send_test(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let actor = format!("api_key:{}", scope.key.id);
    let endpoint = {
        let context = context.clone();
        web::block(move || -> Result<_, ApiError> {
            let mut conn = context.store.connection()?;
            find_visible(&mut conn, &scope, &id)
        })
        .await??
    };
    let outcome = context.test_sender.send(&endpoint).await;
    let details = outcome.audit_details(&endpoint.url);
    let target = endpoint.id.clone();
    let organization = endpoint.organization_id.clone();
    let recorded = context.clone();
    web::block(move || -> Result<_, ApiError> {
        let mut conn = recorded.store.connection()?;
        audit_log::record(
            &mut conn,
            NewEntry {
                actor: &actor,
                action: "webhook_endpoint.test_sent",
                target: Some(target.as_str()),
                organization_id: organization.as_ref().map(|id| id.as_str()),
                details,
            },
            Timestamp::now(),
        )?;
        Ok(())
    })
    .await??;
    Ok(HttpResponse::Ok().json(WebhookTestObject {
        object: "webhook_endpoint_test",
        endpoint_id: endpoint.id.to_string(),
        delivered: outcome.succeeded(),
        status_code: outcome.status_code,
        duration_ms: outcome.duration_ms(),
        started_at: outcome.started_at.to_rfc3339(),
        response_body: outcome.response_body,
        error: outcome.error,
        event: outcome.event,
    }))
}
