//! `/directories`: list, read, delete.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use actix_web::{HttpResponse, web};
use roster_store::directories::{self, Directory, DirectoryListFilter};
use roster_store::page::Order;
use roster_store::{AnyConnection, groups, organizations, users};
use serde_json::{Value, json};

use crate::list::{Query, list_response, page_request, param};
use crate::{ApiContext, ApiError, ApiKeyScope};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/directories").get(list))
        .service(web::resource("/directories/{id}").get(read).delete(remove));
}

/// WorkOS's directory objects for `found`, with user and group counts, in a fixed number of
/// queries whatever the page size.
fn render(
    conn: &mut AnyConnection,
    found: &[Directory],
    public_url: &str,
) -> Result<Vec<Value>, ApiError> {
    let ids: Vec<&str> = found
        .iter()
        .map(|directory| directory.id.as_str())
        .collect();
    let mut user_counts: BTreeMap<(String, bool), i64> = BTreeMap::new();
    for (directory, active, count) in users::counts_by_directory(conn, &ids)? {
        user_counts.insert((directory, active), count);
    }
    let group_counts: BTreeMap<String, i64> = groups::counts_by_directory(conn, &ids)?
        .into_iter()
        .collect();
    let mut domains: BTreeMap<String, Option<String>> = BTreeMap::new();
    for directory in found {
        if let Entry::Vacant(slot) = domains.entry(directory.organization_id.to_string()) {
            let first =
                organizations::find(conn, &directory.organization_id)?.and_then(|organization| {
                    organization
                        .domains
                        .first()
                        .map(|domain| domain.to_string())
                });
            slot.insert(first);
        }
    }
    Ok(found
        .iter()
        .map(|directory| {
            let id = directory.id.to_string();
            let count = |active| user_counts.get(&(id.clone(), active)).copied().unwrap_or(0);
            json!({
                "object": "directory",
                "id": directory.id,
                "organization_id": directory.organization_id,
                "external_key": directory.external_key,
                "type": directory.directory_type,
                "state": directory.state,
                "name": directory.name,
                "domain": domains.get(directory.organization_id.as_str()).cloned().flatten(),
                "scim_base_url": format!(
                    "{public_url}/scim/{}/{}",
                    directory.directory_type.scim_version().path_segment(),
                    directory.id
                ),
                // Not a WorkOS key: load users and groups, then follow events from this point.
                "last_event_sequence": directory.last_event_sequence,
                "created_at": directory.created_at.to_rfc3339(),
                "updated_at": directory.updated_at.to_rfc3339(),
                "metadata": {
                    "users": {"active": count(true), "inactive": count(false)},
                    "groups": group_counts.get(&id).copied().unwrap_or(0),
                },
            })
        })
        .collect())
}

async fn list(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let request = page_request(&query, Order::Desc)?;
    let requested = param(&query, "organization_id").map(str::to_owned);
    // A key limited to one organization lists only that one's, whatever it asks for.
    let organization = match (scope.organization(), requested) {
        (Some(own), Some(asked)) if own.as_str() != asked => {
            return Ok(list_response(roster_store::page::Page {
                items: Vec::<serde_json::Value>::new(),
                before: None,
                after: None,
            }));
        }
        (Some(own), _) => Some(own.to_string()),
        (None, asked) => asked,
    };
    let search = param(&query, "search").map(str::to_owned);
    let domain = param(&query, "domain").map(str::to_owned);
    let page = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let filter = DirectoryListFilter {
            organization: organization.as_deref(),
            search: search.as_deref(),
            domain: domain.as_deref(),
        };
        let page = directories::list_page(&mut conn, &filter, &request)?;
        let items = render(&mut conn, &page.items, &context.public_url)?;
        Ok(roster_store::page::Page {
            items,
            before: page.before,
            after: page.after,
        })
    })
    .await??;
    Ok(list_response(page))
}

fn find_visible(
    conn: &mut AnyConnection,
    scope: &ApiKeyScope,
    id: &str,
) -> Result<Directory, ApiError> {
    roster_core::DirectoryId::parse(id)
        .ok()
        .map(|parsed| directories::find(conn, &parsed))
        .transpose()?
        .flatten()
        .filter(|directory| scope.sees(&directory.organization_id))
        .ok_or_else(|| ApiError::not_found("directory", id))
}

async fn read(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let object = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let directory = find_visible(&mut conn, &scope, &id)?;
        let mut rendered = render(
            &mut conn,
            std::slice::from_ref(&directory),
            &context.public_url,
        )?;
        rendered
            .pop()
            .ok_or_else(|| ApiError::not_found("directory", &id))
    })
    .await??;
    Ok(HttpResponse::Ok().json(object))
}

async fn remove(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    scope.require_write()?;
    let id = id.into_inner();
    web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let directory = find_visible(&mut conn, &scope, &id)?;
        directories::delete(&mut conn, &directory.id)?;
        Ok(())
    })
    .await??;
    Ok(HttpResponse::Accepted().finish())
}
