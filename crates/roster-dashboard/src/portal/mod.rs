//! The setup portal an IT admin reaches from a single-use link: scoped to one organization,
//! it creates that organization's directory (token shown once, with the provider's steps),
//! shows it turn linked and its first users arrive, and resets its token. Nothing else: no
//! vendor page, no other organization.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::{DirectoryId, DirectoryType, validate_name};
use roster_store::directories::{self, Directory};
use roster_store::sessions::{self, Subject};
use roster_store::{portal_links, users};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::{self, Action};
use crate::forms::{AnonymousForm, PortalForm, anonymous_token};
use crate::pages::directories::connection_json;
use crate::pages::organizations::directories_page;
use crate::paging::{Cursor, cursor_links};
use crate::session::{
    PORTAL_COOKIE, PORTAL_SESSION_HOURS, PortalSession, cookie, hours_after, redirect,
};
use crate::{DashboardContext, DashboardError, providers};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/directories").get(home).post(create))
        .service(web::resource("/directories/{id}").get(show))
        .service(web::resource("/directories/{id}/status").get(status))
        .service(web::resource("/directories/{id}/reset-token").post(reset_token))
        // Last: a link's token is any other single segment.
        .service(web::resource("/{token}").get(landing).post(open));
}

fn actor(session: &PortalSession) -> String {
    format!("portal:{}", session.organization.id)
}

fn render(
    context: &DashboardContext,
    session: &PortalSession,
    template: &str,
    mut values: Value,
) -> Result<HttpResponse, DashboardError> {
    values["csrf"] = json!(session.csrf);
    values["organization"] =
        json!({"id": session.organization.id, "name": session.organization.name});
    let html = context.templates.render(template, &values)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// The landing page of a link. Opening it is a separate POST, so that a mail scanner that
/// fetches links does not spend it.
async fn landing(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let now = context.now();
    let token = token.into_inner();
    let lookup = token.clone();
    let found = context
        .run(move |conn| {
            let Some(link) = portal_links::find_open(conn, &lookup, now)? else {
                return Ok(None);
            };
            Ok(roster_store::organizations::find(
                conn,
                &link.organization_id,
            )?)
        })
        .await?;
    let Some(organization) = found else {
        return Err(DashboardError::PortalSessionRequired);
    };
    let (csrf, set_cookie) = anonymous_token(&request, context.secure_cookies);
    let html = context.templates.render(
        "portal/landing.html",
        &json!({"csrf": csrf, "token": token, "organization": {"name": organization.name}}),
    )?;
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    if let Some(set_cookie) = set_cookie {
        response.cookie(set_cookie);
    }
    Ok(response.body(html))
}

#[derive(Deserialize)]
struct Nothing {}

async fn open(
    context: web::Data<DashboardContext>,
    token: web::Path<String>,
    _form: AnonymousForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let now = context.now();
    let token = token.into_inner();
    let opened = context
        .run(move |conn| {
            conn.write_transaction(|conn| {
                let Some(link) = portal_links::redeem(conn, &token, now)? else {
                    return Ok(None);
                };
                let (session, _) = sessions::create(
                    conn,
                    Subject::Portal(link.organization_id.clone()),
                    now,
                    hours_after(now, PORTAL_SESSION_HOURS),
                )?;
                audit::record(
                    conn,
                    Action {
                        actor: &format!("portal:{}", link.organization_id),
                        action: "portal.link_opened",
                        target: Some(link.id.as_str()),
                        organization: Some(link.organization_id.as_str()),
                        details: json!({"created_by": link.created_by}),
                    },
                    now,
                )?;
                Ok::<_, DashboardError>(Some(session))
            })
        })
        .await?;
    let session = opened.ok_or(DashboardError::PortalSessionRequired)?;
    let mut response = redirect("/setup/directories");
    response
        .add_cookie(&cookie(
            &context,
            PORTAL_COOKIE,
            "/setup",
            session,
            PORTAL_SESSION_HOURS,
        ))
        .map_err(DashboardError::internal)?;
    Ok(response)
}

/// One of the session's organization's directories; any other is not found.
async fn own_directory(
    context: &DashboardContext,
    session: &PortalSession,
    id: &str,
) -> Result<Directory, DashboardError> {
    let id = DirectoryId::parse(id).map_err(|_| DashboardError::NotFound)?;
    let organization = session.organization.id.clone();
    context
        .run(move |conn| Ok(directories::find(conn, &id)?))
        .await?
        .filter(|directory| directory.organization_id == organization)
        .ok_or(DashboardError::NotFound)
}

async fn home(
    context: web::Data<DashboardContext>,
    session: PortalSession,
    query: web::Query<Cursor>,
) -> Result<HttpResponse, DashboardError> {
    let organization = session.organization.id.clone();
    let page_request = query.request();
    let found = context
        .run(move |conn| Ok(directories_page(conn, &organization, &page_request)?))
        .await?;
    let listed: Vec<Value> = found
        .items
        .iter()
        .map(|directory| connection_json(&context.public_url, directory))
        .collect();
    render(
        &context,
        &session,
        "portal/home.html",
        json!({"directories": listed, "providers": providers::choices(), "error": null,
               "pages": cursor_links(&found, "/setup/directories", &[])}),
    )
}

#[derive(Deserialize)]
struct NewDirectoryFields {
    provider: String,
}

async fn create(
    context: web::Data<DashboardContext>,
    form: PortalForm<NewDirectoryFields>,
) -> Result<HttpResponse, DashboardError> {
    let session = form.session;
    let directory_type: DirectoryType = form.fields.provider.parse().map_err(
        |error: roster_core::directory::UnknownDirectoryType| {
            DashboardError::BadRequest(error.to_string())
        },
    )?;
    let provider = providers::guide(directory_type)["name"]
        .as_str()
        .unwrap_or("SCIM")
        .to_owned();
    let name = validate_name(
        "directory",
        &format!("{} {provider}", session.organization.name),
    )
    .map_err(|error| DashboardError::BadRequest(error.to_string()))?;
    let organization = session.organization.id.clone();
    let actor = actor(&session);
    let now = context.now();
    let (directory, token) = context
        .run(move |conn| {
            let (directory, token) =
                directories::create(conn, &organization, directory_type, &name)
                    .map_err(|error| DashboardError::internal(error.to_string()))?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "directory.created",
                    target: Some(directory.id.as_str()),
                    organization: Some(organization.as_str()),
                    details: json!({"name": directory.name, "type": directory.directory_type}),
                },
                now,
            )?;
            Ok((directory, token))
        })
        .await?;
    render(
        &context,
        &session,
        "portal/directory.html",
        json!({
            "directory": connection_json(&context.public_url, &directory),
            "token": token.expose(),
            "reset": false,
        }),
    )
}

