//! Writes that identity providers make, each in one transaction with the events that describe
//! it (the outbox): a committed change always has its events, a failed one never does.
//! Every function runs inside [`write`], under the directory's write lock.

use std::collections::HashSet;

use roster_core::directory_user::previous_attributes;
use roster_core::{
    DirectoryGroup, DirectoryUser, DirectoryUserId, EmailDomainPolicy, EventId, EventType,
    Timestamp, UserProfile, case_key,
};
use roster_store::directories::Directory;
use roster_store::groups::{self, GroupWrite, StoredGroup};
use roster_store::users::{self, StoredUser, UserWrite};
use roster_store::{AnyConnection, Store, events, organizations};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

use crate::guard_deprovisioning;
use crate::resources::group::ValidGroup;
use crate::resources::user::ValidUser;
use crate::{ScimContext, ScimError};

/// Runs `change` in a write transaction holding the directory's write lock, so that one
/// directory's writes apply one after another against committed state.
/// After the commit it wakes the webhook dispatcher, which delivers the events just written.
pub fn write<T>(
    context: &ScimContext,
    directory: &Directory,
    change: impl FnOnce(&mut AnyConnection) -> Result<T, ScimError>,
) -> Result<T, ScimError> {
    write_to(&context.store, &context.events_written, directory, change)
}

/// [`write`] for callers without a [`ScimContext`] (the test events of the management API
/// and the dashboard).
pub fn write_to<T>(
    store: &Store,
    events_written: &Notify,
    directory: &Directory,
    change: impl FnOnce(&mut AnyConnection) -> Result<T, ScimError>,
) -> Result<T, ScimError> {
    let mut conn = store.connection()?;
    let result = conn.write_transaction(|conn| {
        roster_store::directories::lock_for_write(conn, &directory.id)?;
        change(conn)
    })?;
    events_written.notify_one();
    Ok(result)
}

fn record(
    conn: &mut AnyConnection,
    directory: &Directory,
    event_type: EventType,
    data: &Value,
    at: Timestamp,
) -> Result<EventId, ScimError> {
    Ok(events::append(
        conn,
        &directory.id,
        &directory.organization_id,
        event_type,
        data,
        at,
    )?)
}

fn ensure_user_name_free(
    conn: &mut AnyConnection,
    directory: &Directory,
    user_name: &str,
    except: Option<&DirectoryUserId>,
) -> Result<(), ScimError> {
    match users::id_by_user_name(conn, &directory.id, user_name)? {
        Some(owner) if except.is_none_or(|id| id.as_str() != owner) => {
            Err(ScimError::uniqueness(format!(
                "A user with userName `{user_name}` already exists in this directory (id {owner})."
            )))
        }
        _ => Ok(()),
    }
}

/// Whether the user's primary email is outside the organization's domains; an error when the
/// directory refuses such users. An organization without domains accepts every address.
fn check_email_domain(
    conn: &mut AnyConnection,
    directory: &Directory,
    profile: &UserProfile,
) -> Result<bool, ScimError> {
    let Some(email) = profile.email.as_deref() else {
        return Ok(false);
    };
    let domains = organizations::domains_of(conn, &directory.organization_id)?;
    if domains.is_empty() {
        return Ok(false);
    }
    let domain = email
        .rsplit_once('@')
        .map_or("", |(_, domain)| domain)
        .to_ascii_lowercase();
    if domains.iter().any(|owned| owned.as_str() == domain) {
        return Ok(false);
    }
    match directory.email_domain_policy {
        EmailDomainPolicy::Flag => Ok(true),
        EmailDomainPolicy::Refuse => {
            let owned: Vec<&str> = domains.iter().map(|domain| domain.as_str()).collect();
            Err(ScimError::invalid_value(format!(
                "The email domain `{domain}` is not one of this organization's domains ({}); this directory refuses such users.",
                owned.join(", ")
            )))
        }
    }
}

