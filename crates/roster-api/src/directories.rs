//! `/directories`: WorkOS's list, read and delete, and what a vendor's backend needs to set
//! customers up without the CLI or the dashboard: create (with the bearer token, shown once),
//! update, and token reset.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use roster_core::directory::INACTIVE_USER_RETENTION_DAYS;
use roster_core::{
    BearerToken, DirectoryId, DirectoryType, EmailDomainPolicy, OrganizationId, validate_name,
};
use roster_store::directories::{self, Directory, DirectoryListFilter, DirectoryWriteError};
use roster_store::page::{Order, Page};
use roster_store::{AnyConnection, groups, health, organizations, users};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::list::{ListOf, Query, list_response, page_request, param};
use crate::{ApiContext, ApiError, ApiKeyScope, body};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/directories").get(list).post(create))
        .service(
            web::resource("/directories/{id}")
                .get(read)
                .put(update)
                .delete(remove),
        )
        .service(web::resource("/directories/{id}/token").post(reset_token))
        .service(web::resource("/directories/{id}/test_events").post(send_test_events));
}

/// A directory: one identity-provider connection of an organization.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DirectoryObject {
    /// Always `directory`.
    #[schema(example = "directory")]
    object: &'static str,
    /// `directory_…`
    id: String,
    organization_id: String,
    /// A random, stable key.
    external_key: String,
    /// WorkOS's type string, e.g. `okta scim v2.0`.
    #[schema(example = "okta scim v2.0")]
    r#type: String,
    /// `unlinked` until the identity provider's first authenticated request, then `linked`.
    #[schema(example = "linked")]
    state: String,
    name: String,
    /// The organization's first domain.
    domain: Option<String>,
    /// Where the identity provider sends SCIM requests; null for a `custom api` directory.
    scim_base_url: Option<String>,
    /// Not a WorkOS key: where a `custom api` directory's source posts its batches
    /// (`{bulk_base_url}/bulk`); null for a SCIM directory.
    bulk_base_url: Option<String>,
    /// Users inactive this many days are deleted; null keeps them.
    inactive_user_retention_days: Option<i64>,
    /// `flag` or `refuse` users whose email domain is not the organization's.
    email_domain_policy: String,
    /// When the identity provider last made an authenticated request (to the minute).
    #[schema(format = DateTime)]
    last_request_at: Option<String>,
    /// The latest error its identity provider was answered, if any.
    last_error: Option<DirectoryLastError>,
    /// Set while the directory has sent no request for longer than
    /// `ROSTER_DIRECTORY_SILENT_AFTER`.
    #[schema(format = DateTime)]
    silent_since: Option<String>,
    /// The sequence number of the directory's latest event: load users and groups, then
    /// follow events from here.
    last_event_sequence: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    metadata: DirectoryMetadata,
    /// Only when just created or reset: the one time it can be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    bearer_token: Option<String>,
}

/// An error answered to a directory's identity provider.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DirectoryLastError {
    #[schema(format = DateTime)]
    at: String,
    /// The HTTP status.
    status: i64,
    /// The SCIM error's `detail`.
    detail: Option<String>,
}

/// How many users and groups a directory holds.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DirectoryMetadata {
    users: UserCounts,
    groups: i64,
}

/// Users by state.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UserCounts {
    active: i64,
    inactive: i64,
}

