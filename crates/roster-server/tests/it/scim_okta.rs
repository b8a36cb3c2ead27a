//! Okta's SCIM 2.0 flows, request by request as `shared/scim-clients.md` describes them: Test
//! API Credentials, assignment, updates by PUT (OIN and AIW apps), deactivation by PATCH,
//! import paging, group push. Each step checks the answer and the events it recorded.

use serde_json::{Value, json};

use crate::support::{Scim, TestServer};

fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": format!("00u{}", given.to_lowercase()),
        "groups": [],
        "password": "1mP0ssible!",
        "active": true
    })
}

#[actix_web::test]
async fn okta_scim_two_catalogue_app_end_to_end() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "okta.local").await;
    let okta = Scim::new(&tenant);

    // Test API Credentials on an empty directory, then saving the To-App settings.
    let probe = okta.get("/Users?startIndex=1&count=2").await;
    assert_eq!(probe.status, 200);
    assert_eq!(
        probe.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(probe.body["totalResults"], json!(0));
    assert_eq!(probe.body["startIndex"], json!(1));
    assert_eq!(probe.body["itemsPerPage"], json!(0));
    assert_eq!(probe.body["Resources"], json!([]));
    assert_eq!(okta.get("/Groups?startIndex=1&count=100").await.status, 200);

    // Assignment: look up, then create.
    let lookup = okta
        .get("/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100")
        .await;
    assert_eq!(
        (lookup.status, lookup.body["totalResults"].clone()),
        (200, json!(0))
    );
    let created = okta
        .post("/Users", &okta_user("test.user@okta.local", "Test", "User"))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let user = created.body.clone();
    let user_id = user["id"].as_str().unwrap().to_owned();
    assert!(user_id.starts_with("directory_user_"));
    assert_eq!(user["userName"], "test.user@okta.local");
    assert_eq!(user["name"]["familyName"], "User");
    assert_eq!(user["emails"][0]["value"], "test.user@okta.local");
    assert_eq!(user["active"], true);
    assert_eq!(user["groups"], json!([]));
    assert!(
        user.get("password").is_none(),
        "a password is never returned"
    );
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_eq!(
        user["meta"]["location"],
        format!("{}/Users/{user_id}", tenant.scim_base_url)
    );
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        user["meta"]["location"].as_str().unwrap()
    );
    assert_eq!(
        created.headers["etag"].to_str().unwrap(),
        user["meta"]["version"].as_str().unwrap()
    );

    // Duplicate, and the lookup Okta's SPEC test does with the user name upper-cased.
    let duplicate = okta
        .post("/Users", &okta_user("TEST.USER@okta.local", "Test", "User"))
        .await;
    assert_eq!(duplicate.status, 409);
    assert_eq!(duplicate.body["scimType"], "uniqueness");
    assert_eq!(duplicate.body["status"], "409");
    let found = okta
        .get("/Users?filter=userName%20eq%20%22TEST.USER%40OKTA.LOCAL%22")
        .await;
    assert_eq!(found.body["totalResults"], json!(1));
    assert_eq!(found.body["Resources"][0]["id"], user_id.as_str());
    let missing = okta.get("/Users/010101001010101011001010101011").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["status"], "404");
    assert!(
        missing.body["detail"]
            .as_str()
            .unwrap()
            .contains("not found")
    );

    // OIN update: GET, then PUT the whole object back with a change.
    let mut full = okta.get(&format!("/Users/{user_id}")).await.body;
    full["title"] = json!("Engineer");
    full["name"]["givenName"] = json!("Tess");
    let replaced = okta.put(&format!("/Users/{user_id}"), &full).await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["id"], user_id.as_str());
    assert_eq!(replaced.body["title"], "Engineer");
    assert_eq!(replaced.body["meta"]["created"], user["meta"]["created"]);
    assert_ne!(replaced.body["meta"]["version"], user["meta"]["version"]);
    // PUT of the same document again changes nothing and records nothing.
    let same = okta.put(&format!("/Users/{user_id}"), &replaced.body).await;
    assert_eq!(
        same.body["meta"]["version"],
        replaced.body["meta"]["version"]
    );

    // Deactivate, still readable; reactivate.
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]});
    let deactivated = okta.patch(&format!("/Users/{user_id}"), &deactivate).await;
    assert_eq!(deactivated.status, 200, "{}", deactivated.body);
    assert_eq!(deactivated.body["active"], false);
    let listed = okta.get("/Users?startIndex=1&count=100").await;
    assert_eq!(
        listed.body["Resources"][0]["active"], false,
        "deactivated users stay readable"
    );
    let reactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": true}}]});
    assert_eq!(
        okta.patch(&format!("/Users/{user_id}"), &reactivate)
            .await
            .body["active"],
        true
    );

    let events = server.events(&tenant.directory_id);
    let types: Vec<&str> = events
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "dsync.activated",
            "dsync.user.created",
            "dsync.user.updated",
            "dsync.user.updated",
            "dsync.user.updated"
        ]
    );
    assert_eq!(events[0].data["state"], "active");
    assert_eq!(events[0].data["domains"][0]["domain"], "okta.local");
    let events = &events[1..];
    assert_eq!(
        events
            .iter()
            .map(|event| event.sequence)
            .collect::<Vec<_>>(),
        [2, 3, 4, 5]
    );
    let created_event = &events[0].data;
    assert_eq!(created_event["object"], "directory_user");
    assert_eq!(created_event["id"], user_id.as_str());
    assert_eq!(created_event["idp_id"], "00utest");
    assert_eq!(created_event["email"], "test.user@okta.local");
    assert_eq!(created_event["first_name"], "Test");
    assert_eq!(created_event["state"], "active");
    assert!(
        created_event["raw_attributes"].get("password").is_none(),
        "a password is never stored"
    );
    assert_eq!(
        events[1].data["previous_attributes"],
        json!({"first_name": "Test", "job_title": null})
    );
    assert_eq!(events[2].data["state"], "inactive");
    assert_eq!(
        events[2].data["previous_attributes"],
        json!({"state": "active"})
    );
    assert_eq!(
        events[3].data["previous_attributes"],
        json!({"state": "inactive"})
    );
    server.stop().await;
}

