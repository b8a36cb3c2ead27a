//! "Send setup link": a single-use link to the setup portal for one organization, emailed to
//! its IT admin and shown once here.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_mail::Template;
use roster_store::{organizations, portal_links};
use serde::Deserialize;
use serde_json::json;

use super::organizations::{organization_json, parse_organization};
use super::{login, page, when};
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::session::hours_after;
use crate::{DashboardContext, DashboardError};

/// How long an emailed setup link works: long enough to reach the right person.
pub(crate) const EMAILED_LINK_HOURS: i64 = 72;

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/organizations/{id}/setup-link").post(create));
}

#[derive(Deserialize)]
struct LinkFields {
    email: Option<String>,
}

async fn create(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    id: web::Path<String>,
    form: AdminForm<LinkFields>,
) -> Result<HttpResponse, DashboardError> {
    let organization_id = parse_organization(&id)?;
    let email = form
        .fields
        .email
        .as_deref()
        .map(str::trim)
        .filter(|email| !email.is_empty())
        .map(str::to_owned);
    if let Some(email) = &email
        && !login::looks_like_email(email)
    {
        return Err(DashboardError::BadRequest(format!(
            "`{email}` is not an email address."
        )));
    }
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let expires_at = hours_after(now, EMAILED_LINK_HOURS);
    let recipient = email.clone();
    let (organization, token) = context
        .run(move |conn| {
            let organization =
                organizations::find(conn, &organization_id)?.ok_or(DashboardError::NotFound)?;
            let (link, token) =
                portal_links::create(conn, &organization.id, "dsync", &actor, now, expires_at)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "portal.link_created",
                    target: Some(link.id.as_str()),
                    organization: Some(organization.id.as_str()),
                    details: json!({"emailed_to": recipient}),
                },
                now,
            )?;
            Ok((organization, token))
        })
        .await?;
    let link = format!("{}{}", context.public_url, portal_links::path(&token));
    let emailed = match &email {
        Some(email) => Some(
            context
                .mailer
                .send(
                    email,
                    Template::SetupLink,
                    &json!({"organization": organization.name, "link": link,
                            "expires_at": when(expires_at)}),
                )
                .await
                .map_err(|error| {
                    tracing::warn!(%email, %error, "setup link email not sent");
                    error.to_string()
                }),
        ),
        None => None,
    };
    page(
        &context,
        &request,
        &form.session,
        "organizations/setup_link.html",
        "organizations",
        json!({
            "organization": organization_json(&organization),
            "link": link,
            "email": email,
            "email_error": emailed.and_then(Result::err),
            "expires_at": when(expires_at),
        }),
    )
}
