//! Applying a batch: one write transaction under the directory's write lock, through SCIM's own
//! transactional changes, so that users, groups, memberships and their `dsync.*` events (with
//! `previous_attributes` and the directory's sequence) are exactly what SCIM writes produce.
//!
//! Each record runs in a savepoint: a refused record is rolled back alone and reported, and the
//! batch goes on, so that one answer names every refused record. The transaction then commits
//! only if the batch is not a dry run and either nothing was refused or the batch is `partial`;
//! otherwise it rolls back. A dry run therefore runs exactly the code of the real run.

use std::collections::{HashMap, HashSet};

use roster_core::directory_user::previous_attributes;
use roster_core::{DirectoryState, Timestamp, UserState, case_key};
use roster_scim::ScimError;
use roster_scim::changes;
use roster_scim::resources::group::ValidGroup;
use roster_scim::resources::user::ValidUser;
use roster_store::bulk_idempotency_keys::{self, RememberedAnswer};
use roster_store::directories::{self, Directory};
use roster_store::groups::{self, StoredGroup};
use roster_store::users::{self, StoredUser};
use roster_store::{AnyConnection, QueryError, Store, holds};
use serde_json::Value;
use tokio::sync::Notify;

use crate::BulkError;
use crate::batch::{Batch, GroupRecord, Mode, UserRecord};
use crate::idempotency::{self, IdempotencyKey};
use crate::report::{Answer, Outcome, RecordReport, Report};

/// What applying a batch came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The answer for the client.
    pub answer: Answer,
    /// Whether the batch's changes were committed (false for a dry run, a batch refused as a
    /// whole, and a replayed answer).
    pub committed: bool,
    /// Whether the answer is the one remembered for the request's `Idempotency-Key`.
    pub replayed: bool,
}

/// Applies `batch` to `directory` (a `custom api` directory its caller authenticated), and
/// wakes the webhook dispatcher when something was committed. With a `key` (ignored by dry
/// runs), a batch already written with that key is not applied again: its first answer is
/// returned. Blocking: call it from a blocking thread.
pub fn apply(
    store: &Store,
    events_written: &Notify,
    directory: &Directory,
    batch: &Batch,
    key: Option<&IdempotencyKey>,
) -> Result<Applied, BulkError> {
    let key = key.filter(|_| !batch.dry_run);
    let mut conn = store.connection()?;
    let outcome = conn.write_transaction(|conn| -> Result<Applied, Abort> {
        // Under the lock, a retry sent while the first attempt still runs waits for it, and
        // then finds its answer.
        directories::lock_for_write(conn, &directory.id)?;
        let now = Timestamp::now();
        if let Some(key) = key
            && let Some(answer) = remembered(conn, directory, key, now)?
        {
            return Ok(Applied {
                answer,
                committed: false,
                replayed: true,
            });
        }
        // A directory is linked by its first committed batch: dry runs and refused batches
        // emit nothing, not even `dsync.activated`.
        if directory.state == DirectoryState::Unlinked {
            directories::activate(conn, directory, now)?;
        }
        let report = run(conn, directory, batch)?;
        let answer = Answer::for_report(batch, &report);
        if batch.dry_run || answer.status != 200 {
            return Err(Abort::RollBack(answer));
        }
        if let Some(key) = key {
            let remembered = RememberedAnswer {
                request_digest: key.request_digest.clone(),
                status: i64::from(answer.status),
                response: answer.body.to_string(),
            };
            bulk_idempotency_keys::insert(conn, &directory.id, &key.key, &remembered, now)?;
        }
        Ok(Applied {
            answer,
            committed: true,
            replayed: false,
        })
    });
    match outcome {
        Ok(applied) => {
            if applied.committed {
                events_written.notify_one();
            }
            Ok(applied)
        }
        Err(Abort::RollBack(answer)) => Ok(Applied {
            answer,
            committed: false,
            replayed: false,
        }),
        Err(Abort::Failed(error)) => Err(error),
    }
}

