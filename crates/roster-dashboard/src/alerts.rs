//! Things that need an administrator: an email when the dispatcher disables a webhook
//! endpoint, and the dashboard's notice of directories gone silent.

use std::sync::Arc;

use roster_core::Timestamp;
use roster_events::dispatcher::EndpointDisabledHook;
use roster_mail::{Mailer, Template};
use roster_store::{AnyConnection, QueryResult, Store, admins, directories, health, organizations};
use serde_json::{Value, json};

use crate::audit::{self, Action};

/// A dispatcher hook that records the disabling in the audit log and emails every
/// administrator, without holding up the dispatcher.
pub fn endpoint_disabled(store: Store, mailer: Mailer, public_url: String) -> EndpointDisabledHook {
    Arc::new(move |endpoint, reason| {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(endpoint = %endpoint.id, "no runtime to send the endpoint-disabled email on");
            return;
        };
        let store = store.clone();
        let mailer = mailer.clone();
        let context = json!({
            "url": endpoint.url,
            "endpoint_id": endpoint.id,
            "reason": reason,
            "dashboard_url": format!("{public_url}/dashboard/webhooks/{}", endpoint.id),
        });
        let (id, organization) = (endpoint.id.to_string(), endpoint.organization_id.clone());
        runtime.spawn(async move {
            let recipients = tokio::task::spawn_blocking(move || {
                let mut conn = store.connection().map_err(|error| error.to_string())?;
                audit::record(
                    &mut conn,
                    Action {
                        actor: "roster",
                        action: "webhook_endpoint.auto_disabled",
                        target: Some(&id),
                        organization: organization.as_ref().map(|id| id.as_str()),
                        details: json!({"reason": context["reason"]}),
                    },
                    Timestamp::now(),
                )
                .map_err(|error| error.to_string())?;
                admins::list(&mut conn)
                    .map(|all| (all, context))
                    .map_err(|error| error.to_string())
            })
            .await;
            match recipients {
                Ok(Ok((all, context))) => {
                    for admin in all {
                        if let Err(error) = mailer.send(&admin.email, Template::EndpointDisabled, &context).await {
                            tracing::warn!(to = %admin.email, %error, "endpoint-disabled email not sent");
                        }
                    }
                }
                Ok(Err(error)) => tracing::warn!(%error, "cannot tell administrators about a disabled endpoint"),
                Err(error) => tracing::warn!(%error, "cannot tell administrators about a disabled endpoint"),
            }
        });
    })
}

/// Linked directories whose source has sent nothing for longer than
/// `ROSTER_DIRECTORY_SILENT_AFTER` (as the silence watch marks them), longest silent first, as
/// the dashboard's landing page lists them: at most `limit`, and how many there are in all.
pub(crate) fn silent_directories(
    conn: &mut AnyConnection,
    limit: usize,
) -> QueryResult<(Vec<Value>, usize)> {
    let silent = health::silent(conn)?;
    let mut listed = Vec::new();
    for (id, since) in silent.iter().take(limit) {
        let Ok(id) = roster_core::DirectoryId::parse(id) else {
            continue;
        };
        let Some(directory) = directories::find(conn, &id)? else {
            continue;
        };
        let organization = organizations::find(conn, &directory.organization_id)?
            .map_or_else(|| directory.organization_id.to_string(), |found| found.name);
        listed.push(json!({
            "id": directory.id,
            "name": directory.name,
            "organization": organization,
            "silent_since": crate::pages::when(*since),
            "last_request_at": crate::pages::when_or_never(directory.last_request_at),
        }));
    }
    Ok((listed, silent.len()))
}
