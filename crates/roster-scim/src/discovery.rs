//! Service provider discovery (RFC 7644 §4): what Roster supports, so that generic clients and
//! compliance checkers configure themselves correctly.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::list::list_response;
use crate::resources::schema::{resource_type_documents, schema_documents};
use crate::{DirectoryScope, ScimContext, ScimError};

/// The largest page a list request may ask for; larger `count`s are reduced to it.
pub const MAX_PAGE_SIZE: u32 = 1000;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/Schemas").get(schemas).to(read_only))
        .service(web::resource("/Schemas/{id}").get(schema).to(read_only))
        .service(
            web::resource("/ResourceTypes")
                .get(resource_types)
                .to(read_only),
        )
        .service(
            web::resource("/ResourceTypes/{id}")
                .get(resource_type)
                .to(read_only),
        )
        .service(
            web::resource("/ServiceProviderConfig")
                .get(service_provider_config)
                .to(read_only),
        )
        // SCIM 1.1 clients (Okta's header-auth apps) ask for the plural.
        .service(
            web::resource("/ServiceProviderConfigs")
                .get(service_provider_config)
                .to(read_only),
        );
}

async fn service_provider_config(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
) -> HttpResponse {
    let base = context.base_url(&scope.directory);
    scim_json(StatusCode::OK, &service_provider_config_document(&base))
}

async fn schemas(scope: DirectoryScope, context: web::Data<ScimContext>) -> HttpResponse {
    all(schema_documents(&context.base_url(&scope.directory)))
}

async fn schema(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ScimError> {
    let (_, id) = path.into_inner();
    one(
        schema_documents(&context.base_url(&scope.directory)),
        &id,
        "schema",
    )
}

async fn resource_types(scope: DirectoryScope, context: web::Data<ScimContext>) -> HttpResponse {
    all(resource_type_documents(&context.base_url(&scope.directory)))
}

async fn resource_type(
    scope: DirectoryScope,
    context: web::Data<ScimContext>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ScimError> {
    let (_, id) = path.into_inner();
    one(
        resource_type_documents(&context.base_url(&scope.directory)),
        &id,
        "resource type",
    )
}

fn all(documents: Vec<Value>) -> HttpResponse {
    let total = i64::try_from(documents.len()).unwrap_or(i64::MAX);
    scim_json(StatusCode::OK, &list_response(total, 1, documents))
}

/// The document whose `id` is `id` (ignoring case: schema URNs are case-insensitive).
fn one(documents: Vec<Value>, id: &str, kind: &str) -> Result<HttpResponse, ScimError> {
    documents
        .into_iter()
        .find(|document| {
            document["id"]
                .as_str()
                .is_some_and(|known| known.eq_ignore_ascii_case(id))
        })
        .map(|document| scim_json(StatusCode::OK, &document))
        .ok_or_else(|| ScimError::not_found(format!("No {kind} has the id {id}.")))
}

fn service_provider_config_document(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/roster-dev/roster/blob/main/docs/guides/it-admin.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_PAGE_SIZE},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "The directory's bearer token, sent as `Authorization: Bearer <token>`.",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig")
        }
    })
}

/// Discovery resources are read-only (RFC 7644 §4).
async fn read_only(_scope: DirectoryScope) -> Result<HttpResponse, ScimError> {
    Err(ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Discovery endpoints are read-only; only GET is allowed.",
    ))
}

fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    crate::body::json_response(status, body)
}