/// The answer remembered for `key`, once answers older than a day are forgotten; refused when
/// the key came with another batch.
fn remembered(
    conn: &mut AnyConnection,
    directory: &Directory,
    key: &IdempotencyKey,
    now: Timestamp,
) -> Result<Option<Answer>, BulkError> {
    let expired = Timestamp::from_millis(now.as_millis().saturating_sub(idempotency::KEPT_FOR_MS));
    bulk_idempotency_keys::forget_before(conn, &directory.id, expired)?;
    let Some(remembered) = bulk_idempotency_keys::find(conn, &directory.id, &key.key)? else {
        return Ok(None);
    };
    if remembered.request_digest != key.request_digest {
        return Err(BulkError::idempotency_key_reused());
    }
    let status = u16::try_from(remembered.status).map_err(|error| BulkError::internal(&error))?;
    let body =
        serde_json::from_str(&remembered.response).map_err(|error| BulkError::internal(&error))?;
    Ok(Some(Answer { status, body }))
}

/// Why the batch's transaction does not commit.
enum Abort {
    /// On purpose: a dry run, or a batch refused as a whole; the answer is ready.
    RollBack(Answer),
    /// An error answer: the client's (a reused key) or ours.
    Failed(BulkError),
}

impl From<QueryError> for Abort {
    fn from(error: QueryError) -> Self {
        Abort::Failed(BulkError::from(error))
    }
}

impl From<BulkError> for Abort {
    fn from(error: BulkError) -> Self {
        Abort::Failed(error)
    }
}

/// Why one record's savepoint rolled back.
enum RecordFailure {
    /// The record is refused: the client's to fix.
    Refused {
        field: Option<String>,
        reason: String,
    },
    /// A failure of ours, which ends the whole batch.
    Fatal(BulkError),
}

impl RecordFailure {
    fn refused(field: &str, reason: impl Into<String>) -> Self {
        RecordFailure::Refused {
            field: Some(field.to_owned()),
            reason: reason.into(),
        }
    }

    /// A SCIM change's refusal, in the record's terms: SCIM's client errors are the record's
    /// fault, its server errors ours. `field` names the record field a refusal of each SCIM
    /// type comes from.
    fn from_scim(error: ScimError, field: impl Fn(&str) -> Option<&'static str>) -> Self {
        use actix_web::ResponseError;
        let status = error.status_code();
        if status.is_server_error() {
            return RecordFailure::Fatal(if status.as_u16() == 503 {
                BulkError::unavailable(&error)
            } else {
                BulkError::internal(&error)
            });
        }
        RecordFailure::Refused {
            field: error.scim_type().and_then(field).map(str::to_owned),
            reason: error.detail().to_owned(),
        }
    }
}

impl From<QueryError> for RecordFailure {
    fn from(error: QueryError) -> Self {
        // Checks run first under the directory's lock; an index refusing a row is still the
        // record's conflict, not our failure.
        if roster_store::is_unique_violation(&error) {
            return RecordFailure::Refused {
                field: None,
                reason: "The record conflicts with another user or group of this directory."
                    .to_owned(),
            };
        }
        RecordFailure::Fatal(BulkError::from(error))
    }
}

/// Runs `work` in a savepoint; a refusal rolls back to it and becomes the record's error line.
fn savepoint<T>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, RecordFailure>,
) -> Result<Result<T, (Option<String>, String)>, BulkError> {
    match conn.write_transaction(work) {
        Ok(value) => Ok(Ok(value)),
        Err(RecordFailure::Refused { field, reason }) => Ok(Err((field, reason))),
        Err(RecordFailure::Fatal(error)) => Err(error),
    }
}

/// What happened to one record that was not refused.
struct Done {
    outcome: Outcome,
    changed: Vec<String>,
}

fn line(
    index: Option<usize>,
    external_id: &str,
    result: Result<Done, (Option<String>, String)>,
) -> RecordReport {
    match result {
        Ok(done) => RecordReport {
            index,
            external_id: Some(external_id.to_owned()),
            outcome: done.outcome,
            changed: done.changed,
            field: None,
            reason: None,
        },
        Err((field, reason)) => RecordReport {
            index,
            external_id: Some(external_id.to_owned()),
            outcome: Outcome::Error,
            changed: Vec::new(),
            field,
            reason: Some(reason),
        },
    }
}

/// Every record's outcome: the groups first (user records name them), then the users with
/// their memberships, then a replace_all batch's missing users.
fn run(
    conn: &mut AnyConnection,
    directory: &Directory,
    batch: &Batch,
) -> Result<Report, BulkError> {
    let mut report = Report {
        groups: apply_groups(conn, directory, batch)?,
        users: apply_users(conn, directory, batch)?,
        deprovisioning_held: false,
    };
    if batch.mode == Mode::ReplaceAll {
        report
            .users
            .extend(deactivate_missing(conn, directory, batch)?);
    }
    report.deprovisioning_held = report
        .users
        .iter()
        .any(|line| line.outcome == Outcome::Deactivated)
        && holds::open_for(conn, &directory.id)?.is_some();
    Ok(report)
}

