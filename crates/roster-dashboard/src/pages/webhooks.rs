//! Webhook endpoints: list, create (secret shown once), enable/disable, rotate the secret,
//! delete; an endpoint's deliveries with their attempts, and redelivery.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::EventType;
use roster_core::id::{WebhookDeliveryId, WebhookEndpointId};
use roster_events::admin::{self, AdminError};
use roster_store::AnyConnection;
use roster_store::deliveries::{self, DeliveryFilter, DeliveryStatus, EndpointScope};
use roster_store::webhooks::{self, WebhookEndpoint};
use serde::Deserialize;
use serde_json::{Value, json};

use super::choices::{organization_choices, organization_names};
use super::{page, when, when_or_never};
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::paging::{Cursor, cursor_links};
use crate::session::{AdminSession, redirect_with};
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/webhooks").get(list).post(create))
        .service(web::resource("/webhooks/new").get(new))
        .service(web::resource("/webhooks/redeliver-failed").post(redeliver_failed))
        .service(web::resource("/webhooks/{id}").get(show))
        .service(web::resource("/webhooks/{id}/edit").get(edit).post(update))
        .service(web::resource("/webhooks/{id}/enable").post(enable))
        .service(web::resource("/webhooks/{id}/disable").post(disable))
        .service(web::resource("/webhooks/{id}/rotate-secret").post(rotate_secret))
        .service(web::resource("/webhooks/{id}/delete").post(delete))
        .service(web::resource("/webhooks/{id}/redeliver").post(redeliver));
}

fn admin_error(error: AdminError) -> DashboardError {
    match error {
        AdminError::Invalid(message) => DashboardError::BadRequest(message),
        AdminError::NotFound(_) => DashboardError::NotFound,
        AdminError::Query(error) => error.into(),
    }
}

fn endpoint_json(endpoint: &WebhookEndpoint, organization_name: Option<String>) -> Value {
    json!({
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.event_types.iter().map(|kind| kind.as_str()).collect::<Vec<_>>(),
        "organization": organization_name,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since.map(when),
        "secret_overlap_until": endpoint.previous_secret_expires_at.map(when),
        "created_at": when(endpoint.created_at),
    })
}

/// The names of the organizations the endpoints are limited to.
fn names_of(
    conn: &mut AnyConnection,
    endpoints: &[&WebhookEndpoint],
) -> Result<BTreeMap<String, String>, DashboardError> {
    organization_names(
        conn,
        endpoints
            .iter()
            .filter_map(|endpoint| endpoint.organization_id.as_ref()),
    )
}

fn name_in(
    names: &BTreeMap<String, String>,
    id: Option<&roster_core::OrganizationId>,
) -> Option<String> {
    id.map(|id| {
        names
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| id.to_string())
    })
}

async fn list(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
) -> Result<HttpResponse, DashboardError> {
    let (endpoints, names, failed) = context
        .run(|conn| {
            let failed = deliveries::list(
                conn,
                &DeliveryFilter {
                    status: Some(DeliveryStatus::Failed),
                    limit: 1,
                    ..DeliveryFilter::default()
                },
            )?;
            let endpoints = webhooks::list(conn)?;
            let names = names_of(conn, &endpoints.iter().collect::<Vec<_>>())?;
            Ok((endpoints, names, !failed.is_empty()))
        })
        .await?;
    let rows: Vec<Value> = endpoints
        .iter()
        .map(|endpoint| endpoint_json(endpoint, name_in(&names, endpoint.organization_id.as_ref())))
        .collect();
    page(
        &context,
        &request,
        &session,
        "webhooks/list.html",
        "webhooks",
        json!({"endpoints": rows, "any_failed": failed}),
    )
}

fn form_values(choices: Value, error: Option<String>, url: &str) -> Value {
    json!({
        "types": EventType::ALL.map(EventType::as_str),
        "organizations": choices,
        "error": error,
        "url": url,
    })
}

