//! Organization domains: the email domains a customer owns, unique across organizations.

use std::fmt;

/// A normalised (lower-case, no trailing dot) DNS domain name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain(String);

/// Why a string is not a usable domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid domain: {reason} (expected something like `example.com`)")]
pub struct DomainError {
    value: String,
    reason: &'static str,
}

impl Domain {
    /// Validates and normalises a domain name as an admin typed it.
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let error = |reason| DomainError {
            value: value.to_owned(),
            reason,
        };
        let normalised = value.trim().trim_end_matches('.').to_ascii_lowercase();
        if normalised.is_empty() {
            return Err(error("it is empty"));
        }
        if normalised.len() > 253 {
            return Err(error("it is longer than 253 characters"));
        }
        let labels: Vec<&str> = normalised.split('.').collect();
        if labels.len() < 2 {
            return Err(error("it needs at least two labels"));
        }
        for label in &labels {
            if label.is_empty() || label.len() > 63 {
                return Err(error("each label must be 1 to 63 characters"));
            }
            if !label
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
            {
                return Err(error("only letters, digits, hyphens and dots are allowed"));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(error("a label cannot start or end with a hyphen"));
            }
        }
        Ok(Domain(normalised))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name that is empty or absurdly long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {what} name must be 1 to {max} characters, not {actual}", max = NAME_MAX_CHARS)]
pub struct NameError {
    what: &'static str,
    actual: usize,
}

const NAME_MAX_CHARS: usize = 255;

/// Trims a human-given name (of an organization, a directory, …) and checks its length.
pub fn validate_name(what: &'static str, value: &str) -> Result<String, NameError> {
    let trimmed = value.trim();
    let actual = trimmed.chars().count();
    if actual == 0 || actual > NAME_MAX_CHARS {
        return Err(NameError { what, actual });
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            validate_name("organization", "  Acme "),
            Ok("Acme".to_owned())
        );
        assert!(validate_name("organization", "   ").is_err());
        assert!(validate_name("directory", &"x".repeat(256)).is_err());
    }

    #[test]
    fn domains_are_normalised() {
        assert_eq!(
            Domain::parse(" Example.COM. ").unwrap().as_str(),
            "example.com"
        );
        assert_eq!(Domain::parse("a-b.co.uk").unwrap().as_str(), "a-b.co.uk");
    }

    #[test]
    fn malformed_domains_say_why() {
        for bad in [
            "",
            "localhost",
            "exa mple.com",
            "-a.com",
            "a..com",
            "foo@bar.com",
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad} should be refused");
        }
        let message = Domain::parse("foo@bar.com").unwrap_err().to_string();
        assert!(
            message.contains("only letters, digits, hyphens and dots"),
            "{message}"
        );
    }
}
