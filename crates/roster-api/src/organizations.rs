//! `/organizations`: WorkOS's organization endpoints — list, create, read (by id or by
//! external id), update, delete. A key limited to one organization sees only that one and
//! cannot create others.

use std::collections::BTreeMap;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use roster_core::{Domain, OrganizationId, organization_domain_id, validate_name};
use roster_store::organizations::{
    self, Metadata, NewOrganization, Organization, OrganizationListFilter, OrganizationUpdate,
    OrganizationWriteError,
};
use roster_store::page::Order;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::list::{ListOf, Query, list_response, page_request, param};
use crate::{ApiContext, ApiError, ApiKeyScope, body};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/organizations").get(list).post(create))
        .service(web::resource("/organizations/external_id/{external_id}").get(read_by_external_id))
        .service(
            web::resource("/organizations/{id}")
                .get(read)
                .put(update)
                .delete(remove),
        );
}

const METADATA_MAX_KEYS: usize = 50;
const METADATA_KEY_MAX_CHARS: usize = 40;
const METADATA_VALUE_MAX_CHARS: usize = 600;

/// An organization: one customer of the vendor.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrganizationObject {
    /// Always `organization`.
    #[schema(example = "organization")]
    object: &'static str,
    /// `org_…`
    id: String,
    name: String,
    /// The email domains the organization owns; each belongs to one organization only.
    domains: Vec<OrganizationDomainObject>,
    /// The vendor's own key-value pairs.
    metadata: BTreeMap<String, String>,
    /// The vendor's own identifier for this customer, unique when set.
    external_id: Option<String>,
    /// Always false: Roster does no sign-in (a WorkOS key kept for its SDKs).
    allow_profiles_outside_organization: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// One domain of an organization.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrganizationDomainObject {
    /// Always `organization_domain`.
    #[schema(example = "organization_domain")]
    object: &'static str,
    /// `org_domain_…`, stable for this domain in this organization.
    id: String,
    organization_id: String,
    domain: String,
    /// Always `verified`: domains are declared by the vendor, who vouches for them.
    #[schema(example = "verified")]
    state: &'static str,
    /// Always `manual`.
    #[schema(example = "manual")]
    verification_strategy: &'static str,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<&Organization> for OrganizationObject {
    fn from(organization: &Organization) -> Self {
        let created_at = organization.created_at.to_rfc3339();
        let updated_at = organization.updated_at.to_rfc3339();
        OrganizationObject {
            object: "organization",
            id: organization.id.to_string(),
            name: organization.name.clone(),
            domains: organization
                .domains
                .iter()
                .map(|domain| OrganizationDomainObject {
                    object: "organization_domain",
                    id: organization_domain_id(&organization.id, domain),
                    organization_id: organization.id.to_string(),
                    domain: domain.to_string(),
                    state: "verified",
                    verification_strategy: "manual",
                    created_at: created_at.clone(),
                    updated_at: updated_at.clone(),
                })
                .collect(),
            metadata: organization.metadata.clone(),
            external_id: organization.external_id.clone(),
            allow_profiles_outside_organization: false,
            created_at,
            updated_at,
        }
    }
}

/// A domain as WorkOS's SDKs send it.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct DomainData {
    #[schema(schema_with = crate::schemas::domain)]
    domain: String,
    /// `verified` or `pending`: WorkOS's states. Roster does no DNS verification and treats
    /// every declared domain as the organization's, so both mean the same here.
    #[schema(pattern = "^(verified|pending)$")]
    state: Option<String>,
}

/// `POST /organizations`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CreateOrganization {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 255, pattern = r"\S")]
    name: Option<String>,
    /// The organization's email domains.
    domain_data: Option<Vec<DomainData>>,
    /// The same as plain strings (WorkOS's older form); `domain_data` wins when both are sent.
    #[schema(schema_with = crate::schemas::domains)]
    domains: Option<Vec<String>>,
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    external_id: Option<String>,
    /// `null` values are ignored.
    #[schema(schema_with = crate::schemas::metadata_changes)]
    metadata: Option<BTreeMap<String, Option<String>>>,
}

/// `PUT /organizations/{id}`: only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UpdateOrganization {
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    name: Option<String>,
    /// The complete new set of domains.
    domain_data: Option<Vec<DomainData>>,
    /// The same as plain strings; `domain_data` wins when both are sent.
    #[schema(schema_with = crate::schemas::domains)]
    domains: Option<Vec<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "body::present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 255, pattern = r"\S")]
    external_id: Option<Option<String>>,
    /// Merged into the stored metadata; a key set to `null` or `""` is removed. An
    /// organization keeps at most 50 keys.
    #[schema(schema_with = crate::schemas::metadata_changes)]
    metadata: Option<BTreeMap<String, Option<String>>>,
}

