//! The bulk API through the whole stack: a `custom api` directory made with the CLI, batches
//! POSTed with its bearer token, users and events read back from the database, the management
//! API and a webhook receiver, and compared with what the SCIM path produces for the same
//! changes.

use std::collections::HashMap;
use std::time::Duration;

use roster_events::{Clock, DispatcherConfig};
use roster_store::events::Event;
use serde_json::{Value, json};

use crate::receiver::Receiver;
use crate::support::{Reply, Scim, Tenant, TestServer};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A bulk API client for one directory, as an HR system would be configured.
struct Bulk {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Bulk {
    /// The client of `tenant`, a `custom api` directory of `server`.
    fn new(server: &TestServer, tenant: &Tenant) -> Self {
        Bulk {
            http: reqwest::Client::new(),
            url: format!(
                "{}/bulk",
                bulk_base_url(&server.base_url, &tenant.directory_id)
            ),
            token: tenant.token.clone(),
        }
    }

    async fn send(&self, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
        Reply {
            status,
            body,
            headers,
        }
    }

    async fn post(&self, batch: &Value) -> Reply {
        self.send(&batch.to_string(), &[]).await
    }

    /// Posts a batch that must succeed, and returns its answer.
    async fn apply(&self, batch: &Value) -> Value {
        let reply = self.post(batch).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }
}

fn bulk_base_url(public_url: &str, directory_id: &str) -> String {
    format!("{public_url}/custom/v1/{directory_id}")
}

fn employee(id: &str) -> Value {
    json!({
        "external_id": id, "email": format!("{id}@acme.com"), "first_name": id, "last_name": "Lee",
        "job_title": "Engineer", "manager_external_id": "boss",
        "custom_attributes": {"department": "R&D", "cost_center": 42, "location": "Berlin"},
        "groups": ["Engineering"], "active": true,
    })
}

fn outcomes(answer: &Value, kind: &str) -> Vec<String> {
    answer[kind]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["outcome"].as_str().unwrap().to_owned())
        .collect()
}

fn user_count(server: &TestServer, tenant: &Tenant) -> (usize, usize) {
    let id = roster_core::DirectoryId::parse(&tenant.directory_id).unwrap();
    let mut conn = server.store.connection().unwrap();
    let active = roster_store::users::active_external_ids(&mut conn, &id)
        .unwrap()
        .len();
    let (total, _) = roster_store::users::search(&mut conn, &id, None, 0, 1).unwrap();
    (active, usize::try_from(total).unwrap())
}

