//! `/directory_groups`: list (by directory, or the groups of a user) and read.

use actix_web::{HttpResponse, web};
use roster_core::directory_user::DirectoryGroupWire;
use roster_store::groups::{self, GroupListFilter};
use roster_store::page::Order;

use crate::list::{ListOf, Query, list_response, page_request, param};
use crate::{ApiContext, ApiError, ApiKeyScope};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/directory_groups").get(list))
        .service(web::resource("/directory_groups/{id}").get(read));
}

/// List directory groups.
#[utoipa::path(
    get,
    path = "/directory_groups",
    operation_id = "list_groups",
    tag = "directory groups",
    params(
        ("directory" = Option<String>, Query, description = "Only this directory's groups.", pattern = "^directory_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
        ("user" = Option<String>, Query, description = "Only the groups this user belongs to.", pattern = "^directory_user_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
        crate::list::ListParameters,
    ),
    responses(
        (status = 200, body = ListOf<DirectoryGroupWire>),
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
        let filter = GroupListFilter {
            organization: scope.organization(),
            directory: param(&query, "directory"),
            user: param(&query, "user"),
        };
        let page = groups::list_page(&mut conn, &filter, &request)?;
        Ok(page.map(|stored| stored.group.wire()))
    })
    .await??;
    Ok(list_response(page))
}

/// Get a directory group.
#[utoipa::path(
    get,
    path = "/directory_groups/{id}",
    operation_id = "get_group",
    tag = "directory groups",
    params(("id" = String, Path, description = "`directory_group_…`")),
    responses(
        (status = 200, body = DirectoryGroupWire),
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
        groups::find_any(&mut conn, &id, scope.organization())?
            .map(|stored| stored.group.wire())
            .ok_or_else(|| ApiError::not_found("directory group", &id))
    })
    .await??;
    Ok(HttpResponse::Ok().json(object))
}
