//! Roster's SCIM service provider: the endpoints identity providers call under each
//! directory's base URL (`/scim/v2/{directory_id}`, and `/scim/v1.1/{directory_id}` for
//! Okta's SCIM 1.1 apps), their authentication, and SCIM's error format.

mod auth;
mod body;
pub mod changes;
mod discovery;
mod error;
mod filter_sql;
mod groups;
mod guard;
mod guard_deprovisioning;
mod list;
pub mod maintenance;
mod request_log;
pub mod resources;
mod scim11;
pub mod test_events;
mod users;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::web;
use roster_core::{DirectoryId, RateLimit};
use roster_store::Store;
use tokio::sync::Notify;

pub use auth::{Authentication, DirectoryScope, authenticate, bearer_token};
pub use body::parse_json;
pub use error::ScimError;
pub use guard::InFlight;
pub use list::ListParams;
pub use request_log::RequestLog;

/// What the SCIM routes need from the server that mounts them.
#[derive(Clone)]
pub struct ScimContext {
    /// The database.
    pub store: Store,
    /// The externally reachable base URL, without trailing slash, used in `meta.location`.
    pub public_url: String,
    /// The cap on SCIM requests in flight.
    pub in_flight: InFlight,
    /// Requests per second per directory, counted once the directory is authenticated.
    pub rate_limit: RateLimit<DirectoryId>,
    /// Signalled after every commit that wrote events, so the dispatcher delivers them at once
    /// instead of at its next poll.
    pub events_written: Arc<Notify>,
    /// Where each request's outcome is logged for its directory.
    pub request_log: RequestLog,
}

impl ScimContext {
    /// A directory's SCIM base URL, as its identity provider is configured with it.
    pub fn base_url(&self, directory: &roster_store::directories::Directory) -> String {
        format!(
            "{}/scim/{}/{}",
            self.public_url,
            directory.directory_type.scim_version().path_segment(),
            directory.id
        )
    }
}

/// Mounts every SCIM route. The caller provides a `web::Data<ScimContext>`.
pub fn configure(config: &mut web::ServiceConfig) {
    let routes = |scope: actix_web::Scope| {
        scope
            .configure(discovery::configure)
            .configure(users::configure)
            .configure(groups::configure)
            .route("/.search", web::post().to(error::root_search))
            .default_service(web::to(error::unknown_endpoint))
    };
    config
        .service(routes(web::scope("/scim/v2/{directory_id}")).wrap(from_fn(guard::guard)))
        .service(
            routes(web::scope("/scim/v1.1/{directory_id}"))
                .wrap(from_fn(guard::guard))
                .wrap(from_fn(scim11::translate_responses)),
        );
}
