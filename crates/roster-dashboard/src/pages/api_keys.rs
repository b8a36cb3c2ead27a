//! API keys for the management API: create (the secret is shown once), revoke, last used.

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::{ApiKeyId, OrganizationId, validate_name};
use roster_store::{api_keys, organizations};
use serde::Deserialize;
use serde_json::{Value, json};

use super::choices::{organization_choices, organization_names};
use super::{page, when, when_or_never};
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::paging::{Cursor, cursor_links};
use crate::session::{AdminSession, redirect_with};
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/api-keys").get(list).post(create))
        .service(web::resource("/api-keys/{id}/revoke").post(revoke));
}

/// The page's values: `cursor` picks the page of keys (newest first).
async fn values(
    context: &DashboardContext,
    cursor: &Cursor,
    secret: Option<(String, String)>,
    error: Option<String>,
) -> Result<Value, DashboardError> {
    let page_request = cursor.request();
    let (keys, names, choices) = context
        .run(move |conn| {
            let keys = api_keys::list_page(conn, &page_request)?;
            let names = organization_names(
                conn,
                keys.items
                    .iter()
                    .filter_map(|key| key.organization_id.as_ref()),
            )?;
            Ok((keys, names, organization_choices(conn)?))
        })
        .await?;
    let name_of = |id: &OrganizationId| {
        names
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let rows: Vec<Value> = keys
        .items
        .iter()
        .map(|key| {
            json!({
                "id": key.id,
                "name": key.name,
                "organization": key.organization_id.as_ref().map(name_of),
                "read_only": key.read_only,
                "last_used_at": when_or_never(key.last_used_at),
                "revoked_at": key.revoked_at.map(when),
                "created_at": when(key.created_at),
            })
        })
        .collect();
    Ok(json!({
        "keys": rows,
        "pages": cursor_links(&keys, "/dashboard/api-keys", &[]),
        "organizations": choices,
        "created": secret.map(|(name, secret)| json!({"name": name, "secret": secret})),
        "error": error,
    }))
}

async fn list(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    query: web::Query<Cursor>,
) -> Result<HttpResponse, DashboardError> {
    let values = values(&context, &query, None, None).await?;
    page(
        &context,
        &request,
        &session,
        "api_keys.html",
        "api_keys",
        values,
    )
}

#[derive(Deserialize)]
struct KeyFields {
    name: String,
    organization: Option<String>,
    read_only: Option<String>,
}

async fn create(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    form: AdminForm<KeyFields>,
) -> Result<HttpResponse, DashboardError> {
    let fields = &form.fields;
    let organization = fields
        .organization
        .as_deref()
        .filter(|id| !id.is_empty())
        .map(OrganizationId::parse)
        .transpose()
        .map_err(|error| DashboardError::BadRequest(error.to_string()))?;
    let name = match validate_name("API key", &fields.name) {
        Ok(name) => name,
        Err(error) => {
            let values =
                values(&context, &Cursor::default(), None, Some(error.to_string())).await?;
            return page(
                &context,
                &request,
                &form.session,
                "api_keys.html",
                "api_keys",
                values,
            );
        }
    };
    let read_only = fields.read_only.is_some();
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let key_name = name.clone();
    let secret = context
        .run(move |conn| {
            if let Some(organization) = &organization
                && !organizations::exists(conn, organization)?
            {
                return Err(DashboardError::NotFound);
            }
            let secret = api_keys::generate_secret();
            let key = api_keys::create(conn, &key_name, &secret, organization.as_ref(), read_only)?;
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "api_key.created",
                    target: Some(key.id.as_str()),
                    organization: key.organization_id.as_ref().map(|id| id.as_str()),
                    details: json!({"name": key.name, "read_only": key.read_only}),
                },
                now,
            )?;
            Ok(secret)
        })
        .await?;
    let values = values(&context, &Cursor::default(), Some((name, secret)), None).await?;
    page(
        &context,
        &request,
        &form.session,
        "api_keys.html",
        "api_keys",
        values,
    )
}

#[derive(Deserialize)]
struct Nothing {}

async fn revoke(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let id = ApiKeyId::parse(&id).map_err(|_| DashboardError::NotFound)?;
    let actor = form.session.admin.email.clone();
    let now = context.now();
    context
        .run(move |conn| {
            if !api_keys::revoke(conn, &id)? {
                return Err(DashboardError::NotFound);
            }
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "api_key.revoked",
                    target: Some(id.as_str()),
                    organization: None,
                    details: json!({}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    Ok(redirect_with(
        "/dashboard/api-keys",
        "API key revoked: requests with it fail from now on.",
    ))
}
