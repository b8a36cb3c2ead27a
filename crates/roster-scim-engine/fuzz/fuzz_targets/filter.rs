//! Any text as a SCIM filter: parsing must never panic or overflow the stack; whatever parses
//! must print back to text that parses to the same tree, and evaluate without panicking.
#![no_main]

mod schema;

use libfuzzer_sys::fuzz_target;
use roster_scim_engine::{matches, parse_filter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = parse_filter(text) else {
        return;
    };
    let printed = filter.to_string();
    let reparsed = parse_filter(&printed).expect("a printed filter parses");
    assert_eq!(reparsed, filter, "printing changed the filter: {printed}");
    let user = serde_json::json!({
        "userName": "Alice@example.com", "active": true, "name": {"givenName": "Alice"},
        "emails": [{"value": "a@example.com", "type": "work", "primary": true}, {"value": "b@x.org"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "m1"}}
    });
    let _ = matches(&filter, &user, &schema::FuzzSchema);
});
