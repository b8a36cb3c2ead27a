//! Vendor administrators: who may sign in to the dashboard, with an argon2id hash of each
//! password (hashed by the caller; the store never sees a password).

use diesel::prelude::*;
use roster_core::{AdminId, Timestamp, case_key};

use crate::organizations::corrupt;
use crate::schema::admins;
use crate::{AnyConnection, QueryError, QueryResult, is_unique_violation};

/// An administrator, without the password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    /// `admin_…`
    pub id: AdminId,
    /// Sign-in address, lower-cased.
    pub email: String,
    /// When the account was made.
    pub created_at: Timestamp,
    /// The last successful sign-in.
    pub last_login_at: Option<Timestamp>,
}

/// Why an administrator could not be created.
#[derive(Debug, thiserror::Error)]
pub enum AdminWriteError {
    /// Another administrator signs in with this address.
    #[error("an administrator with the email {0} exists already")]
    EmailTaken(String),
    /// The database failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = admins)]
struct AdminRow {
    id: String,
    email: String,
    password_hash: String,
    created_at: i64,
    last_login_at: Option<i64>,
}

impl TryFrom<AdminRow> for Admin {
    type Error = QueryError;

    fn try_from(row: AdminRow) -> QueryResult<Admin> {
        Ok(Admin {
            id: AdminId::parse(&row.id).map_err(corrupt)?,
            email: row.email,
            created_at: Timestamp::from_millis(row.created_at),
            last_login_at: row.last_login_at.map(Timestamp::from_millis),
        })
    }
}

/// How many administrators exist.
pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    admins::table.count().get_result(conn)
}

/// Creates an administrator.
pub fn create(
    conn: &mut AnyConnection,
    email: &str,
    password_hash: &str,
    now: Timestamp,
) -> Result<Admin, AdminWriteError> {
    let row = AdminRow {
        id: AdminId::generate().to_string(),
        email: case_key(email),
        password_hash: password_hash.to_owned(),
        created_at: now.as_millis(),
        last_login_at: None,
    };
    match diesel::insert_into(admins::table)
        .values(&row)
        .execute(conn)
    {
        Ok(_) => Ok(Admin::try_from(row)?),
        Err(error) if is_unique_violation(&error) => Err(AdminWriteError::EmailTaken(row.email)),
        Err(error) => Err(error.into()),
    }
}

/// Creates the first administrator, or nothing (`None`) when one exists already: first-run
/// set-up happens once, even when two browsers submit it at the same moment.
pub fn create_first(
    conn: &mut AnyConnection,
    email: &str,
    password_hash: &str,
    now: Timestamp,
) -> Result<Option<Admin>, AdminWriteError> {
    conn.write_transaction(|conn| {
        // SQLite's BEGIN IMMEDIATE already excludes other writers; PostgreSQL needs the table
        // locked so that two transactions cannot both count zero.
        if let AnyConnection::Postgresql(inner) = conn {
            diesel::sql_query("LOCK TABLE admins IN EXCLUSIVE MODE").execute(inner)?;
        }
        if count(conn)? > 0 {
            return Ok(None);
        }
        create(conn, email, password_hash, now).map(Some)
    })
}

/// The administrator signing in with `email` (any case), with its password hash.
pub fn find_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> QueryResult<Option<(Admin, String)>> {
    admins::table
        .filter(admins::email.eq(case_key(email)))
        .select(AdminRow::as_select())
        .first(conn)
        .optional()?
        .map(|row| {
            let hash = row.password_hash.clone();
            Ok((Admin::try_from(row)?, hash))
        })
        .transpose()
}

/// One administrator.
pub fn find(conn: &mut AnyConnection, id: &AdminId) -> QueryResult<Option<Admin>> {
    admins::table
        .find(id.as_str())
        .select(AdminRow::as_select())
        .first(conn)
        .optional()?
        .map(Admin::try_from)
        .transpose()
}

/// Every administrator, oldest first.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<Admin>> {
    admins::table
        .order(admins::id.asc())
        .select(AdminRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Admin::try_from)
        .collect()
}

/// A page of administrators, newest first unless asked otherwise.
pub fn list_page(
    conn: &mut AnyConnection,
    request: &crate::page::PageRequest,
) -> QueryResult<crate::page::Page<Admin>> {
    let query = admins::table.select(AdminRow::as_select()).into_boxed();
    let page = crate::page::read_page!(
        conn,
        query,
        admins::id,
        request,
        AdminRow,
        |row: &AdminRow| row.id.clone()
    );
    page.try_map(Admin::try_from)
}

/// Records a successful sign-in.
pub fn record_login(conn: &mut AnyConnection, id: &AdminId, at: Timestamp) -> QueryResult<()> {
    diesel::update(admins::table.find(id.as_str()))
        .set(admins::last_login_at.eq(at.as_millis()))
        .execute(conn)
        .map(drop)
}

/// Removes an administrator (and, by cascade, their sessions). False if there was none.
pub fn delete(conn: &mut AnyConnection, id: &AdminId) -> QueryResult<bool> {
    Ok(diesel::delete(admins::table.find(id.as_str())).execute(conn)? == 1)
}
