//! Directory users: the SCIM document as received, the normalised profile, and lower-cased
//! copies of the attributes that lookups and filters use. Every function is scoped to one
//! directory, so no caller can reach another tenant's users by id.

use diesel::prelude::*;
use roster_core::{
    DirectoryId, DirectoryUser, DirectoryUserId, OrganizationId, Timestamp, UserProfile, case_key,
};
use serde_json::Value;

use crate::directories::Directory;
use crate::organizations::corrupt;
use crate::schema::{
    directory_group_members, directory_groups, directory_user_emails, directory_users,
};
use crate::sql::{self, Fragment};
use crate::{AnyConnection, QueryResult};

/// A stored user with what optimistic concurrency and retention need.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUser {
    /// The user as apps see it; `raw_attributes` is the SCIM document.
    pub user: DirectoryUser,
    /// Bumped on every change; the SCIM ETag.
    pub version: i64,
    /// When the user was deactivated, while inactive.
    pub deactivated_at: Option<Timestamp>,
    /// Whether the primary email's domain is not one of the organization's (flagged, not refused).
    pub email_outside_domains: bool,
}

/// The attributes of a user write, already validated and normalised by the protocol layer.
#[derive(Debug, Clone)]
pub struct UserWrite<'a> {
    /// SCIM `userName`, unique per directory regardless of case.
    pub user_name: &'a str,
    /// SCIM `externalId`.
    pub external_id: Option<&'a str>,
    /// SCIM `displayName`.
    pub display_name: Option<&'a str>,
    /// The document as received.
    pub document: &'a Value,
    /// The normalised profile.
    pub profile: &'a UserProfile,
    /// Whether the primary email's domain is not one of the organization's.
    pub email_outside_domains: bool,
}

#[derive(Queryable, QueryableByName, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = directory_users, treat_none_as_null = true)]
struct UserRow {
    id: String,
    directory_id: String,
    organization_id: String,
    user_name_key: String,
    external_id: Option<String>,
    display_name_key: Option<String>,
    email_key: Option<String>,
    active: bool,
    document: String,
    profile: String,
    version: i64,
    deactivated_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    email_outside_domains: bool,
}

impl sql::RowId for UserRow {
    fn row_id(&self) -> &str {
        &self.id
    }
}

impl TryFrom<UserRow> for StoredUser {
    type Error = diesel::result::Error;

    fn try_from(row: UserRow) -> QueryResult<StoredUser> {
        Ok(StoredUser {
            user: DirectoryUser {
                id: DirectoryUserId::parse(&row.id).map_err(corrupt)?,
                directory_id: DirectoryId::parse(&row.directory_id).map_err(corrupt)?,
                organization_id: OrganizationId::parse(&row.organization_id).map_err(corrupt)?,
                profile: serde_json::from_str(&row.profile).map_err(corrupt)?,
                raw_attributes: serde_json::from_str(&row.document).map_err(corrupt)?,
                created_at: Timestamp::from_millis(row.created_at),
                updated_at: Timestamp::from_millis(row.updated_at),
            },
            version: row.version,
            deactivated_at: row.deactivated_at.map(Timestamp::from_millis),
            email_outside_domains: row.email_outside_domains,
        })
    }
}