/// The directory's users as the management API shows them, oldest first.
async fn api_users(server: &TestServer, key: &str, tenant: &Tenant) -> Vec<Value> {
    let listed: Value = reqwest::Client::new()
        .get(format!(
            "{}/directory_users?directory={}&limit=100&order=asc",
            server.base_url, tenant.directory_id
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    listed["data"].as_array().unwrap().clone()
}

async fn api_key(server: &TestServer) -> String {
    server
        .cli(&["api-key", "create", "--name", "app"])
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn a_custom_directory_takes_batches_with_its_own_token_at_its_own_url() {
    let server = TestServer::start().await;
    let created = server
        .cli(&["org", "create", "--name", "Acme", "--domain", "acme.com"])
        .await
        .json();
    let organization = created["id"].as_str().unwrap();
    let directory = server
        .cli(&[
            "directory",
            "create",
            "--organization",
            organization,
            "--type",
            "custom",
            "--name",
            "Workday export",
        ])
        .await
        .json();
    assert_eq!(directory["type"], "custom api");
    assert_eq!(directory["state"], "unlinked");
    assert_eq!(directory["scim_base_url"], Value::Null);
    let id = directory["id"].as_str().unwrap();
    assert_eq!(
        directory["bulk_base_url"],
        bulk_base_url(&server.base_url, id)
    );
    let bulk_url = bulk_base_url(&server.base_url, id);
    let tenant = Tenant {
        organization_id: organization.to_owned(),
        directory_id: id.to_owned(),
        scim_base_url: String::new(),
        token: directory["bearer_token"].as_str().unwrap().to_owned(),
    };
    let bulk = Bulk::new(&server, &tenant);
    let batch = json!({"groups": [{"external_id": "G1", "name": "Engineering"}],
        "users": [employee("ann"), {"external_id": "boss", "email": "boss@acme.com"}]});

    // Unknown tokens, another directory's token and no token are one answer.
    let okta = server.tenant("okta", "okta.example").await;
    for token in ["", "roster_scim_wrong", okta.token.as_str()] {
        let stranger = Bulk {
            token: token.to_owned(),
            ..Bulk::new(&server, &tenant)
        };
        let refused = stranger.post(&batch).await;
        assert_eq!(refused.status, 401, "{}", refused.body);
        assert_eq!(refused.body["code"], "unauthorized");
        assert!(refused.body["message"].as_str().unwrap().contains("Bearer"));
    }
    // A SCIM directory takes no batches, and a custom directory no SCIM requests.
    let at_okta = Bulk {
        http: reqwest::Client::new(),
        url: format!("{}/custom/v1/{}/bulk", server.base_url, okta.directory_id),
        token: okta.token.clone(),
    };
    let refused = at_okta.post(&batch).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.body["code"], "wrong_directory_type");
    assert!(
        refused.body["message"]
            .as_str()
            .unwrap()
            .contains(&okta.scim_base_url)
    );
    let scim = Scim {
        http: reqwest::Client::new(),
        base: format!("{}/scim/v2/{id}", server.base_url),
        token: tenant.token.clone(),
    };
    let refused = scim.get("/Users").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body["detail"].as_str().unwrap().contains(&bulk_url));
    assert!(
        server.events(id).is_empty(),
        "refused requests link nothing"
    );

    let answer = bulk.apply(&batch).await;
    assert_eq!(
        answer,
        json!({"object": "bulk_result", "dry_run": false, "mode": "upsert", "partial": false,
            "totals": {"created": 3, "updated": 0, "unchanged": 0, "deactivated": 0, "error": 0},
            "deprovisioning_held": false,
            "groups": [{"index": 0, "external_id": "G1", "outcome": "created"}],
            "users": [{"index": 0, "external_id": "ann", "outcome": "created"},
                      {"index": 1, "external_id": "boss", "outcome": "created"}]})
    );
    assert_eq!(
        server.event_types(id),
        [
            "dsync.activated",
            "dsync.group.created",
            "dsync.user.created",
            "dsync.group.user_added",
            "dsync.user.created",
        ]
    );

    // Apps read them through the management API like any directory's users.
    let key = api_key(&server).await;
    let users = api_users(&server, &key, &tenant).await;
    let ann = users.iter().find(|user| user["idp_id"] == "ann").unwrap();
    assert_eq!(ann["email"], "ann@acme.com");
    assert_eq!(ann["username"], "ann@acme.com");
    assert_eq!(ann["first_name"], "ann");
    assert_eq!(ann["job_title"], "Engineer");
    assert_eq!(ann["state"], "active");
    assert_eq!(
        ann["custom_attributes"],
        json!({"department": "R&D", "cost_center": "42", "manager_id": "boss", "location": "Berlin"})
    );
    assert_eq!(ann["groups"][0]["name"], "Engineering");
    let shown: Value = reqwest::Client::new()
        .get(format!("{}/directories/{id}", server.base_url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["state"], "linked");
    assert_eq!(shown["type"], "custom api");
    assert_eq!(shown["bulk_base_url"], bulk_url.as_str());
    assert_eq!(shown["scim_base_url"], Value::Null);
    assert_eq!(shown["metadata"]["users"]["active"], 2);
    server.stop().await;
}

#[actix_web::test]
async fn a_dry_run_answers_exactly_what_the_real_run_does_and_writes_nothing() {
    let server = TestServer::start().await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let mut batch = json!({
        "dry_run": true, "mode": "replace_all", "partial": true,
        "groups": [{"external_id": "G1", "name": "Engineering"}, {"external_id": "G2", "name": "Sales"}],
        "users": [employee("ann"), employee("bob"), employee("hal"),
            {"external_id": "cy", "email": "cy@acme.com", "groups": ["Sales"]}],
    });

    // On a new directory a dry run does not even link it.
    let rehearsed = bulk.apply(&batch).await;
    assert!(server.events(&tenant.directory_id).is_empty());
    assert_eq!(user_count(&server, &tenant), (0, 0));
    batch["dry_run"] = json!(false);
    let applied = bulk.apply(&batch).await;
    assert_eq!(rehearsed["dry_run"], true);
    assert_eq!(applied["dry_run"], false);
    let without_flag = |answer: &Value| {
        let mut answer = answer.clone();
        answer["dry_run"] = Value::Null;
        answer
    };
    assert_eq!(without_flag(&rehearsed), without_flag(&applied));
    assert_eq!(applied["totals"]["created"], 6);

    // A second batch with every kind of outcome: an update with a membership change, a
    // deactivation, an unchanged user, creations, refused records, a renamed group, and a user
    // missing from the export.
    let mut ann = employee("ann");
    ann["job_title"] = json!("Staff Engineer");
    ann["custom_attributes"]["department"] = json!("Platform");
    ann["groups"] = json!(["Engineering", "Field Sales"]);
    let mut bob = employee("bob");
    bob["active"] = json!(false);
    let mut dan = employee("dan");
    dan["groups"] = json!(["field sales"]);
    let mut batch = json!({
        "dry_run": true, "mode": "replace_all", "partial": true,
        "groups": [{"external_id": "G1", "name": "Engineering"}, {"external_id": "G2", "name": "Field Sales"}],
        "users": [ann, bob, employee("hal"), employee("eve"), dan,
            {"external_id": "fay", "email": "fay@", "groups": []},
            {"external_id": "gus", "email": "gus@acme.com", "groups": ["Nobody"]}],
    });
    let before_events = server.events(&tenant.directory_id).len();
    let key = api_key(&server).await;
    let before_users = api_users(&server, &key, &tenant).await;
    let rehearsed = bulk.apply(&batch).await;
    assert_eq!(server.events(&tenant.directory_id).len(), before_events);
    assert_eq!(api_users(&server, &key, &tenant).await, before_users);

    batch["dry_run"] = json!(false);
    let applied = bulk.apply(&batch).await;
    assert_eq!(without_flag(&rehearsed), without_flag(&applied));
    assert_eq!(outcomes(&applied, "groups"), ["unchanged", "updated"]);
    assert_eq!(applied["groups"][1]["changed"], json!(["name"]));
    assert_eq!(
        outcomes(&applied, "users"),
        [
            "updated",
            "deactivated",
            "unchanged",
            "created",
            "created",
            "error",
            "error",
            "deactivated"
        ]
    );
    let users = applied["users"].as_array().unwrap();
    assert_eq!(
        users[0]["changed"],
        json!(["custom_attributes", "groups", "job_title"])
    );
    assert_eq!(users[1]["changed"], json!(["state"]));
    assert_eq!(users[5]["field"], "email");
    assert_eq!(users[6]["field"], "groups");
    assert!(users[6]["reason"].as_str().unwrap().contains("`Nobody`"));
    assert_eq!(
        users[7],
        json!({"index": null, "external_id": "cy", "outcome": "deactivated",
            "changed": ["state"], "reason": "Not in this replace_all batch."})
    );
    assert_eq!(
        applied["totals"],
        json!({"created": 2, "updated": 2, "unchanged": 2, "deactivated": 2, "error": 2})
    );
    let after = api_users(&server, &key, &tenant).await;
    let state = |id: &str| {
        after
            .iter()
            .find(|user| user["idp_id"] == id)
            .map(|user| user["state"].as_str().unwrap().to_owned())
    };
    assert_eq!(state("bob").as_deref(), Some("inactive"));
    assert_eq!(state("cy").as_deref(), Some("inactive"));
    assert_eq!(state("fay"), None);
    assert_eq!(state("dan").as_deref(), Some("active"));
    server.stop().await;
}

#[actix_web::test]
async fn replace_all_deactivates_exactly_the_active_users_missing_from_the_batch() {
    let server = TestServer::start().await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let person = |id: &str, active: bool| json!({"external_id": id, "email": format!("{id}@acme.com"), "active": active});
    bulk.apply(
        &json!({"users": [person("a", true), person("b", true), person("c", true),
        person("d", false), person("e", true)]}),
    )
    .await;
    let before = server.events(&tenant.directory_id).len();

    let answer = bulk
        .apply(&json!({"mode": "replace_all",
            "users": [person("a", true), person("c", true), person("f", true)]}))
        .await;
    assert_eq!(
        outcomes(&answer, "users"),
        [
            "unchanged",
            "unchanged",
            "created",
            "deactivated",
            "deactivated"
        ]
    );
    let missing: Vec<&str> = answer["users"].as_array().unwrap()[3..]
        .iter()
        .map(|line| line["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["b", "e"], "d was inactive already");
    assert_eq!(user_count(&server, &tenant), (3, 6));

    let events: Vec<Event> = server.events(&tenant.directory_id)[before..].to_vec();
    let written: Vec<(&str, &str)> = events
        .iter()
        .map(|event| {
            (
                event.event_type.as_str(),
                event.data["idp_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        written,
        [
            ("dsync.user.created", "f"),
            ("dsync.user.updated", "b"),
            ("dsync.user.updated", "e"),
        ]
    );
    for event in &events[1..] {
        assert_eq!(event.data["state"], "inactive");
        assert_eq!(
            event.data["previous_attributes"],
            json!({"state": "active"})
        );
    }

    // The full export again: nothing left to do.
    let again = bulk
        .apply(&json!({"mode": "replace_all",
            "users": [person("a", true), person("c", true), person("f", true)]}))
        .await;
    assert_eq!(
        outcomes(&again, "users"),
        ["unchanged", "unchanged", "unchanged"]
    );
    server.stop().await;
}

#[actix_web::test]
async fn a_thousand_record_batch_with_a_bad_record_in_the_middle_writes_nothing_and_names_it() {
    let server = TestServer::start().await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let mut users: Vec<Value> = (0..1000)
        .map(|index| {
            json!({"external_id": format!("E{index:04}"), "email": format!("user{index}@acme.com"),
            "first_name": "User", "last_name": index.to_string()})
        })
        .collect();
    // Refused only when it is written, after 500 users were: the transaction must undo them.
    users[500]["username"] = json!("user10@acme.com");
    let batch = json!({"users": users});

    let refused = bulk.post(&batch).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["code"], "invalid_records");
    assert_eq!(
        refused.body["errors"],
        json!([{"record": "users[500]", "index": 500, "external_id": "E0500", "outcome": "error",
            "field": "username", "reason": "Another user of this directory already has the username `user10@acme.com`."}])
    );
    let message = refused.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("1 of 1000 records were refused, so nothing was written"),
        "{message}"
    );
    assert!(message.contains("users[500].username"), "{message}");
    assert_eq!(user_count(&server, &tenant), (0, 0));
    assert!(server.events(&tenant.directory_id).is_empty());

    server.stop().await;
}

#[actix_web::test]
async fn the_same_batch_twice_changes_nothing_the_second_time() {
    let server = TestServer::start().await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let batch = json!({"groups": [{"external_id": "G1", "name": "Engineering"},
            {"external_id": "G2", "name": "Everyone"}],
        "users": [employee("ann"), employee("bob"),
            {"external_id": "boss", "email": "boss@acme.com", "groups": ["Everyone"],
             "custom_attributes": {"employee_type": "Contractor", "start_date": "2026-01-05"}}]});
    let first = bulk.apply(&batch).await;
    assert_eq!(first["totals"]["created"], 5);
    let events = server.events(&tenant.directory_id).len();

    let second = bulk.apply(&batch).await;
    assert_eq!(
        second["totals"],
        json!({"created": 0, "updated": 0, "unchanged": 5, "deactivated": 0, "error": 0})
    );
    assert_eq!(server.events(&tenant.directory_id).len(), events);
    server.stop().await;
}

#[actix_web::test]
async fn batches_the_server_cannot_take_are_refused_in_json_and_write_nothing() {
    let server = TestServer::start_configured(crate::support::TestDatabase::new(), |config| {
        config.bulk_max_records = 3;
    })
    .await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let four: Vec<Value> = (0..4).map(|index| employee(&format!("e{index}"))).collect();
    let cases = [
        (
            json!({"users": four}).to_string(),
            413,
            "batch_too_large",
            "at most 3",
        ),
        (
            "{\"users\": [".to_owned(),
            400,
            "invalid_json",
            "not valid JSON",
        ),
        (
            json!({"mode": "merge"}).to_string(),
            422,
            "invalid_request_parameters",
            "`mode`",
        ),
        (
            json!({"users": {"external_id": "e"}}).to_string(),
            422,
            "invalid_request_parameters",
            "`users`",
        ),
        (
            " ".repeat(1024 * 1024 + 1),
            413,
            "batch_too_large",
            "larger than 1048576 bytes",
        ),
    ];
    for (body, status, code, message) in cases {
        let reply = bulk.send(&body, &[]).await;
        assert_eq!(reply.status, status, "{}", reply.body);
        assert_eq!(reply.body["code"], code, "{}", reply.body);
        assert!(
            reply.body["message"].as_str().unwrap().contains(message),
            "{}",
            reply.body
        );
    }
    let unknown = bulk.send(&json!({"mode": "merge"}).to_string(), &[]).await;
    assert_eq!(unknown.body["param"], "mode");
    // PostgreSQL stores no NUL in text: the record is refused before it gets there.
    let nul = bulk
        .post(&json!({"users": [{"external_id": "e1", "email": "e1@acme.com", "first_name": "A\u{0}"}]}))
        .await;
    assert_eq!(nul.status, 422, "{}", nul.body);
    assert_eq!(nul.body["errors"][0]["field"], "first_name");

    let http = reqwest::Client::new();
    let wrong_method = http
        .get(&bulk.url)
        .bearer_auth(&bulk.token)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status().as_u16(), 405);
    let body: Value = wrong_method.json().await.unwrap();
    assert_eq!(body["code"], "method_not_allowed");
    let elsewhere = http
        .post(format!(
            "{}/Users",
            bulk_base_url(&server.base_url, &tenant.directory_id)
        ))
        .bearer_auth(&bulk.token)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status().as_u16(), 404);
    let body: Value = elsewhere.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert!(server.events(&tenant.directory_id).is_empty());
    server.stop().await;
}

/// The events' data with every id, timestamp and directory-specific value replaced by a
/// placeholder numbered in order of appearance, so that two directories' events compare.
fn normalised(events: &[Value]) -> Vec<Value> {
    fn walk(value: &Value, seen: &mut HashMap<String, String>) -> Value {
        match value {
            Value::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(key, value)| {
                        let value = match key.as_str() {
                            "created_at" | "updated_at" => json!("<time>"),
                            _ => walk(value, seen),
                        };
                        (key.clone(), value)
                    })
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|item| walk(item, seen)).collect())
            }
            Value::String(text) => {
                let prefix = [
                    "directory_user_",
                    "directory_group_",
                    "directory_",
                    "org_",
                    "event_",
                ]
                .into_iter()
                .find(|prefix| {
                    text.strip_prefix(prefix)
                        .is_some_and(|ulid| ulid.len() == 26)
                });
                match prefix {
                    Some(prefix) => {
                        let next = seen.len();
                        json!(
                            seen.entry(text.clone())
                                .or_insert_with(|| format!("<{prefix}{next}>"))
                                .clone()
                        )
                    }
                    None => value.clone(),
                }
            }
            other => other.clone(),
        }
    }
    let mut seen = HashMap::new();
    events.iter().map(|event| walk(event, &mut seen)).collect()
}

