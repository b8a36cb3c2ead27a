//! Organizations and the email domains they own.

use std::collections::BTreeMap;

use diesel::prelude::*;
use roster_core::{Domain, OrganizationId, Timestamp};

use crate::page::{Page, PageRequest, read_page};
use crate::schema::{directories, organization_domains, organizations};
use crate::{AnyConnection, QueryError, QueryResult};

/// An organization with its domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// `org_…`
    pub id: OrganizationId,
    /// Display name.
    pub name: String,
    /// The vendor's own identifier for this customer, unique when set.
    pub external_id: Option<String>,
    /// Email domains, sorted; each belongs to one organization only.
    pub domains: Vec<Domain>,
    /// The vendor's own key-value pairs.
    pub metadata: Metadata,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What a new organization is made of; the name is already validated.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    /// Display name.
    pub name: String,
    /// The vendor's identifier, if any.
    pub external_id: Option<String>,
    /// Email domains.
    pub domains: Vec<Domain>,
    /// Key-value pairs, already validated.
    pub metadata: Metadata,
}

/// An organization's metadata: string values by key, as WorkOS keeps them.
pub type Metadata = BTreeMap<String, String>;

/// Why an organization could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OrganizationWriteError {
    /// A domain is already claimed.
    #[error("the domain `{domain}` already belongs to organization {owner}")]
    DomainTaken {
        /// The contested domain.
        domain: Domain,
        /// Who owns it.
        owner: OrganizationId,
    },
    /// Another organization has this external id.
    #[error("another organization already has the external_id `{0}`")]
    ExternalIdTaken(String),
    /// The database failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
struct OrganizationRow {
    id: String,
    name: String,
    external_id: Option<String>,
    created_at: i64,
    updated_at: i64,
    metadata: String,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = organization_domains)]
struct DomainRow {
    domain: String,
    organization_id: String,
    created_at: i64,
}

/// Creates an organization and its domains in one transaction: all or nothing.
pub fn create(
    conn: &mut AnyConnection,
    new: NewOrganization,
) -> Result<Organization, OrganizationWriteError> {
    let now = Timestamp::now();
    let id = OrganizationId::generate();
    let mut domains = new.domains;
    domains.sort();
    domains.dedup();
    conn.write_transaction(|conn| {
        if let Some(external_id) = &new.external_id {
            let taken = organizations::table
                .filter(organizations::external_id.eq(external_id))
                .count()
                .get_result::<i64>(conn)?;
            if taken > 0 {
                return Err(OrganizationWriteError::ExternalIdTaken(external_id.clone()));
            }
        }
        ensure_domains_free(conn, &domains)?;
        diesel::insert_into(organizations::table)
            .values(OrganizationRow {
                id: id.to_string(),
                name: new.name.clone(),
                external_id: new.external_id.clone(),
                created_at: now.as_millis(),
                updated_at: now.as_millis(),
                metadata: encode_metadata(&new.metadata),
            })
            .execute(conn)?;
        insert_domains(conn, &id, &domains, now)?;
        Ok(())
    })?;
    Ok(Organization {
        id,
        name: new.name,
        external_id: new.external_id,
        domains,
        metadata: new.metadata,
        created_at: now,
        updated_at: now,
    })
}

/// What an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct OrganizationUpdate {
    /// A new display name, already validated.
    pub name: Option<String>,
    /// A new external id (`Some(None)` clears it).
    pub external_id: Option<Option<String>>,
    /// The complete new set of domains.
    pub domains: Option<Vec<Domain>>,
    /// The complete new metadata.
    pub metadata: Option<Metadata>,
}

