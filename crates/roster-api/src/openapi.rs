//! `GET /openapi.json`: the OpenAPI 3.1 document of this API, generated from the handlers'
//! annotations and the types they answer with, so it cannot describe an API that isn't there.

use std::sync::LazyLock;

use actix_web::{HttpResponse, web};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, header::HeaderBuilder};
use utoipa::{Modify, OpenApi, PartialSchema};

use crate::{deliveries, directories, events, groups, organizations, portal, users, webhooks};

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
        directories::send_test_events,
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
        webhooks::send_test,
        deliveries::list,
        deliveries::redeliver,
        deliveries::redeliver_event,
        deliveries::redeliver_failed,
        portal::generate_link,
    ),
    modifiers(&ApiKeyAuth, &CommonResponses),
    tags(
        (name = "organizations", description = "The vendor's customers."),
        (name = "directories", description = "Identity-provider connections of organizations."),
        (name = "directory users", description = "Users provisioned into directories."),
        (name = "directory groups", description = "Groups provisioned into directories."),
        (name = "events", description = "The `dsync.*` events webhooks deliver, for polling."),
        (name = "webhooks", description = "Endpoints that receive events, and their deliveries."),
        (name = "portal", description = "Single-use links to the IT admins' setup portal."),
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

/// The answers any operation can give, so that each operation lists only its own: 400 (a URL
/// or body the API cannot read), 401 and 429 (every operation), 503 (the database is
/// unreachable) and 403 (a read-only key, or a scoped key creating outside its organization,
/// on every operation that writes).
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error = |description: &str| {
            ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(crate::error::ErrorBody::schema()))
                    .build(),
            )
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        for ((_, name), response) in [
            (
                UNAUTHORIZED,
                error("No API key, or not a valid one.").build(),
            ),
            (
                RATE_LIMITED,
                error("The key's rate limit is exhausted; retry after `Retry-After` seconds.")
                    .header(
                        "Retry-After",
                        HeaderBuilder::new()
                            .schema(u64::schema())
                            .description(Some("Seconds to wait."))
                            .build(),
                    )
                    .build(),
            ),
            (
                UNAVAILABLE,
                error("The database cannot be reached; retry later.").build(),
            ),
            (
                UNREADABLE,
                error(
                    "A body that is not JSON of the expected shape, or a NUL character in the URL.",
                )
                .build(),
            ),
            (
                FORBIDDEN,
                error("A read-only key, or a key limited to one organization reaching beyond it.")
                    .build(),
            ),
        ] {
            components
                .responses
                .insert(name.to_owned(), response.into());
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in item.get.iter_mut() {
                add_common(
                    operation,
                    &[UNREADABLE, UNAUTHORIZED, RATE_LIMITED, UNAVAILABLE],
                );
            }
            let writes = [
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in writes.into_iter().flatten() {
                add_common(
                    operation,
                    &[
                        UNREADABLE,
                        UNAUTHORIZED,
                        RATE_LIMITED,
                        UNAVAILABLE,
                        FORBIDDEN,
                    ],
                );
            }
        }
    }
}

/// A shared response: its status and its name under `components/responses`.
type Common = (&'static str, &'static str);
const UNAUTHORIZED: Common = ("401", "Unauthorized");
const RATE_LIMITED: Common = ("429", "RateLimited");
const UNAVAILABLE: Common = ("503", "Unavailable");
const UNREADABLE: Common = ("400", "Unreadable");
const FORBIDDEN: Common = ("403", "Forbidden");

fn add_common(operation: &mut Operation, responses: &[Common]) {
    for (status, name) in responses {
        operation
            .responses
            .responses
            .entry((*status).to_owned())
            .or_insert_with(|| Ref::from_response_name(*name).into());
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
