//! The mass-deprovisioning guard's storage: each directory's settings, the marks on the events
//! that deprovision a user, and the holds that keep such events from being fanned out until an
//! admin releases or discards them.

use diesel::prelude::*;
use roster_core::id::DeprovisioningHoldId;
use roster_core::{DirectoryId, EventId, OrganizationId, Timestamp};

use crate::organizations::corrupt;
use crate::schema::{deprovisioning_holds, directories, directory_users, events};
use crate::{AnyConnection, QueryResult};

/// A directory's guard settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardSettings {
    /// Whether deprovisionings can open a hold at all.
    pub enabled: bool,
    /// The share of the active users (in percent) that must be exceeded.
    pub percent: i64,
    /// The fewest deprovisionings that can open a hold, whatever the share.
    pub minimum: i64,
    /// How far back deprovisionings are counted.
    pub window_minutes: i64,
}

/// Where a hold stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldStatus {
    /// Its events wait for a decision; new deprovisionings join it.
    Open,
    /// Its events were handed to the dispatcher.
    Released,
    /// Its events stay in the log and are never delivered.
    Discarded,
}

impl HoldStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Open => "open",
            HoldStatus::Released => "released",
            HoldStatus::Discarded => "discarded",
        }
    }

    /// Reads a stored or typed status.
    pub fn parse(value: &str) -> Option<Self> {
        [
            HoldStatus::Open,
            HoldStatus::Released,
            HoldStatus::Discarded,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

/// A hold, with how many events it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    /// `hold_…`
    pub id: DeprovisioningHoldId,
    /// The directory whose deprovisionings it holds.
    pub directory_id: DirectoryId,
    /// That directory's organization.
    pub organization_id: OrganizationId,
    /// Where it stands.
    pub status: HoldStatus,
    /// When the threshold was crossed.
    pub opened_at: Timestamp,
    /// Deprovisionings counted in the window when it opened.
    pub deprovisioned: i64,
    /// Active users estimated at the window's start.
    pub active_at_start: i64,
    /// When an admin released or discarded it.
    pub decided_at: Option<Timestamp>,
    /// Events it covers (held, released or discarded).
    pub events: i64,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = deprovisioning_holds)]
