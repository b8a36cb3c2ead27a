//! An endpoint's page: its settings and its deliveries with every attempt; redelivery.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::id::WebhookDeliveryId;
use roster_store::deliveries::{self, DeliveryFilter, DeliveryStatus, EndpointScope};
use roster_store::webhooks;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{endpoint_json, name_in, names_of, parse_endpoint};
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::pages::{page, when, when_or_never};
use crate::paging::{Cursor, cursor_links};
use crate::session::{AdminSession, redirect_with};
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/webhooks/redeliver-failed").post(redeliver_failed))
        .service(web::resource("/webhooks/{id}").get(show))
        .service(web::resource("/webhooks/{id}/redeliver").post(redeliver));
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

#[derive(Deserialize)]
struct Nothing {}

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
