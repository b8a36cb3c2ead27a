//! What a batch did (or, in a dry run, would do) to each record, and the answer built from it.
//! The answer names records by their position and `external_id`, never by Roster ids, so that
//! a dry run's answer is exactly the real run's.

use serde_json::{Map, Value, json};

use crate::batch::{Batch, RecordError};

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It did not exist and was created.
    Created,
    /// It existed and changed.
    Updated,
    /// It existed exactly as sent: nothing written, no event.
    Unchanged,
    /// An active user became inactive (`active: false`, or missing from a replace_all batch).
    Deactivated,
    /// It was refused; the reason says why.
    Error,
}

impl Outcome {
    /// Every outcome, in the order totals list them.
    pub const ALL: [Outcome; 5] = [
        Outcome::Created,
        Outcome::Updated,
        Outcome::Unchanged,
        Outcome::Deactivated,
        Outcome::Error,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Deactivated => "deactivated",
            Outcome::Error => "error",
        }
    }
}

/// One line of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordReport {
    /// Position in the batch's `users` or `groups`; `None` for a user a replace_all batch
    /// deactivated because it was missing.
    pub index: Option<usize>,
    /// The record's `external_id`, when it has one.
    pub external_id: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// For an update or a deactivation: the fields that changed, as apps see them
    /// (`job_title`, `custom_attributes`, `state`, `groups`, …).
    pub changed: Vec<String>,
    /// For an error: the field at fault, when one is.
    pub field: Option<String>,
    /// For an error or a replace_all deactivation: why.
    pub reason: Option<String>,
}

impl RecordReport {
    /// A record that was refused.
    pub fn error(index: usize, error: RecordError) -> Self {
        RecordReport {
            index: Some(index),
            external_id: error.external_id,
            outcome: Outcome::Error,
            changed: Vec::new(),
            field: error.field,
            reason: Some(error.reason),
        }
    }

    fn to_json(&self) -> Value {
        let mut line = Map::new();
        line.insert("index".to_owned(), json!(self.index));
        line.insert("external_id".to_owned(), json!(self.external_id));
        line.insert("outcome".to_owned(), json!(self.outcome.as_str()));
        if !self.changed.is_empty() {
            line.insert("changed".to_owned(), json!(self.changed));
        }
        if self.outcome == Outcome::Error {
            line.insert("field".to_owned(), json!(self.field));
        }
        if let Some(reason) = &self.reason {
            line.insert("reason".to_owned(), json!(reason));
        }
        Value::Object(line)
    }
}

/// Every record's outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The group records', in batch order.
    pub groups: Vec<RecordReport>,
    /// The user records', in batch order, then the users a replace_all batch deactivated.
    pub users: Vec<RecordReport>,
    /// Whether the batch's deactivations are held by the mass-deprovisioning guard: stored,
    /// but their webhooks wait for an admin to release them.
    pub deprovisioning_held: bool,
}

impl Report {
    /// The refused records, groups first.
    pub fn errors(&self) -> impl Iterator<Item = (&'static str, &RecordReport)> {
        let groups = self.groups.iter().map(|line| ("groups", line));
        let users = self.users.iter().map(|line| ("users", line));
        groups
            .chain(users)
            .filter(|(_, line)| line.outcome == Outcome::Error)
    }

    /// Whether any record was refused.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// An HTTP status and JSON body: what the bulk endpoint answers, and what an idempotency key
/// stores and replays.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl Answer {
    /// The answer to `batch` given its report: 200 with every record's outcome and the
    /// totals, or, when records were refused and the batch is all or nothing, 422 naming each
    /// refused record and its field.
    pub fn for_report(batch: &Batch, report: &Report) -> Answer {
        if report.has_errors() && !batch.partial {
            return Answer::refused(batch, report);
        }
        let mut totals = Map::new();
        for outcome in Outcome::ALL {
            let count = report
                .groups
                .iter()
                .chain(&report.users)
                .filter(|line| line.outcome == outcome)
                .count();
            totals.insert(outcome.as_str().to_owned(), json!(count));
        }
        Answer {
            status: 200,
            body: json!({
                "object": "bulk_result",
                "dry_run": batch.dry_run,
                "mode": batch.mode.as_str(),
                "partial": batch.partial,
                "totals": totals,
                "deprovisioning_held": report.deprovisioning_held,
                "groups": report.groups.iter().map(RecordReport::to_json).collect::<Vec<_>>(),
                "users": report.users.iter().map(RecordReport::to_json).collect::<Vec<_>>(),
            }),
        }
    }

    fn refused(batch: &Batch, report: &Report) -> Answer {
        let errors: Vec<Value> = report
            .errors()
            .map(|(kind, line)| {
                let mut error = line.to_json();
                if let (Value::Object(fields), Some(index)) = (&mut error, line.index) {
                    fields.insert("record".to_owned(), json!(format!("{kind}[{index}]")));
                }
                error
            })
            .collect();
        let records = batch.groups.len() + batch.users.len();
        let first = report
            .errors()
            .next()
            .map(|(kind, line)| {
                let at = line
                    .index
                    .map(|index| format!("{kind}[{index}]"))
                    .unwrap_or_default();
                let field = line
                    .field
                    .as_ref()
                    .map(|field| format!(".{field}"))
                    .unwrap_or_default();
                format!(
                    " The first: {at}{field}: {}",
                    line.reason.as_deref().unwrap_or_default()
                )
            })
            .unwrap_or_default();
        Answer {
            status: 422,
            body: json!({
                "message": format!(
                    "{} of {records} records were refused, so nothing was written (send \"partial\": true to write the valid ones).{first}",
                    errors.len()
                ),
                "code": "invalid_records",
                "dry_run": batch.dry_run,
                "errors": errors,
            }),
        }
    }
}
