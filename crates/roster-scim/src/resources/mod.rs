//! The resource types Roster serves, their schemas, and how documents are normalised and shown.

pub mod document;
pub mod group;
mod rules;
pub mod schema;
pub mod user;

use roster_core::Timestamp;
use serde_json::{Value, json};

/// The weak ETag of a resource version, as `meta.version` and the `ETag` header show it.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// A resource's `meta`.
pub fn meta(
    resource_type: &str,
    created: Timestamp,
    modified: Timestamp,
    location: &str,
    version: i64,
) -> Value {
    json!({
        "resourceType": resource_type,
        "created": created.to_rfc3339(),
        "lastModified": modified.to_rfc3339(),
        "location": location,
        "version": etag(version),
    })
}