#[diesel(treat_none_as_default_value = false)]
struct HoldRow {
    id: String,
    directory_id: String,
    organization_id: String,
    status: String,
    opened_at: i64,
    deprovisioned: i64,
    active_at_start: i64,
    decided_at: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown hold status `{0}`")]
struct UnknownStatus(String);

fn hold(conn: &mut AnyConnection, row: HoldRow) -> QueryResult<Hold> {
    let events = events::table
        .filter(events::hold_id.eq(&row.id))
        .count()
        .get_result::<i64>(conn)?;
    Ok(Hold {
        id: DeprovisioningHoldId::parse(&row.id).map_err(corrupt)?,
        directory_id: DirectoryId::parse(&row.directory_id).map_err(corrupt)?,
        organization_id: OrganizationId::parse(&row.organization_id).map_err(corrupt)?,
        status: HoldStatus::parse(&row.status)
            .ok_or_else(|| corrupt(UnknownStatus(row.status.clone())))?,
        opened_at: Timestamp::from_millis(row.opened_at),
        deprovisioned: row.deprovisioned,
        active_at_start: row.active_at_start,
        decided_at: row.decided_at.map(Timestamp::from_millis),
        events,
    })
}

/// A directory's guard settings, or `None` if there is no such directory.
pub fn settings(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
) -> QueryResult<Option<GuardSettings>> {
    Ok(directories::table
        .find(directory.as_str())
        .select((
            directories::deprovisioning_guard_enabled,
            directories::deprovisioning_guard_percent,
            directories::deprovisioning_guard_minimum,
            directories::deprovisioning_guard_window_minutes,
        ))
        .first::<(bool, i64, i64, i64)>(conn)
        .optional()?
        .map(
            |(enabled, percent, minimum, window_minutes)| GuardSettings {
                enabled,
                percent,
                minimum,
                window_minutes,
            },
        ))
}

/// Replaces a directory's guard settings. False if there is no such directory.
pub fn set_settings(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    settings: GuardSettings,
) -> QueryResult<bool> {
    let updated = diesel::update(directories::table.find(directory.as_str()))
        .set((
            directories::deprovisioning_guard_enabled.eq(settings.enabled),
            directories::deprovisioning_guard_percent.eq(settings.percent),
            directories::deprovisioning_guard_minimum.eq(settings.minimum),
            directories::deprovisioning_guard_window_minutes.eq(settings.window_minutes),
            directories::updated_at.eq(Timestamp::now().as_millis()),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// The directory's open hold, if any.
pub fn open_for(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
) -> QueryResult<Option<DeprovisioningHoldId>> {
    deprovisioning_holds::table
        .filter(deprovisioning_holds::directory_id.eq(directory.as_str()))
        .filter(deprovisioning_holds::status.eq(HoldStatus::Open.as_str()))
        .select(deprovisioning_holds::id)
        .first::<String>(conn)
        .optional()?
        .map(|id| DeprovisioningHoldId::parse(&id).map_err(corrupt))
        .transpose()
}

/// When an admin last released one of the directory's holds: the deprovisionings before it
/// were judged legitimate and no longer count.
pub fn last_released_at(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
) -> QueryResult<Option<Timestamp>> {
    Ok(deprovisioning_holds::table
        .filter(deprovisioning_holds::directory_id.eq(directory.as_str()))
        .filter(deprovisioning_holds::status.eq(HoldStatus::Released.as_str()))
        .select(diesel::dsl::max(deprovisioning_holds::decided_at))
        .first::<Option<i64>>(conn)?
        .map(Timestamp::from_millis))
}

/// Events of the directory marked as deprovisioning a user, created at or after `since`
/// (an index range: the guard runs this on every deactivation).
pub fn deprovisions_since(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    since: Timestamp,
) -> QueryResult<i64> {
    events::table
        .filter(events::directory_id.eq(directory.as_str()))
        .filter(events::deprovisions.eq(true))
        .filter(events::created_at.ge(since.as_millis()))
        .count()
        .get_result(conn)
}

/// The directory's active users now.
pub fn active_users(conn: &mut AnyConnection, directory: &DirectoryId) -> QueryResult<i64> {
    directory_users::table
        .filter(directory_users::directory_id.eq(directory.as_str()))
        .filter(directory_users::active.eq(true))
        .count()
        .get_result(conn)
}

/// Marks an event as deprovisioning a user (counted by the guard) and/or as held by `hold`.
pub fn mark_event(
    conn: &mut AnyConnection,
    event: &EventId,
    deprovisions: bool,
    hold: Option<&DeprovisioningHoldId>,
) -> QueryResult<()> {
    diesel::update(events::table.find(event.as_str()))
        .set((
            events::deprovisions.eq(deprovisions),
            events::held.eq(hold.is_some()),
            events::hold_id.eq(hold.map(DeprovisioningHoldId::as_str)),
        ))
        .execute(conn)
        .map(drop)
}

/// Opens a hold for the directory. Call under the directory's write lock, after checking that
/// none is open.
pub fn open(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    organization: &OrganizationId,
    deprovisioned: i64,
    active_at_start: i64,
    at: Timestamp,
) -> QueryResult<DeprovisioningHoldId> {
    let id = DeprovisioningHoldId::generate();
    diesel::insert_into(deprovisioning_holds::table)
        .values(HoldRow {
            id: id.to_string(),
            directory_id: directory.to_string(),
            organization_id: organization.to_string(),
            status: HoldStatus::Open.as_str().to_owned(),
            opened_at: at.as_millis(),
            deprovisioned,
            active_at_start,
            decided_at: None,
        })
        .execute(conn)?;
    Ok(id)
}

/// One hold, or `None`.
pub fn find(conn: &mut AnyConnection, id: &DeprovisioningHoldId) -> QueryResult<Option<Hold>> {
    let row = deprovisioning_holds::table
        .find(id.as_str())
        .select(HoldRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|row| hold(conn, row)).transpose()
}

/// Holds, newest first, optionally of one directory and in one status.
pub fn list(
    conn: &mut AnyConnection,
    directory: Option<&DirectoryId>,
    status: Option<HoldStatus>,
) -> QueryResult<Vec<Hold>> {
    let mut query = deprovisioning_holds::table
        .order(deprovisioning_holds::id.desc())
        .select(HoldRow::as_select())
        .into_boxed();
    if let Some(directory) = directory {
        query = query.filter(deprovisioning_holds::directory_id.eq(directory.to_string()));
    }
    if let Some(status) = status {
        query = query.filter(deprovisioning_holds::status.eq(status.as_str()));
    }
    let rows = query.load(conn)?;
    rows.into_iter().map(|row| hold(conn, row)).collect()
}

/// What deciding a hold came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The hold is decided as asked.
    Decided(Hold),
    /// There is no such hold.
    Unknown,
    /// It was already released or discarded.
    AlreadyDecided(Hold),
}

/// Releases an open hold (its events become ordinary undispatched events, which the dispatcher
/// fans out in their order) or discards it (they are marked dispatched without deliveries, so
/// they stay in the log and are never sent).
pub fn decide(
    conn: &mut AnyConnection,
    id: &DeprovisioningHoldId,
    release: bool,
    at: Timestamp,
) -> QueryResult<Decision> {
    conn.write_transaction(|conn| {
        let Some(first) = find(conn, id)? else {
            return Ok(Decision::Unknown);
        };
        // A SCIM write in flight may be adding an event to this hold: wait for it, so that no
        // event joins the hold after it is decided and stays held for good. Read the hold again
        // under the lock, in case another admin decided it meanwhile.
        crate::directories::lock_for_write(conn, &first.directory_id)?;
        let current = find(conn, id)?.unwrap_or(first);
        if current.status != HoldStatus::Open {
            return Ok(Decision::AlreadyDecided(current));
        }
        let status = if release {
            HoldStatus::Released
        } else {
            HoldStatus::Discarded
        };
        diesel::update(deprovisioning_holds::table.find(id.as_str()))
            .set((
                deprovisioning_holds::status.eq(status.as_str()),
                deprovisioning_holds::decided_at.eq(at.as_millis()),
            ))
            .execute(conn)?;
        let covered = events::table
            .filter(events::hold_id.eq(id.as_str()))
            .filter(events::held.eq(true));
        if release {
            diesel::update(covered)
                .set(events::held.eq(false))
                .execute(conn)?;
        } else {
            diesel::update(covered)
                .set((events::held.eq(false), events::dispatched.eq(true)))
                .execute(conn)?;
        }
        match find(conn, id)? {
            Some(decided) => Ok(Decision::Decided(decided)),
            None => Ok(Decision::Unknown),
        }
    })
}