/// Changes an organization in one transaction; `None` if there is no such organization.
/// Domains are replaced as a set: those kept keep their place, new ones must be free.
pub fn update(
    conn: &mut AnyConnection,
    id: &OrganizationId,
    change: OrganizationUpdate,
) -> Result<Option<Organization>, OrganizationWriteError> {
    let now = Timestamp::now();
    conn.write_transaction(|conn| {
        if !exists(conn, id)? {
            return Ok(None);
        }
        if let Some(Some(external_id)) = &change.external_id {
            let taken = organizations::table
                .filter(organizations::external_id.eq(external_id))
                .filter(organizations::id.ne(id.as_str()))
                .count()
                .get_result::<i64>(conn)?;
            if taken > 0 {
                return Err(OrganizationWriteError::ExternalIdTaken(external_id.clone()));
            }
        }
        if let Some(mut domains) = change.domains {
            domains.sort();
            domains.dedup();
            let names: Vec<&str> = domains.iter().map(Domain::as_str).collect();
            diesel::delete(
                organization_domains::table
                    .filter(organization_domains::organization_id.eq(id.as_str()))
                    .filter(organization_domains::domain.ne_all(&names)),
            )
            .execute(conn)?;
            let kept: Vec<String> = organization_domains::table
                .filter(organization_domains::organization_id.eq(id.as_str()))
                .select(organization_domains::domain)
                .load(conn)?;
            let added: Vec<Domain> = domains
                .into_iter()
                .filter(|domain| !kept.iter().any(|name| name == domain.as_str()))
                .collect();
            ensure_domains_free(conn, &added)?;
            insert_domains(conn, id, &added, now)?;
        }
        diesel::update(organizations::table.find(id.as_str()))
            .set(organizations::updated_at.eq(now.as_millis()))
            .execute(conn)?;
        if let Some(name) = &change.name {
            diesel::update(organizations::table.find(id.as_str()))
                .set(organizations::name.eq(name))
                .execute(conn)?;
        }
        if let Some(external_id) = &change.external_id {
            diesel::update(organizations::table.find(id.as_str()))
                .set(organizations::external_id.eq(external_id))
                .execute(conn)?;
        }
        if let Some(metadata) = &change.metadata {
            diesel::update(organizations::table.find(id.as_str()))
                .set(organizations::metadata.eq(encode_metadata(metadata)))
                .execute(conn)?;
        }
        Ok(find(conn, id)?)
    })
}

/// Deletes an organization with everything it owns: each directory is deleted as
/// [`crate::directories::delete`] does (recording `dsync.deleted`, in this same transaction),
/// then the organization, whose domains, API keys and webhook endpoints go with it. False if
/// there was no such organization.
pub fn delete(conn: &mut AnyConnection, id: &OrganizationId) -> QueryResult<bool> {
    conn.write_transaction(|conn| {
        if !exists(conn, id)? {
            return Ok(false);
        }
        let owned: Vec<String> = directories::table
            .filter(directories::organization_id.eq(id.as_str()))
            .order(directories::id.asc())
            .select(directories::id)
            .load(conn)?;
        for directory in owned {
            let directory = roster_core::DirectoryId::parse(&directory).map_err(corrupt)?;
            crate::directories::delete(conn, &directory)?;
        }
        diesel::delete(organizations::table.find(id.as_str())).execute(conn)?;
        Ok(true)
    })
}