fn apply_groups(
    conn: &mut AnyConnection,
    directory: &Directory,
    batch: &Batch,
) -> Result<Vec<RecordReport>, BulkError> {
    let wanted: Vec<&str> = batch
        .groups
        .iter()
        .filter_map(|record| record.as_ref().ok())
        .map(|record| record.external_id.as_str())
        .collect();
    let mut existing: HashMap<String, Vec<StoredGroup>> = HashMap::new();
    for group in groups::find_by_external_ids(conn, &directory.id, &wanted)? {
        existing
            .entry(group.group.idp_id.clone())
            .or_default()
            .push(group);
    }
    let mut lines = Vec::with_capacity(batch.groups.len());
    for (index, record) in batch.groups.iter().enumerate() {
        let line = match record {
            Ok(record) => {
                let existing = existing.get(&record.external_id);
                let result =
                    savepoint(conn, |conn| upsert_group(conn, directory, record, existing))?;
                line(Some(index), &record.external_id, result)
            }
            Err(error) => RecordReport::error(index, error.clone()),
        };
        lines.push(line);
    }
    Ok(lines)
}

fn apply_users(
    conn: &mut AnyConnection,
    directory: &Directory,
    batch: &Batch,
) -> Result<Vec<RecordReport>, BulkError> {
    let records: Vec<&UserRecord> = batch
        .users
        .iter()
        .filter_map(|record| record.as_ref().ok())
        .collect();
    let external_ids: Vec<&str> = records
        .iter()
        .map(|record| record.external_id.as_str())
        .collect();
    let mut existing: HashMap<String, Vec<StoredUser>> = HashMap::new();
    for user in users::find_by_external_ids(conn, &directory.id, &external_ids)? {
        existing
            .entry(user.user.profile.idp_id.clone())
            .or_default()
            .push(user);
    }
    let existing_ids: Vec<&str> = existing
        .values()
        .flatten()
        .map(|user| user.user.id.as_str())
        .collect();
    let mut memberships: HashMap<String, Vec<StoredGroup>> = HashMap::new();
    for (user_id, group) in groups::of_users(conn, &existing_ids)? {
        memberships.entry(user_id).or_default().push(group);
    }
    let names: Vec<&str> = records
        .iter()
        .flat_map(|record| record.groups.iter().flatten())
        .map(String::as_str)
        .collect();
    let mut named: HashMap<String, Vec<StoredGroup>> = HashMap::new();
    for group in groups::find_by_names(conn, &directory.id, &names)? {
        named
            .entry(case_key(&group.group.name))
            .or_default()
            .push(group);
    }
    let context = UserContext {
        directory,
        existing: &existing,
        memberships: &memberships,
        named: &named,
    };
    let mut lines = Vec::with_capacity(batch.users.len());
    for (index, record) in batch.users.iter().enumerate() {
        let line = match record {
            Ok(record) => {
                let result = savepoint(conn, |conn| upsert_user(conn, &context, record))?;
                line(Some(index), &record.external_id, result)
            }
            Err(error) => RecordReport::error(index, error.clone()),
        };
        lines.push(line);
    }
    Ok(lines)
}

/// Deactivates the active users a replace_all batch does not list.
fn deactivate_missing(
    conn: &mut AnyConnection,
    directory: &Directory,
    batch: &Batch,
) -> Result<Vec<RecordReport>, BulkError> {
    // Records refused for another reason still name users the source has: keep them.
    let listed: HashSet<&str> = batch
        .users
        .iter()
        .filter_map(|record| match record {
            Ok(record) => Some(record.external_id.as_str()),
            Err(error) => error.external_id.as_deref(),
        })
        .collect();
    let mut lines = Vec::new();
    for (id, external_id) in users::active_external_ids(conn, &directory.id)? {
        if external_id
            .as_deref()
            .is_some_and(|external_id| listed.contains(external_id))
        {
            continue;
        }
        let shown = external_id.unwrap_or_else(|| id.clone());
        let result = savepoint(conn, |conn| deactivate(conn, directory, &id))?;
        let mut missing = line(None, &shown, result);
        if missing.outcome == Outcome::Deactivated {
            missing.reason = Some("Not in this replace_all batch.".to_owned());
        }
        lines.push(missing);
    }
    Ok(lines)
}