async fn new(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
) -> Result<HttpResponse, DashboardError> {
    let choices = context.run(organization_choices).await?;
    page(
        &context,
        &request,
        &session,
        "webhooks/form.html",
        "webhooks",
        form_values(choices, None, ""),
    )
}

async fn create(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    form: AdminForm<Vec<(String, String)>>,
) -> Result<HttpResponse, DashboardError> {
    let field = |name: &str| {
        form.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default()
    };
    let endpoint_url = field("url");
    let organization = field("organization");
    let events: Vec<&str> = form
        .fields
        .iter()
        .filter(|(key, _)| key == "events")
        .map(|(_, value)| value.as_str())
        .collect();
    let events = events.join(",");
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let target = endpoint_url.clone();
    let created = context
        .run(move |conn| {
            let created = admin::create_endpoint(
                conn,
                &target,
                (!events.is_empty()).then_some(events.as_str()),
                (!organization.is_empty()).then_some(organization.as_str()),
            );
            let created = match created {
                Ok(created) => created,
                Err(AdminError::Invalid(message)) => return Ok(Err(message)),
                Err(error) => return Err(admin_error(error)),
            };
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "webhook_endpoint.created",
                    target: created["id"].as_str(),
                    organization: created["organization_id"].as_str(),
                    details: json!({"url": created["url"], "events": created["events"]}),
                },
                now,
            )?;
            Ok(Ok(created))
        })
        .await?;
    match created {
        Ok(created) => page(
            &context,
            &request,
            &form.session,
            "webhooks/show.html",
            "webhooks",
            json!({
                "secret": created["secret"],
                "endpoint": {"id": created["id"], "url": created["url"], "events": created["events"],
                             "enabled": true, "organization": created["organization_id"]},
                "deliveries": [],
                "status": "",
                "pages": {"newer": null, "older": null},
            }),
        ),
        Err(error) => {
            let choices = context.run(organization_choices).await?;
            page(
                &context,
                &request,
                &form.session,
                "webhooks/form.html",
                "webhooks",
                form_values(choices, Some(error), &endpoint_url),
            )
        }
    }
}

fn parse_endpoint(id: &str) -> Result<WebhookEndpointId, DashboardError> {
    WebhookEndpointId::parse(id).map_err(|_| DashboardError::NotFound)
}

#[derive(Deserialize)]
struct DeliveryQuery {
    status: Option<String>,
    #[serde(flatten)]
    cursor: Cursor,
}