fn event_bodies(events: &[Event]) -> Vec<Value> {
    events
        .iter()
        .map(|event| json!({"event": event.event_type.as_str(), "data": event.data}))
        .collect()
}

#[actix_web::test]
async fn events_and_webhooks_are_those_the_scim_path_produces_for_the_same_changes() {
    let server = TestServer::start().await;
    let dispatcher = server.dispatcher(
        DispatcherConfig {
            poll_interval: Duration::from_millis(100),
            timeout: Duration::from_secs(2),
            allow_private: true,
            ..DispatcherConfig::default()
        },
        Clock::system(),
    );
    let receiver = Receiver::start().await;
    server
        .cli(&["webhook", "create", "--url", &receiver.url])
        .await
        .json();
    // Neither organization owns acme.com: both flag the user's address alike.
    let okta = server.tenant("okta", "okta.example").await;
    let custom = server.tenant("custom", "custom.example").await;

    // What Okta sends for a user whose record the HR system sends below.
    let document = |title: &str, department: &str, active: bool| {
        json!({"externalId": "ann", "userName": "ann@acme.com",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@acme.com", "type": "work", "primary": true}],
            "title": title, "active": active, "userType": "Employee",
            ENTERPRISE: {"department": department, "costCenter": "42", "manager": {"value": "boss"}}})
    };
    let scim = Scim::new(&okta);
    let group = scim
        .post(
            "/Groups",
            &json!({"displayName": "Engineering", "externalId": "G1"}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let group_id = group.body["id"].as_str().unwrap().to_owned();
    let user = scim
        .post("/Users", &document("Engineer", "R&D", true))
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    let user_id = user.body["id"].as_str().unwrap().to_owned();
    let membership = |op: &str| {
        json!({"schemas": [PATCH], "Operations": [{"op": op, "path": "members",
            "value": [{"value": user_id}]}]})
    };
    let path = format!("/Groups/{group_id}");
    assert_eq!(scim.patch(&path, &membership("add")).await.status, 204);
    let user_path = format!("/Users/{user_id}");
    assert_eq!(
        scim.put(&user_path, &document("Staff Engineer", "Platform", true))
            .await
            .status,
        200
    );
    let deactivate =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]});
    assert_eq!(scim.patch(&user_path, &deactivate).await.status, 200);
    let remove = json!({"schemas": [PATCH], "Operations": [{"op": "remove",
        "path": format!("members[value eq \"{user_id}\"]")}]});
    assert_eq!(scim.patch(&path, &remove).await.status, 204);

    let bulk = Bulk::new(&server, &custom);
    let record = |title: &str, department: &str, active: bool, groups: Value| {
        json!({"external_id": "ann", "email": "ann@acme.com", "first_name": "Ann", "last_name": "Lee",
            "job_title": title, "manager_external_id": "boss", "active": active, "groups": groups,
            "custom_attributes": {"department": department, "cost_center": 42, "employee_type": "Employee"}})
    };
    bulk.apply(
        &json!({"groups": [{"external_id": "G1", "name": "Engineering"}],
        "users": [record("Engineer", "R&D", true, json!(["Engineering"]))]}),
    )
    .await;
    bulk.apply(
        &json!({"users": [record("Staff Engineer", "Platform", true, json!(["Engineering"]))]}),
    )
    .await;
    bulk.apply(
        &json!({"users": [record("Staff Engineer", "Platform", false, json!(["Engineering"]))]}),
    )
    .await;
    bulk.apply(&json!({"users": [record("Staff Engineer", "Platform", false, json!([]))]}))
        .await;

    let by_scim = server.events(&okta.directory_id);
    let by_bulk = server.events(&custom.directory_id);
    assert_eq!(
        server.event_types(&custom.directory_id),
        [
            "dsync.activated",
            "dsync.group.created",
            "dsync.user.created",
            "dsync.group.user_added",
            "dsync.user.updated",
            "dsync.user.updated",
            "dsync.group.user_removed",
        ]
    );
    // dsync.activated names each directory's own type and domains; everything after is equal.
    assert_eq!(
        normalised(&event_bodies(&by_bulk[1..])),
        normalised(&event_bodies(&by_scim[1..]))
    );
    assert_eq!(
        by_bulk[4].data["previous_attributes"],
        json!({"job_title": "Engineer", "custom_attributes": {"department": "R&D"}})
    );

    // Delivered as webhooks, each exactly as stored.
    let total = by_scim.len() + by_bulk.len();
    let delivered = receiver
        .wait_for_delivered(total, Duration::from_secs(10))
        .await;
    let bodies: HashMap<String, Value> = delivered
        .iter()
        .map(|received| (received.event_id(), received.json()))
        .collect();
    for event in by_bulk.iter().chain(&by_scim) {
        assert_eq!(bodies.get(event.id.as_str()), Some(&event.to_json()));
    }

    // And the management API shows the two users alike.
    let key = api_key(&server).await;
    let from_scim = api_users(&server, &key, &okta).await;
    let from_bulk = api_users(&server, &key, &custom).await;
    assert_eq!(normalised(&from_bulk), normalised(&from_scim));
    dispatcher.shutdown().await;
    server.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn a_replace_all_batch_missing_most_of_the_directory_trips_the_deprovisioning_guard() {
    let server = TestServer::start().await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let everyone: Vec<Value> = (0..30)
        .map(|index| json!({"external_id": format!("E{index}"), "email": format!("e{index}@acme.com")}))
        .collect();
    bulk.apply(&json!({"users": everyone})).await;

    // A truncated export: the dry run already says the deactivations would be held.
    let truncated = json!({"dry_run": true, "mode": "replace_all",
        "users": [{"external_id": "E0", "email": "e0@acme.com"}]});
    let rehearsed = bulk.apply(&truncated).await;
    assert_eq!(rehearsed["totals"]["deactivated"], 29);
    assert_eq!(rehearsed["deprovisioning_held"], true);
    let holds = server.cli(&["directory", "holds"]).await.json();
    assert_eq!(holds["data"], json!([]), "a dry run opens no hold");

    let mut applied = truncated.clone();
    applied["dry_run"] = json!(false);
    let applied = bulk.apply(&applied).await;
    assert_eq!(applied["deprovisioning_held"], true);
    let holds = server.cli(&["directory", "holds"]).await.json();
    assert_eq!(holds["data"][0]["status"], "open", "{holds}");
    assert_eq!(
        holds["data"][0]["directory_id"],
        tenant.directory_id.as_str()
    );
    assert_eq!(user_count(&server, &tenant), (1, 30));
    server.stop().await;
}

