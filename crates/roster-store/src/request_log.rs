//! The per-directory log of SCIM requests, written in batches by a background task and kept
//! to a bounded number of rows per directory.

use diesel::prelude::*;
use roster_core::{DirectoryId, Timestamp};

use crate::schema::scim_requests;
use crate::{AnyConnection, QueryResult};

/// One logged request.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = scim_requests)]
pub struct LoggedRequest {
    /// A ULID: the log's order.
    pub id: String,
    /// The directory the request was for.
    pub directory_id: String,
    /// HTTP method.
    pub method: String,
    /// Path and query string.
    pub path: String,
    /// Response status.
    pub status: i64,
    /// Time to answer, in milliseconds.
    pub duration_ms: i64,
    /// The request body, redacted and truncated; `None` when there was none.
    pub request_body: Option<String>,
    /// When it was received, unix milliseconds.
    pub created_at: i64,
}

/// Appends a batch in one transaction, then trims each directory it touched to `keep` rows.
pub fn append(conn: &mut AnyConnection, batch: &[LoggedRequest], keep: i64) -> QueryResult<()> {
    conn.write_transaction(|conn| {
        for entry in batch {
            diesel::insert_into(scim_requests::table)
                .values(entry)
                .execute(conn)?;
        }
        let mut directories: Vec<&str> = batch
            .iter()
            .map(|entry| entry.directory_id.as_str())
            .collect();
        directories.sort_unstable();
        directories.dedup();
        for directory in directories {
            let oldest_kept = scim_requests::table
                .filter(scim_requests::directory_id.eq(directory))
                .order(scim_requests::id.desc())
                .offset(keep)
                .select(scim_requests::id)
                .first::<String>(conn)
                .optional()?;
            if let Some(oldest_kept) = oldest_kept {
                diesel::delete(
                    scim_requests::table
                        .filter(scim_requests::directory_id.eq(directory))
                        .filter(scim_requests::id.le(oldest_kept)),
                )
                .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// A directory's most recent requests, newest first, optionally only those with `status`.
pub fn recent(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    status: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<LoggedRequest>> {
    let mut query = scim_requests::table
        .filter(scim_requests::directory_id.eq(directory.as_str()))
        .order(scim_requests::id.desc())
        .limit(limit)
        .select(LoggedRequest::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(scim_requests::status.eq(status));
    }
    query.load(conn)
}

/// Deletes entries older than `before`, across directories.
pub fn prune_before(conn: &mut AnyConnection, before: Timestamp) -> QueryResult<usize> {
    diesel::delete(scim_requests::table.filter(scim_requests::created_at.lt(before.as_millis())))
        .execute(conn)
}

/// A page of a directory's log, newest first unless asked otherwise, optionally only the
/// requests answered with `status`.
pub fn list_page(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    status: Option<i64>,
    request: &crate::page::PageRequest,
) -> QueryResult<crate::page::Page<LoggedRequest>> {
    let mut query = scim_requests::table
        .filter(scim_requests::directory_id.eq(directory.as_str().to_owned()))
        .select(LoggedRequest::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(scim_requests::status.eq(status));
    }
    Ok(crate::page::read_page!(
        conn,
        query,
        scim_requests::id,
        request,
        LoggedRequest,
        |row: &LoggedRequest| row.id.clone()
    ))
}

/// How many requests each directory answered with one of `statuses` since `since`, for the
/// directories that had any.
pub fn count_since(
    conn: &mut AnyConnection,
    statuses: &[i64],
    since: Timestamp,
) -> QueryResult<Vec<(String, i64)>> {
    scim_requests::table
        .filter(scim_requests::status.eq_any(statuses))
        .filter(scim_requests::created_at.ge(since.as_millis()))
        .group_by(scim_requests::directory_id)
        .select((scim_requests::directory_id, diesel::dsl::count_star()))
        .load(conn)
}
