//! `GET /openapi.json`: the OpenAPI 3.1 document of this API, generated from the handlers'
//! annotations and the types they answer with, so it cannot describe an API that isn't there.

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{deliveries, directories, events, groups, organizations, users, webhooks};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster management API",
        description = "Directory sync, shaped like WorkOS's API so that WorkOS SDKs work by \
                       changing the base URL and the API key. Served at the host root.",
        license(name = "Apache-2.0"),
    ),
    paths(
        organizations::list,
        organizations::create,
        organizations::read,
        organizations::read_by_external_id,
        organizations::update,
        organizations::remove,
        directories::list,
        directories::create,
        directories::read,
        directories::update,
        directories::reset_token,
        directories::remove,
        users::list,
        users::read,
        groups::list,
        groups::read,
        events::list,
        webhooks::list,
        webhooks::create,
        webhooks::read,
        webhooks::update,
        webhooks::remove,
        webhooks::rotate_secret,
        deliveries::list,
        deliveries::redeliver,
        deliveries::redeliver_event,
        deliveries::redeliver_failed,
    ),
    modifiers(&ApiKeyAuth),
    tags(
        (name = "organizations", description = "The vendor's customers."),
        (name = "directories", description = "Identity-provider connections of organizations."),
        (name = "directory users", description = "Users provisioned into directories."),
        (name = "directory groups", description = "Groups provisioned into directories."),
        (name = "events", description = "The `dsync.*` events webhooks deliver, for polling."),
        (name = "webhooks", description = "Endpoints that receive events, and their deliveries."),
    )
)]
struct ApiDocument;

/// `Authorization: Bearer sk_…` on every path.
struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sk_…")
                    .description(Some(
                        "An API key made by `roster api-key create` or the dashboard.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Built once: the document never changes while the process runs.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDocument::openapi);

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/openapi.json").get(document));
}

async fn document() -> HttpResponse {
    HttpResponse::Ok().json(&*DOCUMENT)
}
