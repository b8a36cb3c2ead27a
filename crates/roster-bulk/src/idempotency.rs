//! `Idempotency-Key`: a source that retries a batch (after a timeout, or because its workflow
//! engine retries failed steps) sends the same key, and gets the first answer again instead of
//! the batch applied twice. Only answers of written batches are remembered, for a day; dry runs
//! neither read nor remember keys.

use sha2::{Digest, Sha256};

use crate::BulkError;

/// The request header.
pub const HEADER: &str = "Idempotency-Key";

/// The response header marking a remembered answer.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// How long an answer is remembered.
pub const KEPT_FOR_MS: i64 = 24 * 60 * 60 * 1000;

const MAX_LENGTH: usize = 255;

/// A request's key, with the digest of the body it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The key as sent.
    pub key: String,
    /// SHA-256 (hex) of the request body.
    pub request_digest: String,
}

impl IdempotencyKey {
    /// Checks the header's value (1 to 255 visible ASCII characters, as a UUID or a workflow's
    /// execution id are) and digests the request: its query string (a CSV upload's options)
    /// and its body.
    pub fn new(key: &str, query: &str, body: &[u8]) -> Result<Self, BulkError> {
        let valid = !key.is_empty()
            && key.len() <= MAX_LENGTH
            && key.bytes().all(|byte| byte.is_ascii_graphic());
        if !valid {
            return Err(BulkError::invalid_header(
                HEADER,
                format!(
                    "`{HEADER}` must be 1 to {MAX_LENGTH} visible ASCII characters, such as a UUID."
                ),
            ));
        }
        Ok(IdempotencyKey {
            key: key.to_owned(),
            request_digest: Sha256::new()
                .chain_update(query.as_bytes())
                .chain_update(b"\n")
                .chain_update(body)
                .finalize()
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii_and_carry_the_request_digest() {
        let key = IdempotencyKey::new("wf-exec-7f3a", "", b"{}").unwrap();
        assert_eq!(key.request_digest.len(), 64);
        for other in [
            IdempotencyKey::new("wf-exec-7f3a", "", b"{ }"),
            IdempotencyKey::new("wf-exec-7f3a", "dry_run=true", b"{}"),
        ] {
            assert_ne!(key.request_digest, other.unwrap().request_digest);
        }
        for bad in ["", "with space", "naïve", &"k".repeat(256)] {
            assert!(IdempotencyKey::new(bad, "", b"{}").is_err(), "{bad}");
        }
    }
}
