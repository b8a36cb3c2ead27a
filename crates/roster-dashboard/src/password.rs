//! Administrator passwords: argon2id with a random salt per password, in PHC string form.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_LENGTH: usize = 256;

/// Checks a new password; the message says what is wrong.
pub fn validate(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(format!(
            "The password must have at least {MIN_LENGTH} characters."
        ));
    }
    if length > MAX_LENGTH {
        return Err(format!(
            "The password must have at most {MAX_LENGTH} characters."
        ));
    }
    Ok(())
}

/// The argon2id PHC string of `password`.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| format!("cannot hash the password: {error}"))
}

/// Whether `password` matches `stored` (a PHC string). `None` for `stored` spends the same
/// work on a fixed hash, so that an unknown email takes as long to refuse as a wrong password.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DECOY: OnceLock<String> = OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash("a password nobody has").unwrap_or_default());
    let Ok(parsed) = PasswordHash::new(stored.unwrap_or(decoy)) else {
        return false;
    };
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple", Some(&stored)));
        assert!(!verify("correct horse battery stapler", Some(&stored)));
        assert!(!verify("correct horse battery staple", None));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(validate("short").is_err());
        assert!(validate("twelve chars").is_ok());
    }
}