/// WorkOS's directory objects for `found`, with user and group counts, in a fixed number of
/// queries whatever the page size.
fn render(
    conn: &mut AnyConnection,
    found: &[Directory],
    public_url: &str,
) -> Result<Vec<DirectoryObject>, ApiError> {
    let ids: Vec<&str> = found
        .iter()
        .map(|directory| directory.id.as_str())
        .collect();
    let mut user_counts: BTreeMap<(String, bool), i64> = BTreeMap::new();
    for (directory, active, count) in users::counts_by_directory(conn, &ids)? {
        user_counts.insert((directory, active), count);
    }
    let group_counts: BTreeMap<String, i64> = groups::counts_by_directory(conn, &ids)?
        .into_iter()
        .collect();
    let mut health = health::for_directories(conn, &ids)?;
    let mut domains: BTreeMap<String, Option<String>> = BTreeMap::new();
    for directory in found {
        if let Entry::Vacant(slot) = domains.entry(directory.organization_id.to_string()) {
            let first =
                organizations::find(conn, &directory.organization_id)?.and_then(|organization| {
                    organization
                        .domains
                        .first()
                        .map(|domain| domain.to_string())
                });
            slot.insert(first);
        }
    }
    Ok(found
        .iter()
        .map(|directory| {
            let id = directory.id.to_string();
            let count = |active| user_counts.get(&(id.clone(), active)).copied().unwrap_or(0);
            DirectoryObject {
                object: "directory",
                id: id.clone(),
                organization_id: directory.organization_id.to_string(),
                external_key: directory.external_key.clone(),
                r#type: directory.directory_type.to_string(),
                state: directory.state.as_str().to_owned(),
                name: directory.name.clone(),
                domain: domains
                    .get(directory.organization_id.as_str())
                    .cloned()
                    .flatten(),
                scim_base_url: directory.scim_base_url(public_url),
                bulk_base_url: directory.bulk_base_url(public_url),
                inactive_user_retention_days: directory.inactive_user_retention_days,
                email_domain_policy: directory.email_domain_policy.as_str().to_owned(),
                last_request_at: directory.last_request_at.map(|at| at.to_rfc3339()),
                last_error: health
                    .get(&id)
                    .and_then(|health| health.last_error.as_ref())
                    .map(|error| DirectoryLastError {
                        at: error.at.to_rfc3339(),
                        status: error.status,
                        detail: error.detail.clone(),
                    }),
                silent_since: health
                    .remove(&id)
                    .and_then(|health| health.silent_since)
                    .map(|at| at.to_rfc3339()),
                last_event_sequence: directory.last_event_sequence,
                created_at: directory.created_at.to_rfc3339(),
                updated_at: directory.updated_at.to_rfc3339(),
                metadata: DirectoryMetadata {
                    users: UserCounts {
                        active: count(true),
                        inactive: count(false),
                    },
                    groups: group_counts.get(&id).copied().unwrap_or(0),
                },
                bearer_token: None,
            }
        })
        .collect())
}

/// One directory's object, with its new token when there is one.
fn render_one(
    conn: &mut AnyConnection,
    directory: &Directory,
    public_url: &str,
    token: Option<&BearerToken>,
) -> Result<DirectoryObject, ApiError> {
    let mut object = render(conn, std::slice::from_ref(directory), public_url)?
        .pop()
        .ok_or_else(|| ApiError::not_found("directory", directory.id.as_str()))?;
    object.bearer_token = token.map(|token| token.expose().to_owned());
    Ok(object)
}

/// List directories.
#[utoipa::path(
    get,
    path = "/directories",
    operation_id = "list_directories",
    tag = "directories",
    params(
        ("organization_id" = Option<String>, Query, description = "Only this organization's.", pattern = "^org_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
        ("search" = Option<String>, Query, description = "Name contains (case-insensitive).", pattern = r"^[^\x00]*$"),
        ("domain" = Option<String>, Query, description = "Only the directories of the organization owning this domain.", pattern = r"^[^\x00]*$"),
        crate::list::ListParameters,
    ),
    responses(
        (status = 200, body = ListOf<DirectoryObject>),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn list(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query, Order::Desc)?;
    let requested = param(&query, "organization_id").map(str::to_owned);
    // A key limited to one organization lists only that one's, whatever it asks for.
    let organization = match (scope.organization(), requested) {
        (Some(own), Some(asked)) if own.as_str() != asked => {
            return Ok(list_response(Page::<DirectoryObject>::empty()));
        }
        (Some(own), _) => Some(own.to_string()),
        (None, asked) => asked,
    };
    let search = param(&query, "search").map(str::to_owned);
    let domain = param(&query, "domain").map(str::to_owned);
    let page = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let filter = DirectoryListFilter {
            organization: organization.as_deref(),
            search: search.as_deref(),
            domain: domain.as_deref(),
        };
        let page = directories::list_page(&mut conn, &filter, &request)?;
        let items = render(&mut conn, &page.items, &context.public_url)?;
        Ok(Page {
            items,
            before: page.before,
            after: page.after,
        })
    })
    .await??;
    Ok(list_response(page))
}

fn find_visible(
    conn: &mut AnyConnection,
    scope: &ApiKeyScope,
    id: &str,
) -> Result<Directory, ApiError> {
    DirectoryId::parse(id)
        .ok()
        .map(|parsed| directories::find(conn, &parsed))
        .transpose()?
        .flatten()
        .filter(|directory| scope.sees(&directory.organization_id))
        .ok_or_else(|| ApiError::not_found("directory", id))
}