#[actix_web::test]
async fn okta_group_push_and_membership_changes() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "okta.local").await;
    let okta = Scim::new(&tenant);
    let mut ids = Vec::new();
    for name in ["ann", "bob", "cat"] {
        let created = okta
            .post(
                "/Users",
                &okta_user(&format!("{name}@okta.local"), name, "Doe"),
            )
            .await;
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }

    let pushed = okta
        .post("/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering", "members": []}))
        .await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let group_id = pushed.body["id"].as_str().unwrap().to_owned();
    assert_eq!(pushed.body["members"], json!([]));

    let add = |id: &str, display: &str| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": id, "display": display}]}]})
    };
    assert_eq!(
        okta.patch(&format!("/Groups/{group_id}"), &add(&ids[0], "ann"))
            .await
            .status,
        204
    );
    assert_eq!(
        okta.patch(&format!("/Groups/{group_id}"), &add(&ids[1], "bob"))
            .await
            .status,
        204
    );

    // Rename, with the read-only id Okta re-sends.
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"id": group_id, "displayName": "Eng"}}]});
    assert_eq!(
        okta.patch(&format!("/Groups/{group_id}"), &rename)
            .await
            .status,
        204
    );

    // Remove one by filter and add another, in one request.
    let swap = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])},
        {"op": "add", "path": "members", "value": [{"value": ids[2], "display": "cat"}]}]});
    assert_eq!(
        okta.patch(&format!("/Groups/{group_id}"), &swap)
            .await
            .status,
        204
    );
    let group = okta.get(&format!("/Groups/{group_id}")).await.body;
    assert_eq!(group["displayName"], "Eng");
    let mut members: Vec<&str> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    members.sort_unstable();
    let mut expected = vec![ids[1].as_str(), ids[2].as_str()];
    expected.sort_unstable();
    assert_eq!(members, expected);

    // The user's groups attribute follows.
    let bob = okta.get(&format!("/Users/{}", ids[1])).await.body;
    assert_eq!(
        bob["groups"],
        json!([{"value": group_id, "display": "Eng", "$ref": format!("{}/Groups/{group_id}", tenant.scim_base_url), "type": "direct"}])
    );

    // AIW apps PUT the full member list.
    let mut full = group.clone();
    full["members"] = json!([{"value": ids[0]}]);
    let put = okta.put(&format!("/Groups/{group_id}"), &full).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["members"].as_array().unwrap().len(), 1);

    // A member that is not a user of this directory is refused, and nothing changes.
    let bogus = okta
        .patch(
            &format!("/Groups/{group_id}"),
            &add("directory_user_01M86HN90A2GERTD2XBMAVHRWT", "x"),
        )
        .await;
    assert_eq!(bogus.status, 400);
    assert_eq!(bogus.body["scimType"], "invalidValue");

    assert_eq!(
        okta.delete(&format!("/Groups/{group_id}")).await.status,
        204
    );
    assert_eq!(okta.get(&format!("/Groups/{group_id}")).await.status, 404);

    let types = server.event_types(&tenant.directory_id);
    let group_types: Vec<&str> = types
        .iter()
        .map(String::as_str)
        .filter(|kind| kind.starts_with("dsync.group"))
        .collect();
    assert_eq!(
        group_types,
        [
            "dsync.group.created",
            "dsync.group.user_added",
            "dsync.group.user_added",
            "dsync.group.updated",
            "dsync.group.user_added",
            "dsync.group.user_removed",
            "dsync.group.user_added",
            "dsync.group.user_removed",
            "dsync.group.user_removed",
            "dsync.group.deleted",
        ]
    );
    let events = server.events(&tenant.directory_id);
    let renamed = events
        .iter()
        .find(|event| event.event_type.as_str() == "dsync.group.updated")
        .unwrap();
    assert_eq!(
        renamed.data["previous_attributes"],
        json!({"name": "Engineering"})
    );
    let added = events
        .iter()
        .find(|event| event.event_type.as_str() == "dsync.group.user_added")
        .unwrap();
    assert_eq!(added.data["directory_id"], tenant.directory_id.as_str());
    assert_eq!(added.data["user"]["id"], ids[0].as_str());
    assert_eq!(added.data["group"]["id"], group_id.as_str());
    server.stop().await;
}