#[actix_web::test]
async fn a_retry_with_the_same_idempotency_key_gets_the_first_answer_and_applies_nothing() {
    let server = TestServer::start().await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let batch = json!({"groups": [{"external_id": "G1", "name": "Engineering"}],
        "users": [employee("ann"), employee("bob")]})
    .to_string();
    let key = [("Idempotency-Key", "wf-exec-0001")];

    // Sent twice at once, as a client that timed out and retried might: one applies it, the
    // other waits for the directory's lock and gets its answer.
    let (first, second) = tokio::join!(bulk.send(&batch, &key), bulk.send(&batch, &key));
    let (applied, replayed) = if first.headers.contains_key("idempotent-replayed") {
        (second, first)
    } else {
        (first, second)
    };
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(applied.body["totals"]["created"], 3);
    assert_eq!(replayed.headers["idempotent-replayed"], "true");
    assert_eq!((replayed.status, &replayed.body), (200, &applied.body));
    let events = server.events(&tenant.directory_id).len();
    assert_eq!(
        events,
        1 + 3 + 2,
        "activated, three creations, two memberships"
    );

    let later = bulk.send(&batch, &key).await;
    assert_eq!((later.status, &later.body), (200, &applied.body));
    assert_eq!(server.events(&tenant.directory_id).len(), events);

    // Another batch under the same key is refused; under a new key it runs.
    let other = json!({"users": [employee("cy")]}).to_string();
    let reused = bulk.send(&other, &key).await;
    assert_eq!(reused.status, 422, "{}", reused.body);
    assert_eq!(reused.body["code"], "idempotency_key_reused");
    assert_eq!(server.events(&tenant.directory_id).len(), events);
    let fresh = bulk
        .send(&other, &[("Idempotency-Key", "wf-exec-0002")])
        .await;
    assert_eq!(fresh.body["totals"]["created"], 1);
    assert!(!fresh.headers.contains_key("idempotent-replayed"));

    let bad = bulk.send(&other, &[("Idempotency-Key", "two words")]).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["param"], "Idempotency-Key");
    server.stop().await;
}