fn upsert_group(
    conn: &mut AnyConnection,
    directory: &Directory,
    record: &GroupRecord,
    existing: Option<&Vec<StoredGroup>>,
) -> Result<Done, RecordFailure> {
    let previous = match existing.map(Vec::as_slice) {
        None | Some([]) => None,
        Some([one]) => Some(one),
        Some(_) => {
            return Err(RecordFailure::refused(
                "external_id",
                format!(
                    "Several groups of this directory have the external_id `{}`.",
                    record.external_id
                ),
            ));
        }
    };
    // User records name their groups, so a name must say which group it is.
    let same_name = groups::find_by_names(conn, &directory.id, &[record.name.as_str()])?;
    if same_name
        .iter()
        .any(|other| previous.is_none_or(|previous| previous.group.id != other.group.id))
    {
        return Err(RecordFailure::refused(
            "name",
            format!(
                "Another group of this directory is already named `{}`; user records name their groups, so group names must be unique.",
                record.name
            ),
        ));
    }
    let group = ValidGroup::from_request(record.document())
        .map_err(|error| RecordFailure::from_scim(error, |_| None))?;
    let Some(previous) = previous else {
        changes::create_group(conn, directory, group)
            .map_err(|error| RecordFailure::from_scim(error, |_| None))?;
        return Ok(Done {
            outcome: Outcome::Created,
            changed: Vec::new(),
        });
    };
    if previous.group.raw_attributes.as_object() == Some(&group.document) {
        return Ok(Done {
            outcome: Outcome::Unchanged,
            changed: Vec::new(),
        });
    }
    let members: Vec<String> = groups::members_of(conn, &[previous.group.id.as_str()])?
        .into_iter()
        .map(|(_, user_id)| user_id)
        .collect();
    let group = ValidGroup {
        members: members.clone(),
        ..group
    };
    let (stored, _) = changes::update_group(conn, directory, previous.clone(), &members, group)
        .map_err(|error| RecordFailure::from_scim(error, |_| None))?;
    Ok(Done {
        outcome: Outcome::Updated,
        changed: changed_keys(&previous.group.to_json(), &stored.group.to_json()),
    })
}

/// What every user record is applied against, read once per batch.
struct UserContext<'a> {
    directory: &'a Directory,
    /// The directory's users by `external_id`.
    existing: &'a HashMap<String, Vec<StoredUser>>,
    /// The groups of each of those users, by user id.
    memberships: &'a HashMap<String, Vec<StoredGroup>>,
    /// The groups user records name, by name key, after the batch's groups were applied.
    named: &'a HashMap<String, Vec<StoredGroup>>,
}

fn upsert_user(
    conn: &mut AnyConnection,
    context: &UserContext<'_>,
    record: &UserRecord,
) -> Result<Done, RecordFailure> {
    let directory = context.directory;
    let previous = match context.existing.get(&record.external_id).map(Vec::as_slice) {
        None | Some([]) => None,
        Some([one]) => Some(one),
        Some(_) => {
            return Err(RecordFailure::refused(
                "external_id",
                format!(
                    "Several users of this directory have the external_id `{}`.",
                    record.external_id
                ),
            ));
        }
    };
    let wanted_groups = record
        .groups
        .as_ref()
        .map(|names| {
            names
                .iter()
                .map(|name| resolve_group(context.named, name))
                .collect::<Result<Vec<&StoredGroup>, RecordFailure>>()
        })
        .transpose()?;
    let user = ValidUser::from_request(record.document())
        .map_err(|error| RecordFailure::from_scim(error, |_| None))?;
    // SCIM's refusals of a user write: a taken userName, or an email domain the directory
    // refuses. Its message names SCIM's attribute and an id; the record's is clearer.
    let refusal = |error: ScimError| match error.scim_type() {
        Some("uniqueness") => RecordFailure::refused(
            "username",
            format!(
                "Another user of this directory already has the username `{}`.",
                record.user_name
            ),
        ),
        _ => RecordFailure::from_scim(error, |kind| (kind == "invalidValue").then_some("email")),
    };
    let (stored, mut done) = match previous {
        None => {
            let stored = changes::create_user(conn, directory, user).map_err(refusal)?;
            (
                stored,
                Done {
                    outcome: Outcome::Created,
                    changed: Vec::new(),
                },
            )
        }
        Some(previous) => {
            let stored =
                changes::update_user(conn, directory, previous.clone(), user).map_err(refusal)?;
            let changed = changed_keys(&previous.user.to_json(), &stored.user.to_json());
            let outcome = if previous.user.profile.state == UserState::Active
                && stored.user.profile.state == UserState::Inactive
            {
                Outcome::Deactivated
            } else if changed.is_empty() {
                Outcome::Unchanged
            } else {
                Outcome::Updated
            };
            (stored, Done { outcome, changed })
        }
    };
    if let Some(wanted) = wanted_groups {
        let current: &[StoredGroup] = previous
            .and_then(|previous| context.memberships.get(previous.user.id.as_str()))
            .map_or(&[], Vec::as_slice);
        let moved = change_memberships(conn, directory, &stored, current, &wanted)?;
        if moved && done.outcome != Outcome::Created {
            done.changed.push("groups".to_owned());
            done.changed.sort();
            if done.outcome == Outcome::Unchanged {
                done.outcome = Outcome::Updated;
            }
        }
    }
    Ok(done)
}

