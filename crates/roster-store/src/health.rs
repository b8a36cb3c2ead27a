//! What an operator watches: how deep the outbox is, and per directory the last error its
//! identity provider was answered and whether it has gone silent.

use std::collections::BTreeMap;

use diesel::prelude::*;
use roster_core::{DirectoryState, Timestamp};

use crate::schema::{directories, directory_health, events, webhook_deliveries};
use crate::{AnyConnection, QueryResult};

/// Work the webhook side has not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxDepth {
    /// Events not yet fanned out into deliveries (held ones included).
    pub undispatched_events: i64,
    /// Deliveries waiting for a first or a further attempt.
    pub pending_deliveries: i64,
}

/// Counts what the webhook side has left to do.
pub fn outbox_depth(conn: &mut AnyConnection) -> QueryResult<OutboxDepth> {
    let undispatched_events = events::table
        .filter(events::dispatched.eq(false))
        .count()
        .get_result(conn)?;
    let pending_deliveries = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq("pending"))
        .count()
        .get_result(conn)?;
    Ok(OutboxDepth {
        undispatched_events,
        pending_deliveries,
    })
}

/// An error answered to a directory's identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryError {
    /// `directory_…`
    pub directory_id: String,
    /// When the request arrived.
    pub at: Timestamp,
    /// The HTTP status it was answered.
    pub status: i64,
    /// The SCIM error's `detail`, when it had one.
    pub detail: Option<String>,
}

/// A directory's health as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryHealth {
    /// The latest error answered, if any.
    pub last_error: Option<DirectoryError>,
    /// Since when the directory has sent no request for longer than allowed, if it has not.
    pub silent_since: Option<Timestamp>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = directory_health)]
struct HealthRow {
    directory_id: String,
    last_error_at: Option<i64>,
    last_error_status: Option<i64>,
    last_error_detail: Option<String>,
    silent_since: Option<i64>,
}

impl From<HealthRow> for DirectoryHealth {
    fn from(row: HealthRow) -> Self {
        let last_error = match (row.last_error_at, row.last_error_status) {
            (Some(at), Some(status)) => Some(DirectoryError {
                directory_id: row.directory_id,
                at: Timestamp::from_millis(at),
                status,
                detail: row.last_error_detail,
            }),
            _ => None,
        };
        DirectoryHealth {
            last_error,
            silent_since: row.silent_since.map(Timestamp::from_millis),
        }
    }
}

/// Makes sure each directory named has a health row (directories deleted meanwhile are skipped).
fn ensure_rows(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<()> {
    let existing: Vec<String> = directory_health::table
        .filter(directory_health::directory_id.eq_any(ids))
        .select(directory_health::directory_id)
        .load(conn)?;
    let missing: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| !existing.iter().any(|known| known == id))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let alive: Vec<String> = directories::table
        .filter(directories::id.eq_any(&missing))
        .select(directories::id)
        .load(conn)?;
    // One row at a time: the multi-backend connection has no portable multi-row insert.
    for id in &alive {
        diesel::insert_into(directory_health::table)
            .values(directory_health::directory_id.eq(id))
            .execute(conn)?;
    }
    Ok(())
}

/// Keeps each directory's latest error among `errors` (and what was stored, if newer).
pub fn record_errors(conn: &mut AnyConnection, errors: &[DirectoryError]) -> QueryResult<()> {
    let mut latest: BTreeMap<&str, &DirectoryError> = BTreeMap::new();
    for error in errors {
        let slot = latest.entry(error.directory_id.as_str()).or_insert(error);
        if error.at >= slot.at {
            *slot = error;
        }
    }
    if latest.is_empty() {
        return Ok(());
    }
    conn.write_transaction(|conn| {
        ensure_rows(conn, &latest.keys().copied().collect::<Vec<_>>())?;
        for (directory, error) in latest {
            diesel::update(
                directory_health::table.find(directory).filter(
                    directory_health::last_error_at
                        .is_null()
                        .or(directory_health::last_error_at.le(error.at.as_millis())),
                ),
            )
            .set((
                directory_health::last_error_at.eq(error.at.as_millis()),
                directory_health::last_error_status.eq(error.status),
                directory_health::last_error_detail.eq(error.detail.as_deref()),
            ))
            .execute(conn)?;
        }
        Ok(())
    })
}

