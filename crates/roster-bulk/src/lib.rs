//! Roster's bulk API: sources that don't speak SCIM (HR systems, Okta Workflows, scripts) post
//! batches of employee records to a `custom api` directory at `POST {base}/bulk`, where `base`
//! is `{ROSTER_PUBLIC_URL}/custom/v1/{directory_id}`. A batch is upserted (or replaces the
//! directory's users) in one transaction through SCIM's own changes, so apps get the same
//! users, groups, events and webhooks whatever the source; a dry run answers exactly what the
//! real run would do and writes nothing.

mod apply;
mod batch;
mod csv_upload;
mod endpoint;
mod error;
pub mod idempotency;
mod report;

use std::sync::Arc;

use roster_core::{DirectoryId, RateLimit};
use roster_store::Store;
use tokio::sync::Notify;

pub use apply::{Applied, apply};
pub use batch::{Batch, BatchError, Checked, GroupRecord, Mode, RecordError, UserRecord};
pub use csv_upload::CsvOptions;
pub use endpoint::configure;
pub use error::BulkError;
pub use idempotency::IdempotencyKey;
pub use report::{Answer, Outcome, RecordReport, Report};

/// The default of `ROSTER_BULK_MAX_RECORDS`.
pub const DEFAULT_MAX_RECORDS: usize = 1000;

/// Bytes of request body allowed per record of the largest batch: a record with a few dozen
/// custom attributes is well under 1 KiB.
const BODY_BYTES_PER_RECORD: usize = 4 * 1024;

/// What the bulk routes need from the server that mounts them.
#[derive(Clone)]
pub struct BulkContext {
    /// The database.
    pub store: Store,
    /// The externally reachable base URL, without trailing slash.
    pub public_url: String,
    /// The most records (users and groups) one batch may hold.
    pub max_records: usize,
    /// Signalled after every committed batch, so the dispatcher delivers its events at once.
    pub events_written: Arc<Notify>,
    /// Requests per second per directory: the SCIM endpoints' limiter, so that every source
    /// is held to one rate whatever it speaks.
    pub rate_limit: RateLimit<DirectoryId>,
}

impl BulkContext {
    /// The largest request body read (see [`max_body_bytes`]).
    pub fn max_body_bytes(&self) -> usize {
        max_body_bytes(self.max_records)
    }
}

/// The largest batch body read when a batch holds at most `max_records` records: room for
/// the largest batch, and never less than the 1 MiB every other endpoint takes. The
/// dashboard's CSV upload holds its files to the same size.
pub fn max_body_bytes(max_records: usize) -> usize {
    max_records
        .saturating_mul(BODY_BYTES_PER_RECORD)
        .max(1024 * 1024)
}
