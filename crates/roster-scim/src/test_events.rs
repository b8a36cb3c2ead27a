//! Test events: a short, complete life of two test people and a group in a directory, written
//! through the same changes an identity provider's requests make, so an app developer sees
//! every kind of user and group event — signed, on their own endpoint, with this directory's
//! ids — without an identity provider. It cleans up after itself: the directory ends as it
//! began, and only the events remain.

use roster_core::{EventId, EventType, Timestamp};
use roster_store::directories::Directory;
use roster_store::{Store, events, organizations};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::ScimError;
use crate::changes::{self, write_to};
use crate::resources::group::ValidGroup;
use crate::resources::user::ValidUser;

/// The events a test run recorded, in order.
#[derive(Debug, Clone)]
pub struct TestRun {
    /// Each event's id and type.
    pub events: Vec<(EventId, EventType)>,
}

fn person(given: &str, domain: &str, tag: &str) -> Value {
    let email = format!("{}.test+{tag}@{domain}", given.to_lowercase());
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "userName": email,
        "externalId": format!("roster-test-{}-{tag}", given.to_lowercase()),
        "name": {"givenName": given, "familyName": "Test"},
        "displayName": format!("{given} Test"),
        "emails": [{"value": email, "primary": true, "type": "work"}],
        "title": "Test user",
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Roster test events"}
    })
}

fn user(document: Value) -> Result<ValidUser, ScimError> {
    ValidUser::from_request(document)
}

/// Runs the test life in `directory`, one transaction per step as an identity provider's
/// requests would be: two people are created, put in a new group, one is given a new title and
/// the other deactivated, the first leaves the group, then the group and both people are
/// deleted. Every user and group event type is recorded once or more.
pub fn send(
    store: &Store,
    events_written: &Notify,
    directory: &Directory,
) -> Result<TestRun, ScimError> {
    let (domain, sequence_before) = {
        let mut conn = store.connection()?;
        let domain = organizations::find(&mut conn, &directory.organization_id)?
            .and_then(|organization| organization.domains.first().map(ToString::to_string))
            .unwrap_or_else(|| "example.com".to_owned());
        let sequence = roster_store::directories::find(&mut conn, &directory.id)?
            .map_or(0, |current| current.last_event_sequence);
        (domain, sequence)
    };
    // The random end of a fresh id: tells this run's people from any other's.
    let fresh = roster_core::DirectoryUserId::generate();
    let tag = fresh
        .as_str()
        .get(fresh.as_str().len().saturating_sub(8)..)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let step =
        |change: &mut dyn FnMut(&mut roster_store::AnyConnection) -> Result<(), ScimError>| {
            write_to(store, events_written, directory, |conn| change(conn))
        };

    let mut people = Vec::new();
    for given in ["Avery", "Blake"] {
        let document = person(given, &domain, &tag);
        let mut created = None;
        step(&mut |conn| {
            created = Some(changes::create_user(
                conn,
                directory,
                user(document.clone())?,
            )?);
            Ok(())
        })?;
        people.extend(created);
    }
    let [avery, blake] = people.as_slice() else {
        return Err(ScimError::internal(&"the test users were not created"));
    };
    let member_ids = [avery.user.id.to_string(), blake.user.id.to_string()];
    let mut group = None;
    step(&mut |conn| {
        let members: Vec<Value> = member_ids.iter().map(|id| json!({"value": id})).collect();
        let document = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": format!("Roster test group {tag}"),
            "externalId": format!("roster-test-group-{tag}"),
            "members": members,
        });
        group = Some(changes::create_group(
            conn,
            directory,
            ValidGroup::from_request(document)?,
        )?);
        Ok(())
    })?;
    let (group, _) = group.ok_or_else(|| ScimError::internal(&"the test group was not created"))?;

    let mut retitled = person("Avery", &domain, &tag);
    retitled["title"] = json!("Test lead");
    step(&mut |conn| {
        changes::update_user(conn, directory, avery.clone(), user(retitled.clone())?)?;
        Ok(())
    })?;
    let mut deactivated = person("Blake", &domain, &tag);
    deactivated["active"] = json!(false);
    step(&mut |conn| {
        changes::update_user(conn, directory, blake.clone(), user(deactivated.clone())?)?;
        Ok(())
    })?;
    step(&mut |conn| {
        let before: Vec<&str> = member_ids.iter().map(String::as_str).collect();
        changes::change_members(
            conn,
            directory,
            &group.group,
            &before,
            &before[1..],
            Timestamp::now(),
        )?;
        Ok(())
    })?;
    step(&mut |conn| changes::delete_group(conn, directory, &group))?;
    for person in &people {
        step(&mut |conn| {
            let current = roster_store::users::find(conn, &directory.id, person.user.id.as_str())?
                .ok_or_else(|| ScimError::internal(&"a test user vanished"))?;
            changes::delete_user(conn, directory, &current)
        })?;
    }

    let mut conn = store.connection()?;
    let recorded = events::list_for_directory_after(&mut conn, &directory.id, sequence_before)?
        .into_iter()
        .filter(|event| mentions(&event.data, &tag))
        .map(|event| (event.id, event.event_type))
        .collect();
    Ok(TestRun { events: recorded })
}

/// Whether an event's data is about this run's people or group.
fn mentions(data: &Value, tag: &str) -> bool {
    data.to_string().contains(tag)
}
