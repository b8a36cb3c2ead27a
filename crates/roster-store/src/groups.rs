//! Directory groups and their members. Like users, every function is scoped to one directory.

use diesel::prelude::*;
use roster_core::{
    DirectoryGroup, DirectoryGroupId, DirectoryId, OrganizationId, Timestamp, case_key,
};
use serde_json::Value;

use crate::directories::Directory;
use crate::organizations::corrupt;
use crate::schema::{directory_group_members, directory_groups};
use crate::sql::{self, Fragment};
use crate::{AnyConnection, QueryResult};

/// A stored group with its version (the SCIM ETag).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    /// The group as apps see it; `raw_attributes` is the SCIM document without members.
    pub group: DirectoryGroup,
    /// Bumped on every change to the group's own attributes.
    pub version: i64,
}

/// The attributes of a group write, validated by the protocol layer.
#[derive(Debug, Clone)]
pub struct GroupWrite<'a> {
    /// SCIM `displayName`.
    pub display_name: &'a str,
    /// SCIM `externalId`.
    pub external_id: Option<&'a str>,
    /// The document as received, without `members`.
    pub document: &'a Value,
}

#[derive(Queryable, QueryableByName, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = directory_groups, treat_none_as_null = true)]
struct GroupRow {
    id: String,
    directory_id: String,
    organization_id: String,
    display_name: String,
    display_name_key: String,
    external_id: Option<String>,
    document: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl sql::RowId for GroupRow {
    fn row_id(&self) -> &str {
        &self.id
    }
}

impl TryFrom<GroupRow> for StoredGroup {
    type Error = diesel::result::Error;

    fn try_from(row: GroupRow) -> QueryResult<StoredGroup> {
        Ok(StoredGroup {
            group: DirectoryGroup {
                id: DirectoryGroupId::parse(&row.id).map_err(corrupt)?,
                directory_id: DirectoryId::parse(&row.directory_id).map_err(corrupt)?,
                organization_id: OrganizationId::parse(&row.organization_id).map_err(corrupt)?,
                idp_id: row.external_id.clone().unwrap_or_else(|| row.id.clone()),
                name: row.display_name,
                raw_attributes: serde_json::from_str(&row.document).map_err(corrupt)?,
                created_at: Timestamp::from_millis(row.created_at),
                updated_at: Timestamp::from_millis(row.updated_at),
            },
            version: row.version,
        })
    }
}

fn row(
    id: &str,
    directory: &DirectoryId,
    organization: &OrganizationId,
    write: &GroupWrite<'_>,
    version: i64,
    created_at: i64,
    updated_at: i64,
) -> GroupRow {
    GroupRow {
        id: id.to_owned(),
        directory_id: directory.to_string(),
        organization_id: organization.to_string(),
        display_name: write.display_name.to_owned(),
        display_name_key: case_key(write.display_name),
        external_id: write.external_id.map(str::to_owned),
        document: write.document.to_string(),
        version,
        created_at,
        updated_at,
    }
}

/// Stores a new group.
pub fn insert(
    conn: &mut AnyConnection,
    directory: &Directory,
    write: &GroupWrite<'_>,
    at: Timestamp,
) -> QueryResult<StoredGroup> {
    let id = DirectoryGroupId::generate();
    let now = at.as_millis();
    let new = row(
        id.as_str(),
        &directory.id,
        &directory.organization_id,
        write,
        1,
        now,
        now,
    );
    diesel::insert_into(directory_groups::table)
        .values(&new)
        .execute(conn)?;
    StoredGroup::try_from(new)
}

/// Replaces a group's own attributes (not its members), keeping its id and creation time.
pub fn update(
    conn: &mut AnyConnection,
    previous: &StoredGroup,
    write: &GroupWrite<'_>,
    at: Timestamp,
) -> QueryResult<StoredGroup> {
    let group = &previous.group;
    let changed = row(
        group.id.as_str(),
        &group.directory_id,
        &group.organization_id,
        write,
        previous.version + 1,
        group.created_at.as_millis(),
        at.as_millis(),
    );
    diesel::update(
        directory_groups::table
            .find(group.id.as_str())
            .filter(directory_groups::directory_id.eq(group.directory_id.as_str())),
    )
    .set(&changed)
    .execute(conn)?;
    StoredGroup::try_from(changed)
}

/// One group of one directory.
pub fn find(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    id: &str,
) -> QueryResult<Option<StoredGroup>> {
    directory_groups::table
        .filter(directory_groups::id.eq(id))
        .filter(directory_groups::directory_id.eq(directory.as_str()))
        .select(GroupRow::as_select())
        .first(conn)
        .optional()?
        .map(StoredGroup::try_from)
        .transpose()
}

/// The groups of the directory whose `externalId` is one of `external_ids`.
pub fn find_by_external_ids(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    external_ids: &[&str],
) -> QueryResult<Vec<StoredGroup>> {
    if external_ids.is_empty() {
        return Ok(Vec::new());
    }
    directory_groups::table
        .filter(directory_groups::directory_id.eq(directory.as_str()))
        .filter(directory_groups::external_id.eq_any(external_ids))
        .select(GroupRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredGroup::try_from)
        .collect()
}

/// The groups of the directory whose display name is one of `names`, compared
/// case-insensitively, oldest first.
pub fn find_by_names(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    names: &[&str],
) -> QueryResult<Vec<StoredGroup>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = names.iter().map(|name| case_key(name)).collect();
    directory_groups::table
        .filter(directory_groups::directory_id.eq(directory.as_str()))
        .filter(directory_groups::display_name_key.eq_any(keys))
        .order(directory_groups::id.asc())
        .select(GroupRow::as_select())
        .load(conn)?
        .into_iter()
        .map(StoredGroup::try_from)
        .collect()
}

