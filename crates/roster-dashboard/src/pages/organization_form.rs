//! Creating, editing and deleting (with confirmation) an organization.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::{Domain, validate_name};
use roster_store::directories;
use roster_store::organizations::{
    self, NewOrganization, Organization, OrganizationUpdate, OrganizationWriteError,
};
use serde::Deserialize;
use serde_json::json;

use super::page;
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::paging::{Cursor, cursor_links};
use crate::session::{AdminSession, redirect_with};
use crate::{DashboardContext, DashboardError};

use super::organizations::{directories_json, directories_page, find, organization_json};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/organizations/new").get(new))
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
pub(super) struct OrganizationFields {
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

pub(super) async fn create(
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
    query: web::Query<Cursor>,
) -> Result<HttpResponse, DashboardError> {
    let organization = find(&context, &id).await?;
    let organization_id = organization.id.clone();
    let page_request = query.request();
    let (count, listed, pages) = context
        .run(move |conn| {
            let count = directories::counts_by_organization(conn, &[organization_id.as_str()])?
                .first()
                .map_or(0, |(_, count)| *count);
            let found = directories_page(conn, &organization_id, &page_request)?;
            let pages = cursor_links(
                &found,
                &format!("/dashboard/organizations/{organization_id}/delete"),
                &[],
            );
            Ok((count, directories_json(conn, &found.items)?, pages))
        })
        .await?;
    page(
        &context,
        &request,
        &session,
        "organizations/delete.html",
        "organizations",
        json!({"organization": organization_json(&organization), "directory_count": count,
               "directories": listed, "pages": pages, "error": null}),
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
