//! Browser sessions of the dashboard (a vendor administrator) and of the setup portal (an IT
//! admin, limited to one organization). The cookie holds a random token; only its digest is
//! stored, with the session's CSRF token and expiry, so signing out ends a session everywhere.

use diesel::prelude::*;
use roster_core::secret::{random_token, token_digest};
use roster_core::{AdminId, OrganizationId, Timestamp};

use crate::organizations::corrupt;
use crate::schema::dashboard_sessions;
use crate::{AnyConnection, QueryResult};

/// Who a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A vendor administrator: the whole dashboard.
    Admin(AdminId),
    /// An IT admin who opened a setup link: that organization's portal, nothing else.
    Portal(OrganizationId),
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose it is.
    pub subject: Subject,
    /// The synchronizer token every form of this session carries.
    pub csrf_token: String,
    /// When it ends.
    pub expires_at: Timestamp,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = dashboard_sessions)]
struct SessionRow {
    token_digest: String,
    admin_id: Option<String>,
    organization_id: Option<String>,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("a session row names neither an admin nor an organization")]
struct NoSubject;

impl TryFrom<SessionRow> for Session {
    type Error = diesel::result::Error;

    fn try_from(row: SessionRow) -> QueryResult<Session> {
        let subject = match (row.admin_id, row.organization_id) {
            (Some(admin), None) => Subject::Admin(AdminId::parse(&admin).map_err(corrupt)?),
            (None, Some(organization)) => {
                Subject::Portal(OrganizationId::parse(&organization).map_err(corrupt)?)
            }
            _ => return Err(corrupt(NoSubject)),
        };
        Ok(Session {
            subject,
            csrf_token: row.csrf_token,
            expires_at: Timestamp::from_millis(row.expires_at),
        })
    }
}

/// Starts a session; returns the cookie value (shown to the browser only) and the session.
pub fn create(
    conn: &mut AnyConnection,
    subject: Subject,
    now: Timestamp,
    expires_at: Timestamp,
) -> QueryResult<(String, Session)> {
    let token = random_token("");
    let (admin_id, organization_id) = match &subject {
        Subject::Admin(admin) => (Some(admin.to_string()), None),
        Subject::Portal(organization) => (None, Some(organization.to_string())),
    };
    let row = SessionRow {
        token_digest: token_digest(&token),
        admin_id,
        organization_id,
        csrf_token: random_token(""),
        created_at: now.as_millis(),
        expires_at: expires_at.as_millis(),
    };
    diesel::insert_into(dashboard_sessions::table)
        .values(&row)
        .execute(conn)?;
    Ok((token, Session::try_from(row)?))
}

/// The unexpired session whose cookie is `token`.
pub fn find(conn: &mut AnyConnection, token: &str, now: Timestamp) -> QueryResult<Option<Session>> {
    dashboard_sessions::table
        .find(token_digest(token))
        .filter(dashboard_sessions::expires_at.gt(now.as_millis()))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()?
        .map(Session::try_from)
        .transpose()
}

/// Ends the session whose cookie is `token`.
pub fn delete(conn: &mut AnyConnection, token: &str) -> QueryResult<()> {
    diesel::delete(dashboard_sessions::table.find(token_digest(token)))
        .execute(conn)
        .map(drop)
}

/// Deletes sessions that ended before `now`.
pub fn prune(conn: &mut AnyConnection, now: Timestamp) -> QueryResult<usize> {
    diesel::delete(
        dashboard_sessions::table.filter(dashboard_sessions::expires_at.le(now.as_millis())),
    )
    .execute(conn)
}
