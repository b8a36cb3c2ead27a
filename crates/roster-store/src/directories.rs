//! Directories: one identity-provider connection each, authenticated by a bearer token stored
//! only as a digest.

use diesel::prelude::*;
use roster_core::secret::token_matches;
use roster_core::{
    BearerToken, DirectoryId, DirectoryState, DirectoryType, EmailDomainPolicy, EventType,
    OrganizationId, Timestamp,
};

use crate::events;
use crate::organizations::{self, corrupt};
use crate::schema::directories;
use crate::{AnyConnection, QueryError, QueryResult};

/// A directory as stored, without its token digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    /// `directory_…`
    pub id: DirectoryId,
    /// The organization it belongs to.
    pub organization_id: OrganizationId,
    /// Display name.
    pub name: String,
    /// Which identity provider feeds it.
    pub directory_type: DirectoryType,
    /// Linked once its identity provider has authenticated.
    pub state: DirectoryState,
    /// A random, stable key WorkOS clients see as `external_key`.
    pub external_key: String,
    /// Users inactive this long are deleted; `None` keeps them.
    pub inactive_user_retention_days: Option<i64>,
    /// What happens to users whose email domain is not the organization's.
    pub email_domain_policy: EmailDomainPolicy,
    /// The sequence number of the directory's latest event (0 before the first).
    pub last_event_sequence: i64,
    /// When its identity provider last made an authenticated request (to the minute).
    pub last_request_at: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Directory {
    /// Where the directory's identity provider sends SCIM requests, under `public_url`; `None`
    /// for a `custom api` directory.
    pub fn scim_base_url(&self, public_url: &str) -> Option<String> {
        self.directory_type.scim_base_url(public_url, &self.id)
    }

    /// Where a `custom api` directory's source posts batches (`{base}/bulk`), under
    /// `public_url`; `None` for a SCIM directory.
    pub fn bulk_base_url(&self, public_url: &str) -> Option<String> {
        self.directory_type.bulk_base_url(public_url, &self.id)
    }

    /// The directory as `dsync.activated` and `dsync.deleted` carry it. Those events use the
    /// legacy states (`active`, `deleted`), unlike the management API's `linked`/`unlinked`.
    pub fn to_event_json(
        &self,
        legacy_state: &str,
        domains: &[roster_core::Domain],
    ) -> serde_json::Value {
        serde_json::json!({
            "object": "directory",
            "id": self.id,
            "organization_id": self.organization_id,
            "type": self.directory_type,
            "state": legacy_state,
            "name": self.name,
            "external_key": self.external_key,
            "domains": domains
                .iter()
                .map(|domain| serde_json::json!({
                    "object": "organization_domain",
                    "id": roster_core::organization_domain_id(&self.organization_id, domain),
                    "domain": domain.as_str(),
                }))
                .collect::<Vec<_>>(),
            "created_at": self.created_at.to_rfc3339(),
            "updated_at": self.updated_at.to_rfc3339(),
        })
    }
}

/// Why a directory could not be created.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryWriteError {
    /// The organization does not exist.
    #[error("no organization has the id {0}")]
    UnknownOrganization(OrganizationId),
    /// The database failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = directories)]
struct DirectoryRow {
    id: String,
    organization_id: String,
    name: String,
    directory_type: String,
    state: String,
    external_key: String,
    bearer_token_digest: String,
    inactive_user_retention_days: Option<i64>,
    last_request_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    event_sequence: i64,
    email_domain_policy: String,
}

impl TryFrom<DirectoryRow> for Directory {
    type Error = QueryError;