/// What the store itself keeps about a row, beside what the writer gives.
struct Bookkeeping {
    version: i64,
    deactivated_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

fn row(
    id: &DirectoryUserId,
    directory: &DirectoryId,
    organization: &OrganizationId,
    write: &UserWrite<'_>,
    bookkeeping: Bookkeeping,
) -> QueryResult<UserRow> {
    let Bookkeeping {
        version,
        deactivated_at,
        created_at,
        updated_at,
    } = bookkeeping;
    Ok(UserRow {
        id: id.to_string(),
        directory_id: directory.to_string(),
        organization_id: organization.to_string(),
        user_name_key: case_key(write.user_name),
        external_id: write.external_id.map(str::to_owned),
        display_name_key: write.display_name.map(case_key),
        email_key: write.profile.email.as_deref().map(case_key),
        active: write.profile.state == roster_core::UserState::Active,
        document: write.document.to_string(),
        profile: serde_json::to_string(write.profile).map_err(corrupt)?,
        version,
        deactivated_at,
        created_at,
        updated_at,
        email_outside_domains: write.email_outside_domains,
    })
}

/// Stores a new user. The caller holds the directory's write lock and has checked that the
/// user name is free; the unique index refuses a duplicate all the same.
pub fn insert(
    conn: &mut AnyConnection,
    id: &DirectoryUserId,
    directory: &Directory,
    write: &UserWrite<'_>,
    at: Timestamp,
) -> QueryResult<StoredUser> {
    let now = at.as_millis();
    let active = write.profile.state == roster_core::UserState::Active;
    let bookkeeping = Bookkeeping {
        version: 1,
        deactivated_at: (!active).then_some(now),
        created_at: now,
        updated_at: now,
    };
    let new = row(
        id,
        &directory.id,
        &directory.organization_id,
        write,
        bookkeeping,
    )?;
    diesel::insert_into(directory_users::table)
        .values(&new)
        .execute(conn)?;
    replace_emails(conn, id, &directory.id, write.profile)?;
    StoredUser::try_from(new)
}

/// Replaces a user's attributes, keeping its id and creation time.
pub fn update(
    conn: &mut AnyConnection,
    previous: &StoredUser,
    write: &UserWrite<'_>,
    at: Timestamp,
) -> QueryResult<StoredUser> {
    let now = at.as_millis();
    let active = write.profile.state == roster_core::UserState::Active;
    let deactivated_at = match (active, previous.deactivated_at) {
        (true, _) => None,
        (false, Some(since)) => Some(since.as_millis()),
        (false, None) => Some(now),
    };
    let user = &previous.user;
    let changed = row(
        &user.id,
        &user.directory_id,
        &user.organization_id,
        write,
        Bookkeeping {
            version: previous.version + 1,
            deactivated_at,
            created_at: user.created_at.as_millis(),
            updated_at: now,
        },
    )?;
    diesel::update(
        directory_users::table
            .find(user.id.as_str())
            .filter(directory_users::directory_id.eq(user.directory_id.as_str())),
    )
    .set(&changed)
    .execute(conn)?;
    // Most updates (a deactivation, a title) leave the addresses alone: no rows to rewrite.
    if user.profile.emails != write.profile.emails {
        replace_emails(conn, &user.id, &user.directory_id, write.profile)?;
    }
    StoredUser::try_from(changed)
}

fn replace_emails(
    conn: &mut AnyConnection,
    user: &DirectoryUserId,
    directory: &DirectoryId,
    profile: &UserProfile,
) -> QueryResult<()> {
    diesel::delete(
        directory_user_emails::table.filter(directory_user_emails::user_id.eq(user.as_str())),
    )
    .execute(conn)?;
    for (position, email) in (0_i64..).zip(&profile.emails) {
        diesel::insert_into(directory_user_emails::table)
            .values((
                directory_user_emails::user_id.eq(user.as_str()),
                directory_user_emails::directory_id.eq(directory.as_str()),
                directory_user_emails::position.eq(position),
                directory_user_emails::value_key.eq(case_key(&email.value)),
                directory_user_emails::type_key.eq(email.kind.as_deref().map(case_key)),
                directory_user_emails::is_primary.eq(email.primary),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One user of one directory.
pub fn find(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    id: &str,
) -> QueryResult<Option<StoredUser>> {
    directory_users::table
        .filter(directory_users::id.eq(id))
        .filter(directory_users::directory_id.eq(directory.as_str()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(StoredUser::try_from)
        .transpose()
}

/// The users of the directory among `ids`.
pub fn find_many(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    ids: &[&str],
) -> QueryResult<Vec<StoredUser>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    directory_users::table
        .filter(directory_users::directory_id.eq(directory.as_str()))
        .filter(directory_users::id.eq_any(ids))
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredUser::try_from)
        .collect()
}

/// The users of the directory whose `externalId` is one of `external_ids`.
pub fn find_by_external_ids(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    external_ids: &[&str],
) -> QueryResult<Vec<StoredUser>> {
    if external_ids.is_empty() {
        return Ok(Vec::new());
    }
    directory_users::table
        .filter(directory_users::directory_id.eq(directory.as_str()))
        .filter(directory_users::external_id.eq_any(external_ids))
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredUser::try_from)
        .collect()
}

/// The id and `externalId` of every active user of the directory.
pub fn active_external_ids(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
) -> QueryResult<Vec<(String, Option<String>)>> {
    directory_users::table
        .filter(directory_users::directory_id.eq(directory.as_str()))
        .filter(directory_users::active.eq(true))
        .order(directory_users::id.asc())
        .select((directory_users::id, directory_users::external_id))
        .load(conn)
}

/// Up to `limit` of the directory's users deactivated at or before `cutoff`, oldest first.
pub fn inactive_since(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    cutoff: Timestamp,
    limit: i64,
) -> QueryResult<Vec<StoredUser>> {
    directory_users::table
        .filter(directory_users::directory_id.eq(directory.as_str()))
        .filter(directory_users::deactivated_at.le(cutoff.as_millis()))
        .order(directory_users::deactivated_at.asc())
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredUser::try_from)
        .collect()
}

/// The id of the directory's user with this user name (compared case-insensitively).
pub fn id_by_user_name(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    user_name: &str,
) -> QueryResult<Option<String>> {
    directory_users::table
        .filter(directory_users::directory_id.eq(directory.as_str()))
        .filter(directory_users::user_name_key.eq(case_key(user_name)))
        .select(directory_users::id)
        .first(conn)
        .optional()
}

/// Which of `ids` are users of the directory.
pub fn existing_ids(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    ids: &[&str],
) -> QueryResult<Vec<String>> {
    directory_users::table
        .filter(directory_users::directory_id.eq(directory.as_str()))
        .filter(directory_users::id.eq_any(ids))
        .select(directory_users::id)
        .load(conn)
}

/// Deletes a user (and its memberships). True if it existed.
pub fn delete(conn: &mut AnyConnection, directory: &DirectoryId, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(
        directory_users::table
            .filter(directory_users::id.eq(id))
            .filter(directory_users::directory_id.eq(directory.as_str())),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// A page of the directory's users matching `filter` (a condition over the alias `u`), in a
/// stable order, with the total number of matches.
pub fn search(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    filter: Option<Fragment>,
    offset: i64,
    limit: i64,
) -> QueryResult<(i64, Vec<StoredUser>)> {
    let scope = sql::Scope {
        table: "directory_users",
        alias: "u",
        directory,
    };
    let (total, rows) = sql::page::<UserRow>(conn, &scope, filter, offset, limit)?;
    let found = rows
        .into_iter()
        .map(StoredUser::try_from)
        .collect::<QueryResult<Vec<_>>>()?;
    Ok((total, found))
}

/// A user's group, for the SCIM `groups` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    /// The member.
    pub user_id: String,
    /// The group.
    pub group_id: String,
    /// The group's display name.
    pub display_name: String,
}

/// The groups of each of `user_ids`, in one query.
pub fn groups_of(conn: &mut AnyConnection, user_ids: &[&str]) -> QueryResult<Vec<GroupRef>> {
    let rows: Vec<(String, String, String)> = directory_group_members::table
        .inner_join(directory_groups::table)
        .filter(directory_group_members::user_id.eq_any(user_ids))
        .order((directory_group_members::user_id, directory_groups::id))
        .select((
            directory_group_members::user_id,
            directory_groups::id,
            directory_groups::display_name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, group_id, display_name)| GroupRef {
            user_id,
            group_id,
            display_name,
        })
        .collect())
}

/// Which users a management-API list returns; every filter given must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserListFilter<'a> {
    /// Only this organization's (an organization-scoped API key).
    pub organization: Option<&'a OrganizationId>,
    /// Only this directory's.
    pub directory: Option<&'a str>,
    /// Only members of this group.
    pub group: Option<&'a str>,
    /// Only users whose primary email is this (case-insensitive).
    pub email: Option<&'a str>,
    /// Only the user with this identity-provider id.
    pub idp_id: Option<&'a str>,
}

/// A page of users across directories, for the management API.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: &UserListFilter<'_>,
    request: &crate::page::PageRequest,
) -> QueryResult<crate::page::Page<StoredUser>> {
    let mut query = directory_users::table
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(organization) = filter.organization {
        query = query.filter(directory_users::organization_id.eq(organization.to_string()));
    }
    if let Some(directory) = filter.directory {
        query = query.filter(directory_users::directory_id.eq(directory.to_owned()));
    }
    if let Some(group) = filter.group {
        let members = directory_group_members::table
            .filter(directory_group_members::group_id.eq(group.to_owned()))
            .select(directory_group_members::user_id);
        query = query.filter(directory_users::id.eq_any(members));
    }
    if let Some(email) = filter.email {
        query = query.filter(directory_users::email_key.eq(case_key(email)));
    }
    if let Some(idp_id) = filter.idp_id {
        query = query.filter(
            directory_users::external_id
                .eq(idp_id.to_owned())
                .or(directory_users::external_id
                    .is_null()
                    .and(directory_users::id.eq(idp_id.to_owned()))),
        );
    }
    let page = crate::page::read_page!(
        conn,
        query,
        directory_users::id,
        request,
        UserRow,
        |row: &UserRow| row.id.clone()
    );
    page.try_map(StoredUser::try_from)
}

/// One user by id, in any directory (of `organization` only, when given).
pub fn find_any(
    conn: &mut AnyConnection,
    id: &str,
    organization: Option<&OrganizationId>,
) -> QueryResult<Option<StoredUser>> {
    let mut query = directory_users::table
        .filter(directory_users::id.eq(id.to_owned()))
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(organization) = organization {
        query = query.filter(directory_users::organization_id.eq(organization.to_string()));
    }
    query
        .first(conn)
        .optional()?
        .map(StoredUser::try_from)
        .transpose()
}

/// Active and inactive user counts of each of `directories`.
pub fn counts_by_directory(
    conn: &mut AnyConnection,
    directories: &[&str],
) -> QueryResult<Vec<(String, bool, i64)>> {
    directory_users::table
        .filter(directory_users::directory_id.eq_any(directories))
        .group_by((directory_users::directory_id, directory_users::active))
        .select((
            directory_users::directory_id,
            directory_users::active,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}