fn parse_domains(
    domain_data: Option<Vec<DomainData>>,
    domains: Option<Vec<String>>,
) -> Result<Option<Vec<Domain>>, ApiError> {
    let names: Option<Vec<String>> = match (domain_data, domains) {
        (Some(data), _) => Some(
            data.into_iter()
                .map(|item| match item.state.as_deref() {
                    None | Some("verified" | "pending") => Ok(item.domain),
                    Some(other) => Err(ApiError::invalid_parameter(
                        "domain_data",
                        format!("Unknown domain state `{other}`; accepted: verified, pending."),
                    )),
                })
                .collect::<Result<_, _>>()?,
        ),
        (None, plain) => plain,
    };
    names
        .map(|names| {
            names
                .iter()
                .map(|name| {
                    Domain::parse(name).map_err(|error| {
                        ApiError::invalid_parameter("domain_data", format!("{error}."))
                    })
                })
                .collect()
        })
        .transpose()
}

fn parse_name(name: &str) -> Result<String, ApiError> {
    validate_name("organization", name)
        .map_err(|error| ApiError::invalid_parameter("name", format!("{error}.")))
}

fn parse_external_id(external_id: Option<String>) -> Result<Option<String>, ApiError> {
    match external_id {
        Some(value) if value.trim().is_empty() || value.chars().count() > 255 => Err(
            ApiError::invalid_parameter("external_id", "external_id must be 1 to 255 characters."),
        ),
        other => Ok(other),
    }
}

/// Applies `changes` to `metadata`: a value sets a key, `null` or `""` removes it; the result
/// must stay within WorkOS's limits.
fn merge_metadata(
    mut metadata: Metadata,
    changes: BTreeMap<String, Option<String>>,
) -> Result<Metadata, ApiError> {
    let invalid = |message: String| ApiError::invalid_parameter("metadata", message);
    for (key, value) in changes {
        if key.is_empty() || key.chars().count() > METADATA_KEY_MAX_CHARS {
            return Err(invalid(format!(
                "Metadata keys must be 1 to {METADATA_KEY_MAX_CHARS} characters; `{key}` is not."
            )));
        }
        match value.filter(|value| !value.is_empty()) {
            Some(value) if value.chars().count() > METADATA_VALUE_MAX_CHARS => {
                return Err(invalid(format!(
                    "The value of metadata key `{key}` is longer than {METADATA_VALUE_MAX_CHARS} characters."
                )));
            }
            Some(value) => {
                metadata.insert(key, value);
            }
            None => {
                metadata.remove(&key);
            }
        }
    }
    if metadata.len() > METADATA_MAX_KEYS {
        return Err(invalid(format!(
            "An organization has at most {METADATA_MAX_KEYS} metadata keys."
        )));
    }
    Ok(metadata)
}

impl From<OrganizationWriteError> for ApiError {
    fn from(error: OrganizationWriteError) -> Self {
        match error {
            OrganizationWriteError::DomainTaken { domain, .. } => ApiError::conflict(
                "domain_already_used",
                format!("The domain `{domain}` already belongs to another organization."),
            ),
            OrganizationWriteError::ExternalIdTaken(external_id) => ApiError::conflict(
                "external_id_already_used",
                format!("Another organization already has the external_id `{external_id}`."),
            ),
            OrganizationWriteError::Query(cause) => cause.into(),
        }
    }
}

/// The organization `id` if it exists and the key may see it.
fn find_visible(
    conn: &mut roster_store::AnyConnection,
    scope: &ApiKeyScope,
    id: &str,
) -> Result<Organization, ApiError> {
    OrganizationId::parse(id)
        .ok()
        .filter(|parsed| scope.sees(parsed))
        .map(|parsed| organizations::find(conn, &parsed))
        .transpose()?
        .flatten()
        .ok_or_else(|| ApiError::not_found("organization", id))
}

fn respond(organization: &Organization) -> HttpResponse {
    HttpResponse::Ok().json(OrganizationObject::from(organization))
}