    fn try_from(row: DirectoryRow) -> QueryResult<Directory> {
        Ok(Directory {
            id: DirectoryId::parse(&row.id).map_err(corrupt)?,
            organization_id: OrganizationId::parse(&row.organization_id).map_err(corrupt)?,
            name: row.name,
            directory_type: row.directory_type.parse().map_err(corrupt)?,
            state: DirectoryState::parse(&row.state)
                .ok_or_else(|| corrupt(UnknownState(row.state.clone())))?,
            external_key: row.external_key,
            inactive_user_retention_days: row.inactive_user_retention_days,
            email_domain_policy: EmailDomainPolicy::parse(&row.email_domain_policy)
                .ok_or_else(|| corrupt(UnknownState(row.email_domain_policy.clone())))?,
            last_event_sequence: row.event_sequence,
            last_request_at: row.last_request_at.map(Timestamp::from_millis),
            created_at: Timestamp::from_millis(row.created_at),
            updated_at: Timestamp::from_millis(row.updated_at),
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown directory state or policy `{0}`")]
struct UnknownState(String);

/// Creates a directory with a fresh bearer token, which is returned once and never stored.
pub fn create(
    conn: &mut AnyConnection,
    organization: &OrganizationId,
    directory_type: DirectoryType,
    name: &str,
) -> Result<(Directory, BearerToken), DirectoryWriteError> {
    let token = BearerToken::generate();
    let now = Timestamp::now().as_millis();
    let row = DirectoryRow {
        id: DirectoryId::generate().to_string(),
        organization_id: organization.to_string(),
        name: name.to_owned(),
        directory_type: directory_type.as_str().to_owned(),
        state: DirectoryState::Unlinked.as_str().to_owned(),
        external_key: BearerToken::generate().digest()[..16].to_owned(),
        bearer_token_digest: token.digest(),
        inactive_user_retention_days: None,
        last_request_at: None,
        created_at: now,
        updated_at: now,
        event_sequence: 0,
        email_domain_policy: EmailDomainPolicy::Flag.as_str().to_owned(),
    };
    conn.write_transaction(|conn| {
        if !organizations::exists(conn, organization)? {
            return Err(DirectoryWriteError::UnknownOrganization(
                organization.clone(),
            ));
        }
        diesel::insert_into(directories::table)
            .values(&row)
            .execute(conn)?;
        Ok(())
    })?;
    Ok((Directory::try_from(row)?, token))
}

/// One directory, or `None`.
pub fn find(conn: &mut AnyConnection, id: &DirectoryId) -> QueryResult<Option<Directory>> {
    directories::table
        .find(id.as_str())
        .select(DirectoryRow::as_select())
        .first(conn)
        .optional()?
        .map(Directory::try_from)
        .transpose()
}

/// Directories, oldest first, optionally of one organization.
pub fn list(
    conn: &mut AnyConnection,
    organization: Option<&OrganizationId>,
) -> QueryResult<Vec<Directory>> {
    let mut query = directories::table
        .order(directories::id.asc())
        .select(DirectoryRow::as_select())
        .into_boxed();
    if let Some(organization) = organization {
        query = query.filter(directories::organization_id.eq(organization.as_str()));
    }
    query
        .load(conn)?
        .into_iter()
        .map(Directory::try_from)
        .collect()
}

/// How many directories each of `organizations` has (those with none are left out).
pub fn counts_by_organization(
    conn: &mut AnyConnection,
    organizations: &[&str],
) -> QueryResult<Vec<(String, i64)>> {
    directories::table
        .filter(directories::organization_id.eq_any(organizations))
        .group_by(directories::organization_id)
        .select((directories::organization_id, diesel::dsl::count_star()))
        .load(conn)
}

/// The directory `id` if `presented` is its bearer token. Any other directory's token, an
/// unknown directory and a deleting directory all give `None`, so a caller cannot tell them apart.
pub fn authenticate(
    conn: &mut AnyConnection,
    id: &DirectoryId,
    presented: &str,
) -> QueryResult<Option<Directory>> {
    let row = directories::table
        .find(id.as_str())
        .select(DirectoryRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) if token_matches(presented, &row.bearer_token_digest) => {
            let directory = Directory::try_from(row)?;
            Ok((directory.state != DirectoryState::Deleting).then_some(directory))
        }
        _ => Ok(None),
    }
}

/// Replaces the bearer token; the old one stops working with this commit.
pub fn reset_token(
    conn: &mut AnyConnection,
    id: &DirectoryId,
) -> QueryResult<Option<(Directory, BearerToken)>> {
    let token = BearerToken::generate();
    let updated = diesel::update(directories::table.find(id.as_str()))
        .set((
            directories::bearer_token_digest.eq(token.digest()),
            directories::updated_at.eq(Timestamp::now().as_millis()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    Ok(find(conn, id)?.map(|directory| (directory, token)))
}

/// Marks the directory linked if it was unlinked, and records `dsync.activated` with it; true
/// when this call made the transition.
pub fn activate(
    conn: &mut AnyConnection,
    directory: &Directory,
    at: Timestamp,
) -> QueryResult<bool> {
    conn.write_transaction(|conn| {
        let updated = diesel::update(
            directories::table
                .find(directory.id.as_str())
                .filter(directories::state.eq(DirectoryState::Unlinked.as_str())),
        )
        .set((
            directories::state.eq(DirectoryState::Linked.as_str()),
            directories::last_request_at.eq(at.as_millis()),
            directories::updated_at.eq(at.as_millis()),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Ok(false);
        }
        let domains = organizations::find(conn, &directory.organization_id)?
            .map(|organization| organization.domains)
            .unwrap_or_default();
        let mut linked = directory.clone();
        linked.state = DirectoryState::Linked;
        linked.updated_at = at;
        let data = linked.to_event_json("active", &domains);
        events::append(
            conn,
            &directory.id,
            &directory.organization_id,
            EventType::Activated,
            &data,
            at,
        )?;
        Ok(true)
    })
}

/// Directories that delete users after a period of inactivity.
pub fn with_inactive_user_retention(conn: &mut AnyConnection) -> QueryResult<Vec<Directory>> {
    directories::table
        .filter(directories::inactive_user_retention_days.is_not_null())
        .order(directories::id.asc())
        .select(DirectoryRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Directory::try_from)
        .collect()
}

/// Renames a directory. False if there is no such directory.
pub fn rename(conn: &mut AnyConnection, id: &DirectoryId, name: &str) -> QueryResult<bool> {
    let updated = diesel::update(directories::table.find(id.as_str()))
        .set((
            directories::name.eq(name),
            directories::updated_at.eq(Timestamp::now().as_millis()),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Sets how long inactive users are kept (`None`: forever). False if there is no such directory.
pub fn set_inactive_user_retention(
    conn: &mut AnyConnection,
    id: &DirectoryId,
    days: Option<i64>,
) -> QueryResult<bool> {
    let updated = diesel::update(directories::table.find(id.as_str()))
        .set((
            directories::inactive_user_retention_days.eq(days),
            directories::updated_at.eq(Timestamp::now().as_millis()),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Sets what happens to users whose email domain is not the organization's. False if there is
/// no such directory.
pub fn set_email_domain_policy(
    conn: &mut AnyConnection,
    id: &DirectoryId,
    policy: EmailDomainPolicy,
) -> QueryResult<bool> {
    let updated = diesel::update(directories::table.find(id.as_str()))
        .set((
            directories::email_domain_policy.eq(policy.as_str()),
            directories::updated_at.eq(Timestamp::now().as_millis()),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Takes the directory's write lock for the rest of the transaction, so that one directory's
/// writers (a burst of PATCHes on one group, say) apply one after another against the state the
/// previous one committed, while other directories proceed in parallel. SQLite's
/// `BEGIN IMMEDIATE` already holds the database's only write lock.
pub fn lock_for_write(conn: &mut AnyConnection, id: &DirectoryId) -> QueryResult<()> {
    if let AnyConnection::Postgresql(inner) = conn {
        diesel::sql_query("SELECT id FROM directories WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(id.as_str())
            .execute(inner)?;
    }
    Ok(())
}

/// Records that the identity provider made an authenticated request.
pub fn record_request(
    conn: &mut AnyConnection,
    id: &DirectoryId,
    at: Timestamp,
) -> QueryResult<()> {
    diesel::update(directories::table.find(id.as_str()))
        .set(directories::last_request_at.eq(at.as_millis()))
        .execute(conn)
        .map(drop)
}

/// Deletes a directory and, through foreign keys, everything provisioned into it, recording
/// `dsync.deleted` (and, as WorkOS does, no per-user or per-group events). False if there was
/// no such directory.
pub fn delete(conn: &mut AnyConnection, id: &DirectoryId) -> QueryResult<bool> {
    conn.write_transaction(|conn| {
        lock_for_write(conn, id)?;
        let Some(directory) = find(conn, id)? else {
            return Ok(false);
        };
        let now = Timestamp::now();
        let data = directory.to_event_json("deleted", &[]);
        events::append(
            conn,
            id,
            &directory.organization_id,
            EventType::Deleted,
            &data,
            now,
        )?;
        diesel::delete(directories::table.find(id.as_str())).execute(conn)?;
        Ok(true)
    })
}

/// Which directories a management-API list returns; every filter given must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirectoryListFilter<'a> {
    /// Only this organization's.
    pub organization: Option<&'a str>,
    /// Only those whose name contains this (case-insensitive).
    pub search: Option<&'a str>,
    /// Only those of the organization owning this domain.
    pub domain: Option<&'a str>,
}

/// A page of directories, for the management API and the dashboard.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: &DirectoryListFilter<'_>,
    request: &crate::page::PageRequest,
) -> QueryResult<crate::page::Page<Directory>> {
    use crate::schema::organization_domains;
    let mut query = directories::table
        .select(DirectoryRow::as_select())
        .into_boxed();
    if let Some(organization) = filter.organization {
        query = query.filter(directories::organization_id.eq(organization.to_owned()));
    }
    if let Some(search) = filter.search {
        let pattern = format!(
            "%{}%",
            crate::sql::like_escape(&roster_core::case_key(search))
        );
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(directories.name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\'"),
        );
    }
    if let Some(domain) = filter.domain {
        let owners = organization_domains::table
            .filter(organization_domains::domain.eq(roster_core::case_key(domain)))
            .select(organization_domains::organization_id);
        query = query.filter(directories::organization_id.eq_any(owners));
    }
    let page = crate::page::read_page!(
        conn,
        query,
        directories::id,
        request,
        DirectoryRow,
        |row: &DirectoryRow| row.id.clone()
    );
    page.try_map(Directory::try_from)
}
