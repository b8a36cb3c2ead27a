//! Service provider discovery (RFC 7644 §4): what Roster supports, so that generic clients and
//! compliance checkers configure themselves correctly.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::error::SCIM_CONTENT_TYPE;
use crate::{DirectoryScope, ScimContext, ScimError};

/// The largest page a list request may ask for; larger `count`s are reduced to it.
pub const MAX_PAGE_SIZE: u32 = 1000;

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
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
    let base = format!(
        "{}/scim/{}/{}",
        context.public_url,
        scope.directory.directory_type.scim_version().path_segment(),
        scope.directory.id
    );
    scim_json(StatusCode::OK, &service_provider_config_document(&base))
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

/// A SCIM JSON response.
pub(crate) fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(SCIM_CONTENT_TYPE)
        .body(body.to_string())
}
