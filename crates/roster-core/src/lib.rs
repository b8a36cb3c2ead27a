//! Roster's domain: typed, prefixed identifiers, organizations, directories and their
//! provider types, secrets, and timestamps. Nothing here performs I/O, so every other crate
//! can depend on it.

pub mod directory;
pub mod directory_user;
pub mod event;
pub mod id;
pub mod organization;
pub mod rate_limit;
pub mod secret;
pub mod time;

pub use directory::{DirectoryState, DirectoryType, EmailDomainPolicy, Protocol, ScimVersion};
pub use directory_user::{
    DirectoryGroup, DirectoryUser, ProfileEmail, UserProfile, UserState, case_key,
};
pub use event::EventType;
pub use id::{
    AdminId, ApiKeyId, AuditEntryId, DirectoryGroupId, DirectoryId, DirectoryUserId, EventId,
    IdError, InvitationId, OrganizationId, PortalLinkId,
};
pub use organization::{Domain, DomainError, NameError, organization_domain_id, validate_name};
pub use rate_limit::{Limited, RateLimit};
pub use secret::BearerToken;
pub use time::Timestamp;
