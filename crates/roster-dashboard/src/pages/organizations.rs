//! Organizations: the searchable list and the page of one organization with its
//! directories. Creating, editing and deleting one is in `organization_form`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use roster_core::{Domain, OrganizationId};
use roster_store::directories::{self, Directory, DirectoryListFilter};
use roster_store::organizations::{self, Organization, OrganizationListFilter};
use roster_store::page::{Page, PageRequest};
use roster_store::{AnyConnection, QueryResult, groups, health, portal_links, users};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{page, when, when_or_never};
use crate::paging::{Cursor, cursor_links};
use crate::session::AdminSession;
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    // `/organizations/new` (in the form's module) before `/organizations/{id}`.
    config
        .service(
            web::resource("/organizations")
                .get(list)
                .post(super::organization_form::create),
        )
        .configure(super::organization_form::configure)
        .service(web::resource("/organizations/{id}").get(show));
}

pub(super) fn organization_json(organization: &Organization) -> Value {
    json!({
        "id": organization.id,
        "name": organization.name,
        "external_id": organization.external_id,
        "domains": organization.domains.iter().map(Domain::as_str).collect::<Vec<_>>(),
        "created_at": when(organization.created_at),
    })
}

/// Directories with their user and group counts and whether they went silent, in a fixed
/// number of queries.
/// A page of `organization`'s directories, newest first.
pub(crate) fn directories_page(
    conn: &mut AnyConnection,
    organization: &OrganizationId,
    request: &PageRequest,
) -> QueryResult<Page<Directory>> {
    directories::list_page(
        conn,
        &DirectoryListFilter {
            organization: Some(organization.as_str()),
            ..DirectoryListFilter::default()
        },
        request,
    )
}

pub(super) fn directories_json(
    conn: &mut AnyConnection,
    found: &[Directory],
) -> Result<Vec<Value>, DashboardError> {
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
    let health = health::for_directories(conn, &ids)?;
    Ok(found
        .iter()
        .map(|directory| {
            let id = directory.id.to_string();
            let count = |active| user_counts.get(&(id.clone(), active)).copied().unwrap_or(0);
            json!({
                "id": directory.id,
                "name": directory.name,
                "provider": crate::providers::guide(directory.directory_type)["name"],
                "state": directory.state.as_str(),
                "last_request_at": when_or_never(directory.last_request_at),
                "users": count(true),
                "inactive_users": count(false),
                "groups": group_counts.get(&id).copied().unwrap_or(0),
                "silent_since": health
                    .get(&id)
                    .and_then(|health| health.silent_since)
                    .map(when),
            })
        })
        .collect())
}

pub(super) fn parse_organization(id: &str) -> Result<OrganizationId, DashboardError> {
    OrganizationId::parse(id).map_err(|_| DashboardError::NotFound)
}

/// Silent directories named on the landing page; the notice counts the others.
const SILENT_LISTED: usize = 10;

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    #[serde(flatten)]
    cursor: Cursor,
}

async fn list(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, DashboardError> {
    let search = query.q.clone().unwrap_or_default().trim().to_owned();
    let page_request = query.cursor.request();
    // A search that is a domain finds the organization owning it; anything else, names.
    let domain = search
        .contains('.')
        .then(|| Domain::parse(&search).ok())
        .flatten();
    let needle = search.clone();
    let (found, shown, (silent, silent_count)) = context
        .run(move |conn| {
            let domains: Vec<Domain> = domain.into_iter().collect();
            let filter = OrganizationListFilter {
                search: (domains.is_empty() && !needle.is_empty()).then_some(needle.as_str()),
                domains: &domains,
                ..OrganizationListFilter::default()
            };
            let found = organizations::list_page(conn, &filter, &page_request)?;
            let silent = crate::alerts::silent_directories(conn, SILENT_LISTED)?;
            let ids: Vec<&str> = found.items.iter().map(|found| found.id.as_str()).collect();
            let counts: BTreeMap<String, i64> = directories::counts_by_organization(conn, &ids)?
                .into_iter()
                .collect();
            let shown: Vec<Value> = found
                .items
                .iter()
                .map(|organization| {
                    let mut value = organization_json(organization);
                    value["directories"] =
                        json!(counts.get(organization.id.as_str()).copied().unwrap_or(0));
                    value
                })
                .collect();
            Ok((found, shown, silent))
        })
        .await?;
    let pages = cursor_links(&found, "/dashboard/organizations", &[("q", &search)]);
    page(
        &context,
        &request,
        &session,
        "organizations/list.html",
        "organizations",
        json!({
            "organizations": shown,
            "q": search,
            "pages": pages,
            "silent_more": silent_count.saturating_sub(silent.len()),
            "silent": silent,
            "silent_count": silent_count,
        }),
    )
}

pub(super) async fn find(
    context: &DashboardContext,
    id: &str,
) -> Result<Organization, DashboardError> {
    let id = parse_organization(id)?;
    context
        .run(move |conn| Ok(organizations::find(conn, &id)?))
        .await?
        .ok_or(DashboardError::NotFound)
}

async fn show(
    context: web::Data<DashboardContext>,
    request: HttpRequest,
    session: AdminSession,
    id: web::Path<String>,
    query: web::Query<Cursor>,
) -> Result<HttpResponse, DashboardError> {
    let organization = find(&context, &id).await?;
    let organization_id = organization.id.clone();
    let page_request = query.request();
    let (listed, pages, links) = context
        .run(move |conn| {
            let found = directories_page(conn, &organization_id, &page_request)?;
            let listed = directories_json(conn, &found.items)?;
            let pages = cursor_links(
                &found,
                &format!("/dashboard/organizations/{organization_id}"),
                &[],
            );
            let links = portal_links::list_for_organization(conn, &organization_id, 5)?;
            Ok((listed, pages, links))
        })
        .await?;
    let now = context.now();
    let links: Vec<Value> = links
        .iter()
        .map(|link| {
            let status = match link.used_at {
                Some(used) => format!("opened {}", when(used)),
                None if link.expires_at <= now => "expired".to_owned(),
                None => format!("open until {}", when(link.expires_at)),
            };
            json!({"created_by": link.created_by, "created_at": when(link.created_at), "status": status})
        })
        .collect();
    page(
        &context,
        &request,
        &session,
        "organizations/show.html",
        "organizations",
        json!({
            "organization": organization_json(&organization),
            "directories": listed,
            "pages": pages,
            "links": links,
        }),
    )
}
