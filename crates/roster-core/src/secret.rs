//! Bearer tokens for SCIM clients: generated from the operating system's CSPRNG, shown once,
//! and stored only as a SHA-256 digest. A fast hash is the right tool here (unlike for
//! passwords): the token carries 256 bits of entropy, so there is nothing to brute-force.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A freshly generated SCIM bearer token. `Debug` never shows it.
pub struct BearerToken(String);

impl BearerToken {
    const PREFIX: &'static str = "roster_scim_";

    /// 32 random bytes, URL-safe base64, behind a prefix that secret scanners can match.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        BearerToken(format!("{}{}", Self::PREFIX, URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The token itself, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest to store.
    pub fn digest(&self) -> String {
        token_digest(&self.0)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(…)")
    }
}

/// A random secret: `prefix` and 256 random bits in URL-safe base64. For values only their
/// holder may know (session cookies, invitation and setup links), stored as [`token_digest`].
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The hex SHA-256 digest under which a token is stored.
pub fn token_digest(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Whether a presented token matches a stored digest, in time independent of where they differ.
pub fn token_matches(presented: &str, stored_digest: &str) -> bool {
    token_digest(presented)
        .as_bytes()
        .ct_eq(stored_digest.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_its_digest_and_nothing_else() {
        let token = BearerToken::generate();
        let other = BearerToken::generate();
        assert!(token.expose().starts_with("roster_scim_"));
        assert_eq!(token.expose().len(), "roster_scim_".len() + 43);
        assert!(token_matches(token.expose(), &token.digest()));
        assert!(!token_matches(other.expose(), &token.digest()));
        assert!(!token_matches("", &token.digest()));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let token = BearerToken::generate();
        assert!(!format!("{token:?}").contains(token.expose()));
    }
}
