//! `/Groups`: thin handlers over the transactional changes in `changes`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use roster_scim_engine::patch;
use roster_store::AnyConnection;
use roster_store::groups::{self, StoredGroup};
use serde_json::Value;

use crate::body::{check_if_match, if_match, json_response, parse_json, resource_response};
use crate::changes::{self, write};
use crate::filter_sql::{self, Table};
use crate::list::{ListParams, Projection, list_response};
use crate::resources::group::{GROUP, ValidGroup, document_with_members, representation};
use crate::resources::schema::GROUP_SCHEMA;
use crate::{DirectoryScope, ScimContext, ScimError};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/Groups").get(list).post(create))
        .service(web::resource("/Groups/.search").post(search))
        .service(
            web::resource("/Groups/{group_id}")
                .get(read)
                .put(replace)
                .patch(modify)
                .delete(remove),
        );
}

fn load(
    conn: &mut AnyConnection,
    scope: &DirectoryScope,
    id: &str,
) -> Result<(StoredGroup, Vec<String>), ScimError> {
    let stored = groups::find(conn, &scope.directory.id, id)?
        .ok_or_else(|| ScimError::not_found(format!("Group {id} not found.")))?;
    let members = groups::members_of(conn, &[id])?
        .into_iter()
        .map(|(_, user_id)| user_id)
        .collect();
    Ok((stored, members))
}

fn member_refs(members: &[String]) -> Vec<&str> {
    members.iter().map(String::as_str).collect()
}

async fn create(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    let group = ValidGroup::from_request(parse_json(&body)?)?;
    let base = context.base_url(&scope.directory);
    let context = context.clone();
    let (stored, members) = web::block(move || {
        write(&context, &scope.directory, |conn| {
            changes::create_group(conn, &scope.directory, group)
        })
    })
    .await??;
    let resource = representation(&stored, Some(&member_refs(&members)), &base);
    let location = resource["meta"]["location"].as_str().map(str::to_owned);
    Ok(resource_response(
        StatusCode::CREATED,
        &resource,
        stored.version,
        location.as_deref(),
    ))
}

async fn read(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    id: web::Path<(String, String)>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ScimError> {
    let (_, id) = id.into_inner();
    let projection = Projection::from_query(&query);
    let with_members = projection.wants("members");
    let base = context.base_url(&scope.directory);
    let store = context.store.clone();
    let (stored, members) = web::block(move || -> Result<_, ScimError> {
        let mut conn = store.connection()?;
        if with_members {
            return load(&mut conn, &scope, &id);
        }
        let stored = groups::find(&mut conn, &scope.directory.id, &id)?
            .ok_or_else(|| ScimError::not_found(format!("Group {id} not found.")))?;
        Ok((stored, Vec::new()))
    })
    .await??;
    let refs = member_refs(&members);
    let resource = representation(&stored, with_members.then_some(refs.as_slice()), &base);
    Ok(resource_response(
        StatusCode::OK,
        &projection.apply(resource, GROUP_SCHEMA),
        stored.version,
        None,
    ))
}

async fn list(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ScimError> {
    run_list(scope, context, ListParams::from_query(&query)?).await
}

async fn search(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    run_list(
        scope,
        context,
        ListParams::from_search_body(&parse_json(&body)?)?,
    )
    .await
}

async fn run_list(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    params: ListParams,
) -> Result<HttpResponse, ScimError> {
    let base = context.base_url(&scope.directory);
    let store = context.store.clone();
    let condition = params
        .filter
        .as_ref()
        .map(|filter| filter_sql::translate(filter, Table::Groups, store.backend()))
        .transpose()?;
    let with_members = params.projection.wants("members");
    let (total, resources) = web::block(move || -> Result<_, ScimError> {
        let mut conn = store.connection()?;
        let (total, page) = groups::search(
            &mut conn,
            &scope.directory.id,
            condition,
            params.start_index - 1,
            params.count,
        )?;
        let ids: Vec<&str> = page.iter().map(|stored| stored.group.id.as_str()).collect();
        let memberships = if with_members {
            groups::members_of(&mut conn, &ids)?
        } else {
            Vec::new()
        };
        let resources = page
            .iter()
            .map(|stored| {
                let members: Vec<&str> = memberships
                    .iter()
                    .filter(|(group_id, _)| group_id == stored.group.id.as_str())
                    .map(|(_, user_id)| user_id.as_str())
                    .collect();
                let resource =
                    representation(stored, with_members.then_some(members.as_slice()), &base);
                params.projection.apply(resource, GROUP_SCHEMA)
            })
            .collect::<Vec<_>>();
        Ok((total, resources))
    })
    .await??;
    Ok(json_response(
        StatusCode::OK,
        &list_response(total, params.start_index, resources),
    ))
}

async fn replace(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    request: HttpRequest,
    id: web::Path<(String, String)>,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    let (_, id) = id.into_inner();
    let group = ValidGroup::from_request(parse_json(&body)?)?;
    let base = context.base_url(&scope.directory);
    let (stored, members) = update(&scope, &context, &request, id, move |_, _| Ok(group)).await?;
    let resource = representation(&stored, Some(&member_refs(&members)), &base);
    Ok(resource_response(
        StatusCode::OK,
        &resource,
        stored.version,
        None,
    ))
}

/// Answers 204: Entra requires it for groups, Okta accepts it, and a 10,000-member group is not
/// worth sending back after every membership change.
async fn modify(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    request: HttpRequest,
    id: web::Path<(String, String)>,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    let (_, id) = id.into_inner();
    let operations = parse_json(&body)?;
    let scim11 = scope.directory.directory_type.scim_version() == roster_core::ScimVersion::V1_1;
    update(&scope, &context, &request, id, move |stored, members| {
        let mut document = Value::Object(document_with_members(stored, members));
        if scim11 {
            patch::apply_scim11_partial(&mut document, &operations, &GROUP)
        } else {
            patch::apply_request(&mut document, &operations, &GROUP)
        }
        .map_err(ScimError::from)?;
        ValidGroup::from_request(document)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn update(
    scope: &DirectoryScope,
    context: &web::Data<ScimContext>,
    request: &HttpRequest,
    id: String,
    change: impl FnOnce(&StoredGroup, &[String]) -> Result<ValidGroup, ScimError> + Send + 'static,
) -> Result<(StoredGroup, Vec<String>), ScimError> {
    let context = context.clone();
    let scope = scope.clone();
    let if_match = if_match(request);
    web::block(move || {
        write(&context, &scope.directory, |conn| {
            let (previous, members) = load(conn, &scope, &id)?;
            check_if_match(if_match.as_deref(), previous.version)?;
            let group = change(&previous, &members)?;
            changes::update_group(conn, &scope.directory, previous, &members, group)
        })
    })
    .await?
}

async fn remove(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    request: HttpRequest,
    id: web::Path<(String, String)>,
) -> Result<HttpResponse, ScimError> {
    let (_, id) = id.into_inner();
    let context = context.clone();
    let if_match = if_match(&request);
    web::block(move || {
        write(&context, &scope.directory, |conn| {
            let (stored, _) = load(conn, &scope, &id)?;
            check_if_match(if_match.as_deref(), stored.version)?;
            changes::delete_group(conn, &scope.directory, &stored)
        })
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}