#[actix_web::test]
async fn only_written_batches_are_remembered_and_only_for_a_day() {
    let server = TestServer::start().await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let key = [("Idempotency-Key", "nightly-2026-11-30")];

    // A dry run under a key, then the real batch under it.
    let mut batch =
        json!({"dry_run": true, "users": [{"external_id": "ann", "email": "ann@acme.com"}]});
    let rehearsed = bulk.send(&batch.to_string(), &key).await;
    assert_eq!(rehearsed.status, 200);
    batch["dry_run"] = json!(false);
    // A batch refused as a whole is not remembered either: fixed, it goes under the same key.
    let mut broken = batch.clone();
    broken["users"][0]["email"] = json!("ann@");
    let refused = bulk.send(&broken.to_string(), &key).await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["code"], "invalid_records");
    let applied = bulk.send(&batch.to_string(), &key).await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert_eq!(applied.body["totals"]["created"], 1);

    // A day later the key is forgotten: another batch may use it.
    let id = roster_core::DirectoryId::parse(&tenant.directory_id).unwrap();
    {
        let mut conn = server.store.connection().unwrap();
        let stale = roster_store::bulk_idempotency_keys::RememberedAnswer {
            request_digest: "0".repeat(64),
            status: 200,
            response: "{}".to_owned(),
        };
        let day_ago = roster_core::Timestamp::from_millis(
            roster_core::Timestamp::now().as_millis() - 24 * 60 * 60 * 1000 - 1,
        );
        roster_store::bulk_idempotency_keys::insert(&mut conn, &id, "last-week", &stale, day_ago)
            .unwrap();
    }
    let reused = bulk
        .send(
            &json!({"users": [{"external_id": "bob", "email": "bob@acme.com"}]}).to_string(),
            &[("Idempotency-Key", "last-week")],
        )
        .await;
    assert_eq!(reused.status, 200, "{}", reused.body);
    assert_eq!(reused.body["totals"]["created"], 1);
    server.stop().await;
}

