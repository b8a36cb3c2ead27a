//! RFC 7643/7644 behaviour every client relies on: discovery that publishes exactly what is
//! stored, SCIM errors, filters executed in SQL agreeing with the engine's reference
//! evaluator, projection, ETags, tenant isolation, and bursts of concurrent writes.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::support::{Scim, TestServer};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[actix_web::test]
async fn discovery_publishes_what_is_stored_and_returns_what_is_published() {
    let server = TestServer::start().await;
    let tenant = server.tenant("generic", "acme.com").await;
    let scim = Scim::new(&tenant);

    let config = scim.get("/ServiceProviderConfig").await;
    assert_eq!(config.body["filter"]["supported"], true);
    assert!(config.body["filter"]["maxResults"].as_u64().unwrap() >= 100);
    let types = scim.get("/ResourceTypes").await.body;
    assert_eq!(types["totalResults"], json!(2));
    assert_eq!(
        scim.get("/ResourceTypes/User").await.body["endpoint"],
        "/Users"
    );
    assert_eq!(scim.get("/ResourceTypes/Nope").await.status, 404);
    for path in ["/Schemas", "/ResourceTypes", "/ServiceProviderConfig"] {
        let refused = scim.post(path, &json!({})).await;
        assert_eq!(refused.status, 405, "{path}");
        assert_eq!(refused.body["status"], "405");
    }
    let unknown = scim.get("/Schemas/urn:nope").await;
    assert_eq!(unknown.status, 404);

    // Give a user a value for every published attribute, then expect each one back.
    let user_schema = scim
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        .await
        .body;
    let enterprise_schema = scim.get(&format!("/Schemas/{ENTERPRISE}")).await.body;
    let mut document =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]});
    let sample = |attribute: &Value| -> Value {
        let scalar = |sub: &Value| match sub["type"].as_str().unwrap() {
            "boolean" => json!(sub["name"] == "primary" || sub["name"] == "active"),
            _ => json!(format!("{}-sample", sub["name"].as_str().unwrap())),
        };
        let single = if attribute["type"] == "complex" {
            let mut object = serde_json::Map::new();
            for sub in attribute["subAttributes"].as_array().unwrap() {
                if sub["mutability"] != "readOnly" {
                    object.insert(sub["name"].as_str().unwrap().to_owned(), scalar(sub));
                }
            }
            Value::Object(object)
        } else {
            scalar(attribute)
        };
        if attribute["multiValued"] == true {
            json!([single])
        } else {
            single
        }
    };
    let writable = |schema: &Value| -> Vec<Value> {
        schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["mutability"] != "readOnly")
            .cloned()
            .collect()
    };
    for attribute in writable(&user_schema) {
        document[attribute["name"].as_str().unwrap()] = sample(&attribute);
    }
    let mut enterprise = serde_json::Map::new();
    for attribute in writable(&enterprise_schema) {
        enterprise.insert(
            attribute["name"].as_str().unwrap().to_owned(),
            sample(&attribute),
        );
    }
    document[ENTERPRISE] = Value::Object(enterprise);
    let created = scim.post("/Users", &document).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let fetched = scim
        .get(&format!("/Users/{}", created.body["id"].as_str().unwrap()))
        .await
        .body;
    for (key, value) in document.as_object().unwrap() {
        assert_eq!(
            &fetched[key], value,
            "published attribute `{key}` comes back as sent"
        );
    }
    for attribute in user_schema["attributes"].as_array().unwrap() {
        let name = attribute["name"].as_str().unwrap();
        assert!(
            fetched.get(name).is_some(),
            "published attribute `{name}` is returned"
        );
    }
    server.stop().await;
}

