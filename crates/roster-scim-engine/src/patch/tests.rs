#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};

use super::*;
use crate::schema::AttributeRules;
use crate::test_schema::{ENTERPRISE_URN, GROUP_SCHEMA, GROUP_URN, USER_SCHEMA, USER_URN};

fn body(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP_URN], "Operations": operations})
}

fn patched(doc: &Value, operations: Value, schema: &dyn AttributeRules) -> Value {
    let mut doc = doc.clone();
    if let Err(e) = apply_request(&mut doc, &body(operations), schema) {
        panic!("{e}");
    }
    doc
}

fn rejected(doc: &Value, operations: Value, schema: &dyn AttributeRules) -> PatchError {
    let mut copy = doc.clone();
    let e = apply_request(&mut copy, &body(operations), schema).unwrap_err();
    assert_eq!(
        &copy, doc,
        "a failed PATCH must leave the document unchanged"
    );
    e
}

fn user() -> Value {
    json!({
        "schemas": [USER_URN],
        "id": "u1",
        "externalId": "00uAbC",
        "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "displayName": "Test User",
        "active": true,
        "emails": [{"value": "test.user@okta.local", "type": "work", "primary": true}],
        "groups": [],
        "meta": {"resourceType": "User"}
    })
}

fn group() -> Value {
    json!({
        "schemas": [GROUP_URN],
        "id": "g1",
        "displayName": "Old",
        "members": [
            {"value": "u1", "display": "Ann"},
            {"value": "u2", "display": "Bob"},
            {"value": "u3", "display": "Cid"}
        ]
    })
}

