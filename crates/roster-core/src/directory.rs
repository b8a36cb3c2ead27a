//! Directory provider types and lifecycle states, spelled as WorkOS spells them so that
//! existing clients recognise them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DirectoryId;

/// Which identity provider feeds a directory. The wire strings are WorkOS's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DirectoryType {
    /// Okta's SCIM 2.0 catalogue app or a custom SCIM 2.0 app.
    #[serde(rename = "okta scim v2.0")]
    OktaScimV2,
    /// Okta's "SCIM 1.1 Header Auth" catalogue app.
    #[serde(rename = "okta scim v1.1")]
    OktaScimV1_1,
    /// Microsoft Entra ID (formerly Azure AD) provisioning.
    #[serde(rename = "azure scim v2.0")]
    AzureScimV2,
    /// OneLogin's SCIM provisioning.
    #[serde(rename = "onelogin scim v2.0")]
    OneLoginScimV2,
    /// JumpCloud's SCIM provisioning.
    #[serde(rename = "jump cloud scim v2.0")]
    JumpCloudScimV2,
    /// PingFederate's SCIM connector.
    #[serde(rename = "pingfederate scim v2.0")]
    PingFederateScimV2,
    /// Rippling's SCIM app.
    #[serde(rename = "rippling scim v2.0")]
    RipplingScimV2,
    /// Any other SCIM 2.0 client.
    #[serde(rename = "generic scim v2.0")]
    GenericScimV2,
    /// A source that does not speak SCIM (an HR system, Okta Workflows, a script) and posts
    /// batches of records to the bulk API instead.
    #[serde(rename = "custom api")]
    CustomApi,
}

/// How a directory's source writes to Roster. Each directory takes one: two writers keyed
/// differently (SCIM ids, HR external ids) would fight over the same users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// SCIM requests under the directory's SCIM base URL.
    Scim,
    /// Batches of records posted to the bulk API under the directory's bulk base URL.
    Bulk,
}

/// The SCIM protocol version a directory type speaks, which decides its base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimVersion {
    /// RFC 7643/7644.
    V2,
    /// SCIM 1.1, still used by Okta's header-auth template apps.
    V1_1,
}

impl ScimVersion {
    /// The path segment of the SCIM base URL (`/scim/{segment}/{directory_id}`).
    pub fn path_segment(self) -> &'static str {
        match self {
            ScimVersion::V2 => "v2",
            ScimVersion::V1_1 => "v1.1",
        }
    }
}

/// A directory type that is neither a WorkOS type string nor one of our aliases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown directory type `{0}`; accepted: {accepted}", accepted = DirectoryType::accepted_names())]
pub struct UnknownDirectoryType(pub String);

/// How many days inactive users may be kept before they are deleted, when a directory sets a
/// retention: from a day to ten years.
pub const INACTIVE_USER_RETENTION_DAYS: std::ops::RangeInclusive<i64> = 1..=3650;

impl DirectoryType {
    /// Every type with its WorkOS string and its short alias, in the order users see them.
    pub const ALL: [(DirectoryType, &'static str, &'static str); 9] = [
        (DirectoryType::OktaScimV2, "okta scim v2.0", "okta"),
        (DirectoryType::OktaScimV1_1, "okta scim v1.1", "okta-1.1"),
        (DirectoryType::AzureScimV2, "azure scim v2.0", "entra"),
        (
            DirectoryType::OneLoginScimV2,
            "onelogin scim v2.0",
            "onelogin",
        ),
        (
            DirectoryType::JumpCloudScimV2,
            "jump cloud scim v2.0",
            "jumpcloud",
        ),
        (
            DirectoryType::PingFederateScimV2,
            "pingfederate scim v2.0",
            "pingfederate",
        ),
        (
            DirectoryType::RipplingScimV2,
            "rippling scim v2.0",
            "rippling",
        ),
        (DirectoryType::GenericScimV2, "generic scim v2.0", "generic"),
        (DirectoryType::CustomApi, "custom api", "custom"),
    ];

