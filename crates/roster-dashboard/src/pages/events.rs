//! Events: the most recent first, filterable by type and organization, each with its JSON.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::{EventId, EventType};
use roster_store::events::{self, EventListFilter};
use serde::Deserialize;
use serde_json::{Value, json};

use super::choices::{organization_choices, organization_names};
use super::{page, when};
use crate::paging::{Cursor, cursor_links};
use crate::session::AdminSession;
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/events").get(list))
        .service(web::resource("/events/{id}").get(show));
}

#[derive(Deserialize)]
struct EventQuery {
    #[serde(rename = "type")]
    event_type: Option<String>,
    organization: Option<String>,
    #[serde(flatten)]
    cursor: Cursor,
}

async fn list(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, DashboardError> {
    let event_type = query.event_type.as_deref().and_then(EventType::parse);
    let organization = query
        .organization
        .clone()
        .filter(|organization| !organization.is_empty());
    let page_request = query.cursor.request();
    let wanted = organization.clone();
    let (found, names, choices) = context
        .run(move |conn| {
            let filter = EventListFilter {
                organization: wanted.as_deref(),
                types: event_type.into_iter().collect(),
                ..EventListFilter::default()
            };
            let found = events::list_page(conn, &filter, &page_request)?;
            let names =
                organization_names(conn, found.items.iter().map(|event| &event.organization_id))?;
            Ok((found, names, organization_choices(conn)?))
        })
        .await?;
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let rows: Vec<Value> = found
        .items
        .iter()
        .map(|event| {
            json!({
                "id": event.id,
                "type": event.event_type.as_str(),
                "organization": name_of(event.organization_id.as_str()),
                "directory_id": event.directory_id,
                "subject": subject(&event.data),
                "at": when(event.created_at),
            })
        })
        .collect();
    let type_text = event_type.map(EventType::as_str).unwrap_or_default();
    let organization_text = organization.unwrap_or_default();
    let links = cursor_links(
        &found,
        "/dashboard/events",
        &[("type", type_text), ("organization", &organization_text)],
    );
    page(
        &context,
        &request,
        &session,
        "events/list.html",
        "events",
        json!({
            "events": rows,
            "types": EventType::ALL.map(EventType::as_str),
            "type": type_text,
            "organizations": choices,
            "organization": organization_text,
            "pages": links,
        }),
    )
}

/// What an event is about, in a few words: the user's email, the group's or directory's name.
fn subject(data: &Value) -> String {
    let text = |key: &str| data.get(key).and_then(Value::as_str).map(str::to_owned);
    if let (Some(user), Some(group)) = (data.get("user"), data.get("group")) {
        let email = user
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or("a user");
        let name = group
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("a group");
        return format!("{email} → {name}");
    }
    text("email")
        .or_else(|| text("name"))
        .or_else(|| text("id"))
        .unwrap_or_default()
}

async fn show(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let id = EventId::parse(&id).map_err(|_| DashboardError::NotFound)?;
    let event = context
        .run(move |conn| Ok(events::find(conn, &id)?))
        .await?
        .ok_or(DashboardError::NotFound)?;
    page(
        &context,
        &request,
        &session,
        "events/show.html",
        "events",
        json!({
            "event": {
                "id": event.id,
                "type": event.event_type.as_str(),
                "organization_id": event.organization_id,
                "directory_id": event.directory_id,
                "sequence": event.sequence,
                "at": when(event.created_at),
                "json": serde_json::to_string_pretty(&event.to_json()).unwrap_or_default(),
            },
        }),
    )
}
