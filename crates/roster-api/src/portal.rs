//! `POST /portal/generate_link`: a single-use link to the setup portal for one organization,
//! as WorkOS's Admin Portal API makes them. Like WorkOS's, a link lasts five minutes: an app
//! makes one when its user clicks "Set up SSO/SCIM" and redirects to it at once. (The
//! dashboard's "Send setup link" makes longer-lived links meant for email.)

use actix_web::{HttpResponse, web};
use roster_core::{OrganizationId, Timestamp};
use roster_store::audit_log::{self, NewEntry};
use roster_store::{organizations, portal_links};
use serde_json::{Value, json};

use crate::{ApiContext, ApiError, ApiKeyScope};

/// How long a generated link works.
const LINK_LIFETIME_MS: i64 = 5 * 60 * 1000;

/// The intents this Roster serves; WorkOS's others (`sso`, `audit_logs`, …) are not Roster's.
const INTENTS: [&str; 1] = ["dsync"];

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/portal/generate_link").post(generate_link));
}

fn text<'a>(body: &'a Value, name: &'static str) -> Result<&'a str, ApiError> {
    body.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter(name, format!("{name} is required.")))
}

async fn generate_link(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::invalid_parameter("body", "The body must be a JSON object."))?;
    let organization = text(&body, "organization")?.to_owned();
    let intent = text(&body, "intent")?;
    if !INTENTS.contains(&intent) {
        return Err(ApiError::invalid_parameter(
            "intent",
            format!("intent must be one of: {}.", INTENTS.join(", ")),
        ));
    }
    let intent = intent.to_owned();
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
    Ok(HttpResponse::Created().json(json!({
        "link": format!("{public_url}{}", portal_links::path(&token)),
    })))
}