#[actix_web::test]
async fn okta_import_pages_through_every_user_in_a_stable_order() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "okta.local").await;
    let okta = Scim::new(&tenant);
    for index in 0..7 {
        let created = okta
            .post(
                "/Users",
                &okta_user(
                    &format!("user{index}@okta.local"),
                    &format!("U{index}"),
                    "X",
                ),
            )
            .await;
        assert_eq!(created.status, 201);
    }
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let page = okta
            .get(&format!("/Users?startIndex={start}&count=3"))
            .await
            .body;
        assert_eq!(page["totalResults"], json!(7));
        let resources = page["Resources"].as_array().unwrap();
        assert_eq!(page["itemsPerPage"], json!(resources.len()));
        seen.extend(
            resources
                .iter()
                .map(|user| user["id"].as_str().unwrap().to_owned()),
        );
        start += 3;
        if start > 7 {
            break;
        }
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 7, "every user once: {seen:?}");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "pages come in a stable order");
    server.stop().await;
}

#[actix_web::test]
async fn okta_custom_app_deactivates_with_a_full_put_and_passes_spec_checks() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "okta.local").await;
    let okta = Scim::new(&tenant);
    let created = okta
        .post("/Users", &okta_user("aiw@okta.local", "Aiw", "User"))
        .await
        .body;
    let id = created["id"].as_str().unwrap();

    // SPEC test: a page of one is not empty and carries the required attributes.
    let page = okta.get("/Users?count=1&startIndex=1").await.body;
    let first = &page["Resources"][0];
    for key in ["id", "userName", "active"] {
        assert!(first.get(key).is_some(), "{key}");
    }
    assert!(first["name"]["familyName"].is_string() && first["name"]["givenName"].is_string());
    assert!(first["emails"][0]["value"].is_string());
    let none = okta
        .get("/Users?filter=userName%20eq%20%22nobody%40okta.local%22")
        .await
        .body;
    assert_eq!(none["totalResults"], json!(0));

    // AIW: read, modify, PUT everything back — including deactivation.
    let mut full = okta.get(&format!("/Users/{id}")).await.body;
    full["active"] = json!(false);
    let put = okta.put(&format!("/Users/{id}"), &full).await;
    assert_eq!(put.status, 200);
    assert_eq!(put.body["active"], false);
    let events = server.events(&tenant.directory_id);
    assert_eq!(
        events.last().unwrap().data["previous_attributes"],
        json!({"state": "active"})
    );
    server.stop().await;
}

