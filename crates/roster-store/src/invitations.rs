//! Invitations for further administrators: a single-use link sent by email, stored as a digest,
//! that lets its holder choose a password and become an administrator.

use diesel::prelude::*;
use roster_core::secret::{random_token, token_digest};
use roster_core::{InvitationId, Timestamp, case_key};

use crate::admins::{self, Admin, AdminWriteError};
use crate::organizations::corrupt;
use crate::schema::admin_invitations;
use crate::{AnyConnection, QueryResult};

/// An invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// `invitation_…`
    pub id: InvitationId,
    /// Who is invited, lower-cased.
    pub email: String,
    /// The administrator who invited them (their email).
    pub invited_by: String,
    /// When it was sent.
    pub created_at: Timestamp,
    /// When the link stops working.
    pub expires_at: Timestamp,
    /// When it was used.
    pub accepted_at: Option<Timestamp>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = admin_invitations)]
struct InvitationRow {
    id: String,
    email: String,
    token_digest: String,
    invited_by: String,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = diesel::result::Error;

    fn try_from(row: InvitationRow) -> QueryResult<Invitation> {
        Ok(Invitation {
            id: InvitationId::parse(&row.id).map_err(corrupt)?,
            email: row.email,
            invited_by: row.invited_by,
            created_at: Timestamp::from_millis(row.created_at),
            expires_at: Timestamp::from_millis(row.expires_at),
            accepted_at: row.accepted_at.map(Timestamp::from_millis),
        })
    }
}

/// Creates an invitation; returns it and the token for its link (never stored).
pub fn create(
    conn: &mut AnyConnection,
    email: &str,
    invited_by: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> QueryResult<(Invitation, String)> {
    let token = random_token("inv_");
    let row = InvitationRow {
        id: InvitationId::generate().to_string(),
        email: case_key(email),
        token_digest: token_digest(&token),
        invited_by: invited_by.to_owned(),
        created_at: now.as_millis(),
        expires_at: expires_at.as_millis(),
        accepted_at: None,
    };
    diesel::insert_into(admin_invitations::table)
        .values(&row)
        .execute(conn)?;
    Ok((Invitation::try_from(row)?, token))
}

/// The unused, unexpired invitation whose link carries `token`.
pub fn find_open(
    conn: &mut AnyConnection,
    token: &str,
    now: Timestamp,
) -> QueryResult<Option<Invitation>> {
    admin_invitations::table
        .filter(admin_invitations::token_digest.eq(token_digest(token)))
        .filter(admin_invitations::accepted_at.is_null())
        .filter(admin_invitations::expires_at.gt(now.as_millis()))
        .select(InvitationRow::as_select())
        .first(conn)
        .optional()?
        .map(Invitation::try_from)
        .transpose()
}

/// Uses the invitation whose link carries `token` to create its administrator, in one
/// transaction: `None` when the link is used, expired or unknown.
pub fn accept(
    conn: &mut AnyConnection,
    token: &str,
    password_hash: &str,
    now: Timestamp,
) -> Result<Option<Admin>, AdminWriteError> {
    conn.write_transaction(|conn| {
        let Some(invitation) = find_open(conn, token, now)? else {
            return Ok(None);
        };
        let claimed = diesel::update(
            admin_invitations::table
                .find(invitation.id.as_str())
                .filter(admin_invitations::accepted_at.is_null()),
        )
        .set(admin_invitations::accepted_at.eq(now.as_millis()))
        .execute(conn)?;
        if claimed == 0 {
            return Ok(None);
        }
        admins::create(conn, &invitation.email, password_hash, now).map(Some)
    })
}

/// A page of the invitations not yet used nor expired, newest first, and how many there are.
pub fn open_page(
    conn: &mut AnyConnection,
    now: Timestamp,
    offset: i64,
    limit: i64,
) -> QueryResult<(i64, Vec<Invitation>)> {
    let open = || {
        admin_invitations::table
            .filter(admin_invitations::accepted_at.is_null())
            .filter(admin_invitations::expires_at.gt(now.as_millis()))
    };
    let total = open().count().get_result(conn)?;
    let found = open()
        .order(admin_invitations::id.desc())
        .offset(offset)
        .limit(limit)
        .select(InvitationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Invitation::try_from)
        .collect::<QueryResult<_>>()?;
    Ok((total, found))
}
