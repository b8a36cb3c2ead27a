//! Periodic upkeep of provisioned data: deleting users that stayed inactive longer than their
//! directory keeps them (some vendors promise "deleted within two weeks unless reactivated"),
//! pruning old request-log entries, and noticing directories that went silent. Time is a
//! parameter, so tests drive it.

use std::time::Duration;

use roster_core::Timestamp;
use roster_store::{Store, directories, health, request_log, users};

use crate::changes::{self, write};
use crate::{ScimContext, ScimError};

/// Users deleted per directory and pass; the next pass takes the rest.
const PURGE_BATCH: i64 = 500;
/// How long request-log entries are kept at most.
const REQUEST_LOG_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Runs [`upkeep`] every `period` until the process ends.
pub async fn run(context: ScimContext, period: Duration) {
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let context = context.clone();
        match tokio::task::spawn_blocking(move || upkeep(&context, Timestamp::now())).await {
            Ok(Ok(0)) => {}
            Ok(Ok(purged)) => tracing::info!(
                purged,
                "deleted users past their directory's inactive-user retention"
            ),
            Ok(Err(error)) => tracing::warn!(%error, "upkeep failed; retrying at the next pass"),
            Err(error) => tracing::warn!(%error, "upkeep task failed"),
        }
    }
}

/// One pass at time `now`; returns how many users were deleted. Each user is deleted in its own
/// transaction with its `dsync.user.deleted` event, after checking it is still inactive.
pub fn upkeep(context: &ScimContext, now: Timestamp) -> Result<usize, ScimError> {
    let mut purged = 0;
    let candidates = {
        let mut conn = context.store.connection()?;
        request_log::prune_before(
            &mut conn,
            Timestamp::from_millis(now.as_millis() - REQUEST_LOG_DAYS * DAY_MS),
        )?;
        let mut candidates = Vec::new();
        for directory in directories::with_inactive_user_retention(&mut conn)? {
            let days = directory
                .inactive_user_retention_days
                .unwrap_or(i64::MAX / DAY_MS);
            let cutoff =
                Timestamp::from_millis(now.as_millis().saturating_sub(days.saturating_mul(DAY_MS)));
            let stale = users::inactive_since(&mut conn, &directory.id, cutoff, PURGE_BATCH)?;
            candidates.push((directory, cutoff, stale));
        }
        candidates
    };
    for (directory, cutoff, stale) in candidates {
        for user in stale {
            let deleted = write(context, &directory, |conn| {
                let Some(current) = users::find(conn, &directory.id, user.user.id.as_str())? else {
                    return Ok(false);
                };
                if current.deactivated_at.is_none_or(|at| at > cutoff) {
                    return Ok(false);
                }
                changes::delete_user(conn, &directory, &current)?;
                Ok(true)
            })?;
            purged += usize::from(deleted);
        }
    }
    Ok(purged)
}

/// Checks every `period` for linked directories that sent no request for longer than
/// `silent_after` (see [`check_silence`]). Identity providers that sync on a schedule (Entra
/// every 40 minutes) are never quiet for long; a quiet one may have lost its token or been
/// switched off.
pub async fn watch_silence<Alert, Sent>(
    store: Store,
    silent_after: Duration,
    period: Duration,
    alert: Alert,
) where
    Alert: Fn(Vec<String>) -> Sent,
    Sent: Future<Output = ()>,
{
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = check_silence(&store, silent_after, Timestamp::now(), &alert).await {
            tracing::warn!(%error, "cannot check for silent directories");
        }
    }
}

/// Raises or clears the silence of each linked directory at time `now`: one that sent no
/// request for longer than `silent_after` gets a WARN log line and its `silent_since` (which
/// the API and `/metrics` show), and is passed to `alert` (awaited); one heard from again is
/// cleared. A silence is reported once, by one instance, however many share the database and
/// however long it lasts. Returns the directories that went silent now.
pub async fn check_silence<Alert, Sent>(
    store: &Store,
    silent_after: Duration,
    now: Timestamp,
    alert: Alert,
) -> Result<Vec<String>, String>
where
    Alert: Fn(Vec<String>) -> Sent,
    Sent: Future<Output = ()>,
{
    let after_ms = i64::try_from(silent_after.as_millis()).unwrap_or(i64::MAX);
    let cutoff = Timestamp::from_millis(now.as_millis().saturating_sub(after_ms));
    let store = store.clone();
    let newly = tokio::task::spawn_blocking(move || {
        let mut conn = store.connection().map_err(|error| error.to_string())?;
        health::update_silence(&mut conn, cutoff, now).map_err(|error| error.to_string())
    })
    .await
    .map_err(|error| error.to_string())??;
    for directory in &newly {
        tracing::warn!(
            %directory,
            silent_for = ?silent_after,
            "directory is silent: no request from its identity provider for longer than ROSTER_DIRECTORY_SILENT_AFTER"
        );
    }
    if !newly.is_empty() {
        alert(newly.clone()).await;
    }
    Ok(newly)
}
