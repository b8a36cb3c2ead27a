//! What the buttons on an endpoint's page do: enable, disable, rotate the secret, send a test
//! event, delete.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_events::admin::{self, AdminError};
use roster_store::AnyConnection;
use roster_store::webhooks;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{admin_error, endpoint_json, name_in, names_of, outcome_page, parse_endpoint};
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::session::{AdminSession, redirect_with};
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/webhooks/{id}/enable").post(enable))
        .service(web::resource("/webhooks/{id}/disable").post(disable))
        .service(web::resource("/webhooks/{id}/rotate-secret").post(rotate_secret))
        .service(web::resource("/webhooks/{id}/test").post(send_test))
        .service(web::resource("/webhooks/{id}/delete").post(delete));
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
    outcome_page(
        &context,
        &request,
        &form.session,
        endpoint_json(&rotated, organization),
        json!(rotated.secret.expose()),
        Value::Null,
    )
}

/// Sends the endpoint a test event now and shows what its receiver answered. The page is the
/// answer to the POST (like the secret after a rotation): the outcome belongs to this press of
/// the button, and the audit log keeps it.
async fn send_test(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_endpoint(&id)?;
    let (endpoint, names) = context
        .run(move |conn| {
            let endpoint = webhooks::find(conn, &id)?.ok_or(DashboardError::NotFound)?;
            let names = names_of(conn, &[&endpoint])?;
            Ok((endpoint, names))
        })
        .await?;
    let outcome = context.test_sender.send(&endpoint).await;
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let details = outcome.audit_details(&endpoint.url);
    let target = endpoint.id.clone();
    let organization = endpoint.organization_id.clone();
    context
        .run(move |conn| {
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "webhook_endpoint.test_sent",
                    target: Some(target.as_str()),
                    organization: organization.as_ref().map(|id| id.as_str()),
                    details,
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    let organization = name_in(&names, endpoint.organization_id.as_ref());
    outcome_page(
        &context,
        &request,
        &form.session,
        endpoint_json(&endpoint, organization),
        Value::Null,
        json!({
            "event_id": outcome.event_id(),
            "delivered": outcome.succeeded(),
            "summary": outcome.summary(),
            "response_body": outcome.response_body,
            "event": serde_json::to_string_pretty(&outcome.event).unwrap_or_default(),
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
