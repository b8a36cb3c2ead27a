//! `/directory_users`: list (by directory, group, email, identity-provider id) and read, each
//! user with its groups (always an array: the Node SDK maps over it).

use actix_web::{HttpResponse, web};
use roster_store::AnyConnection;
use roster_store::groups;
use roster_store::page::{Order, Page};
use roster_store::users::{self, StoredUser, UserListFilter};
use serde_json::{Value, json};

use crate::list::{Query, list_response, page_request, param};
use crate::{ApiContext, ApiError, ApiKeyScope};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/directory_users").get(list))
        .service(web::resource("/directory_users/{id}").get(read));
}

/// WorkOS's directory-user objects, with their groups, in two queries.
fn render(conn: &mut AnyConnection, found: &[StoredUser]) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<&str> = found.iter().map(|stored| stored.user.id.as_str()).collect();
    let memberships = groups::of_users(conn, &ids)?;
    Ok(found
        .iter()
        .map(|stored| {
            let mut object = stored.user.to_json();
            object["groups"] = memberships
                .iter()
                .filter(|(user, _)| user == stored.user.id.as_str())
                .map(|(_, group)| group.group.to_json())
                .collect();
            object["role"] = json!(null);
            // Not a WorkOS key: set when the directory flags users outside the organization's
            // email domains instead of refusing them.
            object["email_outside_organization_domains"] = json!(stored.email_outside_domains);
            object
        })
        .collect())
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
