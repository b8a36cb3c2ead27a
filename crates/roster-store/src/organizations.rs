//! Organizations and the email domains they own.

use diesel::prelude::*;
use roster_core::{Domain, OrganizationId, Timestamp};

use crate::schema::{organization_domains, organizations};
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
}

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
        created_at: now,
        updated_at: now,
    })
}

fn ensure_domains_free(
    conn: &mut AnyConnection,
    domains: &[Domain],
) -> Result<(), OrganizationWriteError> {
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
                created_at: Timestamp::from_millis(row.created_at),
                updated_at: Timestamp::from_millis(row.updated_at),
            })
        })
        .collect()
}

/// A stored value that the domain types refuse means the row was written by something else.
pub(crate) fn corrupt(cause: impl std::error::Error + Send + Sync + 'static) -> QueryError {
    QueryError::DeserializationError(Box::new(cause))
}