#[actix_web::test]
async fn bad_requests_get_scim_errors_and_change_nothing() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let raw = scim
        .http
        .post(format!("{}/Users", scim.base))
        .bearer_auth(&scim.token)
        .header("content-type", "application/json; charset=utf-8")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: Value = raw.json().await.unwrap();
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["scimType"], "invalidSyntax");

    let cases = [
        (json!({"name": {"givenName": "x"}}), "invalidValue"),
        (json!({"userName": ""}), "invalidValue"),
        (
            json!({"userName": "a@acme.com", "active": "maybe"}),
            "invalidValue",
        ),
        (
            json!({"userName": "a@acme.com", "emails": "a@acme.com"}),
            "invalidValue",
        ),
        (json!(["not", "an", "object"]), "invalidSyntax"),
    ];
    for (document, scim_type) in cases {
        let reply = scim.post("/Users", &document).await;
        assert_eq!(reply.status, 400, "{document}");
        assert_eq!(
            reply.body["scimType"], scim_type,
            "{document}: {}",
            reply.body
        );
        assert_eq!(reply.body["status"], "400");
    }
    for filter in [
        "userName%20eq",
        "userName%20xx%20%22a%22",
        "nope%20eq%20%22a%22",
        "((userName%20eq%20%22a%22)",
        "active%20co%20true",
    ] {
        let reply = scim.get(&format!("/Users?filter={filter}")).await;
        assert_eq!(reply.status, 400, "{filter}");
        assert_eq!(reply.body["scimType"], "invalidFilter", "{filter}");
    }
    let deep = format!(
        "{}userName eq \"a\"{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let reply = scim.post("/Users/.search", &json!({"filter": deep})).await;
    assert_eq!(reply.status, 400);

    let created = scim
        .post("/Users", &json!({"userName": "a@acme.com"}))
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let bad_patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "replace", "path": "displayName", "value": "Fine"},
        {"op": "replace", "path": "active", "value": "sometimes"}]});
    let reply = scim.patch(&format!("/Users/{id}"), &bad_patch).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["scimType"], "invalidValue");
    let unchanged = scim.get(&format!("/Users/{id}")).await.body;
    assert!(
        unchanged.get("displayName").is_none(),
        "a failed PATCH applies none of its operations"
    );
    let stale = scim
        .http
        .delete(format!("{}/Users/{id}", scim.base))
        .bearer_auth(&scim.token)
        .header("if-match", "W/\"999\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    assert_eq!(scim.get(&format!("/Users/{id}")).await.status, 200);
    assert_eq!(
        server.event_types(&tenant.directory_id),
        ["dsync.activated", "dsync.user.created"]
    );
    server.stop().await;
}

