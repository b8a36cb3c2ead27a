//! Organizations: searchable list, create, edit, delete with confirmation, and the page of one
//! organization with its directories.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::{Domain, OrganizationId, validate_name};
use roster_store::directories::{self, Directory};
use roster_store::organizations::{
    self, NewOrganization, Organization, OrganizationListFilter, OrganizationUpdate,
    OrganizationWriteError,
};
use roster_store::{AnyConnection, groups, portal_links, users};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{page, when, when_or_never};
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::paging::{Cursor, cursor_links};
use crate::session::{AdminSession, redirect_with};
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/organizations").get(list).post(create))
        .service(web::resource("/organizations/new").get(new))
        .service(web::resource("/organizations/{id}").get(show))
        .service(
            web::resource("/organizations/{id}/edit")
                .get(edit)
                .post(update),
        )
        .service(
            web::resource("/organizations/{id}/delete")
                .get(confirm_delete)
                .post(delete),
        );
}

pub(super) fn organization_json(organization: &Organization) -> Value {
    json!({
        "id": organization.id,
        "name": organization.name,
        "external_id": organization.external_id,
        "domains": organization.domains.iter().map(Domain::as_str).collect::<Vec<_>>(),
        "created_at": when(organization.created_at),
    })
}

/// Directories with their user and group counts, in a fixed number of queries.
pub(super) fn directories_json(
    conn: &mut AnyConnection,
    found: &[Directory],
) -> Result<Vec<Value>, DashboardError> {
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
    Ok(found
        .iter()
        .map(|directory| {
            let id = directory.id.to_string();
            let count = |active| user_counts.get(&(id.clone(), active)).copied().unwrap_or(0);
            json!({
                "id": directory.id,
                "name": directory.name,
                "provider": crate::providers::guide(directory.directory_type)["name"],
                "state": directory.state.as_str(),
                "last_request_at": when_or_never(directory.last_request_at),
                "users": count(true),
                "inactive_users": count(false),
                "groups": group_counts.get(&id).copied().unwrap_or(0),
            })
        })
        .collect())
}

pub(super) fn parse_organization(id: &str) -> Result<OrganizationId, DashboardError> {
    OrganizationId::parse(id).map_err(|_| DashboardError::NotFound)
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    #[serde(flatten)]
    cursor: Cursor,
}

async fn list(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, DashboardError> {
    let search = query.q.clone().unwrap_or_default().trim().to_owned();
    let page_request = query.cursor.request();
    // A search that is a domain finds the organization owning it; anything else, names.
    let domain = search
        .contains('.')
        .then(|| Domain::parse(&search).ok())
        .flatten();
    let needle = search.clone();
    let (found, shown) = context
        .run(move |conn| {
            let domains: Vec<Domain> = domain.into_iter().collect();
            let filter = OrganizationListFilter {
                search: (domains.is_empty() && !needle.is_empty()).then_some(needle.as_str()),
                domains: &domains,
                ..OrganizationListFilter::default()
            };
            let found = organizations::list_page(conn, &filter, &page_request)?;
            let mut shown = Vec::with_capacity(found.items.len());
            for organization in &found.items {
                let mut value = organization_json(organization);
                value["directories"] =
                    json!(directories::list(conn, Some(&organization.id))?.len());
                shown.push(value);
            }
            Ok((found, shown))
        })
        .await?;
    let pages = cursor_links(&found, "/dashboard/organizations", &[("q", &search)]);
    page(
        &context,
        &request,
        &session,
        "organizations/list.html",
        "organizations",
        json!({"organizations": shown, "q": search, "pages": pages}),
    )
}

fn form_page(
    context: &DashboardContext,
    request: &HttpRequest,
    session: &AdminSession,
    organization: Option<&Organization>,
    fields: &OrganizationFields,
    error: Option<String>,
) -> Result<HttpResponse, DashboardError> {
    page(
        context,
        request,
        session,
        "organizations/form.html",
        "organizations",
        json!({
            "organization": organization.map(organization_json),
            "name": fields.name,
            "domains": fields.domains,
            "external_id": fields.external_id.clone().unwrap_or_default(),
            "error": error,
        }),
    )
}

async fn new(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
) -> Result<HttpResponse, DashboardError> {
    let empty = OrganizationFields {
        name: String::new(),
        domains: String::new(),
        external_id: None,
    };
    form_page(&context, &request, &session, None, &empty, None)
}

#[derive(Deserialize)]
struct OrganizationFields {
    name: String,
    /// Comma-, space- or line-separated.
    domains: String,
    external_id: Option<String>,
}

impl OrganizationFields {
    fn validate(&self) -> Result<(String, Vec<Domain>, Option<String>), String> {
        let name = validate_name("organization", &self.name).map_err(|e| e.to_string())?;
        let domains = self
            .domains
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|domain| !domain.is_empty())
            .map(Domain::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let external_id = self
            .external_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        Ok((name, domains, external_id))
    }
}

fn write_error(error: OrganizationWriteError) -> Result<String, DashboardError> {
    match error {
        OrganizationWriteError::Query(error) => Err(error.into()),
        refused => Ok(refused.to_string()),
    }
}

async fn create(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    form: AdminForm<OrganizationFields>,
) -> Result<HttpResponse, DashboardError> {
    let (name, domains, external_id) = match form.fields.validate() {
        Ok(valid) => valid,
        Err(error) => {
            return form_page(
                &context,
                &request,
                &form.session,
                None,
                &form.fields,
                Some(error),
            );
        }
    };
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let created = context
        .run(move |conn| {
            let organization = match organizations::create(
                conn,
                NewOrganization {
                    name,
                    external_id,
                    domains,
                    metadata: Default::default(),
                },
            ) {
                Ok(organization) => organization,
                Err(error) => return write_error(error).map(Err),
            };
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "organization.created",
                    target: Some(organization.id.as_str()),
                    organization: Some(organization.id.as_str()),
                    details: json!({"name": organization.name}),
                },
                now,
            )?;
            Ok(Ok(organization))
        })
        .await?;
    match created {
        Ok(organization) => Ok(redirect_with(
            &format!("/dashboard/organizations/{}", organization.id),
            &format!("Organization {} created.", organization.name),
        )),
        Err(error) => form_page(
            &context,
            &request,
            &form.session,
            None,
            &form.fields,
            Some(error),
        ),
    }
}

