//! Identifiers are ULIDs behind a type prefix, shaped like WorkOS's (`org_01H…`), so they sort
//! by creation time, say what they name, and can't be passed where another kind is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

/// Why a string is not an identifier of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{value}` is not a valid {kind} id (expected `{prefix}_` followed by a 26-character ULID)"
)]
pub struct IdError {
    kind: &'static str,
    prefix: &'static str,
    value: String,
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with, before the underscore.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id, later-sorting than every id generated before it on this machine.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, Ulid::generate()))
            }

            /// Checks the prefix and the ULID part.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                let valid = value
                    .strip_prefix(concat!($prefix, "_"))
                    .is_some_and(|rest| Ulid::from_string(rest).is_ok());
                if valid {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(IdError { kind: $kind, prefix: $prefix, value: value.to_owned() })
                }
            }

            /// The id as stored and sent.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(value: &str) -> Result<Self, IdError> {
                Self::parse(value)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Self::parse(&value).map_err(serde::de::Error::custom)
            }
        }
    };
}

prefixed_id!(
    /// An organization: one customer of the vendor running Roster.
    OrganizationId, "org", "organization"
);
prefixed_id!(
    /// A directory: one identity-provider connection of an organization.
    DirectoryId, "directory", "directory"
);
prefixed_id!(
    /// A user provisioned into a directory.
    DirectoryUserId, "directory_user", "directory user"
);
prefixed_id!(
    /// A group provisioned into a directory.
    DirectoryGroupId, "directory_group", "directory group"
);
prefixed_id!(
    /// A `dsync.*` event.
    EventId, "event", "event"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_sort_by_creation() {
        let first = OrganizationId::generate();
        let second = OrganizationId::generate();
        assert!(first.as_str().starts_with("org_"));
        assert_eq!(OrganizationId::parse(first.as_str()), Ok(first.clone()));
        assert!(first < second);
    }

    #[test]
    fn an_id_of_another_kind_is_refused() {
        let directory = DirectoryId::generate();
        assert!(OrganizationId::parse(directory.as_str()).is_err());
        // `directory_user_…` shares the `directory_` prefix: the ULID check must still refuse it.
        let user = DirectoryUserId::generate();
        assert!(DirectoryId::parse(user.as_str()).is_err());
    }

    #[test]
    fn malformed_ids_are_refused_with_what_was_expected() {
        let error = OrganizationId::parse("org_123").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`org_` followed by a 26-character ULID")
        );
        assert!(OrganizationId::parse("").is_err());
    }
}
