//! `/directory_users`: list (by directory, group, email, identity-provider id) and read, each
//! user with its groups (always an array: the Node SDK maps over it).

use actix_web::{HttpResponse, web};
use roster_core::directory_user::{DirectoryGroupWire, DirectoryUserWire};
use roster_store::AnyConnection;
use roster_store::groups;
use roster_store::page::{Order, Page};
use roster_store::users::{self, StoredUser, UserListFilter};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::list::{ListOf, Query, list_response, page_request, param};
use crate::{ApiContext, ApiError, ApiKeyScope};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/directory_users").get(list))
        .service(web::resource("/directory_users/{id}").get(read));
}

/// A directory user with its groups.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DirectoryUserObject {
    #[serde(flatten)]
    user: DirectoryUserWire,
    /// The groups the user belongs to; always an array.
    groups: Vec<DirectoryGroupWire>,
    /// Always null: roles are not mapped.
    #[schema(value_type = Option<Object>)]
    role: Value,
    /// Not a WorkOS key: set when the directory flags users outside the organization's email
    /// domains instead of refusing them.
    email_outside_organization_domains: bool,
}

/// WorkOS's directory-user objects, with their groups, in two queries.
fn render(
    conn: &mut AnyConnection,
    found: &[StoredUser],
) -> Result<Vec<DirectoryUserObject>, ApiError> {
    let ids: Vec<&str> = found.iter().map(|stored| stored.user.id.as_str()).collect();
    let memberships = groups::of_users(conn, &ids)?;
    Ok(found
        .iter()
        .map(|stored| DirectoryUserObject {
            user: stored.user.wire(),
            groups: memberships
                .iter()
                .filter(|(user, _)| user == stored.user.id.as_str())
                .map(|(_, group)| group.group.wire())
                .collect(),
            role: Value::Null,
            email_outside_organization_domains: stored.email_outside_domains,
        })
        .collect())
}

/// List directory users.
#[utoipa::path(
    get,
    path = "/directory_users",
    operation_id = "list_users",
    tag = "directory users",
    params(
        ("directory" = Option<String>, Query, description = "Only this directory's users.", pattern = "^directory_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
        ("group" = Option<String>, Query, description = "Only the members of this group.", pattern = "^directory_group_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
        ("email" = Option<String>, Query, description = "Primary email, case-insensitive.", pattern = r"^[^\x00]*$"),
        ("idp_id" = Option<String>, Query, description = "The identity provider's id.", pattern = r"^[^\x00]*$"),
        crate::list::ListParameters,
    ),
    responses(
        (status = 200, body = ListOf<DirectoryUserObject>),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn list(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query, Order::Desc)?;
    let query = query.into_inner();
    let page = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let filter = UserListFilter {
            organization: scope.organization(),
            directory: param(&query, "directory"),
            group: param(&query, "group"),
            email: param(&query, "email"),
            idp_id: param(&query, "idp_id"),
        };
        let page = users::list_page(&mut conn, &filter, &request)?;
        let items = render(&mut conn, &page.items)?;
        Ok(Page {
            items,
            before: page.before,
            after: page.after,
        })
    })
    .await??;
    Ok(list_response(page))
}

/// Get a directory user.
#[utoipa::path(
    get,
    path = "/directory_users/{id}",
    operation_id = "get_user",
    tag = "directory users",
    params(("id" = String, Path, description = "`directory_user_…`")),
    responses(
        (status = 200, body = DirectoryUserObject),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn read(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let stored = users::find_any(&mut conn, &id, scope.organization())?
            .ok_or_else(|| ApiError::not_found("directory user", &id))?;
        render(&mut conn, std::slice::from_ref(&stored))?
            .pop()
            .ok_or_else(|| ApiError::not_found("directory user", &id))
    })
    .await??;
    Ok(HttpResponse::Ok().json(object))
}
