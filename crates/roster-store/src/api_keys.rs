//! Management API keys: `sk_` secrets shown once and stored as SHA-256 digests, optionally
//! limited to one organization and to reading.

use diesel::prelude::*;
use roster_core::secret::{token_digest, token_matches};
use roster_core::{ApiKeyId, OrganizationId, Timestamp};

use crate::organizations::corrupt;
use crate::schema::api_keys;
use crate::{AnyConnection, QueryResult};

/// A stored key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// `key_…`
    pub id: ApiKeyId,
    /// What it is for, as its creator named it.
    pub name: String,
    /// The one organization it may see and change, if limited.
    pub organization_id: Option<OrganizationId>,
    /// Whether it may only read.
    pub read_only: bool,
    /// When it was last used (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
struct ApiKeyRow {
    id: String,
    name: String,
    secret_digest: String,
    organization_id: Option<String>,
    read_only: bool,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = diesel::result::Error;

    fn try_from(row: ApiKeyRow) -> QueryResult<ApiKey> {
        Ok(ApiKey {
            id: ApiKeyId::parse(&row.id).map_err(corrupt)?,
            name: row.name,
            organization_id: row
                .organization_id
                .as_deref()
                .map(OrganizationId::parse)
                .transpose()
                .map_err(corrupt)?,
            read_only: row.read_only,
            last_used_at: row.last_used_at.map(Timestamp::from_millis),
            revoked_at: row.revoked_at.map(Timestamp::from_millis),
            created_at: Timestamp::from_millis(row.created_at),
        })
    }
}

/// A new key's secret: `sk_` and 256 random bits.
pub fn generate_secret() -> String {
    let token = roster_core::BearerToken::generate();
    format!("sk_{}", token.expose().trim_start_matches("roster_scim_"))
}

/// Stores a key for `secret`.
pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    secret: &str,
    organization: Option<&OrganizationId>,
    read_only: bool,
) -> QueryResult<ApiKey> {
    let row = ApiKeyRow {
        id: ApiKeyId::generate().to_string(),
        name: name.to_owned(),
        secret_digest: token_digest(secret),
        organization_id: organization.map(ToString::to_string),
        read_only,
        last_used_at: None,
        revoked_at: None,
        created_at: Timestamp::now().as_millis(),
    };
    diesel::insert_into(api_keys::table)
        .values(&row)
        .execute(conn)?;
    ApiKey::try_from(row)
}

/// The unrevoked key whose secret is `presented`. The digest is looked up by index, then
/// compared again in constant time.
pub fn authenticate(conn: &mut AnyConnection, presented: &str) -> QueryResult<Option<ApiKey>> {
    let row = api_keys::table
        .filter(api_keys::secret_digest.eq(token_digest(presented)))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) if token_matches(presented, &row.secret_digest) => {
            Ok(Some(ApiKey::try_from(row)?))
        }
        _ => Ok(None),
    }
}

/// Records a use.
pub fn touch(conn: &mut AnyConnection, id: &ApiKeyId, at: Timestamp) -> QueryResult<()> {
    diesel::update(api_keys::table.find(id.as_str()))
        .set(api_keys::last_used_at.eq(at.as_millis()))
        .execute(conn)
        .map(drop)
}

/// Every key, oldest first.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<ApiKey>> {
    api_keys::table
        .order(api_keys::id.asc())
        .select(ApiKeyRow::as_select())
        .load(conn)?
        .into_iter()
        .map(ApiKey::try_from)
        .collect()
}

/// A page of keys, newest first unless asked otherwise.
pub fn list_page(
    conn: &mut AnyConnection,
    request: &crate::page::PageRequest,
) -> QueryResult<crate::page::Page<ApiKey>> {
    let query = api_keys::table.select(ApiKeyRow::as_select()).into_boxed();
    let page = crate::page::read_page!(
        conn,
        query,
        api_keys::id,
        request,
        ApiKeyRow,
        |row: &ApiKeyRow| row.id.clone()
    );
    page.try_map(ApiKey::try_from)
}

/// Revokes a key at once. False if there is no such unrevoked key.
pub fn revoke(conn: &mut AnyConnection, id: &ApiKeyId) -> QueryResult<bool> {
    let updated = diesel::update(
        api_keys::table
            .find(id.as_str())
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Timestamp::now().as_millis()))
    .execute(conn)?;
    Ok(updated == 1)
}
