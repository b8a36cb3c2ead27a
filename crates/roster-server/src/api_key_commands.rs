//! `roster api-key …`: keys for the management API.

use clap::Subcommand;
use roster_core::{ApiKeyId, OrganizationId, validate_name};
use roster_store::api_keys::{self, ApiKey};
use roster_store::{AnyConnection, organizations};
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create a key and print its secret (shown only now).
    Create {
        /// What the key is for.
        #[arg(long)]
        name: String,
        /// Limit the key to one organization (`org_…`): it sees and changes nothing else.
        #[arg(long)]
        organization: Option<String>,
        /// Allow only reads.
        #[arg(long)]
        read_only: bool,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key; requests with it fail at once.
    Revoke {
        /// `key_…`
        key_id: String,
    },
}

fn key_json(key: &ApiKey, secret: Option<&str>) -> Value {
    let mut value = json!({
        "object": "api_key",
        "id": key.id,
        "name": key.name,
        "organization_id": key.organization_id,
        "read_only": key.read_only,
        "last_used_at": key.last_used_at.map(|at| at.to_rfc3339()),
        "revoked_at": key.revoked_at.map(|at| at.to_rfc3339()),
        "created_at": key.created_at.to_rfc3339(),
    });
    if let Some(secret) = secret {
        value["secret"] = json!(secret);
    }
    value
}

pub(crate) fn run(conn: &mut AnyConnection, command: ApiKeyCommand) -> Result<Value, String> {
    match command {
        ApiKeyCommand::Create {
            name,
            organization,
            read_only,
        } => {
            let name = validate_name("API key", &name).map_err(|e| e.to_string())?;
            let organization = organization
                .map(|id| OrganizationId::parse(&id))
                .transpose()
                .map_err(|e| e.to_string())?;
            if let Some(organization) = &organization
                && !organizations::exists(conn, organization).map_err(|e| e.to_string())?
            {
                return Err(format!("no organization has the id {organization}"));
            }
            let secret = api_keys::generate_secret();
            let key = api_keys::create(conn, &name, &secret, organization.as_ref(), read_only)
                .map_err(|e| e.to_string())?;
            Ok(key_json(&key, Some(&secret)))
        }
        ApiKeyCommand::List => {
            let keys = api_keys::list(conn).map_err(|e| e.to_string())?;
            Ok(
                json!({"object": "list", "data": keys.iter().map(|key| key_json(key, None)).collect::<Vec<_>>()}),
            )
        }
        ApiKeyCommand::Revoke { key_id } => {
            let id = ApiKeyId::parse(&key_id).map_err(|e| e.to_string())?;
            if !api_keys::revoke(conn, &id).map_err(|e| e.to_string())? {
                return Err(format!("no unrevoked API key has the id {id}"));
            }
            Ok(json!({"object": "api_key", "id": id, "revoked": true}))
        }
    }
}
