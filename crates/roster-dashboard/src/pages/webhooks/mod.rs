//! Webhook endpoints: list, create (secret shown once), edit. An endpoint's page with its
//! deliveries is in `delivery_log`, the buttons that act on an endpoint in `actions`.

mod actions;
mod delivery_log;

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::EventType;
use roster_core::id::WebhookEndpointId;
use roster_events::admin::{self, AdminError};
use roster_store::AnyConnection;
use roster_store::deliveries::{self, DeliveryFilter, DeliveryStatus};
use roster_store::webhooks::{self, WebhookEndpoint};
use serde_json::{Value, json};

use super::choices::{organization_choices, organization_names};
use super::{page, when};
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::paging::{Cursor, cursor_links};
use crate::session::{AdminSession, redirect_with};
use crate::{DashboardContext, DashboardError};
pub(super) fn configure(config: &mut web::ServiceConfig) {
    // `/webhooks/new` before `/webhooks/{id}`, which would take it for an id.
    config
        .service(web::resource("/webhooks").get(list).post(create))
        .service(web::resource("/webhooks/new").get(new))
        .service(web::resource("/webhooks/{id}/edit").get(edit).post(update))
        .configure(delivery_log::configure)
        .configure(actions::configure);
}

pub(super) fn admin_error(error: AdminError) -> DashboardError {
    match error {
        AdminError::Invalid(message) => DashboardError::BadRequest(message),
        AdminError::NotFound(_) => DashboardError::NotFound,
        AdminError::Query(error) => error.into(),
    }
}

pub(super) fn endpoint_json(
    endpoint: &WebhookEndpoint,
    organization_name: Option<String>,
) -> Value {
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
pub(super) fn names_of(
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

pub(super) fn name_in(
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
    query: web::Query<Cursor>,
) -> Result<HttpResponse, DashboardError> {
    let page_request = query.request();
    let (found, names, failed) = context
        .run(move |conn| {
            let failed = deliveries::list(
                conn,
                &DeliveryFilter {
                    status: Some(DeliveryStatus::Failed),
                    limit: 1,
                    ..DeliveryFilter::default()
                },
            )?;
            let found = webhooks::list_page(conn, None, &page_request)?;
            let names = names_of(conn, &found.items.iter().collect::<Vec<_>>())?;
            Ok((found, names, !failed.is_empty()))
        })
        .await?;
    let rows: Vec<Value> = found
        .items
        .iter()
        .map(|endpoint| endpoint_json(endpoint, name_in(&names, endpoint.organization_id.as_ref())))
        .collect();
    let pages = cursor_links(&found, "/dashboard/webhooks", &[]);
    page(
        &context,
        &request,
        &session,
        "webhooks/list.html",
        "webhooks",
        json!({"endpoints": rows, "any_failed": failed, "pages": pages}),
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
        Ok(created) => outcome_page(
            &context,
            &request,
            &form.session,
            json!({"id": created["id"], "url": created["url"], "events": created["events"],
                   "enabled": true, "organization": created["organization_id"]}),
            created["secret"].clone(),
            Value::Null,
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

/// An endpoint's page with the outcome of one action in place of its deliveries: the secret
/// just made, or what a test event met.
pub(super) fn outcome_page(
    context: &DashboardContext,
    request: &HttpRequest,
    session: &AdminSession,
    endpoint: Value,
    secret: Value,
    test: Value,
) -> Result<HttpResponse, DashboardError> {
    page(
        context,
        request,
        session,
        "webhooks/show.html",
        "webhooks",
        json!({
            "secret": secret,
            "test": test,
            "endpoint": endpoint,
            "deliveries": [],
            "status": "",
            "pages": {"newer": null, "older": null},
        }),
    )
}

pub(super) fn parse_endpoint(id: &str) -> Result<WebhookEndpointId, DashboardError> {
    WebhookEndpointId::parse(id).map_err(|_| DashboardError::NotFound)
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
