//! The mass-deprovisioning guard. A misconfigured assignment in an identity provider can
//! deactivate a whole company in minutes; every app consuming the webhooks would log everyone
//! out. When more than a directory's share of its active users (and at least its minimum
//! number) is deactivated or deleted within its window, the changes are still stored and
//! answered normally, but their events are held from the webhooks until an admin releases or
//! discards them.
//!
//! It runs inside the SCIM write transaction, under the directory's write lock, so the count
//! is exact however many writes arrive at once.

use roster_core::{EventId, Timestamp, UserState};
use roster_store::directories::Directory;
use roster_store::users::StoredUser;
use roster_store::{AnyConnection, holds};

use crate::ScimError;

/// After a `user.updated` event: a deactivation (active → inactive) counts.
pub(crate) fn after_user_updated(
    conn: &mut AnyConnection,
    directory: &Directory,
    before: &StoredUser,
    after: &StoredUser,
    event: &EventId,
    at: Timestamp,
) -> Result<(), ScimError> {
    if before.user.profile.state == UserState::Active
        && after.user.profile.state == UserState::Inactive
    {
        check(conn, directory, event, true, at)?;
    }
    Ok(())
}

/// After a `user.deleted` event: deleting an active user counts; deleting an inactive one (a
/// clean-up) does not, but is held like the others while a hold is open, so that an app never
/// learns of a deletion before the deactivation that preceded it.
pub(crate) fn after_user_deleted(
    conn: &mut AnyConnection,
    directory: &Directory,
    user: &StoredUser,
    event: &EventId,
    at: Timestamp,
) -> Result<(), ScimError> {
    let counts = user.user.profile.state == UserState::Active;
    check(conn, directory, event, counts, at)
}

fn check(
    conn: &mut AnyConnection,
    directory: &Directory,
    event: &EventId,
    counts: bool,
    at: Timestamp,
) -> Result<(), ScimError> {
    // An open hold takes every deprovisioning until an admin decides, even if the guard was
    // turned off meanwhile: releasing it is how the admin lets them through.
    if let Some(hold) = holds::open_for(conn, &directory.id)? {
        holds::mark_event(conn, event, counts, Some(&hold))?;
        return Ok(());
    }
    if !counts {
        return Ok(());
    }
    let Some(settings) = holds::settings(conn, &directory.id)? else {
        return Ok(());
    };
    let since = Timestamp::from_millis(
        at.as_millis()
            .saturating_sub(settings.window_minutes.saturating_mul(60_000)),
    );
    // A released hold's deprovisionings were judged legitimate: count from there, so that a
    // deliberate offboarding does not open hold after hold. A discarded hold's still count.
    let since = match holds::last_released_at(conn, &directory.id)? {
        Some(released) if released.as_millis() > since.as_millis() => released,
        _ => since,
    };
    // This event is not marked yet: count it by hand.
    let deprovisioned = holds::deprovisions_since(conn, &directory.id, since)?.saturating_add(1);
    // Counting the active users reads an index range of the directory: only once the
    // (cheap) count of deprovisionings could cross the threshold at all.
    let active_at_start = if settings.enabled && deprovisioned >= settings.minimum {
        Some(holds::active_users(conn, &directory.id)?.saturating_add(deprovisioned))
    } else {
        None
    };
    let Some(active_at_start) = active_at_start.filter(|active| {
        deprovisioned.saturating_mul(100) > settings.percent.saturating_mul(*active)
    }) else {
        holds::mark_event(conn, event, true, None)?;
        return Ok(());
    };
    let hold = holds::open(
        conn,
        &directory.id,
        &directory.organization_id,
        deprovisioned,
        active_at_start,
        at,
    )?;
    holds::mark_event(conn, event, true, Some(&hold))?;
    tracing::warn!(
        directory_id = %directory.id,
        organization_id = %directory.organization_id,
        hold_id = %hold,
        deprovisioned,
        active_at_start,
        threshold_percent = settings.percent,
        window_minutes = settings.window_minutes,
        "mass deprovisioning: {deprovisioned} of about {active_at_start} active users deactivated or deleted within {} minutes; their webhooks are held until an admin runs `roster directory release-hold {hold}` or `discard-hold {hold}`",
        settings.window_minutes
    );
    Ok(())
}
