//! A directory's users, groups and SCIM request log: searchable, paginated lists and the page
//! of one user or group.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::DirectoryUser;
use roster_store::directories::Directory;
use roster_store::sql::{Fragment, SqlValue, like_escape};
use roster_store::{groups, request_log, users};
use serde::Deserialize;
use serde_json::{Value, json};

use super::directories::{connection_json, find};
use super::organizations::organization_json;
use super::{page, when, when_or_never};
use crate::paging::{Cursor, Numbered, cursor_links};
use crate::session::AdminSession;
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/directories/{id}/users").get(list_users))
        .service(web::resource("/directories/{id}/users/{user}").get(show_user))
        .service(web::resource("/directories/{id}/groups").get(list_groups))
        .service(web::resource("/directories/{id}/groups/{group}").get(show_group))
        .service(web::resource("/directories/{id}/requests").get(requests));
}

#[derive(Deserialize)]
struct Search {
    q: Option<String>,
    page: Option<String>,
}

/// `column LIKE '%needle%'` for each of `columns` (lower-cased key columns), joined by OR.
fn contains_any(alias: &str, columns: &[&str], needle: &str) -> Option<Fragment> {
    let needle = needle.trim().to_lowercase();
    if needle.is_empty() {
        return None;
    }
    let pattern = format!("%{}%", like_escape(&needle));
    let mut fragment = Fragment::new();
    for (index, column) in columns.iter().enumerate() {
        if index > 0 {
            fragment.sql(" OR ");
        }
        fragment
            .sql(&format!("{alias}.{column} LIKE "))
            .bind(SqlValue::Text(pattern.clone()))
            .sql(" ESCAPE '\\'");
    }
    Some(fragment)
}

/// `alias.id` is the `column` of a membership whose `by` column is `id`: a user's groups or a
/// group's members.
fn memberships_of(alias: &str, column: &str, by: &str, id: &str) -> Fragment {
    let mut filter = Fragment::new();
    filter
        .sql(&format!(
            "{alias}.id IN (SELECT m.{column} FROM directory_group_members m WHERE m.{by} = "
        ))
        .bind(SqlValue::Text(id.to_owned()))
        .sql(")");
    filter
}