/// Provisions a user.
pub fn create_user(
    conn: &mut AnyConnection,
    directory: &Directory,
    user: ValidUser,
) -> Result<StoredUser, ScimError> {
    ensure_user_name_free(conn, directory, &user.user_name, None)?;
    let now = Timestamp::now();
    let id = DirectoryUserId::generate();
    let profile = user.profile(id.as_str());
    let document = Value::Object(user.document.clone());
    let write = UserWrite {
        user_name: &user.user_name,
        external_id: user.external_id.as_deref(),
        display_name: user.display_name.as_deref(),
        document: &document,
        profile: &profile,
        email_outside_domains: check_email_domain(conn, directory, &profile)?,
    };
    let stored = users::insert(conn, &id, directory, &write, now)?;
    record(
        conn,
        directory,
        EventType::UserCreated,
        &stored.user.to_json(),
        now,
    )?;
    Ok(stored)
}

/// Replaces a user's document; no write and no event when nothing changed.
pub fn update_user(
    conn: &mut AnyConnection,
    directory: &Directory,
    previous: StoredUser,
    user: ValidUser,
) -> Result<StoredUser, ScimError> {
    if previous.user.raw_attributes.as_object() == Some(&user.document) {
        return Ok(previous);
    }
    let previous_name = previous.user.profile.username.as_deref().map(case_key);
    if previous_name.as_deref() != Some(case_key(&user.user_name).as_str()) {
        ensure_user_name_free(conn, directory, &user.user_name, Some(&previous.user.id))?;
    }
    let now = Timestamp::now();
    let profile = user.profile(previous.user.id.as_str());
    let document = Value::Object(user.document.clone());
    let write = UserWrite {
        user_name: &user.user_name,
        external_id: user.external_id.as_deref(),
        display_name: user.display_name.as_deref(),
        document: &document,
        profile: &profile,
        email_outside_domains: check_email_domain(conn, directory, &profile)?,
    };
    let stored = users::update(conn, &previous, &write, now)?;
    let before = previous.user.to_json();
    let mut data = stored.user.to_json();
    data["previous_attributes"] = Value::Object(previous_attributes(&before, &data));
    let event = record(conn, directory, EventType::UserUpdated, &data, now)?;
    guard_deprovisioning::after_user_updated(conn, directory, &previous, &stored, &event, now)?;
    Ok(stored)
}

/// Deletes a user; its memberships go with it, each with a `user_removed` event first.
pub fn delete_user(
    conn: &mut AnyConnection,
    directory: &Directory,
    user: &StoredUser,
) -> Result<(), ScimError> {
    let now = Timestamp::now();
    let memberships = users::groups_of(conn, &[user.user.id.as_str()])?;
    for membership in memberships {
        if let Some(group) = groups::find(conn, &directory.id, &membership.group_id)? {
            record(
                conn,
                directory,
                EventType::GroupUserRemoved,
                &membership_data(&user.user, &group.group),
                now,
            )?;
        }
    }
    users::delete(conn, &directory.id, user.user.id.as_str())?;
    let event = record(
        conn,
        directory,
        EventType::UserDeleted,
        &user.user.to_json(),
        now,
    )?;
    guard_deprovisioning::after_user_deleted(conn, directory, user, &event, now)?;
    Ok(())
}

fn membership_data(user: &DirectoryUser, group: &DirectoryGroup) -> Value {
    json!({"directory_id": group.directory_id, "user": user.to_json(), "group": group.to_json()})
}

/// Member ids that are users of this directory; anything else is the client's error.
fn check_members(
    conn: &mut AnyConnection,
    directory: &Directory,
    ids: &[&str],
) -> Result<(), ScimError> {
    if ids.is_empty() {
        return Ok(());
    }
    let known = users::existing_ids(conn, &directory.id, ids)?;
    if let Some(unknown) = ids
        .iter()
        .find(|id| !known.iter().any(|known| known == *id))
    {
        return Err(ScimError::invalid_value(format!(
            "No user with id `{unknown}` exists in this directory."
        )));
    }
    Ok(())
}