async fn show(
    context: web::Data<DashboardContext>,
    session: PortalSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let directory = own_directory(&context, &session, &id).await?;
    render(
        &context,
        &session,
        "portal/directory.html",
        json!({
            "directory": connection_json(&context.public_url, &directory),
            "token": null,
            "reset": false,
        }),
    )
}

/// What the page polls: the directory's state and its first users.
async fn status(
    context: web::Data<DashboardContext>,
    session: PortalSession,
    id: web::Path<String>,
) -> Result<HttpResponse, DashboardError> {
    let directory = own_directory(&context, &session, &id).await?;
    let directory_id = directory.id.clone();
    let (total, newest) = context
        .run(move |conn| Ok(users::search(conn, &directory_id, None, 0, 5)?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({
            "state": directory.state.as_str(),
            "last_request_at": crate::pages::when_or_never(directory.last_request_at),
            "users": total,
            "first_users": newest
                .iter()
                .map(|stored| stored.user.profile.email.clone().unwrap_or_else(|| stored.user.profile.idp_id.clone()))
                .collect::<Vec<_>>(),
        })))
}

async fn reset_token(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: PortalForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let session = form.session;
    let directory = own_directory(&context, &session, &id).await?;
    let actor = actor(&session);
    let (directory, token) = context.reset_token(directory, actor).await?;
    render(
        &context,
        &session,
        "portal/directory.html",
        json!({
            "directory": connection_json(&context.public_url, &directory),
            "token": token.expose(),
            "reset": true,
        }),
    )
}
