//! Users and groups as app developers consume them: WorkOS's directory-user and
//! directory-group shapes, whatever protocol provisioned them. Writers (SCIM, bulk) normalise
//! into a profile; the events and the management API render from it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{DirectoryGroupId, DirectoryId, DirectoryUserId, OrganizationId, Timestamp};

/// The form in which case-insensitive attributes (`userName`, emails, display names) are stored
/// and compared, so that both backends and every index agree on what "equal" means.
pub fn case_key(value: &str) -> String {
    value.to_lowercase()
}

/// Whether a user may use the vendor's product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserState {
    /// Provisioned and active.
    Active,
    /// Deactivated by the identity provider; kept readable until reactivated or deleted.
    Inactive,
}

/// One email address of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileEmail {
    /// Whether it is the user's primary address.
    pub primary: bool,
    /// `work`, `home`, … as the identity provider labels it.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The address.
    pub value: String,
}

/// The normalised attributes of a directory user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    /// The identity provider's id for the user (its `externalId`, else Roster's id).
    pub idp_id: String,
    /// The primary (else work, else first) email address.
    pub email: Option<String>,
    /// Every email address.
    pub emails: Vec<ProfileEmail>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// The identity provider's login name.
    pub username: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Active or inactive.
    pub state: UserState,
    /// Department, division, cost center, employee number, manager, …
    pub custom_attributes: Map<String, Value>,
}

/// A stored directory user with its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryUser {
    /// `directory_user_…`
    pub id: DirectoryUserId,
    /// Its directory.
    pub directory_id: DirectoryId,
    /// Its directory's organization.
    pub organization_id: OrganizationId,
    /// Normalised attributes.
    pub profile: UserProfile,
    /// The document as the identity provider last sent it (never with a password).
    pub raw_attributes: Value,
    /// When it was provisioned.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl DirectoryUser {
    /// WorkOS's `directory_user` object, without `groups` (events carry none).
    pub fn to_json(&self) -> Value {
        json!(self.wire())
    }

    /// The same object, typed.
    pub fn wire(&self) -> DirectoryUserWire {
        DirectoryUserWire {
            object: "directory_user",
            id: self.id.clone(),
            directory_id: self.directory_id.clone(),
            organization_id: self.organization_id.clone(),
            idp_id: self.profile.idp_id.clone(),
            email: self.profile.email.clone(),
            emails: self.profile.emails.clone(),
            first_name: self.profile.first_name.clone(),
            last_name: self.profile.last_name.clone(),
            username: self.profile.username.clone(),
            job_title: self.profile.job_title.clone(),
            state: self.profile.state,
            custom_attributes: self.profile.custom_attributes.clone(),
            raw_attributes: self.raw_attributes.clone(),
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

/// A directory user as apps receive it, in events and from the management API.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DirectoryUser))]
pub struct DirectoryUserWire {
    /// Always `directory_user`.
    #[cfg_attr(feature = "openapi", schema(example = "directory_user"))]
    pub object: &'static str,
    /// `directory_user_…`
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: DirectoryUserId,
    /// `directory_…`
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub directory_id: DirectoryId,
    /// `org_…`
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub organization_id: OrganizationId,
    /// The identity provider's id for the user (its `externalId`, else Roster's id).
    pub idp_id: String,
    /// The primary (else work, else first) email address.
    pub email: Option<String>,
    /// Every email address.
    pub emails: Vec<ProfileEmail>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// The identity provider's login name.
    pub username: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// `active` or `inactive`.
    pub state: UserState,
    /// `department`, `division`, `cost_center`, `employee_number`, `organization`,
    /// `employee_type`, `manager_id`, `manager_name` when the provider sends them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_attributes: Map<String, Value>,
    /// The document as the identity provider last sent it (never with a password).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub raw_attributes: Value,
    /// RFC 3339, UTC, milliseconds.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// RFC 3339, UTC, milliseconds.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub updated_at: String,
}

/// A stored directory group.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryGroup {
    /// `directory_group_…`
    pub id: DirectoryGroupId,
    /// Its directory.
    pub directory_id: DirectoryId,
    /// Its directory's organization.
    pub organization_id: OrganizationId,
    /// The identity provider's id for the group (its `externalId`, else Roster's id).
    pub idp_id: String,
    /// Display name.
    pub name: String,
    /// The document as the identity provider last sent it, without members.
    pub raw_attributes: Value,
    /// When it was provisioned.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl DirectoryGroup {
    /// WorkOS's `directory_group` object.
    pub fn to_json(&self) -> Value {
        json!(self.wire())
    }

    /// The same object, typed.
    pub fn wire(&self) -> DirectoryGroupWire {
        DirectoryGroupWire {
            object: "directory_group",
            id: self.id.clone(),
            idp_id: self.idp_id.clone(),
            directory_id: self.directory_id.clone(),
            organization_id: self.organization_id.clone(),
            name: self.name.clone(),
            raw_attributes: self.raw_attributes.clone(),
            created_at: self.created_at.to_rfc3339(),
            updated_at: self.updated_at.to_rfc3339(),
        }
    }
}

/// A directory group as apps receive it, in events and from the management API.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DirectoryGroup))]
pub struct DirectoryGroupWire {
    /// Always `directory_group`.
    #[cfg_attr(feature = "openapi", schema(example = "directory_group"))]
    pub object: &'static str,
    /// `directory_group_…`
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: DirectoryGroupId,
    /// The identity provider's id for the group (its `externalId`, else Roster's id).
    pub idp_id: String,
    /// `directory_…`
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub directory_id: DirectoryId,
    /// `org_…`
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub organization_id: OrganizationId,
    /// Display name.
    pub name: String,
    /// The document as the identity provider last sent it, without members.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub raw_attributes: Value,
    /// RFC 3339, UTC, milliseconds.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub created_at: String,
    /// RFC 3339, UTC, milliseconds.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub updated_at: String,
}

/// The old values of exactly the keys that differ between two renderings of one object,
/// recursing into nested objects (`custom_attributes`). Bookkeeping keys and the raw document
/// are left out: consumers want to know which attribute changed, not that a timestamp moved.
pub fn previous_attributes(before: &Value, after: &Value) -> Map<String, Value> {
    const IGNORED: [&str; 3] = ["updated_at", "created_at", "raw_attributes"];
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        return Map::new();
    };
    changed_keys(before, after, &IGNORED)
}

