//! The daily summary: once a day, every administrator is emailed the directories whose
//! identity provider was refused (a wrong token, a request Roster could not accept) or met a
//! server error in the last 24 hours. Nothing is sent on a day without failures, and with
//! several instances on one database the first to get there sends it.

use std::collections::BTreeMap;
use std::time::Duration;

use roster_core::{DirectoryId, Timestamp};
use roster_mail::{Mailer, Template};
use roster_store::audit_log::{self, AuditFilter};
use roster_store::page::{Order, PageRequest};
use roster_store::{Store, admins, directories, organizations, request_log};
use serde_json::{Value, json};

use crate::audit::{self, Action};

/// Statuses that mean the identity provider's change did not land.
const FAILURES: [i64; 6] = [400, 401, 403, 500, 502, 503];
const DAY_MS: i64 = 24 * 3600 * 1000;
/// A summary sent less than this long ago (by this or another instance) is not sent again.
const RESEND_AFTER_MS: i64 = 20 * 3600 * 1000;
const SENT: &str = "summary.failing_directories_sent";

/// Sends the summary once a day, from a day after start, until the runtime stops.
pub async fn run(store: Store, mailer: Mailer, public_url: String) {
    let mut ticker = tokio::time::interval(Duration::from_millis(DAY_MS.unsigned_abs()));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        match send(&store, &mailer, &public_url, Timestamp::now()).await {
            Ok(0) => {}
            Ok(failing) => {
                tracing::info!(failing, "emailed the daily summary of failing directories")
            }
            Err(error) => tracing::warn!(%error, "daily summary not sent"),
        }
    }
}

/// What to send: the failing directories as the email lists them, and to whom.
struct Summary {
    directories: Vec<Value>,
    recipients: Vec<String>,
}

/// The summary of the 24 hours before `now`, or `None` when there is nothing to send.
fn failing(store: &Store, public_url: &str, now: Timestamp) -> Result<Option<Summary>, String> {
    let mut conn = store.connection().map_err(|error| error.to_string())?;
    let conn = &mut *conn;
    let last = audit_log::list_page(
        conn,
        &AuditFilter {
            action_prefix: Some(SENT),
            actor: None,
        },
        &PageRequest {
            limit: 1,
            before: None,
            after: None,
            order: Order::Desc,
        },
    )
    .map_err(|error| error.to_string())?;
    if last
        .items
        .first()
        .is_some_and(|entry| now.as_millis() - entry.created_at.as_millis() < RESEND_AFTER_MS)
    {
        return Ok(None);
    }
    let counts = request_log::count_since(
        conn,
        &FAILURES,
        Timestamp::from_millis(now.as_millis() - DAY_MS),
    )
    .map_err(|error| error.to_string())?;
    let mut listed = Vec::new();
    let mut organization_names: BTreeMap<String, String> = BTreeMap::new();
    for (directory, count) in counts {
        let Some(directory) = DirectoryId::parse(&directory)
            .ok()
            .map(|id| directories::find(conn, &id))
            .transpose()
            .map_err(|error| error.to_string())?
            .flatten()
        else {
            continue;
        };
        let organization = match organization_names.get(directory.organization_id.as_str()) {
            Some(name) => name.clone(),
            None => {
                let name = organizations::find(conn, &directory.organization_id)
                    .map_err(|error| error.to_string())?
                    .map_or_else(|| directory.organization_id.to_string(), |found| found.name);
                organization_names.insert(directory.organization_id.to_string(), name.clone());
                name
            }
        };
        listed.push(json!({
            "name": directory.name,
            "organization": organization,
            "problem": format!("{count} request{} refused or failed", if count == 1 { "" } else { "s" }),
            "url": format!("{public_url}/dashboard/directories/{}/requests", directory.id),
        }));
    }
    if listed.is_empty() {
        return Ok(None);
    }
    audit::record(
        conn,
        Action {
            actor: "roster",
            action: SENT,
            target: None,
            organization: None,
            details: json!({"directories": listed.len()}),
        },
        now,
    )
    .map_err(|error| error.to_string())?;
    let recipients = admins::list(conn)
        .map_err(|error| error.to_string())?
        .into_iter()
        .map(|admin| admin.email)
        .collect();
    Ok(Some(Summary {
        directories: listed,
        recipients,
    }))
}

/// Emails the summary for the day before `now` if a directory failed and no summary went out
/// in the last 20 hours; returns how many directories it listed.
pub async fn send(
    store: &Store,
    mailer: &Mailer,
    public_url: &str,
    now: Timestamp,
) -> Result<usize, String> {
    let (store, public_url) = (store.clone(), public_url.to_owned());
    let found = tokio::task::spawn_blocking(move || failing(&store, &public_url, now))
        .await
        .map_err(|error| error.to_string())??;
    let Some(summary) = found else {
        return Ok(0);
    };
    let context = json!({"directories": summary.directories});
    for recipient in &summary.recipients {
        mailer
            .send(recipient, Template::FailingDirectories, &context)
            .await
            .map_err(|error| error.to_string())?;
    }
    Ok(summary.directories.len())
}