#[actix_web::test]
async fn okta_scim_one_one_header_auth_app() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta-1.1", "okta.local").await;
    let okta = Scim::new(&tenant);

    let probe = okta.get("/Users?startIndex=1&count=2").await;
    assert_eq!(probe.status, 200);
    assert_eq!(probe.headers["content-type"], "application/json");
    assert_eq!(probe.body["schemas"], json!(["urn:scim:schemas:core:1.0"]));
    assert_eq!(probe.body["totalResults"], json!(0));

    let user = json!({"schemas": ["urn:scim:schemas:core:1.0"], "userName": "old@okta.local",
        "name": {"givenName": "Old", "familyName": "School"},
        "emails": [{"value": "old@okta.local", "primary": true, "type": "work"}], "active": true});
    let created = okta.post("/Users", &user).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["schemas"],
        json!(["urn:scim:schemas:core:1.0"])
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    let duplicate = okta.post("/Users", &user).await;
    assert_eq!(duplicate.status, 409);
    assert_eq!(duplicate.body["Errors"][0]["code"], json!(409));
    assert!(
        duplicate.body["Errors"][0]["description"]
            .as_str()
            .unwrap()
            .contains("old@okta.local")
    );

    let deactivate = json!({"schemas": ["urn:scim:schemas:core:1.0"], "id": id, "active": false});
    let patched = okta.patch(&format!("/Users/{id}"), &deactivate).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["active"], false);

    let group = okta
        .post("/Groups", &json!({"schemas": ["urn:scim:schemas:core:1.0", "urn:okta:custom:group:1.0"],
            "displayName": "Old Timers", "urn:okta:custom:group:1.0": {"description": "Since 1999"}}))
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let group_id = group.body["id"].as_str().unwrap().to_owned();
    let add = json!({"schemas": ["urn:scim:schemas:core:1.0"], "members": [{"value": id, "display": "Old School"}]});
    assert_eq!(
        okta.patch(&format!("/Groups/{group_id}"), &add)
            .await
            .status,
        204
    );
    assert_eq!(
        okta.get(&format!("/Groups/{group_id}")).await.body["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let remove = json!({"schemas": ["urn:scim:schemas:core:1.0"], "members": [{"value": id, "operation": "delete"}]});
    assert_eq!(
        okta.patch(&format!("/Groups/{group_id}"), &remove)
            .await
            .status,
        204
    );
    assert_eq!(
        okta.get(&format!("/Groups/{group_id}")).await.body["members"],
        json!([])
    );

    let events = server.events(&tenant.directory_id);
    let group_created = events
        .iter()
        .find(|event| event.event_type.as_str() == "dsync.group.created")
        .unwrap();
    assert_eq!(
        group_created.data["raw_attributes"]["urn:okta:custom:group:1.0"]["description"],
        "Since 1999"
    );
    let types: Vec<&str> = events
        .iter()
        .map(|event| event.event_type.as_str())
        .collect();
    assert_eq!(
        types,
        [
            "dsync.activated",
            "dsync.user.created",
            "dsync.user.updated",
            "dsync.group.created",
            "dsync.group.user_added",
            "dsync.group.user_removed"
        ]
    );
    server.stop().await;
}

/// Okta never deletes users; a directory may promise to delete those that stay deactivated.
#[actix_web::test]
async fn users_inactive_past_the_directory_retention_are_deleted_with_an_event() {
    use std::sync::Arc;

    use roster_core::Timestamp;
    use roster_scim::{InFlight, RequestLog, ScimContext, maintenance};

    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "okta.local").await;
    let okta = Scim::new(&tenant);
    let mut ids = Vec::new();
    for name in ["gone", "back", "here"] {
        let created = okta
            .post(
                "/Users",
                &okta_user(&format!("{name}@okta.local"), name, "X"),
            )
            .await;
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let set_active = |active: bool| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": active}}]})
    };
    okta.patch(&format!("/Users/{}", ids[0]), &set_active(false))
        .await;
    okta.patch(&format!("/Users/{}", ids[1]), &set_active(false))
        .await;
    okta.patch(&format!("/Users/{}", ids[1]), &set_active(true))
        .await;

    let context = ScimContext {
        store: server.store.clone(),
        public_url: server.base_url.clone(),
        in_flight: InFlight::new(8),
        rate_limit: roster_core::RateLimit::per_second(0),
        events_written: Arc::new(tokio::sync::Notify::new()),
        request_log: RequestLog::start(server.store.clone()),
    };
    let day = 24 * 60 * 60 * 1000;
    let now = Timestamp::now().as_millis();
    assert_eq!(
        maintenance::upkeep(&context, Timestamp::from_millis(now + 30 * day)).unwrap(),
        0,
        "retention is off by default"
    );
    let bad = server
        .cli(&[
            "directory",
            "update",
            &tenant.directory_id,
            "--inactive-user-retention-days",
            "soon",
        ])
        .await;
    assert!(bad.stderr.contains("or `keep`"), "{}", bad.stderr);
    let updated = server
        .cli(&[
            "directory",
            "update",
            &tenant.directory_id,
            "--inactive-user-retention-days",
            "14",
        ])
        .await
        .json();
    assert_eq!(updated["inactive_user_retention_days"], 14);
    assert_eq!(
        maintenance::upkeep(&context, Timestamp::from_millis(now + 13 * day)).unwrap(),
        0
    );
    assert_eq!(
        maintenance::upkeep(&context, Timestamp::from_millis(now + 15 * day)).unwrap(),
        1
    );
    assert_eq!(okta.get(&format!("/Users/{}", ids[0])).await.status, 404);
    assert_eq!(
        okta.get(&format!("/Users/{}", ids[1])).await.status,
        200,
        "reactivated users are kept"
    );
    assert_eq!(okta.get(&format!("/Users/{}", ids[2])).await.status, 200);
    let events = server.events(&tenant.directory_id);
    let last = events.last().unwrap();
    assert_eq!(last.event_type.as_str(), "dsync.user.deleted");
    assert_eq!(last.data["id"], ids[0].as_str());
    assert_eq!(
        maintenance::upkeep(&context, Timestamp::from_millis(now + 16 * day)).unwrap(),
        0
    );
    server.stop().await;
}