/// Deletes a group (and its memberships). True if it existed.
pub fn delete(conn: &mut AnyConnection, directory: &DirectoryId, id: &str) -> QueryResult<bool> {
    let deleted = diesel::delete(
        directory_groups::table
            .filter(directory_groups::id.eq(id))
            .filter(directory_groups::directory_id.eq(directory.as_str())),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// A page of the directory's groups matching `filter` (a condition over the alias `g`), in a
/// stable order, with the total number of matches.
pub fn search(
    conn: &mut AnyConnection,
    directory: &DirectoryId,
    filter: Option<Fragment>,
    offset: i64,
    limit: i64,
) -> QueryResult<(i64, Vec<StoredGroup>)> {
    let scope = sql::Scope {
        table: "directory_groups",
        alias: "g",
        directory,
    };
    let (total, rows) = sql::page::<GroupRow>(conn, &scope, filter, offset, limit)?;
    let found = rows
        .into_iter()
        .map(StoredGroup::try_from)
        .collect::<QueryResult<Vec<_>>>()?;
    Ok((total, found))
}

/// The members of each of `group_ids`, as `(group_id, user_id)` pairs in a stable order.
pub fn members_of(
    conn: &mut AnyConnection,
    group_ids: &[&str],
) -> QueryResult<Vec<(String, String)>> {
    directory_group_members::table
        .filter(directory_group_members::group_id.eq_any(group_ids))
        .order((
            directory_group_members::group_id,
            directory_group_members::user_id,
        ))
        .select((
            directory_group_members::group_id,
            directory_group_members::user_id,
        ))
        .load(conn)
}

/// How many members each of `group_ids` has (those with none are left out).
pub fn member_counts(
    conn: &mut AnyConnection,
    group_ids: &[&str],
) -> QueryResult<Vec<(String, i64)>> {
    directory_group_members::table
        .filter(directory_group_members::group_id.eq_any(group_ids))
        .group_by(directory_group_members::group_id)
        .select((directory_group_members::group_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Adds users (already known to belong to the group's directory) to a group.
pub fn add_members(
    conn: &mut AnyConnection,
    group: &DirectoryGroup,
    user_ids: &[&str],
    at: Timestamp,
) -> QueryResult<()> {
    for user_id in user_ids {
        diesel::insert_into(directory_group_members::table)
            .values((
                directory_group_members::group_id.eq(group.id.as_str()),
                directory_group_members::user_id.eq(*user_id),
                directory_group_members::directory_id.eq(group.directory_id.as_str()),
                directory_group_members::created_at.eq(at.as_millis()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes users from a group.
pub fn remove_members(
    conn: &mut AnyConnection,
    group: &DirectoryGroup,
    user_ids: &[&str],
) -> QueryResult<()> {
    diesel::delete(
        directory_group_members::table
            .filter(directory_group_members::group_id.eq(group.id.as_str()))
            .filter(directory_group_members::user_id.eq_any(user_ids)),
    )
    .execute(conn)
    .map(drop)
}

/// Which groups a management-API list returns; every filter given must hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupListFilter<'a> {
    /// Only this organization's (an organization-scoped API key).
    pub organization: Option<&'a OrganizationId>,
    /// Only this directory's.
    pub directory: Option<&'a str>,
    /// Only the groups this user belongs to.
    pub user: Option<&'a str>,
}

/// A page of groups across directories, for the management API.
pub fn list_page(
    conn: &mut AnyConnection,
    filter: &GroupListFilter<'_>,
    request: &crate::page::PageRequest,
) -> QueryResult<crate::page::Page<StoredGroup>> {
    let mut query = directory_groups::table
        .select(GroupRow::as_select())
        .into_boxed();
    if let Some(organization) = filter.organization {
        query = query.filter(directory_groups::organization_id.eq(organization.to_string()));
    }
    if let Some(directory) = filter.directory {
        query = query.filter(directory_groups::directory_id.eq(directory.to_owned()));
    }
    if let Some(user) = filter.user {
        let groups = directory_group_members::table
            .filter(directory_group_members::user_id.eq(user.to_owned()))
            .select(directory_group_members::group_id);
        query = query.filter(directory_groups::id.eq_any(groups));
    }
    let page = crate::page::read_page!(
        conn,
        query,
        directory_groups::id,
        request,
        GroupRow,
        |row: &GroupRow| row.id.clone()
    );
    page.try_map(StoredGroup::try_from)
}

/// One group by id, in any directory (of `organization` only, when given).
pub fn find_any(
    conn: &mut AnyConnection,
    id: &str,
    organization: Option<&OrganizationId>,
) -> QueryResult<Option<StoredGroup>> {
    let mut query = directory_groups::table
        .filter(directory_groups::id.eq(id.to_owned()))
        .select(GroupRow::as_select())
        .into_boxed();
    if let Some(organization) = organization {
        query = query.filter(directory_groups::organization_id.eq(organization.to_string()));
    }
    query
        .first(conn)
        .optional()?
        .map(StoredGroup::try_from)
        .transpose()
}

/// The groups each of `users` belongs to, as `(user_id, group)` pairs.
pub fn of_users(
    conn: &mut AnyConnection,
    users: &[&str],
) -> QueryResult<Vec<(String, StoredGroup)>> {
    let rows: Vec<(String, GroupRow)> = directory_group_members::table
        .inner_join(directory_groups::table)
        .filter(directory_group_members::user_id.eq_any(users))
        .order((directory_group_members::user_id, directory_groups::id))
        .select((directory_group_members::user_id, GroupRow::as_select()))
        .load(conn)?;
    rows.into_iter()
        .map(|(user, row)| Ok((user, StoredGroup::try_from(row)?)))
        .collect()
}

/// How many groups each of `directories` has.
pub fn counts_by_directory(
    conn: &mut AnyConnection,
    directories: &[&str],
) -> QueryResult<Vec<(String, i64)>> {
    directory_groups::table
        .filter(directory_groups::directory_id.eq_any(directories))
        .group_by(directory_groups::directory_id)
        .select((directory_groups::directory_id, diesel::dsl::count_star()))
        .load(conn)
}
