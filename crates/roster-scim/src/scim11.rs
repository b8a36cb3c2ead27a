//! SCIM 1.1, as Okta's "SCIM 1.1 Header Auth" template apps speak it: the same endpoints and
//! storage as 2.0, with 1.0 schema URNs, `application/json`, and 1.1's error shape
//! (`{"Errors":[{"description":…,"code":…}]}`). Responses are translated on the way out, so
//! every handler serves both versions.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use serde_json::{Map, Value, json};

use crate::resources::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

/// The SCIM 1.1 core schema URN.
pub const CORE_1_0: &str = "urn:scim:schemas:core:1.0";
/// The SCIM 1.1 enterprise extension URN.
pub const ENTERPRISE_1_0: &str = "urn:scim:schemas:extension:enterprise:1.0";

const ERROR_2_0: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_2_0: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Middleware for the `/scim/v1.1/…` scope.
pub(crate) async fn translate_responses(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(request).await?;
    let (request, response) = response.into_parts();
    let (mut head, payload) = response.into_parts();
    let bytes = body::to_bytes(payload)
        .await
        .map_err(|error| actix_web::error::ErrorInternalServerError(error.into()))?;
    let translated = match serde_json::from_slice::<Value>(&bytes) {
        Ok(document) => {
            head.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            to_scim11(document).to_string().into_bytes()
        }
        Err(_) => bytes.to_vec(),
    };
    Ok(ServiceResponse::new(
        request,
        head.set_body(BoxBody::new(translated)),
    ))
}

/// Rewrites a SCIM 2.0 document into its SCIM 1.1 form.
pub fn to_scim11(document: Value) -> Value {
    let is_error = document["schemas"]
        .as_array()
        .is_some_and(|schemas| schemas.iter().any(|urn| urn == ERROR_2_0));
    if is_error {
        let code = document["status"]
            .as_str()
            .and_then(|status| status.parse::<u16>().ok());
        return json!({"Errors": [{"description": document["detail"], "code": code}]});
    }
    rename_schemas(document)
}

fn rename_schemas(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut output = Map::new();
            for (key, value) in fields {
                if key == "schemas" {
                    output.insert(key, translate_urns(value));
                } else if key == ENTERPRISE_USER_SCHEMA {
                    output.insert(ENTERPRISE_1_0.to_owned(), value);
                } else {
                    output.insert(key, rename_schemas(value));
                }
            }
            Value::Object(output)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(rename_schemas).collect()),
        other => other,
    }
}

fn translate_urns(schemas: Value) -> Value {
    let Value::Array(urns) = schemas else {
        return schemas;
    };
    let mut output: Vec<Value> = Vec::new();
    for urn in urns {
        let translated = match urn.as_str() {
            Some(USER_SCHEMA | GROUP_SCHEMA | LIST_2_0) => json!(CORE_1_0),
            Some(ENTERPRISE_USER_SCHEMA) => json!(ENTERPRISE_1_0),
            _ => urn,
        };
        if !output.contains(&translated) {
            output.push(translated);
        }
    }
    Value::Array(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_take_the_one_one_shape() {
        let error = json!({"schemas": [ERROR_2_0], "status": "409", "detail": "taken", "scimType": "uniqueness"});
        assert_eq!(
            to_scim11(error),
            json!({"Errors": [{"description": "taken", "code": 409}]})
        );
    }

    #[test]
    fn lists_and_resources_carry_one_zero_urns() {
        let list = json!({
            "schemas": [LIST_2_0], "totalResults": 1,
            "Resources": [{"schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], "userName": "a", ENTERPRISE_USER_SCHEMA: {"department": "X"}}]
        });
        assert_eq!(
            to_scim11(list),
            json!({
                "schemas": [CORE_1_0], "totalResults": 1,
                "Resources": [{"schemas": [CORE_1_0, ENTERPRISE_1_0], "userName": "a", ENTERPRISE_1_0: {"department": "X"}}]
            })
        );
    }
}
