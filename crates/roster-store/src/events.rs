//! The event log, which is also the webhook outbox: an event is appended in the same
//! transaction as the change it describes, so a committed change always has its event and a
//! rolled-back one never does.

use diesel::prelude::*;
use roster_core::{DirectoryId, EventId, EventType, OrganizationId, Timestamp};
use serde_json::Value;

use crate::organizations::corrupt;
use crate::schema::{directories, events};
use crate::{AnyConnection, QueryResult};

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `event_…`
    pub id: EventId,
    /// The directory it happened in.
    pub directory_id: DirectoryId,
    /// That directory's organization.
    pub organization_id: OrganizationId,
    /// Position in the directory's event order, from 1 without gaps.
    pub sequence: i64,
    /// What happened.
    pub event_type: EventType,
    /// The object it happened to, as the management API shows it.
    pub data: Value,
    /// When.
    pub created_at: Timestamp,
}

impl Event {
    /// WorkOS's event object.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "object": "event",
            "id": self.id,
            "event": self.event_type,
            "data": self.data,
            "created_at": self.created_at.to_rfc3339(),
        })
    }
}

/// An event as stored; the dispatcher reads events through it too.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub(crate) struct EventRow {
    id: String,
    directory_id: String,
    organization_id: String,
    sequence: i64,
    event_type: String,
    data: String,
    created_at: i64,
}

impl TryFrom<EventRow> for Event {
    type Error = diesel::result::Error;

    fn try_from(row: EventRow) -> QueryResult<Event> {
        Ok(Event {
            id: EventId::parse(&row.id).map_err(corrupt)?,
            directory_id: DirectoryId::parse(&row.directory_id).map_err(corrupt)?,
            organization_id: OrganizationId::parse(&row.organization_id).map_err(corrupt)?,
            sequence: row.sequence,
            event_type: parse_event_type(&row.event_type)?,
            data: serde_json::from_str(&row.data).map_err(corrupt)?,
            created_at: Timestamp::from_millis(row.created_at),
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown event type `{0}`")]
struct UnknownEventType(String);

/// Reads a stored event type; an unknown one means the row was written by something else.
pub(crate) fn parse_event_type(value: &str) -> QueryResult<EventType> {
    EventType::parse(value).ok_or_else(|| corrupt(UnknownEventType(value.to_owned())))
}

/// Appends an event with the directory's next sequence number. Call inside the transaction
/// that makes the change; the sequence bump also serialises the directory's writers.
pub fn append(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    organization: &OrganizationId,
    event_type: EventType,
    data: &Value,
    at: Timestamp,
) -> QueryResult<EventId> {
    let sequence = diesel::update(directories::table.find(directory.as_str()))
        .set(directories::event_sequence.eq(directories::event_sequence + 1))
        .returning(directories::event_sequence)
        .get_result::<i64>(conn)?;
    let id = EventId::generate();
    diesel::insert_into(events::table)
        .values(EventRow {
            id: id.to_string(),
            directory_id: directory.to_string(),
            organization_id: organization.to_string(),
            sequence,
            event_type: event_type.as_str().to_owned(),
            data: data.to_string(),
            created_at: at.as_millis(),
        })
        .execute(conn)?;
    Ok(id)
}

/// One event.
pub fn find(conn: &mut AnyConnection, id: &EventId) -> QueryResult<Option<Event>> {
    events::table
        .find(id.as_str())
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .map(Event::try_from)
        .transpose()
}

/// A directory's events after the one numbered `after` in its sequence, in order.
pub fn list_for_directory_after(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    after: i64,
) -> QueryResult<Vec<Event>> {
    events::table
        .filter(events::directory_id.eq(directory.as_str()))
        .filter(events::sequence.gt(after))
        .order(events::sequence.asc())
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Event::try_from)
        .collect()
}

/// A directory's events in order.
pub fn list_for_directory(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
) -> QueryResult<Vec<Event>> {
    events::table
        .filter(events::directory_id.eq(directory.as_str()))
        .order(events::sequence.asc())
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Event::try_from)
        .collect()
}

/// Which events a management-API list returns; every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct EventListFilter<'a> {
    /// Only this organization's.
    pub organization: Option<&'a str>,
    /// Only these types (all when empty).
    pub types: Vec<EventType>,
    /// Only those created at or after this.
    pub range_start: Option<Timestamp>,
    /// Only those created before this.
    pub range_end: Option<Timestamp>,
}

/// A page of events, for the management API.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: &EventListFilter<'_>,
    request: &crate::page::PageRequest,
) -> QueryResult<crate::page::Page<Event>> {
    let mut query = events::table.select(EventRow::as_select()).into_boxed();
    if let Some(organization) = filter.organization {
        query = query.filter(events::organization_id.eq(organization.to_owned()));
    }
    if !filter.types.is_empty() {
        let names: Vec<&str> = filter.types.iter().map(|kind| kind.as_str()).collect();
        query = query.filter(events::event_type.eq_any(names));
    }
    if let Some(start) = filter.range_start {
        query = query.filter(events::created_at.ge(start.as_millis()));
    }
    if let Some(end) = filter.range_end {
        query = query.filter(events::created_at.lt(end.as_millis()));
    }
    let page = crate::page::read_page!(
        conn,
        query,
        events::id,
        request,
        EventRow,
        |row: &EventRow| row.id.clone()
    );
    page.try_map(Event::try_from)
}