fn resolve_group<'a>(
    named: &'a HashMap<String, Vec<StoredGroup>>,
    name: &str,
) -> Result<&'a StoredGroup, RecordFailure> {
    match named.get(&case_key(name)).map(Vec::as_slice) {
        Some([group]) => Ok(group),
        Some([_, _, ..]) => Err(RecordFailure::refused(
            "groups",
            format!("Several groups of this directory are named `{name}`."),
        )),
        _ => Err(RecordFailure::refused(
            "groups",
            format!(
                "No group is named `{name}` in this directory; add it to the batch's `groups` with its external_id."
            ),
        )),
    }
}

/// Adds the user to the groups of `wanted` it is not in and removes it from those of
/// `current` not wanted, one `user_added` or `user_removed` event each; true if any changed.
fn change_memberships(
    conn: &mut AnyConnection,
    directory: &Directory,
    user: &StoredUser,
    current: &[StoredGroup],
    wanted: &[&StoredGroup],
) -> Result<bool, RecordFailure> {
    let user_id = [user.user.id.as_str()];
    let current_ids: HashSet<&str> = current
        .iter()
        .map(|group| group.group.id.as_str())
        .collect();
    let wanted_ids: HashSet<&str> = wanted.iter().map(|group| group.group.id.as_str()).collect();
    let now = Timestamp::now();
    let mut changed = false;
    let scim = |error| RecordFailure::from_scim(error, |_| Some("groups"));
    for group in wanted
        .iter()
        .filter(|group| !current_ids.contains(group.group.id.as_str()))
    {
        changes::change_members(conn, directory, &group.group, &[], &user_id, now).map_err(scim)?;
        changed = true;
    }
    for group in current
        .iter()
        .filter(|group| !wanted_ids.contains(group.group.id.as_str()))
    {
        changes::change_members(conn, directory, &group.group, &user_id, &[], now).map_err(scim)?;
        changed = true;
    }
    Ok(changed)
}

/// Deactivates a user missing from a replace_all batch, as a SCIM `active: false` would.
fn deactivate(
    conn: &mut AnyConnection,
    directory: &Directory,
    id: &str,
) -> Result<Done, RecordFailure> {
    let Some(previous) = users::find(conn, &directory.id, id)? else {
        return Err(RecordFailure::Fatal(BulkError::internal(&format!(
            "user {id} vanished under the directory's write lock"
        ))));
    };
    let mut document = previous
        .user
        .raw_attributes
        .as_object()
        .cloned()
        .unwrap_or_default();
    document.insert("active".to_owned(), Value::Bool(false));
    let user = ValidUser::from_document(document)
        .map_err(|error| RecordFailure::from_scim(error, |_| None))?;
    let stored = changes::update_user(conn, directory, previous.clone(), user)
        .map_err(|error| RecordFailure::from_scim(error, |_| None))?;
    Ok(Done {
        outcome: Outcome::Deactivated,
        changed: changed_keys(&previous.user.to_json(), &stored.user.to_json()),
    })
}

/// The attributes that differ, as the event's `previous_attributes` names them.
fn changed_keys(before: &Value, after: &Value) -> Vec<String> {
    previous_attributes(before, after).keys().cloned().collect()
}
