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
}
