//! The vendor dashboard's pages, one module per area. Handlers extract the session (and a
//! checked form), make one round of storage calls on the blocking pool, and render a template.

mod admins;
mod api_keys;
mod audit_page;
mod choices;
mod csv_upload;
pub(crate) mod directories;
mod events;
mod first_run;
mod login;
mod organization_form;
pub(crate) mod organizations;
mod setup_links;
mod test_events;
mod users;
mod webhooks;

use actix_web::{HttpRequest, HttpResponse, web};
use roster_mail::Delivery;
use roster_store::admins as admin_store;
use serde_json::{Value, json};

use crate::session::{AdminSession, clear_flash, redirect, take_flash};
use crate::{DashboardContext, DashboardError};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route("", web::get().to(home))
        .route("/", web::get().to(home))
        .configure(first_run::configure)
        .configure(login::configure)
        .configure(admins::configure)
        .configure(organizations::configure)
        .configure(directories::configure)
        .configure(csv_upload::configure)
        .configure(setup_links::configure)
        .configure(test_events::configure)
        .configure(users::configure)
        .configure(events::configure)
        .configure(webhooks::configure)
        .configure(api_keys::configure)
        .configure(audit_page::configure);
}

/// `/`: the dashboard, or the first-run form while there is no administrator.
pub(crate) async fn root(
    context: web::Data<DashboardContext>,
) -> Result<HttpResponse, DashboardError> {
    let admins = context.run(|conn| Ok(admin_store::count(conn)?)).await?;
    Ok(redirect(if admins == 0 {
        "/dashboard/setup"
    } else {
        "/dashboard/organizations"
    }))
}

async fn home(_session: AdminSession) -> HttpResponse {
    redirect("/dashboard/organizations")
}

/// What the layout says about email: nothing when an SMTP server is configured.
fn mail_notice(context: &DashboardContext) -> Option<String> {
    match context.mailer.delivery() {
        Delivery::Folder(folder) => Some(format!(
            "No SMTP server is configured (ROSTER_SMTP_URL): emails are written to {} instead of being sent.",
            folder.display()
        )),
        Delivery::Smtp { .. } => None,
    }
}

/// Renders a signed-in page: the template's own values plus the layout's.
pub(crate) fn page(
    context: &DashboardContext,
    request: &HttpRequest,
    session: &AdminSession,
    template: &str,
    section: &str,
    mut values: Value,
) -> Result<HttpResponse, DashboardError> {
    let flash = take_flash(request);
    values["csrf"] = json!(session.csrf);
    values["me"] = json!(session.admin.email);
    values["section"] = json!(section);
    values["flash"] = json!(flash);
    values["mail_notice"] = json!(mail_notice(context));
    let html = context.templates.render(template, &values)?;
    let mut response = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html);
    if flash.is_some() {
        clear_flash(&mut response);
    }
    Ok(response)
}

/// Renders a page shown without a session (sign-in, first run, an invitation).
pub(crate) fn public_page(
    context: &DashboardContext,
    request: &HttpRequest,
    template: &str,
    mut values: Value,
) -> Result<HttpResponse, DashboardError> {
    let (csrf, cookie) = crate::forms::anonymous_token(request, context.secure_cookies);
    let flash = take_flash(request);
    values["csrf"] = json!(csrf);
    values["flash"] = json!(flash);
    let html = context.templates.render(template, &values)?;
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    if let Some(cookie) = cookie {
        response.cookie(cookie);
    }
    let mut response = response.body(html);
    if flash.is_some() {
        clear_flash(&mut response);
    }
    Ok(response)
}

/// A timestamp as pages show it.
pub(crate) fn when(at: roster_core::Timestamp) -> String {
    at.to_rfc3339()
        .get(..16)
        .map(|minute| format!("{} UTC", minute.replace('T', " ")))
        .unwrap_or_default()
}

/// An optional timestamp, or a dash.
pub(crate) fn when_or_never(at: Option<roster_core::Timestamp>) -> String {
    at.map_or_else(|| "never".to_owned(), when)
}

/// The client's address, for rate limits.
pub(crate) fn client_address(request: &HttpRequest) -> String {
    request
        .peer_addr()
        .map_or_else(|| "unknown".to_owned(), |address| address.ip().to_string())
}
