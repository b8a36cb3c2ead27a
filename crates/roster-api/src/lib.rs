//! The management API at the host root (`/directories`, `/directory_users`,
//! `/directory_groups`, `/events`), authenticated by `sk_…` API keys and shaped like WorkOS's
//! so that the official WorkOS SDKs work against Roster by changing the base URL and key.
//! One file per resource; list endpoints share the cursor parameters and envelope of `list`.

mod auth;
mod body;
mod deliveries;
mod directories;
mod error;
mod events;
mod groups;
mod limits;
mod list;
mod openapi;
mod organizations;
mod portal;
mod schemas;
mod users;
mod webhooks;

use std::sync::Arc;

use actix_web::web;
use roster_store::Store;
use tokio::sync::Notify;

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
    /// Signalled after a commit that recorded events, to wake the webhook dispatcher.
    pub events_written: Arc<Notify>,
    /// Sends test events to webhook endpoints as deliveries are sent.
    pub test_sender: roster_events::TestSender,
}

/// Mounts the API routes. The caller provides a `web::Data<ApiContext>`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .configure(openapi::configure)
        .configure(organizations::configure)
        .configure(directories::configure)
        .configure(users::configure)
        .configure(groups::configure)
        .configure(events::configure)
        .configure(webhooks::configure)
        .configure(deliveries::configure)
        .configure(portal::configure);
}