fn changed_keys(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    ignored: &[&str],
) -> Map<String, Value> {
    let mut changed = Map::new();
    let keys = before
        .keys()
        .chain(after.keys().filter(|key| !before.contains_key(*key)));
    for key in keys {
        if ignored.contains(&key.as_str()) {
            continue;
        }
        let old = before.get(key).unwrap_or(&Value::Null);
        let new = after.get(key).unwrap_or(&Value::Null);
        if old == new {
            continue;
        }
        match (old, new) {
            (Value::Object(old), Value::Object(new)) => {
                changed.insert(key.clone(), Value::Object(changed_keys(old, new, &[])));
            }
            _ => {
                changed.insert(key.clone(), old.clone());
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previous_attributes_name_exactly_what_changed() {
        let before = json!({
            "username": "alice@acme.com", "state": "active", "job_title": "Engineer",
            "custom_attributes": {"department": "R&D", "division": "Core"},
            "updated_at": "2026-01-01T00:00:00.000Z", "raw_attributes": {"userName": "alice@acme.com"}
        });
        let after = json!({
            "username": "alice@acme.com", "state": "inactive", "job_title": "Engineer",
            "custom_attributes": {"department": "Sales", "division": "Core"},
            "updated_at": "2026-02-01T00:00:00.000Z", "raw_attributes": {"userName": "alice@acme.com", "active": false}
        });
        assert_eq!(
            Value::Object(previous_attributes(&before, &after)),
            json!({"state": "active", "custom_attributes": {"department": "R&D"}})
        );
        assert!(previous_attributes(&before, &before).is_empty());
    }

    #[test]
    fn an_attribute_that_appears_had_a_null_previous_value() {
        let before = json!({"job_title": null});
        let after = json!({"job_title": "CTO"});
        assert_eq!(
            Value::Object(previous_attributes(&before, &after)),
            json!({"job_title": null})
        );
    }
}
