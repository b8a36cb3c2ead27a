//! The WorkOS-shaped management API: keys and their scopes, list envelopes and cursors,
//! filters, objects with the keys the WorkOS SDKs require, and JSON errors.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::{Scim, Tenant, TestServer};

/// A management-API client holding one key.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
}

impl Api {
    /// Sends a request and checks what every answer must have: a JSON body (or none) and an
    /// `x-request-id`.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert!(response.headers().contains_key("x-request-id"));
        let json = response
            .headers()
            .get("content-type")
            .is_some_and(|value| value.to_str().unwrap().starts_with("application/json"));
        let text = response.text().await.unwrap();
        if text.is_empty() {
            return (status, Value::Null);
        }
        assert!(json, "{path} answered {status} without JSON: {text}");
        (status, serde_json::from_str(&text).unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> u16 {
        self.send(reqwest::Method::DELETE, path, None).await.0
    }
}

/// A key made with `roster api-key create`, with `extra` flags (`--organization`, `--read-only`).
pub async fn api_key(server: &TestServer, extra: &[&str]) -> Api {
    let mut args = vec!["api-key", "create", "--name", "backend"];
    args.extend_from_slice(extra);
    let created = server.cli(&args).await.json();
    let key = created["secret"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk_"));
    Api {
        http: reqwest::Client::new(),
        base: server.base_url.clone(),
        key,
    }
}

/// A tenant with three users (one inactive) and two groups.
async fn populated(server: &TestServer, domain: &str) -> (Tenant, Vec<String>, Vec<String>) {
    let tenant = server.tenant("okta", domain).await;
    let scim = Scim::new(&tenant);
    let mut users = Vec::new();
    for (name, active) in [("ann", true), ("bob", true), ("cy", false)] {
        let created = scim
            .post("/Users", &json!({"userName": format!("{name}@{domain}"), "externalId": format!("ext-{name}"), "active": active,
                "name": {"givenName": name, "familyName": "X"}, "emails": [{"value": format!("{name}@{domain}"), "primary": true}]}))
            .await;
        users.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let mut groups = Vec::new();
    for (name, members) in [
        ("Eng", vec![&users[0], &users[1]]),
        ("Ops", vec![&users[1]]),
    ] {
        let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
        let created = scim
            .post("/Groups", &json!({"displayName": name, "members": members}))
            .await;
        groups.push(created.body["id"].as_str().unwrap().to_owned());
    }
    (tenant, users, groups)
}

pub fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn objects_lists_and_filters_have_workos_shapes() {
    let server = TestServer::start().await;
    let (tenant, users, groups) = populated(&server, "acme.com").await;
    let api = api_key(&server, &[]).await;

    let (status, directories) = api.get("/directories").await;
    assert_eq!(status, 200);
    assert_eq!(directories["object"], "list");
    assert_eq!(
        directories["list_metadata"],
        json!({"before": null, "after": null})
    );
    let directory = &directories["data"][0];
    for key in [
        "id",
        "object",
        "organization_id",
        "external_key",
        "type",
        "state",
        "name",
        "domain",
        "created_at",
        "updated_at",
    ] {
        assert!(directory.get(key).is_some(), "directory lacks {key}");
    }
    assert_eq!(directory["type"], "okta scim v2.0");
    assert_eq!(directory["state"], "linked");
    assert_eq!(directory["domain"], "acme.com");
    assert_eq!(
        directory["metadata"],
        json!({"users": {"active": 2, "inactive": 1}, "groups": 2})
    );
    assert!(directory["created_at"].as_str().unwrap().ends_with('Z'));
    let events = server.events(&tenant.directory_id);
    assert_eq!(
        directory["last_event_sequence"],
        json!(events.last().unwrap().sequence)
    );
    let (status, one) = api
        .get(&format!("/directories/{}", tenant.directory_id))
        .await;
    assert_eq!((status, &one["id"]), (200, &directory["id"]));

    let (_, listed) = api
        .get(&format!(
            "/directory_users?directory={}&limit=100",
            tenant.directory_id
        ))
        .await;
    assert_eq!(
        ids(&listed),
        users.iter().rev().cloned().collect::<Vec<_>>(),
        "newest first by default"
    );
    let user = &listed["data"][2];
    for key in [
        "id",
        "object",
        "directory_id",
        "organization_id",
        "idp_id",
        "email",
        "first_name",
        "last_name",
        "emails",
        "username",
        "job_title",
        "state",
        "groups",
        "custom_attributes",
        "raw_attributes",
        "role",
        "created_at",
        "updated_at",
    ] {
        assert!(user.get(key).is_some(), "directory user lacks {key}");
    }
    assert_eq!(user["idp_id"], "ext-ann");
    assert_eq!(user["state"], "active");
    assert_eq!(user["groups"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["state"], "inactive");
    assert_eq!(
        listed["data"][0]["groups"],
        json!([]),
        "groups is always an array"
    );

    let (_, in_ops) = api
        .get(&format!("/directory_users?group={}", groups[1]))
        .await;
    assert_eq!(ids(&in_ops), [users[1].clone()]);
    let (_, by_email) = api.get("/directory_users?email=BOB@acme.com").await;
    assert_eq!(ids(&by_email), [users[1].clone()]);
    let (_, by_idp) = api.get("/directory_users?idp_id=ext-cy").await;
    assert_eq!(ids(&by_idp), [users[2].clone()]);
    let (status, one_user) = api.get(&format!("/directory_users/{}", users[1])).await;
    assert_eq!(status, 200);
    assert_eq!(one_user["groups"].as_array().unwrap().len(), 2);

    let (_, bobs_groups) = api
        .get(&format!("/directory_groups?user={}&order=asc", users[1]))
        .await;
    assert_eq!(ids(&bobs_groups), groups);
    let group = &bobs_groups["data"][0];
    for key in [
        "id",
        "object",
        "idp_id",
        "directory_id",
        "organization_id",
        "name",
        "raw_attributes",
        "created_at",
        "updated_at",
    ] {
        assert!(group.get(key).is_some(), "group lacks {key}");
    }
    let (status, _) = api.get(&format!("/directory_groups/{}", groups[0])).await;
    assert_eq!(status, 200);

    let (_, created) = api
        .get("/events?events=dsync.user.created,dsync.group.created&order=asc&limit=100")
        .await;
    let types: Vec<&str> = created["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "dsync.user.created",
            "dsync.user.created",
            "dsync.user.created",
            "dsync.group.created",
            "dsync.group.created"
        ]
    );
    assert_eq!(created["data"][0]["object"], "event");
    assert_eq!(created["data"][0]["data"]["id"], users[0].as_str());
    // Events default to oldest first, so that apps follow the stream with `after`.
    let (_, stream) = api.get("/events?events=dsync.user.created&limit=1").await;
    assert_eq!(stream["data"][0]["data"]["id"], users[0].as_str());
    let (_, newest) = api
        .get("/events?events=dsync.user.created&limit=1&order=desc")
        .await;
    assert_eq!(newest["data"][0]["data"]["id"], users[2].as_str());
    let (_, none) = api
        .get("/events?range_start=2100-01-01T00:00:00.000Z")
        .await;
    assert_eq!(none["data"], json!([]));
    server.stop().await;
}

#[actix_web::test]
async fn walking_a_list_page_by_page_gives_every_object_once_while_writes_go_on() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    for index in 0..7 {
        scim.post("/Users", &json!({"userName": format!("u{index}@acme.com")}))
            .await;
    }
    let api = api_key(&server, &[]).await;
    for order in ["desc", "asc"] {
        let (_, everything) = api
            .get(&format!("/directory_users?limit=100&order={order}"))
            .await;
        let expected = ids(&everything);
        let mut walked = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let cursor = after
                .as_ref()
                .map(|id| format!("&after={id}"))
                .unwrap_or_default();
            let (_, page) = api
                .get(&format!("/directory_users?limit=1&order={order}{cursor}"))
                .await;
            walked.extend(ids(&page));
            // New users appear mid-walk; they must not disturb what is being walked.
            if walked.len() == 3 {
                scim.post(
                    "/Users",
                    &json!({"userName": format!("late-{order}@acme.com")}),
                )
                .await;
            }
            match page["list_metadata"]["after"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        let walked_set: BTreeSet<&String> = walked.iter().collect();
        assert_eq!(walked_set.len(), walked.len(), "no duplicates ({order})");
        for id in &expected {
            assert!(walked.contains(id), "{id} skipped ({order})");
        }
        // And back: `before` from the last page returns the previous one.
        let last = walked.last().unwrap();
        let (_, previous) = api
            .get(&format!(
                "/directory_users?limit=2&order={order}&before={last}"
            ))
            .await;
        assert_eq!(
            ids(&previous),
            walked[walked.len() - 3..walked.len() - 1].to_vec()
        );
    }
    server.stop().await;
}

#[actix_web::test]
async fn keys_are_checked_scoped_and_errors_are_json() {
    let server = TestServer::start().await;
    let (acme, acme_users, _) = populated(&server, "acme.com").await;
    let (globex, globex_users, globex_groups) = populated(&server, "globex.com").await;
    let full = api_key(&server, &[]).await;
    let scoped = api_key(
        &server,
        &["--organization", &acme.organization_id, "--read-only"],
    )
    .await;

    let anonymous = Api {
        http: reqwest::Client::new(),
        base: server.base_url.clone(),
        key: "sk_nope".into(),
    };
    let (status, body) = anonymous.get("/directories").await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "unauthorized");
    assert!(body["message"].is_string());

    let (_, visible) = scoped.get("/directories").await;
    assert_eq!(ids(&visible), std::slice::from_ref(&acme.directory_id));
    assert_eq!(
        scoped
            .get(&format!("/directories/{}", globex.directory_id))
            .await
            .0,
        404
    );
    assert_eq!(
        scoped
            .get(&format!("/directory_users/{}", globex_users[0]))
            .await
            .0,
        404
    );
    assert_eq!(
        scoped
            .get(&format!("/directory_groups/{}", globex_groups[0]))
            .await
            .0,
        404
    );
    let (_, across) = scoped
        .get(&format!(
            "/directory_users?directory={}",
            globex.directory_id
        ))
        .await;
    assert_eq!(across["data"], json!([]));
    let (_, by_group) = scoped
        .get(&format!("/directory_users?group={}", globex_groups[0]))
        .await;
    assert_eq!(by_group["data"], json!([]));
    let (_, their_events) = scoped
        .get(&format!(
            "/events?organization_id={}",
            globex.organization_id
        ))
        .await;
    assert_eq!(their_events["data"], json!([]));
    let (_, own_users) = scoped.get("/directory_users?limit=100").await;
    assert_eq!(ids(&own_users).len(), acme_users.len());
    assert_eq!(
        scoped
            .delete(&format!("/directories/{}", acme.directory_id))
            .await,
        403
    );

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("order=sideways", "order"),
        ("events=dsync.user.exploded", "events"),
        ("range_start=yesterday", "range_start"),
    ] {
        let path = if param == "events" || param == "range_start" {
            format!("/events?{query}")
        } else {
            format!("/directory_users?{query}")
        };
        let (status, body) = full.get(&path).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(body["param"], param, "{query}");
    }
    let (status, _) = full.get("/directory_users?unknown=ignored").await;
    assert_eq!(status, 200);
    assert_eq!(
        full.get("/directory_users/directory_user_nope").await.0,
        404
    );

    assert_eq!(
        full.delete(&format!("/directories/{}", globex.directory_id))
            .await,
        202
    );
    assert_eq!(
        full.get(&format!("/directories/{}", globex.directory_id))
            .await
            .0,
        404
    );
    let (_, deleted) = full
        .get(&format!(
            "/events?events=dsync.deleted&organization_id={}",
            globex.organization_id
        ))
        .await;
    assert_eq!(
        deleted["data"][0]["data"]["id"],
        globex.directory_id.as_str()
    );

    let listed = server.cli(&["api-key", "list"]).await.json();
    let scoped_entry = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["read_only"] == true)
        .unwrap();
    assert!(
        scoped_entry.get("secret").is_none(),
        "secrets are shown only at creation"
    );
    assert!(scoped_entry["last_used_at"].is_string());
    let revoked = server
        .cli(&["api-key", "revoke", scoped_entry["id"].as_str().unwrap()])
        .await
        .json();
    assert_eq!(revoked["revoked"], true);
    assert_eq!(scoped.get("/directories").await.0, 401);
    server.stop().await;
}

