//! Roster's storage. One diesel schema is served by SQLite (embedded, the default) and by
//! PostgreSQL (production, several instances); the backend is chosen by the database URL.
//! Query functions are small, take a connection, and return diesel results: callers decide
//! what a missing row or a constraint violation means to their client.

pub mod admins;
pub mod api_keys;
pub mod audit_log;
pub mod bulk_idempotency_keys;
mod connection;
pub mod deliveries;
pub mod directories;
pub mod events;
pub mod groups;
pub mod health;
pub mod holds;
pub mod invitations;
pub mod organizations;
pub mod page;
mod page_cursors;
pub mod portal_links;
pub mod request_log;
pub mod schema;
pub mod secrets;
pub mod sessions;
pub mod sql;
pub mod users;
pub mod webhooks;

pub use connection::{
    AnyConnection, Backend, DEFAULT_TIMEOUT, DatabaseUrl, DatabaseUrlError, PoolState, Store,
    StoreError,
};
pub use diesel::result::{DatabaseErrorKind, Error as QueryError, QueryResult};

/// Why a query failed when the cause is the database being unable to serve writes or reads
/// for now (unreachable, restarting, out of space, read-only), not the query: clients should
/// retry later, and operators need to act. `None` for any other failure.
pub fn unavailable_cause(error: &QueryError) -> Option<&'static str> {
    let QueryError::DatabaseError(kind, info) = error else {
        return None;
    };
    match kind {
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
            Some("the connection to the database was lost")
        }
        _ => {
            let message = info.message();
            // SQLite's texts for SQLITE_FULL and SQLITE_READONLY, PostgreSQL's for a full disk
            // (SQLSTATE 53100) and a standby or read-only transaction (25006).
            if message.contains("database or disk is full")
                || message.contains("No space left on device")
            {
                Some("the database's storage is full")
            } else if message.contains("readonly database")
                || message.contains("read-only transaction")
            {
                Some("the database is read-only")
            } else if message.contains("terminating connection")
                || message.contains("server closed the connection")
                || message.contains("the database system is")
            {
                Some("the connection to the database was lost")
            } else {
                None
            }
        }
    }
}

/// Whether a query failed because a unique constraint was violated.
pub fn is_unique_violation(error: &QueryError) -> bool {
    matches!(
        error,
        QueryError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}