async fn find(context: &DashboardContext, id: &str) -> Result<Organization, DashboardError> {
    let id = parse_organization(id)?;
    context
        .run(move |conn| Ok(organizations::find(conn, &id)?))
        .await?
        .ok_or(DashboardError::NotFound)
}

async fn show(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let organization = find(&context, &id).await?;
    let organization_id = organization.id.clone();
    let (listed, links) = context
        .run(move |conn| {
            let found = directories::list(conn, Some(&organization_id))?;
            let listed = directories_json(conn, &found)?;
            let links = portal_links::list_for_organization(conn, &organization_id, 5)?;
            Ok((listed, links))
        })
        .await?;
    let now = context.now();
    let links: Vec<Value> = links
        .iter()
        .map(|link| {
            let status = match link.used_at {
                Some(used) => format!("opened {}", when(used)),
                None if link.expires_at <= now => "expired".to_owned(),
                None => format!("open until {}", when(link.expires_at)),
            };
            json!({"created_by": link.created_by, "created_at": when(link.created_at), "status": status})
        })
        .collect();
    page(
        &context,
        &request,
        &session,
        "organizations/show.html",
        "organizations",
        json!({
            "organization": organization_json(&organization),
            "directories": listed,
            "links": links,
        }),
    )
}
async fn edit(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let organization = find(&context, &id).await?;
    let fields = OrganizationFields {
        name: organization.name.clone(),
        domains: organization
            .domains
            .iter()
            .map(Domain::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        external_id: organization.external_id.clone(),
    };
    form_page(
        &context,
        &request,
        &session,
        Some(&organization),
        &fields,
        None,
    )
}

async fn update(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: AdminForm<OrganizationFields>,
) -> Result<HttpResponse, DashboardError> {
    let organization = find(&context, &id).await?;
    let (name, domains, external_id) = match form.fields.validate() {
        Ok(valid) => valid,
        Err(error) => {
            return form_page(
                &context,
                &request,
                &form.session,
                Some(&organization),
                &form.fields,
                Some(error),
            );
        }
    };
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let organization_id = organization.id.clone();
    let updated = context
        .run(move |conn| {
            let changed = match organizations::update(
                conn,
                &organization_id,
                OrganizationUpdate {
                    name: Some(name),
                    external_id: Some(external_id),
                    domains: Some(domains),
                    metadata: None,
                },
            ) {
                Ok(changed) => changed.ok_or(DashboardError::NotFound)?,
                Err(error) => return write_error(error).map(Err),
            };
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "organization.updated",
                    target: Some(changed.id.as_str()),
                    organization: Some(changed.id.as_str()),
                    details: json!({"name": changed.name,
                        "domains": changed.domains.iter().map(Domain::as_str).collect::<Vec<_>>()}),
                },
                now,
            )?;
            Ok(Ok(changed))
        })
        .await?;
    match updated {
        Ok(changed) => Ok(redirect_with(
            &format!("/dashboard/organizations/{}", changed.id),
            "Organization saved.",
        )),
        Err(error) => form_page(
            &context,
            &request,
            &form.session,
            Some(&organization),
            &form.fields,
            Some(error),
        ),
    }
}

async fn confirm_delete(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let organization = find(&context, &id).await?;
    let organization_id = organization.id.clone();
    let listed = context
        .run(move |conn| {
            let found = directories::list(conn, Some(&organization_id))?;
            directories_json(conn, &found)
        })
        .await?;
    page(
        &context,
        &request,
        &session,
        "organizations/delete.html",
        "organizations",
        json!({"organization": organization_json(&organization), "directories": listed, "error": null}),
    )
}

#[derive(Deserialize)]
struct DeleteFields {
    confirm_name: String,
}

async fn delete(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: AdminForm<DeleteFields>,
) -> Result<HttpResponse, DashboardError> {
    let organization = find(&context, &id).await?;
    if form.fields.confirm_name.trim() != organization.name {
        return Ok(redirect_with(
            &format!("/dashboard/organizations/{}/delete", organization.id),
            "Type the organization's name exactly to delete it.",
        ));
    }
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let name = organization.name.clone();
    context
        .run(move |conn| {
            if !organizations::delete(conn, &organization.id)? {
                return Err(DashboardError::NotFound);
            }
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "organization.deleted",
                    target: Some(organization.id.as_str()),
                    organization: Some(organization.id.as_str()),
                    details: json!({"name": organization.name}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    context.events_written.notify_one();
    Ok(redirect_with(
        "/dashboard/organizations",
        &format!("Organization {name} deleted, with its directories."),
    ))
}
