//! `/Users`: thin handlers that extract, run one change in a transaction, and shape the answer.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use roster_scim_engine::patch;
use roster_store::AnyConnection;
use roster_store::users::{self, GroupRef, StoredUser};
use serde_json::Value;

use crate::body::{check_if_match, if_match, json_response, parse_json, resource_response};
use crate::changes::{self, write};
use crate::filter_sql::{self, Table};
use crate::list::{ListParams, Projection, list_response};
use crate::resources::schema::USER_SCHEMA;
use crate::resources::user::{USER, ValidUser, representation};
use crate::{DirectoryScope, ScimContext, ScimError};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/Users").get(list).post(create))
        .service(web::resource("/Users/.search").post(search))
        .service(
            web::resource("/Users/{user_id}")
                .get(read)
                .put(replace)
                .patch(modify)
                .delete(remove),
        );
}

fn not_found(id: &str) -> ScimError {
    ScimError::not_found(format!("User {id} not found."))
}

fn load(
    conn: &mut AnyConnection,
    scope: &DirectoryScope,
    id: &str,
) -> Result<StoredUser, ScimError> {
    users::find(conn, &scope.directory.id, id)?.ok_or_else(|| not_found(id))
}

/// The user's SCIM representation with its groups, read in the same transaction.
fn represent(
    conn: &mut AnyConnection,
    stored: &StoredUser,
    base: &str,
) -> Result<Value, ScimError> {
    let groups = users::groups_of(conn, &[stored.user.id.as_str()])?;
    Ok(representation(
        stored,
        &groups.iter().collect::<Vec<_>>(),
        base,
    ))
}

async fn create(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    let user = ValidUser::from_request(parse_json(&body)?)?;
    let base = context.base_url(&scope.directory);
    let context = context.clone();
    let (stored, resource) = web::block(move || {
        write(&context, &scope.directory, |conn| {
            let stored = changes::create_user(conn, &scope.directory, user)?;
            // A user made just now, under a fresh id, is in no group yet.
            let resource = representation(&stored, &[], &base);
            Ok((stored, resource))
        })
    })
    .await??;
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
    let base = context.base_url(&scope.directory);
    let store = context.store.clone();
    let (stored, resource) = web::block(move || -> Result<_, ScimError> {
        let mut conn = store.connection()?;
        let stored = load(&mut conn, &scope, &id)?;
        let resource = represent(&mut conn, &stored, &base)?;
        Ok((stored, resource))
    })
    .await??;
    let resource = Projection::from_query(&query).apply(resource, USER_SCHEMA);
    Ok(resource_response(
        StatusCode::OK,
        &resource,
        stored.version,
        None,
    ))
}

async fn list(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ScimError> {
    let params = ListParams::from_query(&query)?;
    run_list(scope, context, params).await
}

async fn search(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    body: Bytes,
) -> Result<HttpResponse, ScimError> {
    let params = ListParams::from_search_body(&parse_json(&body)?)?;
    run_list(scope, context, params).await
}

async fn run_list(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    params: ListParams,
) -> Result<HttpResponse, ScimError> {
    let base = context.base_url(&scope.directory);
    let store = context.store.clone();
    let backend = store.backend();
    let condition = params
        .filter
        .as_ref()
        .map(|filter| filter_sql::translate(filter, Table::Users, backend))
        .transpose()?;
    let with_groups = params.projection.wants("groups");
    let (total, resources) = web::block(move || -> Result<_, ScimError> {
        let mut conn = store.connection()?;
        let (total, page) = users::search(
            &mut conn,
            &scope.directory.id,
            condition,
            params.start_index - 1,
            params.count,
        )?;
        let ids: Vec<&str> = page.iter().map(|stored| stored.user.id.as_str()).collect();
        let memberships = if with_groups {
            users::groups_of(&mut conn, &ids)?
        } else {
            Vec::new()
        };
        let resources = page
            .iter()
            .map(|stored| {
                let groups: Vec<&GroupRef> = memberships
                    .iter()
                    .filter(|group| group.user_id == stored.user.id.as_str())
                    .collect();
                params
                    .projection
                    .apply(representation(stored, &groups, &base), USER_SCHEMA)
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
    let user = ValidUser::from_request(parse_json(&body)?)?;
    update(scope, context, request, id, move |_| Ok(user)).await
}

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
    update(scope, context, request, id, move |stored| {
        let mut document = stored.user.raw_attributes.clone();
        if scim11 {
            patch::apply_scim11_partial(&mut document, &operations, &USER)
        } else {
            patch::apply_request(&mut document, &operations, &USER)
        }
        .map_err(ScimError::from)?;
        ValidUser::from_request(document)
    })
    .await
}

/// Reads the user, checks `If-Match`, builds its new document with `change`, and stores it.
async fn update(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    request: HttpRequest,
    id: String,
    change: impl FnOnce(&StoredUser) -> Result<ValidUser, ScimError> + Send + 'static,
) -> Result<HttpResponse, ScimError> {
    let base = context.base_url(&scope.directory);
    let context = context.clone();
    let if_match = if_match(&request);
    let (stored, resource) = web::block(move || {
        write(&context, &scope.directory, |conn| {
            let previous = load(conn, &scope, &id)?;
            check_if_match(if_match.as_deref(), previous.version)?;
            let user = change(&previous)?;
            let stored = changes::update_user(conn, &scope.directory, previous, user)?;
            let resource = represent(conn, &stored, &base)?;
            Ok((stored, resource))
        })
    })
    .await??;
    Ok(resource_response(
        StatusCode::OK,
        &resource,
        stored.version,
        None,
    ))
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
            let stored = load(conn, &scope, &id)?;
            check_if_match(if_match.as_deref(), stored.version)?;
            changes::delete_user(conn, &scope.directory, &stored)
        })
    })
    .await??;
    Ok(HttpResponse::NoContent().finish())
}
