//! Roster's SCIM service provider: the endpoints identity providers call under each
//! directory's base URL (`/scim/v2/{directory_id}`, and `/scim/v1.1/{directory_id}` for
//! Okta's SCIM 1.1 apps), their authentication, and SCIM's error format.

mod auth;
mod discovery;
mod error;

use actix_web::web;
use roster_store::Store;

pub use auth::DirectoryScope;
pub use error::ScimError;

/// What the SCIM routes need from the server that mounts them.
#[derive(Clone)]
pub struct ScimContext {
    /// The database.
    pub store: Store,
    /// The externally reachable base URL, without trailing slash, used in `meta.location`.
    pub public_url: String,
}

/// Mounts every SCIM route. The caller provides a `web::Data<ScimContext>`.
pub fn configure(config: &mut web::ServiceConfig) {
    for version in ["v2", "v1.1"] {
        config.service(
            web::scope(&format!("/scim/{version}/{{directory_id}}"))
                .configure(discovery::configure)
                .default_service(web::to(error::unknown_endpoint)),
        );
    }
}