/// The health of each directory named; directories without a row are healthy.
pub fn for_directories(
    conn: &mut AnyConnection,
    ids: &[&str],
) -> QueryResult<BTreeMap<String, DirectoryHealth>> {
    Ok(directory_health::table
        .filter(directory_health::directory_id.eq_any(ids))
        .select(HealthRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| (row.directory_id.clone(), DirectoryHealth::from(row)))
        .collect())
}

/// The directories marked silent, with since when, longest silent first.
pub fn silent(conn: &mut AnyConnection) -> QueryResult<Vec<(String, Timestamp)>> {
    let rows: Vec<(String, Option<i64>)> = directory_health::table
        .filter(directory_health::silent_since.is_not_null())
        .order((
            directory_health::silent_since.asc(),
            directory_health::directory_id.asc(),
        ))
        .select((
            directory_health::directory_id,
            directory_health::silent_since,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, since)| since.map(|since| (id, Timestamp::from_millis(since))))
        .collect())
}

/// A linked directory's activity, for the metrics scrape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryActivity {
    /// `directory_…`
    pub directory_id: String,
    /// When it last sent a request (to the minute).
    pub last_request_at: Option<Timestamp>,
    /// Its stored health.
    pub health: DirectoryHealth,
}

/// Every linked directory's activity and health.
pub fn linked_activity(conn: &mut AnyConnection) -> QueryResult<Vec<DirectoryActivity>> {
    let linked: Vec<(String, Option<i64>)> = directories::table
        .filter(directories::state.eq(DirectoryState::Linked.as_str()))
        .order(directories::id.asc())
        .select((directories::id, directories::last_request_at))
        .load(conn)?;
    let ids: Vec<&str> = linked.iter().map(|(id, _)| id.as_str()).collect();
    let mut health = for_directories(conn, &ids)?;
    Ok(linked
        .iter()
        .map(|(id, last)| DirectoryActivity {
            directory_id: id.clone(),
            last_request_at: last.map(Timestamp::from_millis),
            health: health.remove(id).unwrap_or_default(),
        })
        .collect())
}

/// Marks silent every linked directory whose last request is older than `cutoff` and clears
/// the mark of those heard from since; returns the directories that went silent just now.
///
/// A directory is returned by one call only, even when several instances check at once: it is
/// marked by an update that requires the mark to be unset, which PostgreSQL re-checks on a row
/// another transaction has just marked (and SQLite runs one write transaction at a time).
pub fn update_silence(
    conn: &mut AnyConnection,
    cutoff: Timestamp,
    now: Timestamp,
) -> QueryResult<Vec<String>> {
    conn.write_transaction(|conn| {
        let quiet: Vec<String> = directories::table
            .filter(directories::state.eq(DirectoryState::Linked.as_str()))
            .filter(directories::last_request_at.lt(cutoff.as_millis()))
            .select(directories::id)
            .load(conn)?;
        let already: Vec<String> = directory_health::table
            .filter(directory_health::silent_since.is_not_null())
            .select(directory_health::directory_id)
            .load(conn)?;
        let candidates: Vec<&str> = quiet
            .iter()
            .filter(|id| !already.contains(id))
            .map(String::as_str)
            .collect();
        let heard_from: Vec<&String> = already.iter().filter(|id| !quiet.contains(id)).collect();
        if !heard_from.is_empty() {
            diesel::update(
                directory_health::table.filter(directory_health::directory_id.eq_any(heard_from)),
            )
            .set(directory_health::silent_since.eq(None::<i64>))
            .execute(conn)?;
        }
        let mut newly = Vec::new();
        if !candidates.is_empty() {
            ensure_rows(conn, &candidates)?;
            for id in candidates {
                let marked = diesel::update(
                    directory_health::table
                        .find(id)
                        .filter(directory_health::silent_since.is_null()),
                )
                .set(directory_health::silent_since.eq(now.as_millis()))
                .execute(conn)?;
                if marked == 1 {
                    newly.push(id.to_owned());
                }
            }
        }
        Ok(newly)
    })
}