/// The organization whose external id is `external_id`.
pub fn find_by_external_id(
    conn: &mut AnyConnection,
    external_id: &str,
) -> QueryResult<Option<Organization>> {
    let row = organizations::table
        .filter(organizations::external_id.eq(external_id))
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => Ok(attach_domains(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// Which organizations a list returns; every filter given must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrganizationListFilter<'a> {
    /// Only this one (an API key limited to one organization).
    pub id: Option<&'a str>,
    /// Only those whose name contains this (case-insensitive).
    pub search: Option<&'a str>,
    /// Only those owning at least one of these domains.
    pub domains: &'a [Domain],
}

/// A page of organizations, for the management API and the dashboard.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: &OrganizationListFilter<'_>,
    request: &PageRequest,
) -> QueryResult<Page<Organization>> {
    let mut query = organizations::table
        .select(OrganizationRow::as_select())
        .into_boxed();
    if let Some(id) = filter.id {
        query = query.filter(organizations::id.eq(id.to_owned()));
    }
    if let Some(search) = filter.search {
        let pattern = format!(
            "%{}%",
            crate::sql::like_escape(&roster_core::case_key(search))
        );
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(organizations.name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\'"),
        );
    }
    if !filter.domains.is_empty() {
        let names: Vec<String> = filter.domains.iter().map(Domain::to_string).collect();
        let owners = organization_domains::table
            .filter(organization_domains::domain.eq_any(names))
            .select(organization_domains::organization_id);
        query = query.filter(organizations::id.eq_any(owners));
    }
    let page = read_page!(
        conn,
        query,
        organizations::id,
        request,
        OrganizationRow,
        |row: &OrganizationRow| row.id.clone()
    );
    let Page {
        items,
        before,
        after,
    } = page;
    Ok(Page {
        items: attach_domains(conn, items)?,
        before,
        after,
    })
}

fn ensure_domains_free(
    conn: &mut AnyConnection,
    domains: &[Domain],
) -> Result<(), OrganizationWriteError> {
    if domains.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = domains.iter().map(Domain::as_str).collect();
    let claimed = organization_domains::table
        .filter(organization_domains::domain.eq_any(&names))
        .select(DomainRow::as_select())
        .first(conn)
        .optional()?;
    match claimed {
        Some(row) => Err(OrganizationWriteError::DomainTaken {
            domain: Domain::parse(&row.domain).map_err(corrupt)?,
            owner: OrganizationId::parse(&row.organization_id).map_err(corrupt)?,
        }),
        None => Ok(()),
    }
}

fn insert_domains(
    conn: &mut AnyConnection,
    organization: &OrganizationId,
    domains: &[Domain],
    now: Timestamp,
) -> Result<(), OrganizationWriteError> {
    if domains.is_empty() {
        return Ok(());
    }
    // One statement per domain: diesel's multi-backend connection has no batch insert, and an
    // organization has a handful of domains. The primary key still refuses a domain that a
    // concurrent writer claimed after `ensure_domains_free` looked.
    for domain in domains {
        diesel::insert_into(organization_domains::table)
            .values(DomainRow {
                domain: domain.to_string(),
                organization_id: organization.to_string(),
                created_at: now.as_millis(),
            })
            .execute(conn)?;
    }
    Ok(())
}

/// One organization, or `None` if there is no such organization.
pub fn find(conn: &mut AnyConnection, id: &OrganizationId) -> QueryResult<Option<Organization>> {
    let row = organizations::table
        .find(id.as_str())
        .select(OrganizationRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => Ok(attach_domains(conn, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// An organization's domains alone: what a user write checks emails against, in one query.
pub fn domains_of(conn: &mut AnyConnection, id: &OrganizationId) -> QueryResult<Vec<Domain>> {
    organization_domains::table
        .filter(organization_domains::organization_id.eq(id.as_str()))
        .order(organization_domains::domain.asc())
        .select(organization_domains::domain)
        .load::<String>(conn)?
        .iter()
        .map(|domain| Domain::parse(domain).map_err(corrupt))
        .collect()
}

/// Every organization, oldest first.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<Organization>> {
    let rows = organizations::table
        .order(organizations::id.asc())
        .select(OrganizationRow::as_select())
        .load(conn)?;
    attach_domains(conn, rows)
}

/// Whether an organization exists.
pub fn exists(conn: &mut AnyConnection, id: &OrganizationId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(organizations::table.find(id.as_str()))).get_result(conn)
}

/// Loads the domains of many organizations in one query rather than one query each.
fn attach_domains(
    conn: &mut AnyConnection,
    rows: Vec<OrganizationRow>,
) -> QueryResult<Vec<Organization>> {
    let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
    let domain_rows = organization_domains::table
        .filter(organization_domains::organization_id.eq_any(&ids))
        .order(organization_domains::domain.asc())
        .select(DomainRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let domains = domain_rows
                .iter()
                .filter(|domain| domain.organization_id == row.id)
                .map(|domain| Domain::parse(&domain.domain).map_err(corrupt))
                .collect::<QueryResult<Vec<_>>>()?;
            Ok(Organization {
                id: OrganizationId::parse(&row.id).map_err(corrupt)?,
                name: row.name,
                external_id: row.external_id,
                domains,
                metadata: serde_json::from_str(&row.metadata).map_err(corrupt)?,
                created_at: Timestamp::from_millis(row.created_at),
                updated_at: Timestamp::from_millis(row.updated_at),
            })
        })
        .collect()
}

fn encode_metadata(metadata: &Metadata) -> String {
    serde_json::Value::from_iter(
        metadata
            .iter()
            .map(|(key, value)| (key.clone(), serde_json::Value::from(value.as_str()))),
    )
    .to_string()
}

/// A stored value that the domain types refuse means the row was written by something else.
pub(crate) fn corrupt(cause: impl std::error::Error + Send + Sync + 'static) -> QueryError {
    QueryError::DeserializationError(Box::new(cause))
}