    /// The WorkOS type string, as stored and returned by the API.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .map_or("generic scim v2.0", |(_, name, _)| name)
    }

    /// The SCIM version its identity provider speaks (for SCIM directories).
    pub fn scim_version(self) -> ScimVersion {
        match self {
            DirectoryType::OktaScimV1_1 => ScimVersion::V1_1,
            _ => ScimVersion::V2,
        }
    }

    /// How its source writes to Roster.
    pub fn protocol(self) -> Protocol {
        match self {
            DirectoryType::CustomApi => Protocol::Bulk,
            _ => Protocol::Scim,
        }
    }

    /// The SCIM base URL its identity provider is configured with, under `public_url`; `None`
    /// for a directory that takes no SCIM requests.
    pub fn scim_base_url(self, public_url: &str, id: &DirectoryId) -> Option<String> {
        (self.protocol() == Protocol::Scim).then(|| {
            format!(
                "{public_url}/scim/{}/{id}",
                self.scim_version().path_segment()
            )
        })
    }

    /// The base URL of its bulk API (batches go to `{base}/bulk`), under `public_url`; `None`
    /// for a SCIM directory. Apart from `/scim/`, so that it cannot be taken for SCIM's own
    /// `/Bulk` endpoint.
    pub fn bulk_base_url(self, public_url: &str, id: &DirectoryId) -> Option<String> {
        (self.protocol() == Protocol::Bulk).then(|| format!("{public_url}/custom/v1/{id}"))
    }

    fn accepted_names() -> String {
        Self::ALL
            .iter()
            .map(|(_, name, alias)| format!("`{alias}` (`{name}`)"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl FromStr for DirectoryType {
    type Err = UnknownDirectoryType;

    /// Accepts the WorkOS string (with hyphens for spaces too: `custom-api`) or the short
    /// alias, case-insensitively.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let wanted = value.trim();
        let spaced = wanted.replace('-', " ");
        Self::ALL
            .iter()
            .find(|(_, name, alias)| {
                name.eq_ignore_ascii_case(wanted)
                    || name.eq_ignore_ascii_case(&spaced)
                    || alias.eq_ignore_ascii_case(wanted)
            })
            .map(|(kind, _, _)| *kind)
            .ok_or_else(|| UnknownDirectoryType(value.to_owned()))
    }
}

impl fmt::Display for DirectoryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a directory does with users whose email domain is not one of its organization's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailDomainPolicy {
    /// Accept them, and mark them so the vendor can see them (the default).
    Flag,
    /// Refuse them with a SCIM 400 that names the domain.
    Refuse,
}

impl EmailDomainPolicy {
    /// The stored and shown string.
    pub fn as_str(self) -> &'static str {
        match self {
            EmailDomainPolicy::Flag => "flag",
            EmailDomainPolicy::Refuse => "refuse",
        }
    }

    /// Reads `flag` or `refuse`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "flag" => Some(EmailDomainPolicy::Flag),
            "refuse" => Some(EmailDomainPolicy::Refuse),
            _ => None,
        }
    }
}

/// Where a directory is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectoryState {
    /// Created, but its identity provider has not yet made an authenticated request.
    Unlinked,
    /// Its identity provider has authenticated at least once.
    Linked,
    /// Being deleted; its SCIM endpoint no longer accepts requests.
    Deleting,
}

impl DirectoryState {
    /// The stored and returned string.
    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryState::Unlinked => "unlinked",
            DirectoryState::Linked => "linked",
            DirectoryState::Deleting => "deleting",
        }
    }

    /// Reads a stored state; anything unknown is reported rather than guessed.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "unlinked" => Some(DirectoryState::Unlinked),
            "linked" => Some(DirectoryState::Linked),
            "deleting" => Some(DirectoryState::Deleting),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_workos_strings_both_parse() {
        assert_eq!("okta".parse(), Ok(DirectoryType::OktaScimV2));
        assert_eq!("Azure SCIM v2.0".parse(), Ok(DirectoryType::AzureScimV2));
        assert_eq!("entra".parse(), Ok(DirectoryType::AzureScimV2));
        for (kind, name, alias) in DirectoryType::ALL {
            assert_eq!(kind.as_str(), name);
            assert_eq!(alias.parse(), Ok(kind));
        }
    }

    #[test]
    fn an_unknown_type_lists_what_is_accepted() {
        let error = "gsuite".parse::<DirectoryType>().unwrap_err().to_string();
        assert!(error.contains("`gsuite`"), "{error}");
        assert!(error.contains("`okta-1.1` (`okta scim v1.1`)"), "{error}");
    }

    #[test]
    fn custom_api_directories_take_batches_at_their_own_base_url() {
        assert_eq!("custom".parse(), Ok(DirectoryType::CustomApi));
        assert_eq!("custom-api".parse(), Ok(DirectoryType::CustomApi));
        assert_eq!("Custom API".parse(), Ok(DirectoryType::CustomApi));
        assert_eq!(DirectoryType::CustomApi.protocol(), Protocol::Bulk);
        let id = DirectoryId::generate();
        assert_eq!(
            DirectoryType::CustomApi.bulk_base_url("https://roster.example.com", &id),
            Some(format!("https://roster.example.com/custom/v1/{id}"))
        );
        assert_eq!(
            DirectoryType::CustomApi.scim_base_url("https://roster.example.com", &id),
            None
        );
        assert_eq!(
            DirectoryType::OktaScimV1_1.scim_base_url("http://h", &id),
            Some(format!("http://h/scim/v1.1/{id}"))
        );
        assert_eq!(
            DirectoryType::AzureScimV2.bulk_base_url("http://h", &id),
            None
        );
    }

    #[test]
    fn only_okta_one_one_speaks_scim_one_one() {
        assert_eq!(
            DirectoryType::OktaScimV1_1.scim_version(),
            ScimVersion::V1_1
        );
        assert_eq!(DirectoryType::AzureScimV2.scim_version(), ScimVersion::V2);
    }
}
