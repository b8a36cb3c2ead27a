//! The `dsync.*` events, named as WorkOS names them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every event type Roster emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    /// A directory's identity provider authenticated for the first time.
    #[serde(rename = "dsync.activated")]
    Activated,
    /// A directory was deleted.
    #[serde(rename = "dsync.deleted")]
    Deleted,
    /// A user was provisioned.
    #[serde(rename = "dsync.user.created")]
    UserCreated,
    /// A user's attributes or state changed.
    #[serde(rename = "dsync.user.updated")]
    UserUpdated,
    /// A user was deleted.
    #[serde(rename = "dsync.user.deleted")]
    UserDeleted,
    /// A group was provisioned.
    #[serde(rename = "dsync.group.created")]
    GroupCreated,
    /// A group's attributes changed.
    #[serde(rename = "dsync.group.updated")]
    GroupUpdated,
    /// A group was deleted.
    #[serde(rename = "dsync.group.deleted")]
    GroupDeleted,
    /// A user joined a group.
    #[serde(rename = "dsync.group.user_added")]
    GroupUserAdded,
    /// A user left a group.
    #[serde(rename = "dsync.group.user_removed")]
    GroupUserRemoved,
}

impl EventType {
    /// Every type, in documentation order.
    pub const ALL: [EventType; 10] = [
        EventType::Activated,
        EventType::Deleted,
        EventType::UserCreated,
        EventType::UserUpdated,
        EventType::UserDeleted,
        EventType::GroupCreated,
        EventType::GroupUpdated,
        EventType::GroupDeleted,
        EventType::GroupUserAdded,
        EventType::GroupUserRemoved,
    ];

    /// The wire name, e.g. `dsync.user.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Activated => "dsync.activated",
            EventType::Deleted => "dsync.deleted",
            EventType::UserCreated => "dsync.user.created",
            EventType::UserUpdated => "dsync.user.updated",
            EventType::UserDeleted => "dsync.user.deleted",
            EventType::GroupCreated => "dsync.group.created",
            EventType::GroupUpdated => "dsync.group.updated",
            EventType::GroupDeleted => "dsync.group.deleted",
            EventType::GroupUserAdded => "dsync.group.user_added",
            EventType::GroupUserRemoved => "dsync.group.user_removed",
        }
    }

    /// Reads a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_match_serde() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(EventType::parse("dsync.user.exploded"), None);
    }
}
