//! Recording actions in the audit log.

use roster_core::Timestamp;
use roster_store::AnyConnection;
use roster_store::audit_log::{self, NewEntry};
use serde_json::Value;

/// One action by `actor`.
pub(crate) struct Action<'a> {
    pub(crate) actor: &'a str,
    pub(crate) action: &'a str,
    pub(crate) target: Option<&'a str>,
    pub(crate) organization: Option<&'a str>,
    pub(crate) details: Value,
}

pub(crate) fn record(
    conn: &mut AnyConnection,
    action: Action<'_>,
    at: Timestamp,
) -> roster_store::QueryResult<()> {
    audit_log::record(
        conn,
        NewEntry {
            actor: action.actor,
            action: action.action,
            target: action.target,
            organization_id: action.organization,
            details: action.details,
        },
        at,
    )
}