async fn show(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_endpoint(&id)?;
    let status = query.status.as_deref().and_then(DeliveryStatus::parse);
    let page_request = query.cursor.request();
    let (endpoint, names, found) = context
        .run(move |conn| {
            let endpoint = webhooks::find(conn, &id)?.ok_or(DashboardError::NotFound)?;
            let found = deliveries::list_page(
                conn,
                &DeliveryFilter {
                    endpoint_id: Some(id),
                    status,
                    ..DeliveryFilter::default()
                },
                &page_request,
            )?;
            let names = names_of(conn, &[&endpoint])?;
            Ok((endpoint, names, found))
        })
        .await?;
    let status_text = status.map(DeliveryStatus::as_str).unwrap_or_default();
    let rows: Vec<Value> = found
        .items
        .iter()
        .map(|(delivery, attempts)| {
            json!({
                "id": delivery.id,
                "event_id": delivery.event_id,
                "status": delivery.status.as_str(),
                "attempts": delivery.attempts,
                "next_attempt_at": (delivery.status == DeliveryStatus::Pending).then(|| when(delivery.next_attempt_at)),
                "last_attempt_at": when_or_never(delivery.last_attempt_at),
                "attempt_log": attempts.iter().map(|attempt| json!({
                    "attempt": attempt.attempt,
                    "at": when(attempt.started_at),
                    "duration_ms": attempt.duration_ms,
                    "status_code": attempt.status_code,
                    "error": attempt.error,
                    "response_body": attempt.response_body,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let path = format!("/dashboard/webhooks/{}", endpoint.id);
    let links = cursor_links(&found, &path, &[("status", status_text)]);
    let organization = name_in(&names, endpoint.organization_id.as_ref());
    page(
        &context,
        &request,
        &session,
        "webhooks/show.html",
        "webhooks",
        json!({
            "secret": null,
            "endpoint": endpoint_json(&endpoint, organization),
            "deliveries": rows,
            "status": status_text,
            "pages": links,
        }),
    )
}

fn edit_values(endpoint: &WebhookEndpoint, error: Option<String>) -> Value {
    json!({
        "endpoint": {"id": endpoint.id, "url": endpoint.url,
                     "events": endpoint.event_types.iter().map(|kind| kind.as_str()).collect::<Vec<_>>()},
        "types": EventType::ALL.map(EventType::as_str),
        "error": error,
    })
}

async fn edit(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_endpoint(&id)?;
    let endpoint = context
        .run(move |conn| Ok(webhooks::find(conn, &id)?))
        .await?
        .ok_or(DashboardError::NotFound)?;
    page(
        &context,
        &request,
        &session,
        "webhooks/edit.html",
        "webhooks",
        edit_values(&endpoint, None),
    )
}

async fn update(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: AdminForm<Vec<(String, String)>>,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_endpoint(&id)?;
    let url = form
        .fields
        .iter()
        .find(|(key, _)| key == "url")
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    let events: Vec<&str> = form
        .fields
        .iter()
        .filter(|(key, _)| key == "events")
        .map(|(_, value)| value.as_str())
        .collect();
    let checked = admin::validate_url(&url)
        .and_then(|url| admin::parse_event_types(&events.join(",")).map(|types| (url, types)));
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let updated = context
        .run(move |conn| {
            let endpoint = webhooks::find(conn, &id)?.ok_or(DashboardError::NotFound)?;
            let (url, types) = match checked {
                Ok(valid) => valid,
                Err(AdminError::Invalid(message)) => return Ok(Err((endpoint, message))),
                Err(error) => return Err(admin_error(error)),
            };
            let changed = webhooks::update_target(conn, &id, Some(&url), Some(&types))?
                .ok_or(DashboardError::NotFound)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "webhook_endpoint.updated",
                    target: Some(id.as_str()),
                    organization: changed.organization_id.as_ref().map(|id| id.as_str()),
                    details: json!({"url": changed.url,
                        "events": changed.event_types.iter().map(|kind| kind.as_str()).collect::<Vec<_>>()}),
                },
                now,
            )?;
            Ok(Ok(changed))
        })
        .await?;
    match updated {
        Ok(changed) => Ok(redirect_with(
            &format!("/dashboard/webhooks/{}", changed.id),
            "Endpoint saved.",
        )),
        Err((endpoint, error)) => page(
            &context,
            &request,
            &form.session,
            "webhooks/edit.html",
            "webhooks",
            edit_values(&endpoint, Some(error)),
        ),
    }
}

#[derive(Deserialize)]
struct Nothing {}

/// Runs one endpoint action, records it, and goes back to the endpoint's page.
async fn act(
    context: &DashboardContext,
    session: &AdminSession,
    id: &str,
    action: &'static str,
    done: &'static str,
    work: impl FnOnce(&mut AnyConnection, &str) -> Result<Value, AdminError> + Send + 'static,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_endpoint(id)?;
    let actor = session.admin.email.clone();
    let now = context.now();
    let target = id.to_string();
    context
        .run(move |conn| {
            let result = work(conn, &target).map_err(admin_error)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action,
                    target: Some(&target),
                    organization: result["organization_id"].as_str(),
                    details: json!({"url": result["url"]}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    context.events_written.notify_one();
    Ok(redirect_with(&format!("/dashboard/webhooks/{id}"), done))
}

async fn enable(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    act(
        &context,
        &form.session,
        &id,
        "webhook_endpoint.enabled",
        "Endpoint enabled: its waiting deliveries resume.",
        |conn, id| admin::set_enabled(conn, id, true),
    )
    .await
}

async fn disable(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    act(
        &context,
        &form.session,
        &id,
        "webhook_endpoint.disabled",
        "Endpoint disabled: its deliveries wait until it is enabled.",
        |conn, id| admin::set_enabled(conn, id, false),
    )
    .await
}

#[derive(Deserialize)]
struct RotateFields {
    overlap_hours: Option<String>,
}

async fn rotate_secret(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: AdminForm<RotateFields>,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_endpoint(&id)?;
    let overlap_hours: u32 = form
        .fields
        .overlap_hours
        .as_deref()
        .and_then(|hours| hours.trim().parse().ok())
        .unwrap_or(24)
        .min(24 * 7);
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let (rotated, names) = context
        .run(move |conn| {
            let rotated =
                admin::rotate_secret(conn, id.as_str(), overlap_hours, now).map_err(admin_error)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "webhook_endpoint.secret_rotated",
                    target: Some(id.as_str()),
                    organization: rotated["organization_id"].as_str(),
                    details: json!({"overlap_hours": overlap_hours}),
                },
                now,
            )?;
            let endpoint = webhooks::find(conn, &id)?.ok_or(DashboardError::NotFound)?;
            let names = names_of(conn, &[&endpoint])?;
            Ok((endpoint, names))
        })
        .await?;
    let organization = name_in(&names, rotated.organization_id.as_ref());
    page(
        &context,
        &request,
        &form.session,
        "webhooks/show.html",
        "webhooks",
        json!({
            "secret": rotated.secret.expose(),
            "endpoint": endpoint_json(&rotated, organization),
            "deliveries": [],
            "status": "",
            "pages": {"newer": null, "older": null},
        }),
    )
}

async fn delete(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_endpoint(&id)?;
    let actor = form.session.admin.email.clone();
    let now = context.now();
    context
        .run(move |conn| {
            let endpoint = webhooks::find(conn, &id)?.ok_or(DashboardError::NotFound)?;
            admin::delete_endpoint(conn, id.as_str()).map_err(admin_error)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "webhook_endpoint.deleted",
                    target: Some(id.as_str()),
                    organization: endpoint.organization_id.as_ref().map(|id| id.as_str()),
                    details: json!({"url": endpoint.url}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    Ok(redirect_with(
        "/dashboard/webhooks",
        "Endpoint deleted with its deliveries.",
    ))
}

#[derive(Deserialize)]
struct RedeliverFields {
    delivery_id: String,
}

async fn redeliver(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: AdminForm<RedeliverFields>,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_endpoint(&id)?;
    let delivery = WebhookDeliveryId::parse(form.fields.delivery_id.trim())
        .map_err(|_| DashboardError::NotFound)?;
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let endpoint = id.clone();
    context
        .run(move |conn| {
            // Only a delivery of the endpoint whose page this is.
            let (found, _) = deliveries::find(conn, &delivery)?
                .filter(|(found, _)| found.endpoint_id == endpoint)
                .ok_or(DashboardError::NotFound)?;
            deliveries::redeliver(conn, &delivery, now)?.ok_or(DashboardError::NotFound)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "webhook_delivery.redelivered",
                    target: Some(delivery.as_str()),
                    organization: None,
                    details: json!({"event_id": found.event_id, "endpoint_id": endpoint}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    context.events_written.notify_one();
    Ok(redirect_with(
        &format!("/dashboard/webhooks/{id}"),
        "Delivery queued again, with the same event id.",
    ))
}

async fn redeliver_failed(
    context: web::Data<DashboardContext>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let queued = context
        .run(move |conn| {
            let queued = deliveries::redeliver_failed_since(
                conn,
                roster_core::Timestamp::from_millis(0),
                EndpointScope::All,
                now,
            )?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "webhook_delivery.redelivered_failed",
                    target: None,
                    organization: None,
                    details: json!({"queued": queued.len()}),
                },
                now,
            )?;
            Ok(queued.len())
        })
        .await?;
    context.events_written.notify_one();
    Ok(redirect_with(
        "/dashboard/webhooks",
        &format!(
            "{queued} failed deliver{} queued again.",
            if queued == 1 { "y" } else { "ies" }
        ),
    ))
}
