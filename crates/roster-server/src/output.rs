//! The JSON objects administration commands print. Their keys are a contract people script
//! against: add keys, never rename them.

use roster_core::BearerToken;
use roster_store::directories::Directory;
use roster_store::organizations::Organization;
use serde_json::{Value, json};

pub(crate) fn organization(organization: &Organization) -> Value {
    json!({
        "object": "organization",
        "id": organization.id,
        "name": organization.name,
        "external_id": organization.external_id,
        "domains": organization.domains.iter().map(|domain| domain.as_str()).collect::<Vec<_>>(),
        "created_at": organization.created_at.to_rfc3339(),
        "updated_at": organization.updated_at.to_rfc3339(),
    })
}

/// A directory; `token` is present only right after it was generated, which is the one time
/// it can be shown.
pub(crate) fn directory(
    directory: &Directory,
    public_url: &str,
    token: Option<&BearerToken>,
) -> Value {
    let mut value = json!({
        "object": "directory",
        "id": directory.id,
        "organization_id": directory.organization_id,
        "name": directory.name,
        "type": directory.directory_type,
        "state": directory.state,
        "external_key": directory.external_key,
        "scim_base_url": directory.scim_base_url(public_url),
        "bulk_base_url": directory.bulk_base_url(public_url),
        "inactive_user_retention_days": directory.inactive_user_retention_days,
        "email_domain_policy": directory.email_domain_policy,
        "created_at": directory.created_at.to_rfc3339(),
        "updated_at": directory.updated_at.to_rfc3339(),
    });
    if let Some(token) = token {
        value["bearer_token"] = json!(token.expose());
    }
    value
}

pub(crate) fn list(items: Vec<Value>) -> Value {
    json!({"object": "list", "data": items})
}
