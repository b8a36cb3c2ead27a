//! `POST /portal/generate_link`: a single-use link to the setup portal for one organization,
//! as WorkOS's Admin Portal API makes them. Like WorkOS's, a link lasts five minutes: an app
//! makes one when its user clicks "Set up SCIM" and redirects to it at once. (The dashboard's
//! "Send setup link" makes longer-lived links meant for email.)

use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use roster_core::{OrganizationId, Timestamp};
use roster_store::audit_log::{self, NewEntry};
use roster_store::{organizations, portal_links};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::{ApiContext, ApiError, ApiKeyScope, body};

/// How long a generated link works.
const LINK_LIFETIME_MS: i64 = 5 * 60 * 1000;

/// The intents this Roster serves; WorkOS's others (`sso`, `audit_logs`, …) are not Roster's.
const INTENTS: [&str; 1] = ["dsync"];

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/portal/generate_link").post(generate_link));
}

/// `POST /portal/generate_link`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct GenerateLink {
    /// The organization whose IT admin opens the link (`org_…`).
    #[schema(value_type = String, required = true, pattern = "^org_[0-9A-HJKMNP-TV-Z]{26}$")]
    organization: Option<String>,
    /// What the portal is for: `dsync` (directory sync) is the only one.
    #[schema(value_type = String, required = true, pattern = "^dsync$")]
    intent: Option<String>,
}

/// The link, to redirect the user to (or to send them).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PortalLinkObject {
    /// Opens the setup portal once, within five minutes.
    link: String,
}

fn required(value: Option<String>, name: &'static str) -> Result<String, ApiError> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter(name, format!("{name} is required.")))
}

#[utoipa::path(
    post,
    path = "/portal/generate_link",
    operation_id = "generate_portal_link",
    tag = "portal",
    request_body = GenerateLink,
    responses(
        (status = 201, body = PortalLinkObject),
        (status = 404, body = crate::error::ErrorBody, description = "No such organization, or not one this key may see."),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
pub(crate) async fn generate_link(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    payload: Bytes,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let request: GenerateLink = body::json(&payload)?;
    let organization = required(request.organization, "organization")?;
    let intent = required(request.intent, "intent")?;
    if !INTENTS.contains(&intent.as_str()) {
        return Err(ApiError::invalid_parameter(
            "intent",
            format!("intent must be one of: {}.", INTENTS.join(", ")),
        ));
    }
    let not_found = || ApiError::not_found("organization", &organization);
    let id = OrganizationId::parse(&organization).map_err(|_| not_found())?;
    // A key limited to one organization makes links for that one only; others do not exist
    // for it.
    if !scope.sees(&id) {
        return Err(not_found());
    }
    let actor = format!("api_key:{}", scope.key.id);
    let public_url = context.public_url.clone();
    let token = web::block(move || -> Result<Option<String>, ApiError> {
        let mut conn = context.store.connection()?;
        let now = Timestamp::now();
        conn.write_transaction(|conn| {
            if !organizations::exists(conn, &id)? {
                return Ok(None);
            }
            let expires_at = Timestamp::from_millis(now.as_millis() + LINK_LIFETIME_MS);
            let (link, token) = portal_links::create(conn, &id, &intent, &actor, now, expires_at)?;
            audit_log::record(
                conn,
                NewEntry {
                    actor: &actor,
                    action: "portal.link_created",
                    target: Some(link.id.as_str()),
                    organization_id: Some(id.as_str()),
                    details: json!({"intent": intent}),
                },
                now,
            )?;
            Ok(Some(token))
        })
    })
    .await??;
    let token = token.ok_or_else(not_found)?;
    Ok(HttpResponse::Created().json(PortalLinkObject {
        link: format!("{public_url}{}", portal_links::path(&token)),
    }))
}
