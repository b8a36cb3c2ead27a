//! `/directory_groups`: list (by directory, or the groups of a user) and read.

use actix_web::{HttpResponse, web};
use roster_store::groups::{self, GroupListFilter};
use roster_store::page::{Order, Page};

use crate::list::{Query, list_response, page_request, param};
use crate::{ApiContext, ApiError, ApiKeyScope};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/directory_groups").get(list))
        .service(web::resource("/directory_groups/{id}").get(read));
}

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
        Ok(Page {
            items: page
                .items
                .iter()
                .map(|stored| stored.group.to_json())
                .collect(),
            before: page.before,
            after: page.after,
        })
    })
    .await??;
    Ok(list_response(page))
}

async fn read(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        groups::find_any(&mut conn, &id, scope.organization())?
            .map(|stored| stored.group.to_json())
            .ok_or_else(|| ApiError::not_found("directory group", &id))
    })
    .await??;
    Ok(HttpResponse::Ok().json(object))
}