#[actix_web::test]
async fn filters_run_in_sql_exactly_as_the_reference_evaluator_says() {
    let server = TestServer::start().await;
    let tenant = server.tenant("generic", "acme.com").await;
    let scim = Scim::new(&tenant);
    let people = [
        (
            "ann@acme.com",
            "Ann",
            "Lee",
            "Engineer",
            true,
            "R&D",
            Some("ann.home@mail.example"),
        ),
        (
            "BOB@acme.com",
            "Bob",
            "O'Neil",
            "Sales Lead",
            true,
            "Sales",
            None,
        ),
        (
            "carl%_\\@acme.com",
            "Carl",
            "Ng",
            "engineer",
            false,
            "R&D",
            None,
        ),
        (
            "dana@other.example",
            "Dana",
            "Ünal",
            "CTO",
            true,
            "Exec",
            Some("dana@home.example"),
        ),
        ("eve@acme.com", "Eve", "Lee", "Intern", false, "Sales", None),
    ];
    for (user_name, given, family, title, active, department, home) in people {
        let mut emails = vec![json!({"value": user_name, "type": "work", "primary": true})];
        if let Some(home) = home {
            emails.push(json!({"value": home, "type": "home"}));
        }
        let created = scim
            .post(
                "/Users",
                &json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                    "userName": user_name, "externalId": given.to_lowercase(),
                    "name": {"givenName": given, "familyName": family}, "title": title,
                    "displayName": format!("{given} {family}"), "active": active, "emails": emails,
                    "phoneNumbers": [{"value": format!("+1-555-{}", given.len()), "type": "work"}],
                    ENTERPRISE: {"department": department, "manager": {"value": format!("m-{}", given.to_lowercase())}}
                }),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
    }
    let all = scim.get("/Users?count=100").await.body["Resources"]
        .as_array()
        .unwrap()
        .clone();
    let filters = [
        r#"userName eq "bob@ACME.com""#,
        r#"userName ne "bob@acme.com""#,
        r#"userName co "%_\\""#,
        r#"userName sw "A""#,
        r#"userName ew "@acme.com""#,
        r#"externalId eq "ann""#,
        r#"externalId eq "ANN""#,
        r#"displayName co "lee""#,
        r#"name.familyName eq "lee""#,
        r#"name.familyName gt "M""#,
        r#"name.givenName le "Carl""#,
        r#"title eq "engineer""#,
        r#"title pr"#,
        r#"nickName pr"#,
        r#"active eq true"#,
        r#"active eq false and title co "eng""#,
        r#"not (active eq true) or userName sw "dana""#,
        r#"emails.value eq "dana@home.example""#,
        r#"emails eq "ANN.HOME@mail.example""#,
        r#"emails[type eq "home"]"#,
        r#"emails[type eq "work" and value ew "acme.com"]"#,
        r#"emails[type eq "home" and value co "mail"] or name.givenName eq "Eve""#,
        r#"not (emails[type eq "home"])"#,
        r#"phoneNumbers.value co "555-3""#,
        r#"phoneNumbers[type eq "work" and value ew "4"]"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d""#,
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "e""#,
        r#"nickName eq null"#,
        r#"title ne null and not (title sw "E")"#,
        r#"meta.created gt "2000-01-01T00:00:00Z""#,
        r#"(userName sw "a" or userName sw "b") and active eq true"#,
        r#"active eq "true""#,
        r#"title eq true"#,
        r#"externalId eq ann"#,
        r#"phoneNumbers.value ew 4"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "m-dana""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#,
    ];
    let rules = &roster_scim::resources::user::USER;
    for filter in filters {
        let parsed = roster_scim_engine::parse_filter(filter).unwrap();
        let expected: BTreeSet<String> = all
            .iter()
            .filter(|user| roster_scim_engine::matches(&parsed, user, rules))
            .map(|user| user["userName"].as_str().unwrap().to_owned())
            .collect();
        let reply = scim
            .post("/Users/.search", &json!({"filter": filter, "count": 100}))
            .await;
        assert_eq!(reply.status, 200, "{filter}: {}", reply.body);
        let actual: BTreeSet<String> = reply.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["userName"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(actual, expected, "filter `{filter}`");
        assert_eq!(reply.body["totalResults"], json!(actual.len()), "{filter}");
    }
    // Spot checks, so that the reference evaluator itself cannot drift unnoticed.
    let count = |body: &Value| body["totalResults"].as_i64().unwrap();
    assert_eq!(
        count(
            &scim
                .post(
                    "/Users/.search",
                    &json!({"filter": r#"userName eq "bob@ACME.com""#})
                )
                .await
                .body
        ),
        1
    );
    assert_eq!(
        count(
            &scim
                .post(
                    "/Users/.search",
                    &json!({"filter": r#"userName co "%_\\""#})
                )
                .await
                .body
        ),
        1
    );
    assert_eq!(
        count(
            &scim
                .post(
                    "/Users/.search",
                    &json!({"filter": r#"externalId eq "ANN""#})
                )
                .await
                .body
        ),
        0
    );
    assert_eq!(
        count(
            &scim
                .post(
                    "/Users/.search",
                    &json!({"filter": r#"emails[type eq "home"]"#})
                )
                .await
                .body
        ),
        2
    );
    server.stop().await;
}

#[actix_web::test]
async fn attributes_and_excluded_attributes_shape_every_read() {
    let server = TestServer::start().await;
    let tenant = server.tenant("generic", "acme.com").await;
    let scim = Scim::new(&tenant);
    let created = scim
        .post("/Users", &json!({"userName": "a@acme.com", "name": {"givenName": "A", "familyName": "B"}, "title": "T"}))
        .await;
    let id = created.body["id"].as_str().unwrap();
    let narrow = scim
        .get(&format!("/Users/{id}?attributes=userName,name.givenName"))
        .await
        .body;
    assert_eq!(
        narrow,
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": id, "userName": "a@acme.com", "name": {"givenName": "A"}})
    );
    let listed = scim
        .get("/Users?excludedAttributes=name,meta,groups")
        .await
        .body;
    let user = &listed["Resources"][0];
    assert!(
        user.get("name").is_none() && user.get("meta").is_none() && user.get("groups").is_none()
    );
    assert_eq!(user["title"], "T");
    server.stop().await;
}

/// A burst like an HR system's midnight run: 500 concurrent creates, then 500 concurrent
/// deactivations together with 200 concurrent membership PATCHes on one group. The final state
/// is exact, no request gets a 5xx, and every change is recorded once.
#[actix_web::test]
async fn concurrent_bursts_end_in_exactly_the_expected_state() {
    const USERS: usize = 500;
    const MEMBERS: usize = 200;
    // Room for the whole burst at once; the 429 paths have their own tests.
    let server = TestServer::start_configured(crate::support::TestDatabase::new(), |config| {
        config.scim_max_in_flight = 2048;
        config.scim_rate_limit = 0;
        // 700 requests at once on a loaded machine can wait longer than the 5 s header timeout
        // to be read, or than the 10 s database timeout for one of the pool's 4 connections;
        // those 408s and 503s are the overload tests' subject, not this one's.
        config.http.header_timeout = std::time::Duration::from_secs(120);
        config.database_timeout = std::time::Duration::from_secs(120);
    })
    .await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let creates = (0..USERS).map(|index| {
        let scim = &scim;
        async move {
            scim.post(
                "/Users",
                &json!({"userName": format!("user{index}@acme.com"), "active": true}),
            )
            .await
        }
    });
    let created = join_all(creates).await;
    assert!(
        created.iter().all(|reply| reply.status == 201),
        "{:?}",
        created.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let ids: Vec<String> = created
        .iter()
        .map(|reply| reply.body["id"].as_str().unwrap().to_owned())
        .collect();
    // The same user name twice at once: exactly one wins.
    let twin = json!({"userName": "twin@acme.com"});
    let twins = join_all((0..4).map(|_| scim.post("/Users", &twin))).await;
    let mut statuses: Vec<u16> = twins.iter().map(|reply| reply.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409]);

    let group = scim
        .post("/Groups", &json!({"displayName": "Everyone"}))
        .await
        .body;
    let group_id = group["id"].as_str().unwrap().to_owned();
    let deactivate = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let deactivations = ids.iter().map(|id| {
        let (scim, body) = (&scim, &deactivate);
        async move { scim.patch(&format!("/Users/{id}"), body).await }
    });
    let additions = ids.iter().take(MEMBERS).map(|id| {
        let (scim, group_id) = (&scim, &group_id);
        async move {
            let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
            scim.patch(&format!("/Groups/{group_id}"), &body).await
        }
    });
    let (deactivated, added) =
        futures_util::future::join(join_all(deactivations), join_all(additions)).await;
    let statuses = |replies: &[crate::support::Reply]| {
        replies.iter().map(|reply| reply.status).collect::<Vec<_>>()
    };
    assert!(
        deactivated.iter().all(|reply| reply.status == 200),
        "{:?}",
        statuses(&deactivated)
    );
    assert!(
        added.iter().all(|reply| reply.status == 204),
        "{:?}",
        statuses(&added)
    );

    let members = scim.get(&format!("/Groups/{group_id}")).await.body["members"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(members, MEMBERS);
    let inactive = scim
        .get("/Users?filter=active%20eq%20false&count=1")
        .await
        .body["totalResults"]
        .clone();
    assert_eq!(inactive, json!(USERS));

    let events = server.events(&tenant.directory_id);
    let count = |kind: &str| {
        events
            .iter()
            .filter(|event| event.event_type.as_str() == kind)
            .count()
    };
    assert_eq!(count("dsync.user.created"), USERS + 1);
    assert_eq!(count("dsync.user.updated"), USERS);
    assert_eq!(count("dsync.group.user_added"), MEMBERS);
    let sequences: Vec<i64> = events.iter().map(|event| event.sequence).collect();
    assert_eq!(
        sequences,
        (1..=events.len() as i64).collect::<Vec<_>>(),
        "one gapless order per directory"
    );
    server.stop().await;
}

#[actix_web::test]
async fn overload_and_protocol_level_errors_are_scim_errors() {
    let server = TestServer::start_configured(crate::support::TestDatabase::new(), |config| {
        config.scim_max_in_flight = 2;
    })
    .await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);

    let burst = join_all((0..30).map(|index| {
        let scim = &scim;
        async move {
            scim.post("/Users", &json!({"userName": format!("u{index}@acme.com")}))
                .await
        }
    }))
    .await;
    let created = burst.iter().filter(|reply| reply.status == 201).count();
    let refused: Vec<&crate::support::Reply> =
        burst.iter().filter(|reply| reply.status == 429).collect();
    assert_eq!(created + refused.len(), 30, "only 201 or 429");
    assert!(
        !refused.is_empty(),
        "a cap of 2 in flight refuses part of 30 at once"
    );
    for reply in &refused {
        assert_eq!(reply.headers["retry-after"], "1");
        assert_eq!(reply.body["status"], "429");
    }
    let listed = scim.get("/Users?count=1").await.body;
    assert_eq!(
        listed["totalResults"],
        json!(created),
        "every 201 was stored, nothing else"
    );
    assert_eq!(
        server.events(&tenant.directory_id).len(),
        created + 1,
        "activated, then one per user"
    );

    let huge = json!({"userName": "big@acme.com", "nickName": "x".repeat(2 * 1024 * 1024)});
    let too_large = scim.post("/Users", &huge).await;
    assert_eq!(too_large.status, 413);
    assert_eq!(
        too_large.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    let not_allowed = scim.delete("/Users").await;
    assert_eq!(not_allowed.status, 405);
    assert_eq!(not_allowed.body["status"], "405");
    server.stop().await;
}

#[actix_web::test]
async fn every_request_to_a_directory_is_logged_for_its_admins_without_secrets() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let wrong = Scim {
        http: reqwest::Client::new(),
        base: tenant.scim_base_url.clone(),
        token: "roster_scim_wrong".into(),
    };
    assert_eq!(wrong.get("/Users?startIndex=1&count=2").await.status, 401);
    let created = scim
        .post(
            "/Users",
            &json!({"userName": "a@acme.com", "password": "hunter2"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        scim.post("/Users", &json!({"userName": "a@acme.com"}))
            .await
            .status,
        409
    );
    let stranger = Scim {
        http: reqwest::Client::new(),
        base: format!(
            "{}/scim/v2/directory_01M86HN94NZP0FDZK4YN1J1WR9",
            server.base_url
        ),
        token: "x".into(),
    };
    assert_eq!(stranger.get("/Users").await.status, 401);

    let directory = roster_core::DirectoryId::parse(&tenant.directory_id).unwrap();
    let mut entries = Vec::new();
    for _ in 0..100 {
        let mut conn = server.store.connection().unwrap();
        entries = roster_store::request_log::recent(&mut conn, &directory, None, 10).unwrap();
        if entries.len() >= 3 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let summary: Vec<(String, String, i64)> = entries
        .iter()
        .rev()
        .map(|entry| {
            (
                entry.method.clone(),
                entry
                    .path
                    .rsplit(&tenant.directory_id)
                    .next()
                    .unwrap()
                    .to_owned(),
                entry.status,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "GET".to_owned(),
                "/Users?startIndex=1&count=2".to_owned(),
                401
            ),
            ("POST".to_owned(), "/Users".to_owned(), 201),
            ("POST".to_owned(), "/Users".to_owned(), 409),
        ]
    );
    let body = entries[1].request_body.as_deref().unwrap();
    assert!(
        body.contains("a@acme.com") && !body.contains("hunter2"),
        "{body}"
    );
    let mut conn = server.store.connection().unwrap();
    let conflicts =
        roster_store::request_log::recent(&mut conn, &directory, Some(409), 10).unwrap();
    assert_eq!(conflicts.len(), 1);
    server.stop().await;
}

#[actix_web::test]
async fn users_outside_the_organization_domains_are_flagged_or_refused() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let user =
        |email: &str| json!({"userName": email, "emails": [{"value": email, "primary": true}]});
    let directory = roster_core::DirectoryId::parse(&tenant.directory_id).unwrap();
    let flagged = |id: &str| {
        let mut conn = server.store.connection().unwrap();
        roster_store::users::find(&mut conn, &directory, id)
            .unwrap()
            .unwrap()
            .email_outside_domains
    };

    let inside = scim.post("/Users", &user("ann@ACME.com")).await;
    assert_eq!(inside.status, 201);
    assert!(!flagged(inside.body["id"].as_str().unwrap()));
    let outside = scim.post("/Users", &user("bob@gmail.example")).await;
    assert_eq!(outside.status, 201, "the default policy accepts and flags");
    assert!(flagged(outside.body["id"].as_str().unwrap()));

    let updated = server
        .cli(&[
            "directory",
            "update",
            &tenant.directory_id,
            "--email-domain-policy",
            "refuse",
        ])
        .await
        .json();
    assert_eq!(updated["email_domain_policy"], "refuse");
    let refused = scim.post("/Users", &user("cy@gmail.example")).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["scimType"], "invalidValue");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("`gmail.example`") && detail.contains("acme.com"),
        "{detail}"
    );
    let found = scim
        .get("/Users?filter=userName%20eq%20%22cy%40gmail.example%22")
        .await;
    assert_eq!(
        found.body["totalResults"],
        json!(0),
        "nothing of a refused user is stored"
    );
    assert_eq!(
        scim.post("/Users", &json!({"userName": "no-email"}))
            .await
            .status,
        201
    );
    let bad = server
        .cli(&[
            "directory",
            "update",
            &tenant.directory_id,
            "--email-domain-policy",
            "maybe",
        ])
        .await;
    assert!(bad.stderr.contains("`flag` or `refuse`"), "{}", bad.stderr);
    server.stop().await;
}
