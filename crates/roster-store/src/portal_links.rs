//! Setup-portal links: single-use and expiring, for one organization. Only a digest of the
//! link's token is stored; opening the link spends it.

use diesel::prelude::*;
use roster_core::secret::{random_token, token_digest};
use roster_core::{OrganizationId, PortalLinkId, Timestamp};

use crate::organizations::corrupt;
use crate::schema::portal_links;
use crate::{AnyConnection, QueryResult};

/// A setup link, without its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalLink {
    /// `portal_link_…`
    pub id: PortalLinkId,
    /// The one organization it opens.
    pub organization_id: OrganizationId,
    /// What it is for (`dsync`).
    pub intent: String,
    /// Who made it: an administrator's email or an API key id.
    pub created_by: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stops working if unused.
    pub expires_at: Timestamp,
    /// When it was opened.
    pub used_at: Option<Timestamp>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = portal_links)]
struct PortalLinkRow {
    id: String,
    organization_id: String,
    token_digest: String,
    intent: String,
    created_by: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl TryFrom<PortalLinkRow> for PortalLink {
    type Error = diesel::result::Error;

    fn try_from(row: PortalLinkRow) -> QueryResult<PortalLink> {
        Ok(PortalLink {
            id: PortalLinkId::parse(&row.id).map_err(corrupt)?,
            organization_id: OrganizationId::parse(&row.organization_id).map_err(corrupt)?,
            intent: row.intent,
            created_by: row.created_by,
            created_at: Timestamp::from_millis(row.created_at),
            expires_at: Timestamp::from_millis(row.expires_at),
            used_at: row.used_at.map(Timestamp::from_millis),
        })
    }
}

/// The path a link's token opens, under the public URL.
pub fn path(token: &str) -> String {
    format!("/setup/{token}")
}

/// Makes a link; returns it and its token (never stored).
pub fn create(
    conn: &mut AnyConnection,
    organization: &OrganizationId,
    intent: &str,
    created_by: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> QueryResult<(PortalLink, String)> {
    let token = random_token("setup_");
    let row = PortalLinkRow {
        id: PortalLinkId::generate().to_string(),
        organization_id: organization.to_string(),
        token_digest: token_digest(&token),
        intent: intent.to_owned(),
        created_by: created_by.to_owned(),
        created_at: now.as_millis(),
        expires_at: expires_at.as_millis(),
        used_at: None,
    };
    diesel::insert_into(portal_links::table)
        .values(&row)
        .execute(conn)?;
    Ok((PortalLink::try_from(row)?, token))
}

/// The unused, unexpired link carrying `token`, without spending it.
pub fn find_open(
    conn: &mut AnyConnection,
    token: &str,
    now: Timestamp,
) -> QueryResult<Option<PortalLink>> {
    portal_links::table
        .filter(portal_links::token_digest.eq(token_digest(token)))
        .filter(portal_links::used_at.is_null())
        .filter(portal_links::expires_at.gt(now.as_millis()))
        .select(PortalLinkRow::as_select())
        .first(conn)
        .optional()?
        .map(PortalLink::try_from)
        .transpose()
}

/// Spends the link carrying `token`: it works once. `None` when it is used, expired or
/// unknown; of two concurrent openings, one wins.
pub fn redeem(
    conn: &mut AnyConnection,
    token: &str,
    now: Timestamp,
) -> QueryResult<Option<PortalLink>> {
    let Some(link) = find_open(conn, token, now)? else {
        return Ok(None);
    };
    let spent = diesel::update(
        portal_links::table
            .find(link.id.as_str())
            .filter(portal_links::used_at.is_null()),
    )
    .set(portal_links::used_at.eq(now.as_millis()))
    .execute(conn)?;
    Ok((spent == 1).then_some(PortalLink {
        used_at: Some(now),
        ..link
    }))
}

/// An organization's links, newest first.
pub fn list_for_organization(
    conn: &mut AnyConnection,
    organization: &OrganizationId,
    limit: i64,
) -> QueryResult<Vec<PortalLink>> {
    portal_links::table
        .filter(portal_links::organization_id.eq(organization.as_str()))
        .order(portal_links::id.desc())
        .limit(limit)
        .select(PortalLinkRow::as_select())
        .load(conn)?
        .into_iter()
        .map(PortalLink::try_from)
        .collect()
}
