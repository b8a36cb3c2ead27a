//! The audit log: one entry per action taken in the dashboard, the setup portal, or through
//! portal links made by the API, with who did it and to what.

use diesel::prelude::*;
use roster_core::{AuditEntryId, Timestamp};
use serde_json::Value;

use crate::organizations::corrupt;
use crate::page::{Page, PageRequest};
use crate::schema::audit_log;
use crate::{AnyConnection, QueryResult};

/// One recorded action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// `audit_…`
    pub id: AuditEntryId,
    /// Who: an administrator's email, `portal:org_…`, `api_key:key_…`.
    pub actor: String,
    /// What, as `object.verb` (`directory.token_reset`).
    pub action: String,
    /// The id of the object acted on.
    pub target: Option<String>,
    /// The organization it concerns, if one.
    pub organization_id: Option<String>,
    /// Anything else worth keeping (never a secret).
    pub details: Value,
    /// When.
    pub created_at: Timestamp,
}

/// An action to record.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// To what.
    pub target: Option<&'a str>,
    /// In which organization.
    pub organization_id: Option<&'a str>,
    /// More.
    pub details: Value,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
struct EntryRow {
    id: String,
    actor: String,
    action: String,
    target: Option<String>,
    organization_id: Option<String>,
    details: String,
    created_at: i64,
}

impl TryFrom<EntryRow> for AuditEntry {
    type Error = diesel::result::Error;

    fn try_from(row: EntryRow) -> QueryResult<AuditEntry> {
        Ok(AuditEntry {
            id: AuditEntryId::parse(&row.id).map_err(corrupt)?,
            actor: row.actor,
            action: row.action,
            target: row.target,
            organization_id: row.organization_id,
            details: serde_json::from_str(&row.details).map_err(corrupt)?,
            created_at: Timestamp::from_millis(row.created_at),
        })
    }
}

/// Records an action. Call in the transaction of the change when there is one.
pub fn record(conn: &mut AnyConnection, entry: NewEntry<'_>, at: Timestamp) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(EntryRow {
            id: AuditEntryId::generate().to_string(),
            actor: entry.actor.to_owned(),
            action: entry.action.to_owned(),
            target: entry.target.map(str::to_owned),
            organization_id: entry.organization_id.map(str::to_owned),
            details: entry.details.to_string(),
            created_at: at.as_millis(),
        })
        .execute(conn)
        .map(drop)
}

/// Which entries to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter<'a> {
    /// Only actions starting with this (`directory.`).
    pub action_prefix: Option<&'a str>,
    /// Only this actor's.
    pub actor: Option<&'a str>,
}

/// A page of entries, newest first unless asked otherwise.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: &AuditFilter<'_>,
    request: &PageRequest,
) -> QueryResult<Page<AuditEntry>> {
    let mut query = audit_log::table.select(EntryRow::as_select()).into_boxed();
    if let Some(prefix) = filter.action_prefix {
        let pattern = format!("{}%", crate::sql::like_escape(prefix));
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("audit_log.action LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\'"),
        );
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::actor.eq(actor.to_owned()));
    }
    let page = crate::page::read_page!(
        conn,
        query,
        audit_log::id,
        request,
        EntryRow,
        |row: &EntryRow| row.id.clone()
    );
    page.try_map(AuditEntry::try_from)
}