fn member_ids(doc: &Value) -> Vec<&str> {
    doc["members"]
        .as_array()
        .map(|m| m.iter().map(|m| m["value"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

#[test]
fn okta_deactivates_with_a_pathless_replace() {
    let doc = patched(
        &user(),
        json!([{"op": "replace", "value": {"active": false}}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["active"], json!(false));
    let doc = patched(
        &doc,
        json!([{"op": "replace", "value": {"active": true}}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["active"], json!(true));
}

#[test]
fn okta_group_rename_ignores_the_read_only_id() {
    let doc = patched(
        &group(),
        json!([{"op": "replace", "value": {"id": "something-else", "displayName": "New"}}]),
        &GROUP_SCHEMA,
    );
    assert_eq!(doc["id"], json!("g1"));
    assert_eq!(doc["displayName"], json!("New"));
    assert_eq!(member_ids(&doc), ["u1", "u2", "u3"]);
}

#[test]
fn okta_removes_a_member_by_filter_and_adds_another() {
    let doc = patched(
        &group(),
        json!([
            {"op": "remove", "path": "members[value eq \"u1\"]"},
            {"op": "add", "path": "members", "value": [{"value": "u4", "display": "Dee"}]}
        ]),
        &GROUP_SCHEMA,
    );
    assert_eq!(member_ids(&doc), ["u2", "u3", "u4"]);
    assert_eq!(doc["members"][2], json!({"value": "u4", "display": "Dee"}));
    // Okta retries: removing an absent member and re-adding a present one change nothing.
    let again = patched(
        &doc,
        json!([
            {"op": "remove", "path": "members[value eq \"u1\"]"},
            {"op": "add", "path": "members", "value": [{"value": "u4", "display": "Dee"}]}
        ]),
        &GROUP_SCHEMA,
    );
    assert_eq!(again, doc);
}

#[test]
fn okta_replaces_all_members() {
    let doc = patched(
        &group(),
        json!([{"op": "replace", "path": "members", "value": [{"value": "u9", "display": "Zed"}]}]),
        &GROUP_SCHEMA,
    );
    assert_eq!(doc["members"], json!([{"value": "u9", "display": "Zed"}]));
    let doc = patched(
        &doc,
        json!([{"op": "replace", "path": "members", "value": []}]),
        &GROUP_SCHEMA,
    );
    assert!(doc.get("members").is_none());
}

#[test]
fn entra_capitalised_ops_and_attribute_names() {
    let doc = patched(
        &user(),
        json!([
            {"op": "Replace", "path": "DisplayName", "value": "Entra Name"},
            {"op": "Add", "path": "title", "value": "Engineer"},
            {"op": "Remove", "path": "name.givenName"},
            {"op": "REPLACE", "path": "UserName", "value": "new@example.com"}
        ]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["displayName"], json!("Entra Name"));
    assert_eq!(doc["title"], json!("Engineer"));
    assert_eq!(doc["name"], json!({"familyName": "User"}));
    assert_eq!(doc["userName"], json!("new@example.com"));
    assert!(doc.get("UserName").is_none() && doc.get("DisplayName").is_none());
}

#[test]
fn differently_cased_existing_keys_are_rewritten_canonically() {
    let mut doc = user();
    doc["USERNAME"] = json!("dup");
    doc["CustomThing"] = json!("a");
    let doc = patched(
        &doc,
        json!([
            {"op": "replace", "path": "username", "value": "x"},
            {"op": "replace", "path": "customthing", "value": "b"},
            {"op": "add", "path": "newThing", "value": "c"}
        ]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["userName"], json!("x"));
    assert!(doc.get("USERNAME").is_none());
    // Unknown attributes keep the key they already had, or the name as sent.
    assert_eq!(doc["CustomThing"], json!("b"));
    assert!(doc.get("customthing").is_none());
    assert_eq!(doc["newThing"], json!("c"));
}

#[test]
fn entra_boolean_strings() {
    let doc = patched(
        &user(),
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["active"], json!(false));
    let doc = patched(
        &doc,
        json!([{"op": "Replace", "value": {"Active": "True"}}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["active"], json!(true));
    let e = rejected(
        &user(),
        json!([{"op": "Replace", "path": "active", "value": "yes"}]),
        &USER_SCHEMA,
    );
    assert_eq!(e.scim_type(), "invalidValue");
    assert!(e.to_string().contains("'active' must be a boolean"), "{e}");
    let e = rejected(
        &user(),
        json!([{"op": "Replace", "path": "active", "value": 1}]),
        &USER_SCHEMA,
    );
    assert_eq!(e.scim_type(), "invalidValue");
}

#[test]
fn entra_pathless_multi_replace_with_dotted_urn_and_filtered_keys() {
    let e = ENTERPRISE_URN;
    let doc = patched(
        &user(),
        json!([{"op": "Replace", "value": {
            "displayName": "New Name",
            "name.givenName": "Given",
            "name.familyName": "Family",
            (format!("{e}:department")): "Sales",
            (format!("{e}:manager")): {"value": "m2"},
            "emails[type eq \"work\"].value": "work@example.com",
            "phoneNumbers[type eq \"mobile\"].value": "+1 555"
        }}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["displayName"], json!("New Name"));
    assert_eq!(
        doc["name"],
        json!({"givenName": "Given", "familyName": "Family"})
    );
    assert_eq!(
        doc[e],
        json!({"department": "Sales", "manager": {"value": "m2"}})
    );
    assert_eq!(doc["schemas"], json!([USER_URN, e]));
    assert_eq!(
        doc["emails"],
        json!([{"value": "work@example.com", "type": "work", "primary": true}])
    );
    assert_eq!(
        doc["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 555"}])
    );
}

#[test]
fn pathless_value_with_extension_objects() {
    let doc = patched(
        &user(),
        json!([{"op": "add", "value": {
            (ENTERPRISE_URN): {"employeeNumber": 12345, "Manager": {"Value": "m1"}},
            "urn:okta:custom:group:1.0": {"description": "kept as sent"}
        }}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc[ENTERPRISE_URN],
        json!({"employeeNumber": "12345", "manager": {"value": "m1"}})
    );
    assert_eq!(
        doc["urn:okta:custom:group:1.0"],
        json!({"description": "kept as sent"})
    );
    assert_eq!(
        doc["schemas"],
        json!([USER_URN, ENTERPRISE_URN, "urn:okta:custom:group:1.0"])
    );
}

#[test]
fn entra_member_add_drops_null_ref() {
    let doc = patched(
        &group(),
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u7"}]}]),
        &GROUP_SCHEMA,
    );
    assert_eq!(doc["members"][3], json!({"value": "u7"}));
}

#[test]
fn entra_legacy_member_removal_removes_only_the_listed_members() {
    let doc = patched(
        &group(),
        json!([{"op": "Remove", "path": "members", "value": [{"value": "u2"}, {"value": "absent"}]}]),
        &GROUP_SCHEMA,
    );
    assert_eq!(member_ids(&doc), ["u1", "u3"]);
    let doc = patched(
        &doc,
        json!([{"op": "Remove", "path": "members"}]),
        &GROUP_SCHEMA,
    );
    assert!(doc.get("members").is_none());
}

#[test]
fn entra_flag_member_removal_by_filter() {
    let doc = patched(
        &group(),
        json!([{"op": "remove", "path": "members[value eq \"u3\"]"}]),
        &GROUP_SCHEMA,
    );
    assert_eq!(member_ids(&doc), ["u1", "u2"]);
}

#[test]
fn entra_filtered_replace_creates_or_updates_the_work_email() {
    let mut doc = user();
    doc["emails"] = json!([{"value": "home@example.org", "type": "home"}]);
    let doc = patched(
        &doc,
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "w@example.com"}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc["emails"],
        json!([{"value": "home@example.org", "type": "home"}, {"type": "work", "value": "w@example.com"}])
    );
    let doc = patched(
        &doc,
        json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "w2@example.com"}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc["emails"][1],
        json!({"type": "work", "value": "w2@example.com"})
    );
    assert_eq!(doc["emails"].as_array().unwrap().len(), 2);

    // Equality terms are written canonically and coerced.
    let doc = patched(
        &json!({}),
        json!([{"op": "add", "path": "emails[Type eq \"work\" and PRIMARY eq \"true\"].value", "value": "x@y"}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc["emails"],
        json!([{"type": "work", "primary": true, "value": "x@y"}])
    );
}

#[test]
fn filters_that_cannot_create_are_no_target() {
    for path in [
        "emails[type eq \"work\" or type eq \"home\"].value",
        "emails[value co \"x\"].display",
        "emails[type eq \"a\" and type eq \"b\"].value",
        "emails[not (type eq \"work\")].value",
    ] {
        let e = rejected(
            &json!({"emails": []}),
            json!([{"op": "replace", "path": path, "value": "v"}]),
            &USER_SCHEMA,
        );
        assert_eq!(e.scim_type(), "noTarget", "{path}: {e}");
        assert!(
            e.to_string()
                .starts_with("Operations[0]: no value of 'emails' matches"),
            "{e}"
        );
    }
}

#[test]
fn enterprise_manager_and_extension_bookkeeping() {
    let e = ENTERPRISE_URN;
    let doc = patched(
        &user(),
        json!([{"op": "add", "path": format!("{e}:manager"), "value": {"value": "m1", "displayName": "ignored, read-only"}}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc[e], json!({"manager": {"value": "m1"}}));
    assert_eq!(doc["schemas"], json!([USER_URN, e]));
    let doc = patched(
        &doc,
        json!([
            {"op": "replace", "path": format!("{e}:manager.value"), "value": "m2"},
            {"op": "replace", "path": format!("{}:employeeNumber", e.to_uppercase()), "value": "42"}
        ]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc[e],
        json!({"manager": {"value": "m2"}, "employeeNumber": "42"})
    );
    let doc = patched(
        &doc,
        json!([
            {"op": "remove", "path": format!("{e}:manager.value")},
            {"op": "remove", "path": format!("{e}:employeeNumber")}
        ]),
        &USER_SCHEMA,
    );
    assert!(doc.get(e).is_none(), "{doc}");
    assert_eq!(doc["schemas"], json!([USER_URN]));
}

#[test]
fn whole_extension_paths() {
    let e = ENTERPRISE_URN;
    let doc = patched(
        &user(),
        json!([{"op": "replace", "path": e, "value": {"department": "D", "costCenter": "C"}}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc[e], json!({"department": "D", "costCenter": "C"}));
    let doc = patched(&doc, json!([{"op": "remove", "path": e}]), &USER_SCHEMA);
    assert!(doc.get(e).is_none());
    assert_eq!(doc["schemas"], json!([USER_URN]));
}

#[test]
fn core_urn_qualified_paths_are_top_level() {
    let doc = patched(
        &user(),
        json!([{"op": "replace", "path": format!("{USER_URN}:name.givenName"), "value": "G"}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["name"]["givenName"], json!("G"));
}

#[test]
fn removing_active_leaves_it_unassigned() {
    let doc = patched(
        &user(),
        json!([{"op": "remove", "path": "active"}]),
        &USER_SCHEMA,
    );
    assert!(doc.get("active").is_none());
    let doc = patched(
        &doc,
        json!([{"op": "remove", "path": "active"}]),
        &USER_SCHEMA,
    );
    assert!(doc.get("active").is_none());
    let doc = patched(
        &user(),
        json!([{"op": "replace", "path": "displayName", "value": null}]),
        &USER_SCHEMA,
    );
    assert!(doc.get("displayName").is_none());
}

#[test]
fn one_primary_at_most() {
    let doc = patched(
        &user(),
        json!([{"op": "add", "path": "emails", "value": {"value": "new@example.com", "type": "home", "primary": "True"}}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc["emails"],
        json!([
            {"value": "test.user@okta.local", "type": "work", "primary": false},
            {"value": "new@example.com", "type": "home", "primary": true}
        ])
    );
    let doc = patched(
        &doc,
        json!([{"op": "replace", "path": "emails[type eq \"work\"].primary", "value": true}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["emails"][0]["primary"], json!(true));
    assert_eq!(doc["emails"][1]["primary"], json!(false));
    let doc = patched(
        &doc,
        json!([{"op": "replace", "path": "emails", "value": [
            {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
        ]}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc["emails"],
        json!([{"value": "a@x", "primary": false}, {"value": "b@x", "primary": true}])
    );
}

#[test]
fn add_merges_into_an_existing_equal_value_instead_of_duplicating() {
    let doc = patched(
        &user(),
        json!([{"op": "add", "path": "emails", "value": [{"Value": "TEST.USER@okta.local", "Display": "Work"}]}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc["emails"],
        json!([{"value": "TEST.USER@okta.local", "type": "work", "primary": true, "display": "Work"}])
    );
}

#[test]
fn entra_postman_capitalised_value_objects() {
    let doc = patched(
        &json!({"schemas": [USER_URN]}),
        json!([{"op": "add", "value": {
            "UserName": "a@b", "Active": "False",
            "Emails": [{"Value": "a@b", "Type": "work", "Primary": "true"}],
            "Name": {"GivenName": "A", "FamilyName": "B"}
        }}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc,
        json!({
            "schemas": [USER_URN],
            "userName": "a@b",
            "active": false,
            "emails": [{"value": "a@b", "type": "work", "primary": true}],
            "name": {"givenName": "A", "familyName": "B"}
        })
    );
}

#[test]
fn replace_of_a_complex_attribute_merges_sub_attributes() {
    let doc = patched(
        &user(),
        json!([{"op": "replace", "path": "name", "value": {"givenName": "New", "middleName": null}}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc["name"],
        json!({"givenName": "New", "familyName": "User"})
    );
    let doc = patched(
        &doc,
        json!([{"op": "replace", "value": {"name": {"familyName": "F"}}}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["name"], json!({"givenName": "New", "familyName": "F"}));
}

#[test]
fn filtered_remove_of_a_sub_attribute_and_replace_of_elements() {
    let mut doc = user();
    doc["emails"] = json!([
        {"value": "w@x", "type": "work", "display": "W"},
        {"value": "h@x", "type": "home", "display": "H"}
    ]);
    let removed = patched(
        &doc,
        json!([{"op": "remove", "path": "emails[type eq \"work\"].display"}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        removed["emails"][0],
        json!({"value": "w@x", "type": "work"})
    );
    let replaced = patched(
        &doc,
        json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h2@x", "type": "home"}}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        replaced["emails"][1],
        json!({"value": "h2@x", "type": "home"})
    );
    let added = patched(
        &doc,
        json!([{"op": "add", "path": "emails[type eq \"home\"]", "value": {"primary": true}}]),
        &USER_SCHEMA,
    );
    assert_eq!(
        added["emails"][1],
        json!({"value": "h@x", "type": "home", "display": "H", "primary": true})
    );
    let unchanged = patched(
        &doc,
        json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]),
        &USER_SCHEMA,
    );
    assert_eq!(unchanged, doc);
}

#[test]
fn read_only_attributes_are_ignored() {
    let doc = patched(
        &user(),
        json!([
            {"op": "add", "path": "groups", "value": [{"value": "g1"}]},
            {"op": "replace", "path": "meta.resourceType", "value": "Group"},
            {"op": "replace", "path": "id", "value": "other"},
            {"op": "remove", "path": "id"},
            {"op": "replace", "value": {"meta": {"version": "W/1"}, "schemas": ["x"], "id": "y"}}
        ]),
        &USER_SCHEMA,
    );
    assert_eq!(doc, user());
}

#[test]
fn immutable_attributes_may_be_set_once() {
    let doc = patched(
        &user(),
        json!([{"op": "add", "path": "immutableId", "value": "abc"}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["immutableId"], json!("abc"));
    patched(
        &doc,
        json!([{"op": "replace", "path": "immutableId", "value": "abc"}]),
        &USER_SCHEMA,
    );
    let e = rejected(
        &doc,
        json!([{"op": "replace", "path": "immutableId", "value": "xyz"}]),
        &USER_SCHEMA,
    );
    assert_eq!(e.scim_type(), "mutability");
    let e = rejected(
        &doc,
        json!([{"op": "remove", "path": "immutableId"}]),
        &USER_SCHEMA,
    );
    assert_eq!(e.scim_type(), "mutability");
}

#[test]
fn all_or_nothing() {
    let e = rejected(
        &user(),
        json!([
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "remove", "path": "emails"},
            {"op": "replace", "path": "active", "value": "maybe"}
        ]),
        &USER_SCHEMA,
    );
    assert_eq!(e.scim_type(), "invalidValue");
    assert!(e.to_string().starts_with("Operations[2]: "), "{e}");
}

#[test]
fn type_checks() {
    let cases = [
        json!({"op": "replace", "path": "loginCount", "value": "7"}),
        json!({"op": "replace", "path": "loginCount", "value": 7.5}),
        json!({"op": "replace", "path": "userName", "value": {"a": 1}}),
        json!({"op": "replace", "path": "name", "value": "plain"}),
        json!({"op": "add", "path": "emails", "value": ["not an object"]}),
        json!({"op": "add", "path": ENTERPRISE_URN, "value": "not an object"}),
    ];
    for op in cases {
        let e = rejected(&user(), json!([op.clone()]), &USER_SCHEMA);
        assert_eq!(e.scim_type(), "invalidValue", "{op}: {e}");
    }
    let doc = patched(
        &user(),
        json!([{"op": "replace", "path": "loginCount", "value": 7}]),
        &USER_SCHEMA,
    );
    assert_eq!(doc["loginCount"], json!(7));
}

#[test]
fn path_errors() {
    let cases = [
        ("emails[type eq", "invalidFilter"),
        ("emails[type eq \"work\"", "invalidFilter"),
        ("a..b", "invalidPath"),
        ("name.givenName.x", "invalidPath"),
        ("emails[type eq \"work\"]x", "invalidPath"),
        ("emails[type eq \"work\"].", "invalidPath"),
        ("userName.x", "invalidPath"),
        ("userName[value eq \"x\"]", "invalidPath"),
        ("emails.value", "invalidPath"),
    ];
    for (path, scim_type) in cases {
        let e = rejected(
            &user(),
            json!([{"op": "replace", "path": path, "value": "x"}]),
            &USER_SCHEMA,
        );
        assert_eq!(e.scim_type(), scim_type, "{path}: {e}");
    }
}

#[test]
fn request_errors() {
    let mut doc = user();
    let cases = [
        (json!([]), "invalidSyntax"),
        (json!({"schemas": [PATCH_OP_URN]}), "invalidSyntax"),
        (
            json!({"schemas": ["urn:wrong"], "Operations": []}),
            "invalidSyntax",
        ),
        (json!({"Operations": {}}), "invalidSyntax"),
        (json!({"Operations": [1]}), "invalidSyntax"),
        (
            json!({"Operations": [{"op": "move", "path": "a"}]}),
            "invalidSyntax",
        ),
        (json!({"Operations": [{"path": "a"}]}), "invalidSyntax"),
        (
            json!({"Operations": [{"op": "add", "path": "a"}]}),
            "invalidSyntax",
        ),
        (
            json!({"Operations": [{"op": "add", "path": 5, "value": 1}]}),
            "invalidSyntax",
        ),
        (json!({"Operations": [{"op": "remove"}]}), "noTarget"),
        (
            json!({"Operations": [{"op": "add", "value": "x"}]}),
            "invalidSyntax",
        ),
        (
            json!({"Operations": [{"op": "add", "value": {"bad key": 1}}]}),
            "invalidPath",
        ),
    ];
    for (request, scim_type) in cases {
        let e = apply_request(&mut doc, &request, &USER_SCHEMA).unwrap_err();
        assert_eq!(e.scim_type(), scim_type, "{request}: {e}");
    }
    assert_eq!(doc, user());
    let e = apply(&mut json!([]), &[], &USER_SCHEMA).unwrap_err();
    assert_eq!(e.scim_type(), "invalidSyntax");
}

#[test]
fn lenient_request_shapes() {
    let doc = patched(&user(), json!([]), &USER_SCHEMA);
    assert_eq!(doc, user());
    let mut doc = user();
    apply_request(
        &mut doc,
        &json!({
            "SCHEMAS": ["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],
            "operations": [{"OP": "replace", "Path": "", "Value": {"title": "T"}}]
        }),
        &USER_SCHEMA,
    )
    .unwrap();
    assert_eq!(doc["title"], json!("T"));
    let mut doc = user();
    apply_request(
        &mut doc,
        &json!({"Operations": [{"op": "replace", "path": null, "value": {"title": "T"}}]}),
        &USER_SCHEMA,
    )
    .unwrap();
    assert_eq!(doc["title"], json!("T"));
}

#[test]
fn unknown_attributes_are_kept_as_json() {
    let doc = patched(
        &json!({"roles": [{"value": "admin"}]}),
        json!([
            {"op": "add", "path": "roles", "value": [{"value": "admin"}, {"value": "user"}]},
            {"op": "add", "path": "custom.sub", "value": 5},
            {"op": "replace", "path": "roles[value eq \"user\"].primary", "value": true}
        ]),
        &USER_SCHEMA,
    );
    assert_eq!(
        doc,
        json!({"roles": [{"value": "admin"}, {"value": "user", "primary": true}], "custom": {"sub": 5}})
    );
}

#[test]
fn parsed_paths() {
    let path = parse_path("emails[type eq \"work\"].value").unwrap();
    assert_eq!(path.attr.attribute, "emails");
    assert_eq!(path.attr.sub_attribute.as_deref(), Some("value"));
    assert!(path.filter.is_some());
    for text in [
        "emails[type eq \"work\"].value",
        "members[value eq \"2819c223\"]",
        "name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    ] {
        assert_eq!(parse_path(text).unwrap().to_string(), text);
    }
}

#[test]
fn scim11_partial_resource() {
    let mut doc = group();
    apply_scim11_partial(
        &mut doc,
        &json!({
            "schemas": ["urn:scim:schemas:core:1.0"],
            "id": "g1",
            "members": [
                {"value": "u4", "display": "Dee"},
                {"value": "u1", "operation": "delete"},
                {"value": "U3", "display": "Cid", "operation": "DELETE"}
            ]
        }),
        &GROUP_SCHEMA,
    )
    .unwrap();
    assert_eq!(member_ids(&doc), ["u2", "u4"]);

    let mut doc = user();
    doc["title"] = json!("Boss");
    apply_scim11_partial(
        &mut doc,
        &json!({
            "schemas": ["urn:scim:schemas:core:1.0"],
            "id": "u1",
            "meta": {"attributes": ["title", "name.givenName"]},
            "active": false,
            "name": {"familyName": "New"},
            "urn:okta:custom:group:1.0": {"description": "d"}
        }),
        &USER_SCHEMA,
    )
    .unwrap();
    assert!(doc.get("title").is_none());
    assert_eq!(doc["name"], json!({"familyName": "New"}));
    assert_eq!(doc["active"], json!(false));
    assert_eq!(doc["id"], json!("u1"));
    assert_eq!(
        doc["urn:okta:custom:group:1.0"],
        json!({"description": "d"})
    );

    let mut doc = user();
    let e = apply_scim11_partial(
        &mut doc,
        &json!({"active": "maybe", "title": "x"}),
        &USER_SCHEMA,
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), "invalidValue");
    assert_eq!(doc, user());
    let e = apply_scim11_partial(
        &mut doc,
        &json!({"meta": {"attributes": "title"}}),
        &USER_SCHEMA,
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), "invalidSyntax");
}

/// A tiny deterministic generator, so the robustness test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize].clone()
    }
}

#[test]
fn arbitrary_operations_never_panic_and_failures_change_nothing() {
    let e = ENTERPRISE_URN;
    let ops = ["add", "Replace", "remove", "copy"];
    let paths = [
        Value::Null,
        json!("emails"),
        json!("emails[type eq \"work\"].value"),
        json!("emails[type eq \"work\" and primary eq true]"),
        json!("emails[value co \"a\"].primary"),
        json!("name"),
        json!("name.givenName"),
        json!("active"),
        json!("members"),
        json!("roles[value eq 1].x"),
        json!(format!("{e}:manager.value")),
        json!(format!("{e}:manager")),
        json!(e),
        json!("urn:x:y:z"),
        json!("emails[type eq \"work\"]"),
        json!("groups"),
        json!("immutableId"),
        json!("a["),
        json!(""),
        json!(5),
    ];
    let values = [
        Value::Null,
        json!("True"),
        json!(false),
        json!(1),
        json!("text"),
        json!([]),
        json!({}),
        json!([{"value": "a@x", "primary": true}, {"value": "b@x", "primary": "true"}, null, 3]),
        json!({"value": "m", "type": "work"}),
        json!({"active": "False", "name.familyName": "F", (e): {"department": "D"}, "emails": {"value": "z"}}),
        json!({(format!("{e}:manager")): {"value": "q"}, "members": [{"value": "u1"}]}),
        json!([[[]]]),
    ];
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let mut doc = user();
    for round in 0..5_000_u32 {
        let count = rng.next() % 4;
        let operations: Vec<Value> = (0..count)
            .map(|_| {
                let mut op = serde_json::Map::new();
                op.insert("op".into(), json!(rng.pick(&ops)));
                let path = rng.pick(&paths);
                if !path.is_null() {
                    op.insert("path".into(), path);
                }
                if !rng.next().is_multiple_of(4) {
                    op.insert("value".into(), rng.pick(&values));
                }
                Value::Object(op)
            })
            .collect();
        let before = doc.clone();
        if apply_request(&mut doc, &body(json!(operations)), &USER_SCHEMA).is_err() {
            assert_eq!(doc, before, "round {round}");
        }
        let _ = apply_scim11_partial(&mut doc, &rng.pick(&values), &USER_SCHEMA);
        if round.is_multiple_of(50) {
            doc = user();
        }
    }
}