fn user_row(user: &DirectoryUser) -> Value {
    let profile = &user.profile;
    let name = [profile.first_name.as_deref(), profile.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    json!({
        "id": user.id,
        "name": name,
        "email": profile.email,
        "username": profile.username,
        "state": user.profile.state,
        "updated_at": when(user.updated_at),
    })
}

fn tab_values(
    context: &DashboardContext,
    directory: &Directory,
    organization: &roster_store::organizations::Organization,
    tab: &str,
) -> Value {
    json!({
        "directory": connection_json(&context.public_url, directory),
        "organization": organization_json(organization),
        "tab": tab,
    })
}

async fn list_users(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
    query: web::Query<Search>,
) -> Result<HttpResponse, DashboardError> {
    let (directory, organization) = find(&context, &id).await?;
    let search = query.q.clone().unwrap_or_default();
    let numbered = Numbered::from_query(query.page.as_deref());
    let directory_id = directory.id.clone();
    let needle = search.clone();
    let (total, found) = context
        .run(move |conn| {
            let filter = contains_any(
                "u",
                &["user_name_key", "email_key", "display_name_key"],
                &needle,
            );
            Ok(users::search(
                conn,
                &directory_id,
                filter,
                numbered.offset(),
                crate::paging::PER_PAGE,
            )?)
        })
        .await?;
    let rows: Vec<Value> = found.iter().map(|stored| user_row(&stored.user)).collect();
    let path = format!("/dashboard/directories/{}/users", directory.id);
    let mut values = tab_values(&context, &directory, &organization, "users");
    values["users"] = json!(rows);
    values["q"] = json!(search);
    values["pages"] = numbered.links(total, rows.len(), &path, &[("q", &search)]);
    page(
        &context,
        &request,
        &session,
        "directories/users.html",
        "organizations",
        values,
    )
}

async fn show_user(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    path: web::Path<(String, String)>,
    query: web::Query<Search>,
) -> Result<HttpResponse, DashboardError> {
    let (id, user_id) = path.into_inner();
    let (directory, organization) = find(&context, &id).await?;
    let numbered = Numbered::from_query(query.page.as_deref());
    let directory_id = directory.id.clone();
    let (stored, total, memberships) = context
        .run(move |conn| {
            let stored =
                users::find(conn, &directory_id, &user_id)?.ok_or(DashboardError::NotFound)?;
            let filter = memberships_of("g", "group_id", "user_id", stored.user.id.as_str());
            let (total, memberships) = groups::search(
                conn,
                &directory_id,
                Some(filter),
                numbered.offset(),
                crate::paging::PER_PAGE,
            )?;
            Ok((stored, total, memberships))
        })
        .await?;
    let user = &stored.user;
    let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default();
    let mut values = tab_values(&context, &directory, &organization, "users");
    values["user"] = json!({
        "id": user.id,
        "summary": user_row(user),
        "profile": user.profile,
        "custom_attributes": user.profile.custom_attributes,
        "emails": user.profile.emails,
        "raw": pretty(&user.raw_attributes),
        "json": pretty(&user.to_json()),
        "created_at": when(user.created_at),
        "updated_at": when(user.updated_at),
        "deactivated_at": when_or_never(stored.deactivated_at),
        "email_outside_domains": stored.email_outside_domains,
    });
    values["groups"] = json!(
        memberships
            .iter()
            .map(|stored| json!({"id": stored.group.id, "name": stored.group.name}))
            .collect::<Vec<_>>()
    );
    let path = format!("/dashboard/directories/{}/users/{}", directory.id, user.id);
    values["pages"] = numbered.links(total, memberships.len(), &path, &[]);
    page(
        &context,
        &request,
        &session,
        "directories/user.html",
        "organizations",
        values,
    )
}

async fn list_groups(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
    query: web::Query<Search>,
) -> Result<HttpResponse, DashboardError> {
    let (directory, organization) = find(&context, &id).await?;
    let search = query.q.clone().unwrap_or_default();
    let numbered = Numbered::from_query(query.page.as_deref());
    let directory_id = directory.id.clone();
    let needle = search.clone();
    let (total, found, member_counts) = context
        .run(move |conn| {
            let filter = contains_any("g", &["display_name_key"], &needle);
            let (total, found) = groups::search(
                conn,
                &directory_id,
                filter,
                numbered.offset(),
                crate::paging::PER_PAGE,
            )?;
            let ids: Vec<&str> = found.iter().map(|group| group.group.id.as_str()).collect();
            let members: BTreeMap<String, i64> =
                groups::member_counts(conn, &ids)?.into_iter().collect();
            let counts: Vec<i64> = ids
                .iter()
                .map(|id| members.get(*id).copied().unwrap_or(0))
                .collect();
            Ok((total, found, counts))
        })
        .await?;
    let rows: Vec<Value> = found
        .iter()
        .zip(member_counts)
        .map(|(stored, members)| {
            json!({"id": stored.group.id, "name": stored.group.name, "members": members,
                   "updated_at": when(stored.group.updated_at)})
        })
        .collect();
    let path = format!("/dashboard/directories/{}/groups", directory.id);
    let mut values = tab_values(&context, &directory, &organization, "groups");
    values["groups"] = json!(rows);
    values["q"] = json!(search);
    values["pages"] = numbered.links(total, rows.len(), &path, &[("q", &search)]);
    page(
        &context,
        &request,
        &session,
        "directories/groups.html",
        "organizations",
        values,
    )
}

async fn show_group(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    path: web::Path<(String, String)>,
    query: web::Query<Search>,
) -> Result<HttpResponse, DashboardError> {
    let (id, group_id) = path.into_inner();
    let (directory, organization) = find(&context, &id).await?;
    let numbered = Numbered::from_query(query.page.as_deref());
    let directory_id = directory.id.clone();
    let (stored, total, members) = context
        .run(move |conn| {
            let stored =
                groups::find(conn, &directory_id, &group_id)?.ok_or(DashboardError::NotFound)?;
            let filter = memberships_of("u", "user_id", "group_id", stored.group.id.as_str());
            let (total, members) = users::search(
                conn,
                &directory_id,
                Some(filter),
                numbered.offset(),
                crate::paging::PER_PAGE,
            )?;
            Ok((stored, total, members))
        })
        .await?;
    let rows: Vec<Value> = members
        .iter()
        .map(|member| user_row(&member.user))
        .collect();
    let path = format!(
        "/dashboard/directories/{}/groups/{}",
        directory.id, stored.group.id
    );
    let mut values = tab_values(&context, &directory, &organization, "groups");
    values["group"] = json!({
        "id": stored.group.id,
        "name": stored.group.name,
        "raw": serde_json::to_string_pretty(&stored.group.raw_attributes).unwrap_or_default(),
        "created_at": when(stored.group.created_at),
        "updated_at": when(stored.group.updated_at),
    });
    values["members"] = json!(rows);
    values["pages"] = numbered.links(total, rows.len(), &path, &[]);
    page(
        &context,
        &request,
        &session,
        "directories/group.html",
        "organizations",
        values,
    )
}

#[derive(Deserialize)]
struct RequestQuery {
    status: Option<String>,
    #[serde(flatten)]
    cursor: Cursor,
}

async fn requests(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
    query: web::Query<RequestQuery>,
) -> Result<HttpResponse, DashboardError> {
    let (directory, organization) = find(&context, &id).await?;
    let status_text = query.status.clone().unwrap_or_default();
    let status = status_text.trim().parse::<i64>().ok();
    let page_request = query.cursor.request();
    let directory_id = directory.id.clone();
    let found = context
        .run(move |conn| {
            Ok(request_log::list_page(
                conn,
                &directory_id,
                status,
                &page_request,
            )?)
        })
        .await?;
    let rows: Vec<Value> = found
        .items
        .iter()
        .map(|entry| {
            json!({
                "method": entry.method,
                "path": entry.path,
                "status": entry.status,
                "duration_ms": entry.duration_ms,
                "body": entry.request_body.as_deref().map(|body| {
                    serde_json::from_str::<Value>(body)
                        .ok()
                        .and_then(|value| serde_json::to_string_pretty(&value).ok())
                        .unwrap_or_else(|| body.to_owned())
                }),
                "at": when(roster_core::Timestamp::from_millis(entry.created_at)),
            })
        })
        .collect();
    let path = format!("/dashboard/directories/{}/requests", directory.id);
    let filters = status.map(|status| status.to_string()).unwrap_or_default();
    let mut values = tab_values(&context, &directory, &organization, "requests");
    values["requests"] = json!(rows);
    values["status"] = json!(filters);
    values["pages"] = cursor_links(&found, &path, &[("status", &filters)]);
    page(
        &context,
        &request,
        &session,
        "directories/requests.html",
        "organizations",
        values,
    )
}