/// List organizations.
#[utoipa::path(
    get,
    path = "/organizations",
    operation_id = "list_organizations",
    tag = "organizations",
    params(
        ("domains" = Option<String>, Query, description = "Comma-separated domains: organizations owning any of them.",
            pattern = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(,([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"),
        ("search" = Option<String>, Query, description = "Name contains (case-insensitive).", pattern = r"^[^\x00]*$"),
        crate::list::ListParameters,
    ),
    responses(
        (status = 200, body = ListOf<OrganizationObject>),
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
    let domains = param(&query, "domains")
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| {
                    Domain::parse(name).map_err(|error| {
                        ApiError::invalid_parameter("domains", format!("{error}."))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let search = param(&query, "search").map(str::to_owned);
    let page = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let own = scope.organization().map(|id| id.to_string());
        let filter = OrganizationListFilter {
            id: own.as_deref(),
            search: search.as_deref(),
            domains: &domains,
        };
        let page = organizations::list_page(&mut conn, &filter, &request)?;
        Ok(page.map(|organization| OrganizationObject::from(&organization)))
    })
    .await??;
    Ok(list_response(page))
}

/// Create an organization.
#[utoipa::path(
    post,
    path = "/organizations",
    operation_id = "create_organization",
    tag = "organizations",
    request_body = CreateOrganization,
    responses(
        (status = 201, body = OrganizationObject),
        (status = 409, body = crate::error::ErrorBody, description = "A domain or the external id is taken."),
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
    if let Some(own) = scope.organization() {
        return Err(ApiError::outside_scope(format!(
            "This API key is limited to organization {own}; it cannot create organizations."
        )));
    }
    let request: CreateOrganization = body::json(&payload)?;
    let name = parse_name(
        request
            .name
            .as_deref()
            .ok_or_else(|| ApiError::invalid_parameter("name", "name is required."))?,
    )?;
    let new = NewOrganization {
        name,
        external_id: parse_external_id(request.external_id)?,
        domains: parse_domains(request.domain_data, request.domains)?.unwrap_or_default(),
        metadata: merge_metadata(Metadata::new(), request.metadata.unwrap_or_default())?,
    };
    let organization = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        Ok(organizations::create(&mut conn, new)?)
    })
    .await??;
    Ok(HttpResponse::Created().json(OrganizationObject::from(&organization)))
}

/// Get an organization.
#[utoipa::path(
    get,
    path = "/organizations/{id}",
    operation_id = "get_organization",
    tag = "organizations",
    params(("id" = String, Path, description = "`org_…`")),
    responses(
        (status = 200, body = OrganizationObject),
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
    let organization = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        find_visible(&mut conn, &scope, &id)
    })
    .await??;
    Ok(respond(&organization))
}

/// Get an organization by the vendor's external id.
#[utoipa::path(
    get,
    path = "/organizations/external_id/{external_id}",
    operation_id = "get_organization_by_external_id",
    tag = "organizations",
    params(("external_id" = String, Path)),
    responses(
        (status = 200, body = OrganizationObject),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn read_by_external_id(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    external_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let external_id = external_id.into_inner();
    let organization = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        organizations::find_by_external_id(&mut conn, &external_id)?
            .filter(|organization| scope.sees(&organization.id))
            .ok_or_else(|| ApiError::not_found("organization with external_id", &external_id))
    })
    .await??;
    Ok(respond(&organization))
}

/// Update an organization.
#[utoipa::path(
    put,
    path = "/organizations/{id}",
    operation_id = "update_organization",
    tag = "organizations",
    params(("id" = String, Path, description = "`org_…`")),
    request_body = UpdateOrganization,
    responses(
        (status = 200, body = OrganizationObject),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody),
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
    let request: UpdateOrganization = body::json(&payload)?;
    let name = request.name.as_deref().map(parse_name).transpose()?;
    let domains = parse_domains(request.domain_data, request.domains)?;
    let external_id = request.external_id.map(parse_external_id).transpose()?;
    let organization = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let current = find_visible(&mut conn, &scope, &id)?;
        let metadata = request
            .metadata
            .map(|changes| merge_metadata(current.metadata.clone(), changes))
            .transpose()?;
        let change = OrganizationUpdate {
            name,
            external_id,
            domains,
            metadata,
        };
        organizations::update(&mut conn, &current.id, change)?
            .ok_or_else(|| ApiError::not_found("organization", &id))
    })
    .await??;
    Ok(respond(&organization))
}

/// Delete an organization with its directories (each recorded as `dsync.deleted`), users,
/// groups, and the API keys and webhook endpoints limited to it.
#[utoipa::path(
    delete,
    path = "/organizations/{id}",
    operation_id = "delete_organization",
    tag = "organizations",
    params(("id" = String, Path, description = "`org_…`")),
    responses(
        (status = 204),
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
        let organization = find_visible(&mut conn, &scope, &id)?;
        organizations::delete(&mut conn, &organization.id)?;
        Ok(())
    })
    .await??;
    events_written.notify_one();
    Ok(HttpResponse::NoContent().finish())
}
