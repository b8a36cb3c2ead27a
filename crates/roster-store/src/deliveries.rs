//! Webhook deliveries: one per event and matching endpoint, created from the outbox (the
//! events table) by the dispatcher, claimed under a lease, and recorded attempt by attempt.
//!
//! Claiming differs per backend. PostgreSQL locks the chosen rows with `FOR UPDATE SKIP LOCKED`,
//! so several Roster instances on one database each take different deliveries. SQLite has no
//! row locks: the claim runs under `BEGIN IMMEDIATE`, which serialises it with every other
//! writer. On both, the lease (`locked_until`) lets another dispatcher take over the deliveries
//! of one that crashed.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use roster_core::id::{WebhookDeliveryId, WebhookEndpointId};
use roster_core::{EventId, OrganizationId, Timestamp};

use crate::events::{Event, EventRow, parse_event_type};
use crate::organizations::corrupt;
use crate::page::{Order, Page, PageRequest, read_page};
use crate::schema::{events, webhook_attempts, webhook_deliveries, webhook_endpoints};
use crate::webhooks::{self, WebhookEndpoint};
use crate::{AnyConnection, QueryResult};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Every scheduled attempt failed.
    Failed,
}

impl DeliveryStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Reads a stored or typed status.
    pub fn parse(value: &str) -> Option<Self> {
        [
            DeliveryStatus::Pending,
            DeliveryStatus::Delivered,
            DeliveryStatus::Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `wd_…`
    pub id: WebhookDeliveryId,
    /// The event delivered.
    pub event_id: EventId,
    /// Where to.
    pub endpoint_id: WebhookEndpointId,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made, ever.
    pub attempts: i64,
    /// Attempts made since it was last (re)queued; picks the next delay from the schedule.
    pub round_attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: Timestamp,
    /// Until when a dispatcher holds it.
    pub locked_until: Option<Timestamp>,
    /// The dispatcher that holds (or last held) it.
    pub lease_owner: Option<String>,
    /// When the last attempt started.
    pub last_attempt_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// One attempt, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The delivery it belongs to.
    pub delivery_id: WebhookDeliveryId,
    /// 1 for the first attempt.
    pub attempt: i64,
    /// When it started.
    pub started_at: Timestamp,
    /// How long until the answer, the error or the timeout.
    pub duration_ms: i64,
    /// The HTTP status, if the receiver answered.
    pub status_code: Option<i64>,
    /// The start of the answer's body.
    pub response_body: Option<String>,
    /// Why no answer counted (connection refused, timeout, refused address…).
    pub error: Option<String>,
    /// The dispatcher that made it.
    pub lease_owner: String,
}

/// A claimed delivery with what it takes to make the attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The delivery, as claimed.
    pub delivery: Delivery,
    /// Its event.
    pub event: Event,
    /// Its endpoint.
    pub endpoint: WebhookEndpoint,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
#[diesel(treat_none_as_default_value = false)]
struct DeliveryRow {
    id: String,
    event_id: String,
    endpoint_id: String,
    status: String,
    attempts: i64,
    round_attempts: i64,
    next_attempt_at: i64,
    locked_until: Option<i64>,
    lease_owner: Option<String>,
    last_attempt_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl DeliveryRow {
    fn new(event_id: &str, endpoint_id: &WebhookEndpointId, now: Timestamp) -> Self {
        DeliveryRow {
            id: WebhookDeliveryId::generate().to_string(),
            event_id: event_id.to_owned(),
            endpoint_id: endpoint_id.to_string(),
            status: DeliveryStatus::Pending.as_str().to_owned(),
            attempts: 0,
            round_attempts: 0,
            next_attempt_at: now.as_millis(),
            locked_until: None,
            lease_owner: None,
            last_attempt_at: None,
            created_at: now.as_millis(),
            updated_at: now.as_millis(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown {what} `{value}`")]
struct Unknown {
    what: &'static str,
    value: String,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = diesel::result::Error;

    fn try_from(row: DeliveryRow) -> QueryResult<Delivery> {
        Ok(Delivery {
            id: WebhookDeliveryId::parse(&row.id).map_err(corrupt)?,
            event_id: EventId::parse(&row.event_id).map_err(corrupt)?,
            endpoint_id: WebhookEndpointId::parse(&row.endpoint_id).map_err(corrupt)?,
            status: DeliveryStatus::parse(&row.status).ok_or_else(|| {
                corrupt(Unknown {
                    what: "delivery status",
                    value: row.status.clone(),
                })
            })?,
            attempts: row.attempts,
            round_attempts: row.round_attempts,
            next_attempt_at: Timestamp::from_millis(row.next_attempt_at),
            locked_until: row.locked_until.map(Timestamp::from_millis),
            lease_owner: row.lease_owner,
            last_attempt_at: row.last_attempt_at.map(Timestamp::from_millis),
            created_at: Timestamp::from_millis(row.created_at),
            updated_at: Timestamp::from_millis(row.updated_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_attempts)]
#[diesel(treat_none_as_default_value = false)]
struct AttemptRow {
    delivery_id: String,
    attempt: i64,
    started_at: i64,
    duration_ms: i64,
    status_code: Option<i64>,
    response_body: Option<String>,
    error: Option<String>,
    lease_owner: String,
}

fn insert_deliveries(conn: &mut AnyConnection, rows: &[DeliveryRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        AnyConnection::Postgresql(inner) => {
            diesel::insert_into(webhook_deliveries::table)
                .values(rows)
                .execute(inner)?;
        }
        AnyConnection::Sqlite(inner) => {
            diesel::insert_into(webhook_deliveries::table)
                .values(rows)
                .execute(inner)?;
        }
    }
    Ok(())
}

/// The (event, endpoint) pairs among `event_ids` that already have a delivery.
fn existing_pairs(
    conn: &mut AnyConnection,
    event_ids: &[String],
) -> QueryResult<HashSet<(String, String)>> {
    Ok(webhook_deliveries::table
        .filter(webhook_deliveries::event_id.eq_any(event_ids))
        .select((
            webhook_deliveries::event_id,
            webhook_deliveries::endpoint_id,
        ))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// Events to fan out: not yet dispatched, and not held by the mass-deprovisioning guard until
/// an admin decides. Written without bound values, as the partial index `events_undispatched`
/// is, so that the planners use it.
fn undispatched_and_unheld()
-> diesel::dsl::And<diesel::dsl::not<events::dispatched>, diesel::dsl::not<events::held>> {
    diesel::dsl::not(events::dispatched).and(diesel::dsl::not(events::held))
}

/// Creates the deliveries of up to `limit` undispatched events for every enabled endpoint
/// that wants them, and marks those events dispatched, in one transaction. Returns how many
/// events it dispatched; fewer than `limit` means the outbox is empty.
pub fn fan_out(conn: &mut AnyConnection, limit: i64, now: Timestamp) -> QueryResult<usize> {
    macro_rules! undispatched {
        () => {
            events::table
                .filter(undispatched_and_unheld())
                .order((events::created_at.asc(), events::id.asc()))
                .limit(limit)
                .select((events::id, events::organization_id, events::event_type))
        };
    }
    // Most polls find nothing: look before taking the write lock.
    let any = events::table
        .filter(undispatched_and_unheld())
        // The index's order: a planner misled by stale statistics (just after an import) would
        // otherwise scan the whole table for a row that is not there.
        .order((events::created_at.asc(), events::id.asc()))
        .select(events::id)
        .first::<String>(conn)
        .optional()?;
    if any.is_none() {
        return Ok(0);
    }
    conn.write_transaction(|conn| {
        conn.commit_without_flush()?;
        let pending: Vec<(String, String, String)> = match conn {
            // Another instance fanning out at the same moment takes other events.
            AnyConnection::Postgresql(inner) => {
                undispatched!().for_update().skip_locked().load(inner)?
            }
            AnyConnection::Sqlite(inner) => undispatched!().load(inner)?,
        };
        if pending.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = pending.iter().map(|(id, _, _)| id.clone()).collect();
        let endpoints = webhooks::list_enabled(conn)?;
        // A redelivery may already have created some of these deliveries.
        let existing = existing_pairs(conn, &ids)?;
        let mut rows = Vec::new();
        for (event_id, organization, event_type) in &pending {
            let event_type = parse_event_type(event_type)?;
            for endpoint in &endpoints {
                if endpoint.wants(event_type, organization)
                    && !existing.contains(&(event_id.clone(), endpoint.id.to_string()))
                {
                    rows.push(DeliveryRow::new(event_id, &endpoint.id, now));
                }
            }
        }
        insert_deliveries(conn, &rows)?;
        diesel::update(events::table.filter(events::id.eq_any(&ids)))
            .set(events::dispatched.eq(true))
            .execute(conn)?;
        Ok(pending.len())
    })
}

/// Claims up to `limit` due deliveries of enabled endpoints, except those of `skip_endpoints`
/// (already busy), leasing them to `owner` until `lease_until`.
pub fn claim_due(
    conn: &mut AnyConnection,
    now: Timestamp,
    owner: &str,
    lease_until: Timestamp,
    limit: i64,
    skip_endpoints: &[String],
) -> QueryResult<Vec<Claimed>> {
    macro_rules! due {
        () => {
            webhook_deliveries::table
                .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                .filter(webhook_deliveries::next_attempt_at.le(now.as_millis()))
                .filter(
                    webhook_deliveries::locked_until
                        .is_null()
                        .or(webhook_deliveries::locked_until.lt(now.as_millis())),
                )
                .filter(
                    webhook_deliveries::endpoint_id.eq_any(
                        webhook_endpoints::table
                            .filter(webhook_endpoints::enabled.eq(true))
                            .select(webhook_endpoints::id),
                    ),
                )
                .filter(webhook_deliveries::endpoint_id.ne_all(skip_endpoints))
                .order((
                    webhook_deliveries::next_attempt_at.asc(),
                    webhook_deliveries::id.asc(),
                ))
                .limit(limit)
                .select(webhook_deliveries::id)
        };
    }
    if limit <= 0 {
        return Ok(Vec::new());
    }
    // Most polls find nothing: look before taking the write lock.
    if due!().first::<String>(conn).optional()?.is_none() {
        return Ok(Vec::new());
    }
    conn.write_transaction(|conn| {
        conn.commit_without_flush()?;
        let ids: Vec<String> = match conn {
            // Rows another instance is claiming right now are skipped, not waited for.
            AnyConnection::Postgresql(inner) => due!().for_update().skip_locked().load(inner)?,
            AnyConnection::Sqlite(inner) => due!().load(inner)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
            .set((
                webhook_deliveries::locked_until.eq(lease_until.as_millis()),
                webhook_deliveries::lease_owner.eq(owner),
            ))
            .execute(conn)?;
        let deliveries = webhook_deliveries::table
            .filter(webhook_deliveries::id.eq_any(&ids))
            .order((
                webhook_deliveries::next_attempt_at.asc(),
                webhook_deliveries::id.asc(),
            ))
            .select(DeliveryRow::as_select())
            .load(conn)?
            .into_iter()
            .map(Delivery::try_from)
            .collect::<QueryResult<Vec<_>>>()?;
        let event_ids: Vec<&str> = deliveries.iter().map(|d| d.event_id.as_str()).collect();
        let events: HashMap<String, Event> = events::table
            .filter(events::id.eq_any(&event_ids))
            .select(EventRow::as_select())
            .load(conn)?
            .into_iter()
            .map(|row| Event::try_from(row).map(|event| (event.id.to_string(), event)))
            .collect::<QueryResult<_>>()?;
        let endpoints: HashMap<String, WebhookEndpoint> = webhooks::list_enabled(conn)?
            .into_iter()
            .map(|endpoint| (endpoint.id.to_string(), endpoint))
            .collect();
        deliveries
            .into_iter()
            .map(|delivery| {
                let event = events
                    .get(delivery.event_id.as_str())
                    .cloned()
                    .ok_or(diesel::NotFound)?;
                let endpoint = endpoints
                    .get(delivery.endpoint_id.as_str())
                    .cloned()
                    .ok_or(diesel::NotFound)?;
                Ok(Claimed {
                    delivery,
                    event,
                    endpoint,
                })
            })
            .collect()
    })
}

/// Hands back deliveries `owner` claimed but will not attempt now, so that they are due at once
/// for whoever claims next instead of when the lease expires.
pub fn release(
    conn: &mut AnyConnection,
    ids: &[WebhookDeliveryId],
    owner: &str,
) -> QueryResult<()> {
    let ids: Vec<&str> = ids.iter().map(WebhookDeliveryId::as_str).collect();
    diesel::update(
        webhook_deliveries::table
            .filter(webhook_deliveries::id.eq_any(ids))
            .filter(webhook_deliveries::lease_owner.eq(owner)),
    )
    .set(webhook_deliveries::locked_until.eq(None::<i64>))
    .execute(conn)?;
    Ok(())
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Failed; try again at this time.
    RetryAt(Timestamp),
    /// Failed, and the schedule is used up.
    GiveUp,
}

/// A finished attempt, to record.
#[derive(Debug, Clone)]
pub struct AttemptReport {
    /// When it started.
    pub started_at: Timestamp,
    /// How long it took.
    pub duration_ms: i64,
    /// The HTTP status, if any.
    pub status_code: Option<i64>,
    /// The start of the answer's body.
    pub response_body: Option<String>,
    /// Why it failed without an answer.
    pub error: Option<String>,
    /// What it leads to.
    pub outcome: Outcome,
}

/// What recording an attempt changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Whether the endpoint was disabled by this failure.
    pub endpoint_disabled: bool,
}

/// Records an attempt, moves the delivery on per its outcome (if `owner` still holds it: a
/// dispatcher that lost its lease leaves the delivery to the one that took it over), and
/// updates the endpoint's failure record; an endpoint failing since before `disable_before`
/// is disabled with `disable_reason`.
pub fn record_attempt(
    conn: &mut AnyConnection,
    claimed: &Claimed,
    owner: &str,
    report: AttemptReport,
    now: Timestamp,
    disable_before: Timestamp,
    disable_reason: &str,
) -> QueryResult<Recorded> {
    let delivery_id = claimed.delivery.id.as_str();
    conn.write_transaction(|conn| {
        conn.commit_without_flush()?;
        // Incrementing first locks the row, so the attempt number is unique even when a lease
        // was taken over and two dispatchers report for the same delivery.
        diesel::update(webhook_deliveries::table.find(delivery_id))
            .set(webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1))
            .execute(conn)?;
        let attempt = webhook_deliveries::table
            .find(delivery_id)
            .select(webhook_deliveries::attempts)
            .first::<i64>(conn)?;
        diesel::insert_into(webhook_attempts::table)
            .values(AttemptRow {
                delivery_id: delivery_id.to_owned(),
                attempt,
                started_at: report.started_at.as_millis(),
                duration_ms: report.duration_ms,
                status_code: report.status_code,
                response_body: report.response_body,
                error: report.error,
                lease_owner: owner.to_owned(),
            })
            .execute(conn)?;
        let outcome = report.outcome;
        let (status, next_attempt_at) = match outcome {
            Outcome::Delivered => (DeliveryStatus::Delivered, now),
            Outcome::RetryAt(at) => (DeliveryStatus::Pending, at),
            Outcome::GiveUp => (DeliveryStatus::Failed, now),
        };
        diesel::update(
            webhook_deliveries::table
                .find(delivery_id)
                .filter(webhook_deliveries::lease_owner.eq(owner)),
        )
        .set((
            webhook_deliveries::status.eq(status.as_str()),
            webhook_deliveries::round_attempts.eq(webhook_deliveries::round_attempts + 1),
            webhook_deliveries::next_attempt_at.eq(next_attempt_at.as_millis()),
            webhook_deliveries::locked_until.eq(None::<i64>),
            webhook_deliveries::last_attempt_at.eq(report.started_at.as_millis()),
            webhook_deliveries::updated_at.eq(now.as_millis()),
        ))
        .execute(conn)?;
        let endpoint_disabled = match outcome {
            Outcome::Delivered => {
                webhooks::record_success(conn, &claimed.endpoint.id)?;
                false
            }
            Outcome::RetryAt(_) | Outcome::GiveUp => webhooks::record_failure(
                conn,
                &claimed.endpoint.id,
                now,
                disable_before,
                disable_reason,
            )?,
        };
        Ok(Recorded { endpoint_disabled })
    })
}

/// When the earliest pending delivery of an enabled endpoint becomes claimable.
pub fn next_due(conn: &mut AnyConnection) -> QueryResult<Option<Timestamp>> {
    let enabled = webhook_endpoints::table
        .filter(webhook_endpoints::enabled.eq(true))
        .select(webhook_endpoints::id);
    let pending = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_deliveries::endpoint_id.eq_any(enabled));
    let unleased = pending
        .filter(webhook_deliveries::locked_until.is_null())
        .select(diesel::dsl::min(webhook_deliveries::next_attempt_at))
        .first::<Option<i64>>(conn)?;
    let lease_expiry = pending
        .filter(webhook_deliveries::locked_until.is_not_null())
        .select(diesel::dsl::min(webhook_deliveries::locked_until))
        .first::<Option<i64>>(conn)?;
    Ok(unleased
        .into_iter()
        .chain(lease_expiry)
        .min()
        .map(Timestamp::from_millis))
}

/// Which endpoints an operation on deliveries reaches.
#[derive(Debug, Clone, Copy, Default)]
pub enum EndpointScope<'a> {
    /// Every endpoint.
    #[default]
    All,
    /// Only the endpoints limited to this organization (what a key limited to it may touch).
    Organization(&'a OrganizationId),
    /// Only this endpoint.
    Endpoint(&'a WebhookEndpointId),
}

impl EndpointScope<'_> {
    fn admits(&self, endpoint: &WebhookEndpoint) -> bool {
        match self {
            EndpointScope::All => true,
            EndpointScope::Organization(organization) => {
                endpoint.organization_id.as_ref() == Some(*organization)
            }
            EndpointScope::Endpoint(id) => endpoint.id == **id,
        }
    }
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only this endpoint's.
    pub endpoint_id: Option<WebhookEndpointId>,
    /// Only this event's.
    pub event_id: Option<EventId>,
    /// Only those in this state.
    pub status: Option<DeliveryStatus>,
    /// Only those to endpoints limited to this organization.
    pub organization: Option<OrganizationId>,
    /// At most this many, newest first (for [`list`]; a page's size is its request's).
    pub limit: i64,
}

/// Deliveries, newest first, each with its attempts in order.
pub fn list(
    conn: &mut AnyConnection,
    filter: &DeliveryFilter,
) -> QueryResult<Vec<(Delivery, Vec<Attempt>)>> {
    let request = PageRequest {
        limit: filter.limit,
        before: None,
        after: None,
        order: Order::Desc,
    };
    Ok(list_page(conn, filter, &request)?.items)
}

/// A page of deliveries, each with its attempts in order.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: &DeliveryFilter,
    request: &PageRequest,
) -> QueryResult<Page<(Delivery, Vec<Attempt>)>> {
    let mut query = webhook_deliveries::table
        .select(DeliveryRow::as_select())
        .into_boxed();
    if let Some(endpoint) = &filter.endpoint_id {
        query = query.filter(webhook_deliveries::endpoint_id.eq(endpoint.to_string()));
    }
    if let Some(event) = &filter.event_id {
        query = query.filter(webhook_deliveries::event_id.eq(event.to_string()));
    }
    if let Some(status) = filter.status {
        query = query.filter(webhook_deliveries::status.eq(status.as_str()));
    }
    if let Some(organization) = &filter.organization {
        query = query.filter(
            webhook_deliveries::endpoint_id.eq_any(
                webhook_endpoints::table
                    .filter(webhook_endpoints::organization_id.eq(organization.to_string()))
                    .select(webhook_endpoints::id),
            ),
        );
    }
    let page = read_page!(
        conn,
        query,
        webhook_deliveries::id,
        request,
        DeliveryRow,
        |row: &DeliveryRow| row.id.clone()
    )
    .try_map(Delivery::try_from)?;
    let ids: Vec<&str> = page.items.iter().map(|d| d.id.as_str()).collect();
    let mut attempts: HashMap<String, Vec<Attempt>> = HashMap::new();
    for row in webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(&ids))
        .order((
            webhook_attempts::delivery_id.asc(),
            webhook_attempts::attempt.asc(),
        ))
        .select(AttemptRow::as_select())
        .load(conn)?
    {
        let attempt = Attempt {
            delivery_id: WebhookDeliveryId::parse(&row.delivery_id).map_err(corrupt)?,
            attempt: row.attempt,
            started_at: Timestamp::from_millis(row.started_at),
            duration_ms: row.duration_ms,
            status_code: row.status_code,
            response_body: row.response_body,
            error: row.error,
            lease_owner: row.lease_owner,
        };
        attempts.entry(row.delivery_id).or_default().push(attempt);
    }
    Ok(page.map(|delivery| {
        let its = attempts.remove(delivery.id.as_str()).unwrap_or_default();
        (delivery, its)
    }))
}

/// One delivery, with the endpoint it goes to.
pub fn find(
    conn: &mut AnyConnection,
    id: &WebhookDeliveryId,
) -> QueryResult<Option<(Delivery, WebhookEndpoint)>> {
    let Some(delivery) = webhook_deliveries::table
        .find(id.as_str())
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?
        .map(Delivery::try_from)
        .transpose()?
    else {
        return Ok(None);
    };
    Ok(webhooks::find(conn, &delivery.endpoint_id)?.map(|endpoint| (delivery, endpoint)))
}

/// Queues one delivery for a new round of attempts, whatever became of it. Returns it as
/// queued, or `None` if there is no such delivery.
pub fn redeliver(
    conn: &mut AnyConnection,
    id: &WebhookDeliveryId,
    now: Timestamp,
) -> QueryResult<Option<Delivery>> {
    conn.write_transaction(|conn| {
        requeue(conn, &[id.to_string()], now)?;
        webhook_deliveries::table
            .find(id.as_str())
            .select(DeliveryRow::as_select())
            .first(conn)
            .optional()?
            .map(Delivery::try_from)
            .transpose()
    })
}

/// Starts a new round of attempts. The lease is dropped too: an attempt in flight right now
/// then records only itself (its outcome applies to the lease it held), so its answer cannot
/// swallow the redelivery that was just asked for.
fn requeue(conn: &mut AnyConnection, ids: &[String], now: Timestamp) -> QueryResult<()> {
    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)))
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()),
            webhook_deliveries::round_attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(now.as_millis()),
            webhook_deliveries::locked_until.eq(None::<i64>),
            webhook_deliveries::lease_owner.eq(None::<String>),
            webhook_deliveries::updated_at.eq(now.as_millis()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Queues an event again for every enabled endpoint that wants it, whatever became of its
/// earlier deliveries: existing deliveries start a new round of attempts, endpoints without
/// one get one. Returns the deliveries queued, or `None` if there is no such event.
pub fn redeliver_event(
    conn: &mut AnyConnection,
    event: &EventId,
    scope: EndpointScope<'_>,
    now: Timestamp,
) -> QueryResult<Option<Vec<WebhookDeliveryId>>> {
    conn.write_transaction(|conn| {
        let Some((organization, event_type)) = events::table
            .find(event.as_str())
            .select((events::organization_id, events::event_type))
            .first::<(String, String)>(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let event_type = parse_event_type(&event_type)?;
        let ids = [event.to_string()];
        let existing = existing_pairs(conn, &ids)?;
        let endpoints = webhooks::list(conn)?;
        let rows: Vec<DeliveryRow> = endpoints
            .iter()
            .filter(|endpoint| endpoint.wants(event_type, &organization))
            .filter(|endpoint| scope.admits(endpoint))
            .filter(|endpoint| !existing.contains(&(ids[0].clone(), endpoint.id.to_string())))
            .map(|endpoint| DeliveryRow::new(&ids[0], &endpoint.id, now))
            .collect();
        insert_deliveries(conn, &rows)?;
        if let EndpointScope::All = scope {
            // Its deliveries exist now: fanning it out again would only find them.
            diesel::update(events::table.find(event.as_str()))
                .set(events::dispatched.eq(true))
                .execute(conn)?;
        }
        let in_scope: Vec<String> = endpoints
            .iter()
            .filter(|endpoint| scope.admits(endpoint))
            .map(|endpoint| endpoint.id.to_string())
            .collect();
        let queued: Vec<String> = webhook_deliveries::table
            .filter(webhook_deliveries::event_id.eq(event.as_str()))
            .filter(webhook_deliveries::endpoint_id.eq_any(&in_scope))
            .order(webhook_deliveries::id.asc())
            .select(webhook_deliveries::id)
            .load(conn)?;
        requeue(conn, &queued, now)?;
        queued
            .iter()
            .map(|id| WebhookDeliveryId::parse(id).map_err(corrupt))
            .collect::<QueryResult<Vec<_>>>()
            .map(Some)
    })
}

/// Queues again every failed delivery of an event created at or after `since`.
pub fn redeliver_failed_since(
    conn: &mut AnyConnection,
    since: Timestamp,
    scope: EndpointScope<'_>,
    now: Timestamp,
) -> QueryResult<Vec<WebhookDeliveryId>> {
    conn.write_transaction(|conn| {
        let in_scope: Vec<String> = webhooks::list(conn)?
            .iter()
            .filter(|endpoint| scope.admits(endpoint))
            .map(|endpoint| endpoint.id.to_string())
            .collect();
        let queued: Vec<String> = webhook_deliveries::table
            .filter(webhook_deliveries::endpoint_id.eq_any(&in_scope))
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Failed.as_str()))
            .filter(
                webhook_deliveries::event_id.eq_any(
                    events::table
                        .filter(events::created_at.ge(since.as_millis()))
                        .select(events::id),
                ),
            )
            .order(webhook_deliveries::id.asc())
            .select(webhook_deliveries::id)
            .load(conn)?;
        requeue(conn, &queued, now)?;
        queued
            .iter()
            .map(|id| WebhookDeliveryId::parse(id).map_err(corrupt))
            .collect()
    })
}

/// Deletes up to `batch` events created before `before`, with their deliveries and attempts.
/// Returns how many events it deleted.
pub fn prune_events(conn: &mut AnyConnection, before: Timestamp, batch: i64) -> QueryResult<usize> {
    conn.write_transaction(|conn| {
        let old: Vec<String> = events::table
            .filter(events::created_at.lt(before.as_millis()))
            // A held event waits for its admin's decision, however long that takes.
            .filter(events::held.eq(false))
            .order(events::created_at.asc())
            .limit(batch)
            .select(events::id)
            .load(conn)?;
        if old.is_empty() {
            return Ok(0);
        }
        let deliveries = webhook_deliveries::table
            .filter(webhook_deliveries::event_id.eq_any(&old))
            .select(webhook_deliveries::id);
        diesel::delete(
            webhook_attempts::table.filter(webhook_attempts::delivery_id.eq_any(deliveries)),
        )
        .execute(conn)?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::event_id.eq_any(&old)))
            .execute(conn)?;
        diesel::delete(events::table.filter(events::id.eq_any(&old))).execute(conn)
    })
}
