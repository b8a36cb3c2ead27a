//! Cross-tenant attempts, each through the real server: one directory's token on another's
//! endpoint, another directory's ids through one's own endpoint with every verb and filter, and
//! an organization's API key reaching for another organization's objects. Every attempt is
//! 401 or 404 (or an empty list), and the other tenant's data and events are unchanged.

use serde_json::{Value, json};

use crate::support::{Scim, Tenant, TestServer};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Everything one directory holds, as its own identity provider and the outbox see it.
async fn snapshot(server: &TestServer, tenant: &Tenant) -> (Value, Value, Vec<String>) {
    let scim = Scim::new(tenant);
    let users = scim.get("/Users?count=100").await.body;
    let groups = scim.get("/Groups?count=100").await.body;
    let events = server
        .events(&tenant.directory_id)
        .iter()
        .map(|event| format!("{} {}", event.id, event.data))
        .collect();
    (users, groups, events)
}

fn with_token(tenant: &Tenant, token: &str) -> Scim {
    Scim {
        token: token.to_owned(),
        ..Scim::new(tenant)
    }
}

async fn api_get(server: &TestServer, key: &str, path: &str) -> (u16, Value) {
    let response = server
        .http
        .get(format!("{}{path}", server.base_url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[actix_web::test]
async fn no_tenant_reaches_another_through_scim_or_the_api() {
    let server = TestServer::start().await;
    let acme = server.tenant("okta", "acme.com").await;
    let globex = server.tenant("okta", "globex.com").await;
    let (a, b) = (Scim::new(&acme), Scim::new(&globex));
    let user = |name: &str, domain: &str| {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": format!("{name}@{domain}"), "externalId": name,
            "name": {"givenName": name, "familyName": "Doe"},
            "emails": [{"value": format!("{name}@{domain}"), "primary": true}],
            ENTERPRISE: {"department": "R&D"}})
    };
    let their_user = b.post("/Users", &user("boss", "globex.com")).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_other = b.post("/Users", &user("cfo", "globex.com")).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let their_group = b
        .post(
            "/Groups",
            &json!({"displayName": "Execs", "members": [{"value": their_user}]}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let our_user = a.post("/Users", &user("ann", "acme.com")).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let our_group = a
        .post("/Groups", &json!({"displayName": "Staff", "members": []}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = snapshot(&server, &globex).await;
    let our_events_before = server.events(&acme.directory_id).len();

    // A's token on B's endpoint, for every route and verb.
    let a_on_b = with_token(&globex, &acme.token);
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]});
    let user_path = format!("/Users/{their_user}");
    let group_path = format!("/Groups/{their_group}");
    let attempts = [
        a_on_b.get("/Users").await,
        a_on_b.get(&user_path).await,
        a_on_b.post("/Users", &user("mole", "globex.com")).await,
        a_on_b.put(&user_path, &user("boss", "globex.com")).await,
        a_on_b.patch(&user_path, &patch).await,
        a_on_b.delete(&user_path).await,
        a_on_b.get("/Groups").await,
        a_on_b.get(&group_path).await,
        a_on_b
            .post("/Groups", &json!({"displayName": "Mole"}))
            .await,
        a_on_b.patch(&group_path, &patch).await,
        a_on_b.delete(&group_path).await,
        a_on_b
            .post("/Users/.search", &json!({"filter": "userName pr"}))
            .await,
        a_on_b.get("/Schemas").await,
    ];
    for reply in &attempts {
        assert_eq!(reply.status, 401, "{}", reply.body);
        assert_eq!(reply.body["status"], "401");
    }
    // Nor through the SCIM 1.1 base URL of the same directory.
    let one_one = Scim {
        base: globex.scim_base_url.replace("/scim/v2/", "/scim/v1.1/"),
        ..with_token(&globex, &acme.token)
    };
    assert_eq!(one_one.get("/Users").await.status, 401);

    // B's ids through A's endpoint, with A's own token.
    let replace_members = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": their_user}]}]});
    let not_found = [
        a.get(&user_path).await,
        a.put(&user_path, &user("boss", "globex.com")).await,
        a.patch(&user_path, &patch).await,
        a.delete(&user_path).await,
        a.get(&group_path).await,
        a.put(&group_path, &json!({"displayName": "Mine"})).await,
        a.patch(&group_path, &replace_members).await,
        a.delete(&group_path).await,
    ];
    for reply in &not_found {
        assert_eq!(reply.status, 404, "{}", reply.body);
    }
    for filter in [
        format!(r#"id eq "{their_user}""#),
        format!(r#"id eq "{their_user}" or id eq "{their_other}""#),
        format!(r#"groups.value eq "{their_group}""#),
        format!(r#"groups eq "{their_group}""#),
        r#"userName eq "boss@globex.com""#.to_owned(),
        r#"externalId eq "boss""#.to_owned(),
    ] {
        let reply = a.post("/Users/.search", &json!({"filter": filter})).await;
        assert_eq!(reply.status, 200, "{filter}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], json!(0), "{filter}");
    }
    for filter in [
        format!(r#"id eq "{their_group}""#),
        format!(r#"members.value eq "{their_user}""#),
        format!(r#"members eq "{their_user}""#),
        r#"displayName eq "Execs""#.to_owned(),
    ] {
        let reply = a.post("/Groups/.search", &json!({"filter": filter})).await;
        assert_eq!(reply.status, 200, "{filter}: {}", reply.body);
        assert_eq!(reply.body["totalResults"], json!(0), "{filter}");
    }
    // B's users as members of A's groups: refused, whichever way they are sent.
    let our_group_path = format!("/Groups/{our_group}");
    let membership_attempts = [
        a.post(
            "/Groups",
            &json!({"displayName": "Stolen", "members": [{"value": their_user}]}),
        )
        .await,
        a.put(
            &our_group_path,
            &json!({"displayName": "Staff", "members": [{"value": our_user}, {"value": their_user}]}),
        )
        .await,
        a.patch(&our_group_path, &replace_members).await,
        a.patch(
            &our_group_path,
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "members",
                    "value": [{"value": our_user}, {"value": their_user}]}]}),
        )
        .await,
    ];
    for reply in &membership_attempts {
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.body["scimType"], "invalidValue", "{}", reply.body);
    }
    let ours = a.get(&our_group_path).await.body;
    assert!(
        ours["members"].as_array().is_none_or(Vec::is_empty),
        "A's group is still empty: {ours}"
    );
    // The same userName in another directory is no oracle: each directory has its own.
    assert_eq!(
        a.post("/Users", &user("boss", "globex.com")).await.status,
        201
    );

    // An API key limited to A's organization.
    let key = server
        .cli(&[
            "api-key",
            "create",
            "--name",
            "acme backend",
            "--organization",
            &acme.organization_id,
        ])
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        format!("/directories/{}", globex.directory_id),
        format!("/directory_users/{their_user}"),
        format!("/directory_groups/{their_group}"),
    ] {
        let (status, body) = api_get(&server, &key, &path).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    for path in [
        format!("/directories?organization_id={}", globex.organization_id),
        format!("/directory_users?directory={}", globex.directory_id),
        format!("/directory_users?group={their_group}"),
        format!("/directory_groups?directory={}", globex.directory_id),
        format!("/directory_groups?user={their_user}"),
        format!("/events?organization_id={}", globex.organization_id),
    ] {
        let (status, body) = api_get(&server, &key, &path).await;
        assert!(
            status == 404 || (status == 200 && body["data"] == json!([])),
            "{path}: {status} {body}"
        );
    }
    let (status, listed) = api_get(&server, &key, "/events?limit=100").await;
    assert_eq!(status, 200);
    for event in listed["data"].as_array().unwrap() {
        assert_eq!(
            event["data"]["organization_id"], acme.organization_id,
            "{event}"
        );
    }
    let deleted = server
        .http
        .delete(format!(
            "{}/directories/{}",
            server.base_url, globex.directory_id
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 404);

    assert_eq!(snapshot(&server, &globex).await, before, "B is unchanged");
    assert_eq!(
        server.events(&acme.directory_id).len(),
        our_events_before + 1,
        "A's only new event is its own legitimate user"
    );
    server.stop().await;
}
