//! The answers remembered for bulk API `Idempotency-Key`s, per directory. The caller reads and
//! writes them in the batch's own transaction, under the directory's write lock, so that two
//! retries of one batch cannot both apply it.

use diesel::prelude::*;
use roster_core::{DirectoryId, Timestamp};

use crate::schema::bulk_idempotency_keys;
use crate::{AnyConnection, QueryResult};

/// The first answer given to a key.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = bulk_idempotency_keys)]
pub struct RememberedAnswer {
    /// SHA-256 (hex) of the request body the key came with.
    pub request_digest: String,
    /// The HTTP status answered.
    pub status: i64,
    /// The JSON body answered.
    pub response: String,
}

/// The answer remembered for `key` in the directory, if any.
pub fn find(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    key: &str,
) -> QueryResult<Option<RememberedAnswer>> {
    bulk_idempotency_keys::table
        .find((directory.as_str(), key))
        .select(RememberedAnswer::as_select())
        .first(conn)
        .optional()
}

/// Remembers the answer to `key`; the caller has checked that none is remembered.
pub fn insert(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    key: &str,
    answer: &RememberedAnswer,
    at: Timestamp,
) -> QueryResult<()> {
    diesel::insert_into(bulk_idempotency_keys::table)
        .values((
            bulk_idempotency_keys::directory_id.eq(directory.as_str()),
            bulk_idempotency_keys::idempotency_key.eq(key),
            bulk_idempotency_keys::request_digest.eq(&answer.request_digest),
            bulk_idempotency_keys::status.eq(answer.status),
            bulk_idempotency_keys::response.eq(&answer.response),
            bulk_idempotency_keys::created_at.eq(at.as_millis()),
        ))
        .execute(conn)
        .map(drop)
}

/// Forgets the directory's answers remembered before `before`; returns how many.
pub fn forget_before(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    before: Timestamp,
) -> QueryResult<usize> {
    diesel::delete(
        bulk_idempotency_keys::table
            .filter(bulk_idempotency_keys::directory_id.eq(directory.as_str()))
            .filter(bulk_idempotency_keys::created_at.lt(before.as_millis())),
    )
    .execute(conn)
}