/// An import's pages are served from where the previous page ended; any change to the
/// directory between pages must show in the next one, exactly as plain offsets would.
#[actix_web::test]
async fn import_pages_stay_exact_when_the_directory_changes_between_them() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "okta.local").await;
    let okta = Scim::new(&tenant);
    let mut ids = Vec::new();
    for index in 0..25 {
        let created = okta
            .post(
                "/Users",
                &okta_user(&format!("user{index:02}@okta.local"), "U", "X"),
            )
            .await;
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let page = |start: usize| {
        let okta = &okta;
        async move {
            let body = okta
                .get(&format!("/Users?startIndex={start}&count=10"))
                .await
                .body;
            let found: Vec<String> = body["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|user| user["id"].as_str().unwrap().to_owned())
                .collect();
            (body["totalResults"].as_i64().unwrap(), found)
        }
    };
    // Twice through: the second pass is served by cursor, and must equal the first.
    for _ in 0..2 {
        assert_eq!(page(1).await, (25, ids[0..10].to_vec()));
        assert_eq!(page(11).await, (25, ids[10..20].to_vec()));
        assert_eq!(page(21).await, (25, ids[20..25].to_vec()));
    }

    assert_eq!(okta.delete(&format!("/Users/{}", ids[4])).await.status, 204);
    ids.remove(4);
    assert_eq!(
        page(11).await,
        (24, ids[10..20].to_vec()),
        "shifted by the deletion"
    );
    assert_eq!(page(21).await, (24, ids[20..24].to_vec()));

    let late = okta
        .post("/Users", &okta_user("late@okta.local", "L", "X"))
        .await;
    ids.push(late.body["id"].as_str().unwrap().to_owned());
    assert_eq!(
        page(21).await,
        (25, ids[20..25].to_vec()),
        "the new user at the end"
    );
    assert_eq!(page(1).await, (25, ids[0..10].to_vec()));
    server.stop().await;
}
