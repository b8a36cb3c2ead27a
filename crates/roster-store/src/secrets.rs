//! Encryption of the secrets Roster must read back (webhook signing secrets: every delivery is
//! signed with them, so they cannot be stored as digests like tokens and API keys). Each is
//! sealed with ChaCha20-Poly1305 under the process's secret key (`ROSTER_SECRET_KEY`, or the
//! key file beside a SQLite database), with a random nonce and the owning row's id as
//! associated data, so a sealed value copied to another row does not open.
//!
//! The key is installed once per process at start, before the store is used: the storage
//! functions that read and write these columns take only a connection.

use std::fmt;
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

/// What a sealed value starts with; anything else is a value stored before encryption.
const SEALED_PREFIX: &str = "enc:v1:";

/// A 256-bit key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// Why a key or a sealed value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The key text is not 32 bytes in base64 or hex.
    #[error(
        "a secret key is 32 random bytes in base64 (44 characters) or hex (64); generate one with `openssl rand -base64 32`"
    )]
    BadKey,
    /// No key was installed in this process.
    #[error("no secret key is installed to encrypt or decrypt webhook secrets")]
    NoKey,
    /// The value does not open with this key (another key sealed it, or it was altered).
    #[error(
        "a stored webhook secret does not decrypt with this secret key: ROSTER_SECRET_KEY (or the key file) is not the key it was encrypted with"
    )]
    WrongKey,
}

impl SecretKey {
    /// 32 bytes from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        SecretKey(bytes)
    }

    /// Parses base64 (standard or URL-safe, padded or not) or hex text.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|index| u8::from_str_radix(&text[index * 2..index * 2 + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| SecretError::BadKey)?
        } else {
            let standard = text.replace('-', "+").replace('_', "/");
            let padded = match standard.len() % 4 {
                2 => format!("{standard}=="),
                3 => format!("{standard}="),
                _ => standard,
            };
            STANDARD.decode(padded).map_err(|_| SecretError::BadKey)?
        };
        let bytes: [u8; 32] = decoded.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(SecretKey(bytes))
    }

    /// The key as text, for a key file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    fn aead(&self) -> Result<LessSafeKey, SecretError> {
        UnboundKey::new(&CHACHA20_POLY1305, &self.0)
            .map(LessSafeKey::new)
            .map_err(|_| SecretError::BadKey)
    }

    /// Seals `plaintext`, bound to `owner` (the row's id).
    pub fn seal(&self, owner: &str, plaintext: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce);
        let mut sealed = plaintext.as_bytes().to_vec();
        self.aead()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(owner.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| SecretError::BadKey)?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(stored)))
    }

    /// Opens a value sealed for `owner`.
    pub fn open(&self, owner: &str, stored: &str) -> Result<String, SecretError> {
        let encoded = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or(SecretError::WrongKey)?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::WrongKey)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::WrongKey);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SecretError::WrongKey)?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .aead()?
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(owner.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| SecretError::WrongKey)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SecretError::WrongKey)
    }
}

/// Whether a stored value is sealed (rather than stored before encryption existed).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

static KEY: OnceLock<SecretKey> = OnceLock::new();

/// Makes `key` the process's secret key. A second call with another key is refused: one
/// process serves one database.
pub fn install(key: SecretKey) -> Result<(), SecretError> {
    let installed = KEY.get_or_init(|| key.clone());
    if *installed == key {
        Ok(())
    } else {
        Err(SecretError::WrongKey)
    }
}

/// The process's secret key.
pub fn key() -> Result<&'static SecretKey, SecretError> {
    KEY.get().ok_or(SecretError::NoKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_and_owner_only() {
        let key = SecretKey::generate();
        let sealed = key.seal("we_1", "whsec_abc").unwrap();
        assert!(is_sealed(&sealed) && !sealed.contains("whsec_abc"));
        assert_eq!(key.open("we_1", &sealed).unwrap(), "whsec_abc");
        assert_ne!(
            sealed,
            key.seal("we_1", "whsec_abc").unwrap(),
            "fresh nonces"
        );
        assert_eq!(key.open("we_2", &sealed), Err(SecretError::WrongKey));
        let other = SecretKey::generate();
        assert_eq!(other.open("we_1", &sealed), Err(SecretError::WrongKey));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('A');
        assert!(key.open("we_1", &tampered).is_err());
    }

    #[test]
    fn keys_parse_from_base64_or_hex_and_nothing_else() {
        let key = SecretKey::generate();
        assert_eq!(SecretKey::parse(&key.to_base64()).unwrap(), key);
        let hex: String = key.0.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(SecretKey::parse(&hex).unwrap(), key);
        assert_eq!(SecretKey::parse("short"), Err(SecretError::BadKey));
        assert!(!format!("{key:?}").contains(&key.to_base64()));
    }
}