/// Provisions a group with its members.
pub fn create_group(
    conn: &mut AnyConnection,
    directory: &Directory,
    group: ValidGroup,
) -> Result<(StoredGroup, Vec<String>), ScimError> {
    let now = Timestamp::now();
    let members: Vec<&str> = group.members.iter().map(String::as_str).collect();
    check_members(conn, directory, &members)?;
    let document = Value::Object(group.document.clone());
    let write = GroupWrite {
        display_name: &group.display_name,
        external_id: group.external_id.as_deref(),
        document: &document,
    };
    let stored = groups::insert(conn, directory, &write, now)?;
    record(
        conn,
        directory,
        EventType::GroupCreated,
        &stored.group.to_json(),
        now,
    )?;
    change_members(conn, directory, &stored.group, &[], &members, now)?;
    Ok((stored, group.members))
}

/// Replaces a group's attributes and members, recording exactly what changed.
pub fn update_group(
    conn: &mut AnyConnection,
    directory: &Directory,
    previous: StoredGroup,
    previous_members: &[String],
    group: ValidGroup,
) -> Result<(StoredGroup, Vec<String>), ScimError> {
    let now = Timestamp::now();
    let members: Vec<&str> = group.members.iter().map(String::as_str).collect();
    let stored = if previous.group.raw_attributes.as_object() == Some(&group.document) {
        previous
    } else {
        let document = Value::Object(group.document.clone());
        let write = GroupWrite {
            display_name: &group.display_name,
            external_id: group.external_id.as_deref(),
            document: &document,
        };
        let stored = groups::update(conn, &previous, &write, now)?;
        let before = previous.group.to_json();
        let mut data = stored.group.to_json();
        let changed: Map<String, Value> = previous_attributes(&before, &data);
        data["previous_attributes"] = Value::Object(changed);
        record(conn, directory, EventType::GroupUpdated, &data, now)?;
        stored
    };
    let before: Vec<&str> = previous_members.iter().map(String::as_str).collect();
    change_members(conn, directory, &stored.group, &before, &members, now)?;
    Ok((stored, group.members))
}

/// Adds the users in `after` but not `before` to the group and removes those in `before` but
/// not `after`, with a `user_added` or `user_removed` event for each. The bulk API calls it
/// with one user at a time.
pub fn change_members(
    conn: &mut AnyConnection,
    directory: &Directory,
    group: &DirectoryGroup,
    before: &[&str],
    after: &[&str],
    at: Timestamp,
) -> Result<(), ScimError> {
    // Sets, not list scans: a group push compares lists of ten thousand members.
    let before_set: HashSet<&str> = before.iter().copied().collect();
    let after_set: HashSet<&str> = after.iter().copied().collect();
    let added: Vec<&str> = after
        .iter()
        .copied()
        .filter(|id| !before_set.contains(id))
        .collect();
    let removed: Vec<&str> = before
        .iter()
        .copied()
        .filter(|id| !after_set.contains(id))
        .collect();
    check_members(conn, directory, &added)?;
    groups::add_members(conn, group, &added, at)?;
    groups::remove_members(conn, group, &removed)?;
    let changed: Vec<&str> = added.iter().chain(&removed).copied().collect();
    let affected = users::find_many(conn, &directory.id, &changed)?;
    for (ids, event_type) in [
        (&added, EventType::GroupUserAdded),
        (&removed, EventType::GroupUserRemoved),
    ] {
        for id in ids.iter() {
            if let Some(user) = affected.iter().find(|user| user.user.id.as_str() == *id) {
                record(
                    conn,
                    directory,
                    event_type,
                    &membership_data(&user.user, group),
                    at,
                )?;
            }
        }
    }
    Ok(())
}

/// Deletes a group (its memberships go with it, as WorkOS does, without per-member events).
pub fn delete_group(
    conn: &mut AnyConnection,
    directory: &Directory,
    group: &StoredGroup,
) -> Result<(), ScimError> {
    groups::delete(conn, &directory.id, group.group.id.as_str())?;
    record(
        conn,
        directory,
        EventType::GroupDeleted,
        &group.group.to_json(),
        Timestamp::now(),
    )?;
    Ok(())
}
