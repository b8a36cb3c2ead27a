//! Endpoint secrets and the two signatures every delivery carries: WorkOS's
//! `WorkOS-Signature` (so WorkOS SDKs' `constructEvent`/`verify_event` accept it) and
//! Standard Webhooks' `webhook-signature` (so the `standardwebhooks` libraries do).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use roster_store::webhooks::EndpointSecret;
use sha2::Sha256;

/// What every endpoint secret starts with, as Standard Webhooks writes it.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and the standard base64 of 32 random bytes.
pub fn generate_secret() -> EndpointSecret {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    EndpointSecret::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes keys of any length, so this never fails; an empty MAC would only make the
    // receiver reject the delivery.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `WorkOS-Signature`: `t=<unix ms>, v1=<hex HMAC-SHA256>` over `"<t>.<body>"`, keyed with the
/// whole secret string as UTF-8 (as WorkOS's SDKs compute it). The separator is a comma and a
/// space: the Python SDK splits on exactly that.
pub fn workos_signature(secret: &EndpointSecret, timestamp_ms: i64, body: &[u8]) -> String {
    let timestamp = timestamp_ms.to_string();
    let mac = hmac_sha256(
        secret.expose().as_bytes(),
        &[timestamp.as_bytes(), b".", body],
    );
    format!("t={timestamp}, v1={}", hex(&mac))
}

/// Standard Webhooks' key: the base64-decoded part after `whsec_`.
fn standard_key(secret: &EndpointSecret) -> Vec<u8> {
    let encoded = secret
        .expose()
        .strip_prefix(SECRET_PREFIX)
        .unwrap_or(secret.expose());
    // Every secret Roster makes decodes; anything else is signed with its bytes as they are,
    // which a receiver given the same string cannot match, and says so by rejecting.
    STANDARD
        .decode(encoded)
        .unwrap_or_else(|_| encoded.as_bytes().to_vec())
}

/// `webhook-signature`: `v1,<base64 HMAC-SHA256>` over `"<id>.<timestamp>.<body>"`, one per
/// secret, separated by spaces (receivers accept the delivery if any of them matches, which is
/// what lets a rotated secret overlap with the previous one).
pub fn standard_signature(
    secrets: &[&EndpointSecret],
    webhook_id: &str,
    timestamp_s: i64,
    body: &[u8],
) -> String {
    let timestamp = timestamp_s.to_string();
    secrets
        .iter()
        .map(|secret| {
            let mac = hmac_sha256(
                &standard_key(secret),
                &[
                    webhook_id.as_bytes(),
                    b".",
                    timestamp.as_bytes(),
                    b".",
                    body,
                ],
            );
            format!("v1,{}", STANDARD.encode(mac))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How far a `WorkOS-Signature` timestamp may be from now, as WorkOS's SDKs allow (180 s).
pub const WORKOS_TOLERANCE_MS: i64 = 180_000;

/// How far a `webhook-timestamp` may be from now, as the Standard Webhooks libraries allow.
pub const STANDARD_TOLERANCE_S: i64 = 300;

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header does not have the shape the scheme defines.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// The timestamp is too far from now (a replay, or a clock far off).
    #[error("the timestamp is {0} s away from now, beyond the tolerance")]
    Stale(i64),
    /// No signature matches the body and the secret.
    #[error("the signature does not match the body and the secret")]
    Mismatch,
}

fn mac_matches(key: &[u8], parts: &[&[u8]], expected: &[u8]) -> bool {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    // Constant time, so a receiver leaks nothing about the expected MAC.
    mac.verify_slice(expected).is_ok()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Verifies a `WorkOS-Signature` header over `body` the way WorkOS's SDKs do: `t` (Unix
/// milliseconds) within [`WORKOS_TOLERANCE_MS`] of `now_ms` either way, and `v1` the hex
/// HMAC-SHA256 of `"<t>.<body>"` keyed with the whole secret string. The parts may be separated
/// by `,` with or without a space, in either order.
pub fn verify_workos(
    secret: &EndpointSecret,
    header: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<(), SignatureError> {
    let (mut timestamp, mut signature) = (None, None);
    for part in header.split(',').map(str::trim) {
        if let Some(value) = part.strip_prefix("t=") {
            timestamp = Some(value);
        } else if let Some(value) = part.strip_prefix("v1=") {
            signature = Some(value);
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t=<milliseconds>"))?;
    let signature = signature.ok_or(SignatureError::Malformed("no v1=<hex HMAC>"))?;
    let millis: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::Malformed("t is not a number"))?;
    if (now_ms - millis).abs() > WORKOS_TOLERANCE_MS {
        return Err(SignatureError::Stale((now_ms - millis) / 1000));
    }
    let expected = unhex(signature).ok_or(SignatureError::Malformed("v1 is not hex"))?;
    if mac_matches(
        secret.expose().as_bytes(),
        &[timestamp.as_bytes(), b".", body],
        &expected,
    ) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Verifies Standard Webhooks' headers over `body` the way its libraries do: the timestamp
/// (Unix seconds) within [`STANDARD_TOLERANCE_S`] of `now_s` either way, and any one of the
/// space-separated `v1,<base64>` signatures the HMAC-SHA256 of `"<id>.<timestamp>.<body>"`
/// keyed with the base64-decoded secret after `whsec_`.
pub fn verify_standard(
    secret: &EndpointSecret,
    webhook_id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_s: i64,
) -> Result<(), SignatureError> {
    let seconds: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::Malformed("webhook-timestamp is not a number"))?;
    if (now_s - seconds).abs() > STANDARD_TOLERANCE_S {
        return Err(SignatureError::Stale(now_s - seconds));
    }
    let key = standard_key(secret);
    let content: [&[u8]; 5] = [
        webhook_id.as_bytes(),
        b".",
        timestamp.trim().as_bytes(),
        b".",
        body,
    ];
    let mut any = false;
    for signature in signatures.split_whitespace() {
        let Some(encoded) = signature.strip_prefix("v1,") else {
            continue;
        };
        any = true;
        if let Ok(expected) = STANDARD.decode(encoded)
            && mac_matches(&key, &content, &expected)
        {
            return Ok(());
        }
    }
    if any {
        Err(SignatureError::Mismatch)
    } else {
        Err(SignatureError::Malformed("no v1,<base64 HMAC> signature"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_reference_vector() {
        // The example from the Standard Webhooks specification's reference libraries.
        let secret = EndpointSecret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into());
        assert_eq!(
            standard_signature(
                &[&secret],
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn workos_signature_has_the_shape_the_sdks_split() {
        let secret = generate_secret();
        let header = workos_signature(&secret, 1_795_000_000_123, b"{}");
        let parts: Vec<&str> = header.split(", ").collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], "t=1795000000123");
        let mac = parts[1].strip_prefix("v1=").unwrap();
        assert_eq!(mac.len(), 64);
        assert!(
            mac.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_uppercase())
        );
    }

    #[test]
    fn secrets_are_32_random_bytes_behind_the_prefix() {
        let secret = generate_secret();
        let encoded = secret.expose().strip_prefix(SECRET_PREFIX).unwrap();
        assert_eq!(STANDARD.decode(encoded).unwrap().len(), 32);
        assert_ne!(generate_secret(), secret);
    }

    #[test]
    fn each_secret_signs_once_in_the_standard_header() {
        let (new, old) = (generate_secret(), generate_secret());
        let header = standard_signature(&[&new, &old], "event_1", 1, b"{}");
        let signatures: Vec<&str> = header.split(' ').collect();
        assert_eq!(signatures.len(), 2);
        assert_eq!(
            signatures[0],
            standard_signature(&[&new], "event_1", 1, b"{}")
        );
        assert_eq!(
            signatures[1],
            standard_signature(&[&old], "event_1", 1, b"{}")
        );
    }

    #[test]
    fn what_is_signed_verifies_and_nothing_else_does() {
        let secret = generate_secret();
        let body = br#"{"id":"event_1"}"#;
        let now_ms = 1_795_000_000_123;
        let header = workos_signature(&secret, now_ms, body);
        assert_eq!(
            verify_workos(&secret, &header, body, now_ms + 5_000),
            Ok(())
        );
        assert_eq!(
            verify_workos(&secret, &header.replace(", ", ","), body, now_ms),
            Ok(())
        );
        assert_eq!(
            verify_workos(&secret, &header, b"{}", now_ms),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_workos(&generate_secret(), &header, body, now_ms),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_workos(&secret, &header, body, now_ms + 181_000),
            Err(SignatureError::Stale(181))
        );
        assert!(matches!(
            verify_workos(&secret, "v1=00", body, now_ms),
            Err(SignatureError::Malformed(_))
        ));

        let now_s = now_ms / 1000;
        let (old, new) = (generate_secret(), secret);
        let signatures = standard_signature(&[&new, &old], "event_1", now_s, body);
        let timestamp = now_s.to_string();
        for secret in [&new, &old] {
            assert_eq!(
                verify_standard(secret, "event_1", &timestamp, &signatures, body, now_s),
                Ok(())
            );
        }
        assert_eq!(
            verify_standard(&new, "event_2", &timestamp, &signatures, body, now_s),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_standard(&new, "event_1", &timestamp, &signatures, body, now_s - 301),
            Err(SignatureError::Stale(-301))
        );
    }
}
