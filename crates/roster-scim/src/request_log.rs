//! Records every SCIM request a directory receives (method, path, status, duration, a redacted
//! body) for whoever debugs the integration. Entries go through a bounded channel to one
//! background writer that stores them in batches, so logging never adds a database write to the
//! request itself; when the channel is full an entry is dropped rather than slowing the client.

use std::time::Duration;

use roster_core::Timestamp;
use roster_store::Store;
use roster_store::health::{self, DirectoryError};
use roster_store::request_log::{self, LoggedRequest};
use serde_json::Value;
use tokio::sync::mpsc;

/// Entries kept per directory.
pub const KEPT_PER_DIRECTORY: i64 = 1000;
/// Bodies longer than this are cut.
const MAX_BODY_CHARS: usize = 4096;
/// Entries waiting to be written before new ones are dropped.
const QUEUE_CAPACITY: usize = 10_000;
/// Entries written per transaction.
const BATCH: usize = 500;

/// The sending side, held by the SCIM routes.
#[derive(Debug, Clone)]
pub struct RequestLog {
    sender: mpsc::Sender<Entry>,
}

/// One request's log entry, and the detail of the SCIM error it was answered, if any: the
/// directory's last error is kept from it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) request: LoggedRequest,
    pub(crate) error_detail: Option<String>,
}

impl Entry {
    fn error(&self) -> Option<DirectoryError> {
        (self.request.status >= 400).then(|| DirectoryError {
            directory_id: self.request.directory_id.clone(),
            at: Timestamp::from_millis(self.request.created_at),
            status: self.request.status,
            detail: self.error_detail.clone(),
        })
    }
}

/// Marks a request as belonging to a directory that exists, so its outcome is logged there.
/// Requests naming unknown directories are not logged: nobody could read them, and anyone
/// could send them.
#[derive(Debug, Clone)]
pub(crate) struct LoggedDirectory(pub(crate) String);

impl RequestLog {
    /// Starts the background writer on the current Tokio runtime.
    pub fn start(store: Store) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(write_batches(store, receiver));
        RequestLog { sender }
    }

    pub(crate) fn record(&self, entry: Entry) {
        if self.sender.try_send(entry).is_err() {
            tracing::debug!("SCIM request log queue full; entry dropped");
        }
    }
}

async fn write_batches(store: Store, mut receiver: mpsc::Receiver<Entry>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(entry) => batch.push(entry),
                Err(_) => break,
            }
        }
        let store = store.clone();
        let written =
            tokio::task::spawn_blocking(move || -> Result<(), roster_store::StoreError> {
                let mut conn = store.connection()?;
                let errors: Vec<DirectoryError> = batch.iter().filter_map(Entry::error).collect();
                let requests: Vec<LoggedRequest> =
                    batch.into_iter().map(|entry| entry.request).collect();
                request_log::append(&mut conn, &requests, KEPT_PER_DIRECTORY)?;
                health::record_errors(&mut conn, &errors)?;
                Ok(())
            })
            .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot write the SCIM request log");
                // Back off a little rather than spin while the database is away.
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => tracing::warn!(%error, "SCIM request log writer failed"),
        }
    }
}

/// The body as it may be shown: JSON with secrets replaced, truncated; other content described.
pub(crate) fn redact(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let shown = match serde_json::from_slice::<Value>(body) {
        Ok(mut document) => {
            redact_secrets(&mut document);
            document.to_string()
        }
        Err(_) => format!("[{} bytes, not JSON]", body.len()),
    };
    Some(if shown.chars().count() > MAX_BODY_CHARS {
        let cut: String = shown.chars().take(MAX_BODY_CHARS).collect();
        format!("{cut}… [truncated]")
    } else {
        shown
    })
}

fn redact_secrets(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (key, value) in fields.iter_mut() {
                let key = key.to_ascii_lowercase();
                if ["password", "secret", "token"]
                    .iter()
                    .any(|word| key.contains(word))
                {
                    *value = Value::String("[redacted]".to_owned());
                } else {
                    redact_secrets(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_wherever_they_are() {
        let body = br#"{"userName":"a","password":"hunter2","x":[{"clientSecret":"s"}]}"#;
        let shown = redact(body).unwrap();
        assert!(
            !shown.contains("hunter2") && !shown.contains("\"s\""),
            "{shown}"
        );
        assert!(shown.contains("[redacted]"));
        assert_eq!(redact(b""), None);
        assert_eq!(redact(b"not json").unwrap(), "[8 bytes, not JSON]");
    }

    #[test]
    fn long_bodies_are_truncated() {
        let body = serde_json::json!({"nickName": "x".repeat(10_000)}).to_string();
        assert!(redact(body.as_bytes()).unwrap().ends_with("… [truncated]"));
    }
}
