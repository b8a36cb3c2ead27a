//! Any bytes as the body of a SCIM POST or PUT of a user or group, or of a `.search`: reading
//! and validating must never panic, and a document accepted once is accepted again, unchanged,
//! from the form Roster stored (identity providers GET a user and PUT it back).
#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_scim::resources::group::ValidGroup;
use roster_scim::resources::user::ValidUser;
use roster_scim::{ListParams, parse_json};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = parse_json(data) else {
        return;
    };
    if let Ok(user) = ValidUser::from_request(body.clone()) {
        let again = ValidUser::from_request(Value::Object(user.document.clone()))
            .expect("a stored user document is valid");
        assert_eq!(again, user, "storing changed the user");
        let _ = user.profile("user_01");
    }
    if let Ok(group) = ValidGroup::from_request(body.clone()) {
        let _ = ValidGroup::from_request(Value::Object(group.document.clone()))
            .expect("a stored group document is valid");
    }
    let _ = ListParams::from_search_body(&body);
});
