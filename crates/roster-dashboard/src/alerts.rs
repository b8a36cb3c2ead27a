//! Things that need an administrator: an email when the dispatcher disables a webhook
//! endpoint, and about directories gone silent an email and the dashboard's notice.

use std::sync::Arc;

use roster_core::{DirectoryId, Timestamp};
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

/// A directory as the silence notices show it (`id`, `name`, `organization`,
/// `last_request_at`), with its stored row; `None` if it was deleted meanwhile.
fn silent_directory(
    conn: &mut AnyConnection,
    id: &str,
) -> QueryResult<Option<(directories::Directory, Value)>> {
    let Ok(id) = DirectoryId::parse(id) else {
        return Ok(None);
    };
    let Some(directory) = directories::find(conn, &id)? else {
        return Ok(None);
    };
    let organization = organizations::find(conn, &directory.organization_id)?
        .map_or_else(|| directory.organization_id.to_string(), |found| found.name);
    let shown = json!({
        "id": directory.id,
        "name": directory.name,
        "organization": organization,
        "last_request_at": crate::pages::when_or_never(directory.last_request_at),
    });
    Ok(Some((directory, shown)))
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
        if let Some((_, mut shown)) = silent_directory(conn, id)? {
            shown["silent_since"] = json!(crate::pages::when(*since));
            listed.push(shown);
        }
    }
    Ok((listed, silent.len()))
}

/// Records in the audit log that each directory named (`directory_…`, as the silence check
/// returns them) went silent, and emails every administrator one message listing them.
/// Directories deleted meanwhile are left out; returns how many were listed.
pub async fn directories_silent(
    store: &Store,
    mailer: &Mailer,
    public_url: &str,
    directory_ids: Vec<String>,
) -> Result<usize, String> {
    let (store, public_url) = (store.clone(), public_url.to_owned());
    let (listed, recipients) = tokio::task::spawn_blocking(move || {
        let mut conn = store.connection().map_err(|error| error.to_string())?;
        let conn = &mut *conn;
        let mut listed: Vec<Value> = Vec::new();
        for id in directory_ids {
            let Some((directory, mut shown)) =
                silent_directory(conn, &id).map_err(|error| error.to_string())?
            else {
                continue;
            };
            audit::record(
                conn,
                Action {
                    actor: "roster",
                    action: "directory.silent",
                    target: Some(directory.id.as_str()),
                    organization: Some(directory.organization_id.as_str()),
                    details: json!({"last_request_at": shown["last_request_at"]}),
                },
                Timestamp::now(),
            )
            .map_err(|error| error.to_string())?;
            shown["url"] = json!(format!(
                "{public_url}/dashboard/directories/{}",
                directory.id
            ));
            listed.push(shown);
        }
        let recipients: Vec<String> = admins::list(conn)
            .map_err(|error| error.to_string())?
            .into_iter()
            .map(|admin| admin.email)
            .collect();
        Ok::<_, String>((listed, recipients))
    })
    .await
    .map_err(|error| error.to_string())??;
    if listed.is_empty() {
        return Ok(0);
    }
    let context = json!({"directories": listed});
    for recipient in &recipients {
        if let Err(error) = mailer
            .send(recipient, Template::DirectoriesSilent, &context)
            .await
        {
            tracing::warn!(to = %recipient, %error, "silent-directory email not sent");
        }
    }
    Ok(listed.len())
}
