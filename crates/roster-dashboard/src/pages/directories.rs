//! Directories: create one for an organization (its token is shown once, with the provider's
//! steps), its page (state, last request, counts, masked token), token reset, delete.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_bulk::Mode;
use roster_core::{BearerToken, DirectoryId, DirectoryType, Protocol, validate_name};
use roster_store::directories::{self, Directory, DirectoryWriteError};
use roster_store::organizations::{self, Organization};
use serde::Deserialize;
use serde_json::{Value, json};

use super::csv_upload::form_json;
use super::organizations::{directories_json, organization_json, parse_organization};
use super::{page, when};
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::session::{AdminSession, redirect_with};
use crate::{DashboardContext, DashboardError, providers};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/organizations/{id}/directories")
                .get(new)
                .post(create),
        )
        .service(web::resource("/directories/{id}").get(show))
        .service(web::resource("/directories/{id}/reset-token").post(reset_token))
        .service(web::resource("/directories/{id}/delete").post(delete));
}

/// A directory and its organization, or not found.
pub(super) async fn find(
    context: &DashboardContext,
    id: &str,
) -> Result<(Directory, Organization), DashboardError> {
    let id = DirectoryId::parse(id).map_err(|_| DashboardError::NotFound)?;
    context
        .run(move |conn| {
            let Some(directory) = directories::find(conn, &id)? else {
                return Ok(None);
            };
            Ok(organizations::find(conn, &directory.organization_id)?
                .map(|organization| (directory, organization)))
        })
        .await?
        .ok_or(DashboardError::NotFound)
}

/// What the token page and the directory page share.
pub(crate) fn connection_json(public_url: &str, directory: &Directory) -> Value {
    json!({
        "id": directory.id,
        "name": directory.name,
        "state": directory.state.as_str(),
        // What its source is given: a SCIM base URL, or a custom API directory's bulk one.
        "base_url": directory
            .scim_base_url(public_url)
            .or_else(|| directory.bulk_base_url(public_url)),
        "takes_files": directory.directory_type.protocol() == Protocol::Bulk,
        "guide": providers::guide(directory.directory_type),
        "last_request_at": super::when_or_never(directory.last_request_at),
        "created_at": when(directory.created_at),
    })
}

fn token_page(
    context: &DashboardContext,
    request: &HttpRequest,
    session: &AdminSession,
    directory: &Directory,
    organization: &Organization,
    token: &BearerToken,
    reset: bool,
) -> Result<HttpResponse, DashboardError> {
    page(
        context,
        request,
        session,
        "directories/token.html",
        "organizations",
        json!({
            "directory": connection_json(&context.public_url, directory),
            "organization": organization_json(organization),
            "token": token.expose(),
            "reset": reset,
        }),
    )
}

async fn new(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let id = parse_organization(&id)?;
    let organization = context
        .run(move |conn| Ok(organizations::find(conn, &id)?))
        .await?
        .ok_or(DashboardError::NotFound)?;
    page(
        &context,
        &request,
        &session,
        "directories/new.html",
        "organizations",
        json!({
            "organization": organization_json(&organization),
            "providers": providers::choices(),
            "provider": "okta",
            "name": format!("{} directory", organization.name),
            "error": null,
        }),
    )
}

#[derive(Deserialize)]
struct NewDirectoryFields {
    provider: String,
    name: String,
}

async fn create(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: AdminForm<NewDirectoryFields>,
) -> Result<HttpResponse, DashboardError> {
    let organization_id = parse_organization(&id)?;
    let lookup = organization_id.clone();
    let organization = context
        .run(move |conn| Ok(organizations::find(conn, &lookup)?))
        .await?
        .ok_or(DashboardError::NotFound)?;
    let fields = &form.fields;
    let checked = fields
        .provider
        .parse::<DirectoryType>()
        .map_err(|error| error.to_string())
        .and_then(|kind| {
            validate_name("directory", &fields.name)
                .map(|name| (kind, name))
                .map_err(|error| error.to_string())
        });
    let (directory_type, name) = match checked {
        Ok(valid) => valid,
        Err(error) => {
            return page(
                &context,
                &request,
                &form.session,
                "directories/new.html",
                "organizations",
                json!({
                    "organization": organization_json(&organization),
                    "providers": providers::choices(),
                    "provider": fields.provider,
                    "name": fields.name,
                    "error": error,
                }),
            );
        }
    };
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let (directory, token) = context
        .run(move |conn| {
            let (directory, token) =
                directories::create(conn, &organization_id, directory_type, &name).map_err(
                    |error| match error {
                        DirectoryWriteError::UnknownOrganization(_) => DashboardError::NotFound,
                        DirectoryWriteError::Query(error) => error.into(),
                    },
                )?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "directory.created",
                    target: Some(directory.id.as_str()),
                    organization: Some(organization_id.as_str()),
                    details: json!({"name": directory.name, "type": directory.directory_type}),
                },
                now,
            )?;
            Ok((directory, token))
        })
        .await?;
    token_page(
        &context,
        &request,
        &form.session,
        &directory,
        &organization,
        &token,
        false,
    )
}

async fn show(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let (directory, organization) = find(&context, &id).await?;
    let shown = directory.clone();
    let counts = context
        .run(move |conn| directories_json(conn, std::slice::from_ref(&shown)))
        .await?
        .pop()
        .unwrap_or(Value::Null);
    page(
        &context,
        &request,
        &session,
        "directories/show.html",
        "organizations",
        json!({
            "directory": connection_json(&context.public_url, &directory),
            "counts": counts,
            "organization": organization_json(&organization),
            "tab": "overview",
            "upload": form_json(&context, "", Mode::Upsert, false, None),
        }),
    )
}

#[derive(Deserialize)]
struct Nothing {}

async fn reset_token(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let (directory, organization) = find(&context, &id).await?;
    let actor = form.session.admin.email.clone();
    let (directory, token) = context.reset_token(directory, actor).await?;
    token_page(
        &context,
        &request,
        &form.session,
        &directory,
        &organization,
        &token,
        true,
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
    let (directory, organization) = find(&context, &id).await?;
    if form.fields.confirm_name.trim() != directory.name {
        return Ok(redirect_with(
            &format!("/dashboard/directories/{}", directory.id),
            "Type the directory's name exactly to delete it.",
        ));
    }
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let name = directory.name.clone();
    context
        .run(move |conn| {
            directories::delete(conn, &directory.id)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "directory.deleted",
                    target: Some(directory.id.as_str()),
                    organization: Some(directory.organization_id.as_str()),
                    details: json!({"name": directory.name}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    context.events_written.notify_one();
    Ok(redirect_with(
        &format!("/dashboard/organizations/{}", organization.id),
        &format!("Directory {name} deleted with its users and groups."),
    ))
}
