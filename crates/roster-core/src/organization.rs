//! Organization domains: the email domains a customer owns, unique across organizations.

use std::fmt;

use sha2::{Digest, Sha256};
use ulid::Ulid;

use crate::OrganizationId;

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

/// The id of `domain` as a domain of `organization` (`org_domain_…`, as WorkOS names its
/// organization-domain objects). Derived rather than stored: the organization's creation time
/// and a digest of the pair, so it is a valid ULID, stable across reads, and different for the
/// same domain under another organization.
pub fn organization_domain_id(organization: &OrganizationId, domain: &Domain) -> String {
    let created_ms = organization
        .as_str()
        .strip_prefix("org_")
        .and_then(|ulid| Ulid::from_string(ulid).ok())
        .map_or(0, |ulid| ulid.timestamp_ms());
    let digest = Sha256::digest(format!("{organization}/{domain}").as_bytes());
    let mut random = [0u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    format!(
        "org_domain_{}",
        Ulid::from_parts(created_ms, u128::from_be_bytes(random))
    )
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
    fn domain_ids_are_stable_ulids_distinct_per_organization() {
        let acme = OrganizationId::generate();
        let globex = OrganizationId::generate();
        let domain = Domain::parse("example.com").unwrap();
        let id = organization_domain_id(&acme, &domain);
        assert_eq!(id, organization_domain_id(&acme, &domain));
        assert_ne!(id, organization_domain_id(&globex, &domain));
        let ulid = Ulid::from_string(id.strip_prefix("org_domain_").unwrap()).unwrap();
        let acme_ulid = Ulid::from_string(acme.as_str().strip_prefix("org_").unwrap()).unwrap();
        assert_eq!(ulid.timestamp_ms(), acme_ulid.timestamp_ms());
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