/// Get a directory.
#[utoipa::path(
    get,
    path = "/directories/{id}",
    operation_id = "get_directory",
    tag = "directories",
    params(("id" = String, Path, description = "`directory_…`")),
    responses(
        (status = 200, body = DirectoryObject),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn read(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let directory = find_visible(&mut conn, &scope, &id)?;
        render_one(&mut conn, &directory, &context.public_url, None)
    })
    .await??;
    Ok(HttpResponse::Ok().json(object))
}

/// `POST /directories`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CreateDirectory {
    /// `org_…`; `organization` is accepted too.
    #[serde(alias = "organization")]
    #[schema(value_type = String, required = true)]
    organization_id: Option<String>,
    /// WorkOS's type string (`okta scim v2.0`) or Roster's alias (`okta`, `okta-1.1`, `entra`,
    /// `onelogin`, `jumpcloud`, `pingfederate`, `rippling`, `generic`, `custom` for the bulk
    /// API), in any case.
    #[schema(required = true, schema_with = crate::schemas::directory_type)]
    r#type: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 255, pattern = r"\S")]
    name: Option<String>,
}

/// Create a directory; the answer carries its bearer token, the only time it can be read.
#[utoipa::path(
    post,
    path = "/directories",
    operation_id = "create_directory",
    tag = "directories",
    request_body = CreateDirectory,
    responses(
        (status = 201, body = DirectoryObject),
        (status = 404, body = crate::error::ErrorBody, description = "No such organization, or not one the key may see."),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn create(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    payload: Bytes,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let request: CreateDirectory = body::json(&payload)?;
    let organization_id = request.organization_id.ok_or_else(|| {
        ApiError::invalid_parameter("organization_id", "organization_id is required.")
    })?;
    let directory_type: DirectoryType = request
        .r#type
        .ok_or_else(|| ApiError::invalid_parameter("type", "type is required."))?
        .parse()
        .map_err(|error: roster_core::directory::UnknownDirectoryType| {
            ApiError::invalid_parameter("type", format!("{error}."))
        })?;
    let name = validate_name(
        "directory",
        request
            .name
            .as_deref()
            .ok_or_else(|| ApiError::invalid_parameter("name", "name is required."))?,
    )
    .map_err(|error| ApiError::invalid_parameter("name", format!("{error}.")))?;
    let organization = OrganizationId::parse(&organization_id)
        .ok()
        .filter(|organization| scope.sees(organization))
        .ok_or_else(|| ApiError::not_found("organization", &organization_id))?;
    let missing = move || ApiError::not_found("organization", &organization_id);
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let (directory, token) =
            directories::create(&mut conn, &organization, directory_type, &name).map_err(
                |error| match error {
                    DirectoryWriteError::UnknownOrganization(_) => missing(),
                    DirectoryWriteError::Query(cause) => cause.into(),
                },
            )?;
        render_one(&mut conn, &directory, &context.public_url, Some(&token))
    })
    .await??;
    Ok(HttpResponse::Created().json(object))
}

/// `PUT /directories/{id}`: only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateDirectory {
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    name: Option<String>,
    /// Days after which inactive users are deleted; `null` keeps them.
    #[serde(default, deserialize_with = "body::present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 3650)]
    inactive_user_retention_days: Option<Option<serde_json::Value>>,
    /// `flag` (the default: keep users outside the organization's domains, marked) or
    /// `refuse` them.
    #[schema(pattern = "^(flag|refuse)$")]
    email_domain_policy: Option<String>,
}