#[actix_web::test]
async fn each_key_has_its_own_rate_limit() {
    let server = TestServer::start_configured(crate::support::TestDatabase::new(), |config| {
        config.api_rate_limit = 2;
    })
    .await;
    let busy = api_key(&server, &[]).await;
    let quiet = api_key(&server, &[]).await;
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..12 {
        let response = busy
            .http
            .get(format!("{}/directories", busy.base))
            .bearer_auth(&busy.key)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let retry_after: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            refused = Some((retry_after, response.json::<Value>().await.unwrap()));
        }
    }
    assert!(
        statuses.iter().all(|status| [200, 429].contains(status)),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().take(4).all(|status| *status == 200),
        "a burst of twice the rate passes: {statuses:?}"
    );
    let (retry_after, body) =
        refused.expect("a loop of twelve requests exceeds 2/s with bursts of 4");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(body["code"], "rate_limit_exceeded");
    assert_eq!(
        quiet.get("/directories").await.0,
        200,
        "another key is not slowed"
    );
    server.stop().await;
}

#[actix_web::test]
async fn the_openapi_document_describes_every_endpoint() {
    let server = TestServer::start().await;
    let response = reqwest::get(format!("{}/openapi.json", server.base_url))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "readable without a key");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    for (path, methods) in [
        ("/organizations", &["get", "post"][..]),
        ("/organizations/{id}", &["get", "put", "delete"]),
        ("/organizations/external_id/{external_id}", &["get"]),
        ("/directories", &["get", "post"]),
        ("/directories/{id}", &["get", "put", "delete"]),
        ("/directories/{id}/token", &["post"]),
        ("/directory_users", &["get"]),
        ("/directory_users/{id}", &["get"]),
        ("/directory_groups", &["get"]),
        ("/directory_groups/{id}", &["get"]),
        ("/events", &["get"]),
        ("/events/{id}/redeliver", &["post"]),
        ("/webhook_endpoints", &["get", "post"]),
        ("/webhook_endpoints/{id}", &["get", "patch", "delete"]),
        ("/webhook_endpoints/{id}/rotate_secret", &["post"]),
        ("/webhook_deliveries", &["get"]),
        ("/webhook_deliveries/{id}/redeliver", &["post"]),
        ("/webhook_deliveries/redeliver_failed", &["post"]),
    ] {
        for method in methods {
            assert!(
                document["paths"][path].get(method).is_some(),
                "{method} {path} is described"
            );
        }
    }
    let schema = &document["components"]["schemas"]["OrganizationObject"];
    assert!(
        schema["required"]
            .as_array()
            .unwrap()
            .contains(&json!("domains"))
    );
}
