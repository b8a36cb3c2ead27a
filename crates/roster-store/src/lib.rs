//! Roster's storage. One diesel schema is served by SQLite (embedded, the default) and by
//! PostgreSQL (production, several instances); the backend is chosen by the database URL.
//! Query functions are small, take a connection, and return diesel results: callers decide
//! what a missing row or a constraint violation means to their client.

pub mod admins;
pub mod api_keys;
pub mod audit_log;
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
pub mod portal_links;
pub mod request_log;
pub mod schema;
pub mod sessions;
pub mod sql;
pub mod users;
pub mod webhooks;

pub use connection::{
    AnyConnection, Backend, DatabaseUrl, DatabaseUrlError, PoolState, Store, StoreError,
};
pub use diesel::result::{DatabaseErrorKind, Error as QueryError, QueryResult};

/// Whether a query failed because a unique constraint was violated.
pub fn is_unique_violation(error: &QueryError) -> bool {
    matches!(
        error,
        QueryError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}