/// Update a directory's name or settings.
#[utoipa::path(
    put,
    path = "/directories/{id}",
    operation_id = "update_directory",
    tag = "directories",
    params(("id" = String, Path, description = "`directory_…`")),
    request_body = UpdateDirectory,
    responses(
        (status = 200, body = DirectoryObject),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn update(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
    payload: Bytes,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let request: UpdateDirectory = body::json(&payload)?;
    let name = request
        .name
        .as_deref()
        .map(|name| {
            validate_name("directory", name)
                .map_err(|error| ApiError::invalid_parameter("name", format!("{error}.")))
        })
        .transpose()?;
    let retention = request
        .inactive_user_retention_days
        .map(|days| {
            days.map(|days| {
                body::whole_number(&days)
                    .filter(|days| INACTIVE_USER_RETENTION_DAYS.contains(days))
                    .ok_or_else(|| {
                        ApiError::invalid_parameter(
                            "inactive_user_retention_days",
                            format!(
                                "inactive_user_retention_days must be a number of days from {} to {}, or null to keep inactive users.",
                                INACTIVE_USER_RETENTION_DAYS.start(),
                                INACTIVE_USER_RETENTION_DAYS.end()
                            ),
                        )
                    })
            })
            .transpose()
        })
        .transpose()?;
    let policy = request
        .email_domain_policy
        .as_deref()
        .map(|policy| {
            EmailDomainPolicy::parse(policy).ok_or_else(|| {
                ApiError::invalid_parameter(
                    "email_domain_policy",
                    "email_domain_policy must be `flag` or `refuse`.",
                )
            })
        })
        .transpose()?;
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let directory = find_visible(&mut conn, &scope, &id)?;
        conn.write_transaction(|conn| -> Result<(), ApiError> {
            if let Some(name) = &name {
                directories::rename(conn, &directory.id, name)?;
            }
            if let Some(days) = retention {
                directories::set_inactive_user_retention(conn, &directory.id, days)?;
            }
            if let Some(policy) = policy {
                directories::set_email_domain_policy(conn, &directory.id, policy)?;
            }
            Ok(())
        })?;
        let updated = find_visible(&mut conn, &scope, &id)?;
        render_one(&mut conn, &updated, &context.public_url, None)
    })
    .await??;
    Ok(HttpResponse::Ok().json(object))
}

/// Replace a directory's bearer token: the old one stops working at once, all data stays.
/// The answer carries the new token, the only time it can be read.
#[utoipa::path(
    post,
    path = "/directories/{id}/token",
    operation_id = "reset_directory_token",
    tag = "directories",
    params(("id" = String, Path, description = "`directory_…`")),
    responses(
        (status = 200, body = DirectoryObject),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn reset_token(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let directory = find_visible(&mut conn, &scope, &id)?;
        let (directory, token) = directories::reset_token(&mut conn, &directory.id)?
            .ok_or_else(|| ApiError::not_found("directory", &id))?;
        render_one(&mut conn, &directory, &context.public_url, Some(&token))
    })
    .await??;
    Ok(HttpResponse::Ok().json(object))
}

/// Delete a directory with everything provisioned into it; `dsync.deleted` is recorded.
#[utoipa::path(
    delete,
    path = "/directories/{id}",
    operation_id = "delete_directory",
    tag = "directories",
    params(("id" = String, Path, description = "`directory_…`")),
    responses(
        (status = 202),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn remove(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let events_written = context.events_written.clone();
    web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let directory = find_visible(&mut conn, &scope, &id)?;
        directories::delete(&mut conn, &directory.id)?;
        Ok(())
    })
    .await??;
    events_written.notify_one();
    Ok(HttpResponse::Accepted().finish())
}

/// What a test run recorded.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TestEventsObject {
    /// Always `test_events`.
    #[schema(example = "test_events")]
    object: &'static str,
    directory_id: String,
    /// The events recorded, in order; their webhooks follow.
    events: Vec<RecordedEvent>,
}

/// One recorded event.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RecordedEvent {
    /// `event_…`
    id: String,
    event: roster_core::EventType,
}

/// Send test events: two test people and a group go through a short, complete life in the
/// directory (created, grouped, one retitled and one deactivated, ungrouped, deleted) through
/// the same changes an identity provider's requests make, so every user and group event type
/// is recorded, with this directory's ids, and delivered to the webhook endpoints that want
/// it. The directory ends as it began.
#[utoipa::path(
    post,
    path = "/directories/{id}/test_events",
    operation_id = "send_directory_test_events",
    tag = "directories",
    params(("id" = String, Path, description = "`directory_…`")),
    responses(
        (status = 202, body = TestEventsObject),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn send_test_events(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    let object = web::block(move || -> Result<_, ApiError> {
        let directory = {
            let mut conn = context.store.connection()?;
            find_visible(&mut conn, &scope, &id)?
        };
        let run =
            roster_scim::test_events::send(&context.store, &context.events_written, &directory)
                .map_err(|error| ApiError::internal(&error))?;
        Ok(TestEventsObject {
            object: "test_events",
            directory_id: directory.id.to_string(),
            events: run
                .events
                .into_iter()
                .map(|(id, event)| RecordedEvent {
                    id: id.to_string(),
                    event,
                })
                .collect(),
        })
    })
    .await??;
    Ok(HttpResponse::Accepted().json(object))
}
