//! Any bytes as a PATCH request body against a populated user: applying must never panic, and
//! a refused request must leave the document exactly as it was.
#![no_main]

mod schema;

use libfuzzer_sys::fuzz_target;
use roster_scim_engine::{apply_request, apply_scim11_partial};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let original = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1", "userName": "alice", "externalId": "ext-1", "active": true,
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [{"value": "a@example.com", "type": "work", "primary": true}],
        "members": [{"value": "m1"}, {"value": "m2"}]
    });
    let mut document = original.clone();
    if apply_request(&mut document, &body, &schema::FuzzSchema).is_err() {
        assert_eq!(document, original, "a refused PATCH changed the document");
    }
    let mut document = original.clone();
    if apply_scim11_partial(&mut document, &body, &schema::FuzzSchema).is_err() {
        assert_eq!(document, original, "a refused SCIM 1.1 PATCH changed the document");
    }
});