#[actix_web::test]
async fn an_hr_export_as_csv_is_the_same_batch_with_its_options_in_the_query() {
    let server = TestServer::start().await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    let csv = "External ID,Email,First Name,Last Name,Job Title,Groups,Department,Location\n\
               E1,ann@acme.com,Ann,Lee,Engineer,Engineering;Everyone,R&D,Berlin\n\
               E2,bob@acme.com,Bob,Ray,Designer,Everyone,Design,\n\
               E3,cy@,Cy,,,,,\n";
    let send = |query: &'static str, body: &'static str| {
        let request = bulk
            .http
            .post(format!("{}{query}", bulk.url))
            .bearer_auth(&bulk.token)
            .header("content-type", "text/csv; charset=utf-8")
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    let (status, rehearsed) = send("?dry_run=true&partial=true", csv).await;
    assert_eq!(status, 200, "{rehearsed}");
    assert_eq!(rehearsed["dry_run"], true);
    assert!(server.events(&tenant.directory_id).is_empty());
    let (status, applied) = send("?partial=true", csv).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(outcomes(&applied, "groups"), ["created", "created"]);
    assert_eq!(outcomes(&applied, "users"), ["created", "created", "error"]);
    assert_eq!(applied["users"][2]["field"], "email");
    let key = api_key(&server).await;
    let users = api_users(&server, &key, &tenant).await;
    assert_eq!(
        users[0]["custom_attributes"],
        json!({"department": "R&D", "location": "Berlin"})
    );
    assert_eq!(users[0]["groups"].as_array().unwrap().len(), 2);

    // The full export without Bob: replace_all deactivates him.
    let (status, replaced) = send(
        "?mode=replace_all",
        "external_id,email,first_name,last_name,job_title,groups,department,location\n\
         E1,ann@acme.com,Ann,Lee,Engineer,Engineering;Everyone,R&D,Berlin\n",
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(outcomes(&replaced, "users"), ["unchanged", "deactivated"]);

    let (status, refused) = send("?dry_run=maybe", csv).await;
    assert_eq!(status, 422);
    assert_eq!(refused["param"], "dry_run");
    let (status, refused) = send("", "email\nann@acme.com\n").await;
    assert_eq!(status, 422);
    assert_eq!(refused["param"], "external_id");
    server.stop().await;
}

#[actix_web::test]
async fn a_directory_over_its_rate_limit_gets_429_with_retry_after_and_nothing_is_written() {
    let server = TestServer::start_configured(crate::support::TestDatabase::new(), |config| {
        config.scim_rate_limit = 1;
    })
    .await;
    let tenant = server.tenant("custom", "acme.com").await;
    let bulk = Bulk::new(&server, &tenant);
    // A bucket of two (twice the rate), refilled at one a second: of six batches sent at
    // once, two pass and the others wait their turn.
    let started = std::time::Instant::now();
    let answers: Vec<Reply> = futures_util::future::join_all((0..6).map(|index| {
        let bulk = &bulk;
        async move {
            bulk.post(&json!({"users": [{"external_id": format!("e{index}"),
                "email": format!("e{index}@acme.com")}]}))
                .await
        }
    }))
    .await;
    let refilled = started.elapsed().as_secs_f64().ceil() as usize;
    let applied = answers.iter().filter(|reply| reply.status == 200).count();
    let limited: Vec<&Reply> = answers.iter().filter(|reply| reply.status == 429).collect();
    assert_eq!(applied + limited.len(), 6, "only 200 or 429");
    assert!((2..=2 + refilled).contains(&applied), "{applied} applied");
    assert!(!limited.is_empty());
    for reply in limited {
        assert_eq!(reply.body["code"], "rate_limit_exceeded");
        let retry_after: u64 = reply.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry_after), "{retry_after}");
    }
    assert_eq!(user_count(&server, &tenant), (applied, applied));
    server.stop().await;
}
