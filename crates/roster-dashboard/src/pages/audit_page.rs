//! The audit log page: every action, newest first, filterable by kind of object and by actor.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_store::audit_log::{self, AuditFilter};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{page, when};
use crate::paging::{Cursor, cursor_links};
use crate::session::AdminSession;
use crate::{DashboardContext, DashboardError};

/// The kinds of object actions are filtered by (the part of an action before the dot).
const KINDS: [&str; 7] = [
    "admin",
    "organization",
    "directory",
    "portal",
    "webhook_endpoint",
    "webhook_delivery",
    "api_key",
];

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/audit").get(list));
}

#[derive(Deserialize)]
struct AuditQuery {
    kind: Option<String>,
    actor: Option<String>,
    #[serde(flatten)]
    cursor: Cursor,
}

/// `key: value · key: value`, strings without their quotes.
fn readable(details: &Value) -> String {
    let Some(fields) = details.as_object() else {
        return details.to_string();
    };
    fields
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| match value {
            Value::String(text) => format!("{key}: {text}"),
            Value::Array(items) if items.is_empty() => format!("{key}: all"),
            other => format!("{key}: {other}"),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

async fn list(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, DashboardError> {
    let kind = query
        .kind
        .clone()
        .filter(|kind| KINDS.contains(&kind.as_str()))
        .unwrap_or_default();
    let actor = query.actor.clone().unwrap_or_default().trim().to_owned();
    let page_request = query.cursor.request();
    let (prefix, wanted_actor) = (format!("{kind}."), actor.clone());
    let filter_kind = !kind.is_empty();
    let found = context
        .run(move |conn| {
            let filter = AuditFilter {
                action_prefix: filter_kind.then_some(prefix.as_str()),
                actor: (!wanted_actor.is_empty()).then_some(wanted_actor.as_str()),
            };
            Ok(audit_log::list_page(conn, &filter, &page_request)?)
        })
        .await?;
    let rows: Vec<Value> = found
        .items
        .iter()
        .map(|entry| {
            json!({
                "actor": entry.actor,
                "action": entry.action,
                "target": entry.target,
                "organization_id": entry.organization_id,
                "details": readable(&entry.details),
                "at": when(entry.created_at),
            })
        })
        .collect();
    let links = cursor_links(
        &found,
        "/dashboard/audit",
        &[("kind", &kind), ("actor", &actor)],
    );
    page(
        &context,
        &request,
        &session,
        "audit.html",
        "audit",
        json!({"entries": rows, "kinds": KINDS, "kind": kind, "actor": actor, "pages": links}),
    )
}
