//! The management API at the host root (`/directories`, `/directory_users`,
//! `/directory_groups`, `/events`), authenticated by `sk_…` API keys and shaped like WorkOS's
//! so that the official WorkOS SDKs work against Roster by changing the base URL and key.
//! One file per resource; list endpoints share the cursor parameters and envelope of `list`.

mod auth;
mod directories;
mod error;
mod events;
mod groups;
mod limits;
mod list;
mod users;

use actix_web::web;
use roster_store::Store;

pub use auth::ApiKeyScope;
pub use error::ApiError;
pub use limits::ApiLimits;

/// What the API routes need from the server that mounts them.
#[derive(Clone)]
pub struct ApiContext {
    /// The database.
    pub store: Store,
    /// The externally reachable base URL, for SCIM base URLs shown on directories.
    pub public_url: String,
    /// Per-key rate limits.
    pub limits: ApiLimits,
}

/// Mounts the API routes. The caller provides a `web::Data<ApiContext>`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .configure(directories::configure)
        .configure(users::configure)
        .configure(groups::configure)
        .configure(events::configure);
}
