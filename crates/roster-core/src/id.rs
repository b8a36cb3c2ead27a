//! Identifiers are ULIDs behind a type prefix, shaped like WorkOS's (`org_01H…`), so they sort
//! by creation time, say what they name, and can't be passed where another kind is expected.

use std::fmt;
use std::str::FromStr;

use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::{Generator, Ulid};

/// One generator per process, so that ids made in the same millisecond still sort in the order
/// they were made: cursor pagination and "newest first" lists rely on it.
static GENERATOR: Mutex<Generator> = Mutex::new(Generator::new());

fn next_ulid() -> Ulid {
    let mut generator = GENERATOR.lock().unwrap_or_else(PoisonError::into_inner);
    match generator.generate() {
        Ok(ulid) => ulid,
        // 2^80 ids in one millisecond: move into the next one rather than fail.
        Err(overflow) => overflow.commit_overflow_increment(),
    }
}

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

            /// A fresh id, sorting after every id generated before it by this process.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, next_ulid()))
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
prefixed_id!(
    /// A management API key.
    ApiKeyId, "key", "API key"
);
prefixed_id!(
    /// A webhook endpoint: a URL that receives events, with its signing secret.
    WebhookEndpointId, "we", "webhook endpoint"
);
prefixed_id!(
    /// One event's delivery to one webhook endpoint, across all its attempts.
    WebhookDeliveryId, "wd", "webhook delivery"
);
prefixed_id!(
    /// A mass-deprovisioning hold: deactivation webhooks withheld until an admin decides.
    DeprovisioningHoldId, "hold", "deprovisioning hold"
);

prefixed_id!(
    /// A vendor administrator who signs in to the dashboard.
    AdminId, "admin", "admin"
);
prefixed_id!(
    /// An invitation for another administrator, sent by email.
    InvitationId, "invitation", "invitation"
);
prefixed_id!(
    /// One entry of the dashboard's audit log.
    AuditEntryId, "audit", "audit entry"
);
prefixed_id!(
    /// A single-use link that opens the setup portal for one organization.
    PortalLinkId, "portal_link", "setup link"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_sort_by_creation() {
        let first = OrganizationId::generate();
        assert!(first.as_str().starts_with("org_"));
        assert_eq!(OrganizationId::parse(first.as_str()), Ok(first.clone()));
        let ids: Vec<OrganizationId> = (0..1000).map(|_| OrganizationId::generate()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
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
