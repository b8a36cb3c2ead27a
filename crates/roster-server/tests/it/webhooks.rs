//! Webhooks through the whole stack: SCIM writes on a real server, the dispatcher, deliveries
//! to a real local receiver, signatures checked the way the WorkOS SDKs and the Standard
//! Webhooks libraries check them, and the `roster` binary killed mid-stream.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::ops::Deref;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use roster_core::Timestamp;
use roster_core::id::WebhookEndpointId;
use roster_events::schedule::RetrySchedule;
use roster_events::{Clock, Dispatcher, DispatcherConfig, DispatcherHandle};
use roster_store::deliveries::{self, DeliveryFilter, DeliveryStatus};
use roster_store::{DatabaseUrl, Store};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::Notify;

use crate::receiver::{Answer, Received, Receiver};
use crate::support::{Scim, Tenant, TestDatabase, TestServer, events, run_cli, tenant};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A server with a dispatcher whose configuration and clock the test controls.
struct Hooks {
    server: TestServer,
    clock: Clock,
    dispatcher: DispatcherHandle,
}

impl Deref for Hooks {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.server
    }
}

/// Fast retries and polls, and loopback allowed: every test's receiver is on 127.0.0.1.
pub fn test_config() -> DispatcherConfig {
    DispatcherConfig {
        retry_schedule: RetrySchedule::parse("100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms")
            .unwrap(),
        timeout: Duration::from_secs(2),
        poll_interval: Duration::from_millis(100),
        allow_private: true,
        ..DispatcherConfig::default()
    }
}

impl Hooks {
    async fn start(adjust: impl FnOnce(&mut DispatcherConfig)) -> Self {
        let server = TestServer::start().await;
        let mut dispatcher_config = test_config();
        adjust(&mut dispatcher_config);
        let clock = Clock::system();
        let dispatcher = server.dispatcher(dispatcher_config, clock.clone());
        Hooks {
            server,
            clock,
            dispatcher,
        }
    }

    /// Registers an endpoint through the CLI; returns its id and secret.
    async fn endpoint(&self, url: &str, options: &[&str]) -> (String, String) {
        let mut args = vec!["webhook", "create", "--url", url];
        args.extend_from_slice(options);
        let created = self.cli(&args).await.json();
        (
            created["id"].as_str().unwrap().to_owned(),
            created["secret"].as_str().unwrap().to_owned(),
        )
    }

    fn deliveries(
        &self,
        filter: DeliveryFilter,
    ) -> Vec<(deliveries::Delivery, Vec<deliveries::Attempt>)> {
        let mut conn = self.store.connection().unwrap();
        deliveries::list(
            &mut conn,
            &DeliveryFilter {
                limit: 1000,
                ..filter
            },
        )
        .unwrap()
    }

    async fn stop(self) {
        self.dispatcher.shutdown().await;
        self.server.stop().await;
    }
}

fn user(name: &str) -> Value {
    json!({"schemas": [USER_SCHEMA], "userName": format!("{name}@acme.com"), "externalId": name,
        "name": {"givenName": name, "familyName": "Lee"},
        "emails": [{"value": format!("{name}@acme.com"), "primary": true, "type": "work"}],
        "active": true})
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// What WorkOS's SDKs do: split on ", ", `t` (ms) then `v1` (hex), MAC over "t.body" keyed with
/// the secret string, and a 180 s tolerance.
pub fn workos_valid(received: &Received, secret: &str) -> bool {
    let header = received.header("WorkOS-Signature");
    let parts: Vec<&str> = header.split(", ").collect();
    assert_eq!(parts.len(), 2, "{header}");
    let timestamp = parts[0].strip_prefix("t=").unwrap();
    let signature = parts[1].strip_prefix("v1=").unwrap();
    let millis: i64 = timestamp.parse().unwrap();
    assert!(
        (Timestamp::now().as_millis() - millis).abs() < 180_000,
        "t is in milliseconds and current: {timestamp}"
    );
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(&received.body);
    let expected: String = hmac_sha256(secret.as_bytes(), &message)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    expected == signature
}

/// What the Standard Webhooks libraries do, per signature in `webhook-signature`: key = the
/// base64 after `whsec_`, MAC over "id.timestamp.body", timestamp in seconds within 300 s.
fn standard_valid(received: &Received, secret: &str) -> Vec<bool> {
    let id = received.header("webhook-id");
    let timestamp = received.header("webhook-timestamp");
    let seconds: i64 = timestamp.parse().unwrap();
    assert!(
        (Timestamp::now().as_millis() / 1000 - seconds).abs() < 300,
        "webhook-timestamp is in seconds and current: {timestamp}"
    );
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(&received.body);
    let expected = STANDARD.encode(hmac_sha256(&key, &message));
    received
        .header("webhook-signature")
        .split(' ')
        .map(|signature| signature.strip_prefix("v1,").unwrap() == expected)
        .collect()
}

pub fn assert_signed_by(received: &Received, secret: &str) {
    assert!(workos_valid(received, secret), "WorkOS-Signature verifies");
    assert!(
        standard_valid(received, secret).contains(&true),
        "webhook-signature verifies"
    );
    assert_eq!(received.header("content-type"), "application/json");
    assert_eq!(received.header("webhook-id"), received.json()["id"]);
}

fn sequence(received: &Received) -> i64 {
    received.header("roster-event-sequence").parse().unwrap()
}

/// Polls `check` until it returns something, failing after `within`.
async fn eventually<T>(within: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "after {within:?}, still waiting for {what}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn every_event_arrives_signed_twice_exactly_as_stored() {
    let receiver = Receiver::start().await;
    let hooks = Hooks::start(|_| {}).await;
    let (_, secret) = hooks
        .endpoint(&format!("{}/hooks/roster", receiver.url), &[])
        .await;
    let tenant = hooks.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);

    let sent = Instant::now();
    let created = scim.post("/Users", &user("ann")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let first = receiver.wait_for_delivered(2, Duration::from_secs(5)).await;
    let latency = first.iter().map(|r| r.at - sent).max().unwrap();
    eprintln!("SCIM write to webhook received: {latency:?}");
    assert!(latency < Duration::from_millis(500), "{latency:?}");
    let user_id = created.body["id"].as_str().unwrap().to_owned();

    let rename = json!({"schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "path": "name.givenName", "value": "Anne"}]});
    assert_eq!(
        scim.patch(&format!("/Users/{user_id}"), &rename)
            .await
            .status,
        200
    );
    let deactivate = json!({"schemas": [PATCH_SCHEMA],
        "Operations": [{"op": "replace", "value": {"active": false}}]});
    assert_eq!(
        scim.patch(&format!("/Users/{user_id}"), &deactivate)
            .await
            .status,
        200
    );
    let group = scim
        .post(
            "/Groups",
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Engineering", "members": [{"value": user_id}]}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let group_id = group.body["id"].as_str().unwrap().to_owned();
    let remove = json!({"schemas": [PATCH_SCHEMA], "Operations": [
        {"op": "remove", "path": format!("members[value eq \"{user_id}\"]")}]});
    assert_eq!(
        scim.patch(&format!("/Groups/{group_id}"), &remove)
            .await
            .status,
        204
    );
    assert_eq!(scim.delete(&format!("/Users/{user_id}")).await.status, 204);
    assert_eq!(
        scim.delete(&format!("/Groups/{group_id}")).await.status,
        204
    );

    let mut received = receiver
        .wait_for_delivered(9, Duration::from_secs(10))
        .await;
    // Deliveries to one endpoint run concurrently; the sequence header (and the stored
    // sequence) restore the order.
    received.sort_by_key(sequence);
    let stored = hooks.events(&tenant.directory_id);
    let types: Vec<&str> = stored
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
            "dsync.group.created",
            "dsync.group.user_added",
            "dsync.group.user_removed",
            "dsync.user.deleted",
            "dsync.group.deleted",
        ]
    );
    assert_eq!(received.len(), stored.len(), "each event exactly once");
    for (delivery, event) in received.iter().zip(&stored) {
        assert_signed_by(delivery, &secret);
        assert_eq!(delivery.event_id(), event.id.as_str());
        assert_eq!(sequence(delivery), event.sequence);
        assert_eq!(delivery.path, "/hooks/roster");
        // Compact JSON, exactly what was signed, exactly the stored event.
        assert_eq!(
            delivery.body,
            serde_json::to_vec(&event.to_json()).unwrap(),
            "the body is the event serialised compactly"
        );
    }
    let bodies: Vec<Value> = received.iter().map(Received::json).collect();
    assert_eq!(bodies[0]["object"], "event");
    assert_eq!(bodies[0]["data"]["id"], tenant.directory_id.as_str());
    assert_eq!(bodies[1]["data"]["id"], user_id.as_str());
    assert_eq!(bodies[1]["data"]["first_name"], "ann");
    assert_eq!(
        bodies[2]["data"]["previous_attributes"],
        json!({"first_name": "ann"})
    );
    assert_eq!(bodies[2]["data"]["first_name"], "Anne");
    assert_eq!(
        bodies[3]["data"]["previous_attributes"],
        json!({"state": "active"})
    );
    assert_eq!(bodies[3]["data"]["state"], "inactive");
    assert_eq!(bodies[5]["data"]["user"]["id"], user_id.as_str());
    assert_eq!(bodies[5]["data"]["group"]["id"], group_id.as_str());
    assert_eq!(bodies[6]["data"]["group"]["id"], group_id.as_str());
    assert_eq!(bodies[7]["data"]["id"], user_id.as_str());
    assert_eq!(bodies[8]["data"]["id"], group_id.as_str());

    // The receiver has every body; the dispatcher records each outcome just after the answer.
    let mut listed = Vec::new();
    for _ in 0..50 {
        listed = hooks.cli(&["webhook", "deliveries"]).await.json()["data"]
            .as_array()
            .unwrap()
            .clone();
        if listed.iter().all(|d| d["status"] == "delivered") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed.len(), 9);
    assert!(listed.iter().all(|d| d["status"] == "delivered"
        && d["attempts"] == 1
        && d["attempt_log"][0]["status_code"] == 200));
    hooks.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn a_receiver_that_was_down_gets_the_whole_backlog_with_the_same_event_ids() {
    let receiver = Receiver::start().await;
    receiver.answer(Answer {
        body: "é".repeat(1500),
        ..Answer::status(500)
    });
    let hooks = Hooks::start(|_| {}).await;
    let (endpoint, secret) = hooks.endpoint(&receiver.url, &[]).await;
    let tenant = hooks.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    for name in ["ann", "bob", "cat"] {
        assert_eq!(scim.post("/Users", &user(name)).await.status, 201);
    }
    // Every event fails at least twice.
    receiver
        .wait_until(
            Duration::from_secs(10),
            "two failed attempts per event",
            |received| {
                let mut per_event: HashMap<String, usize> = HashMap::new();
                for request in received {
                    *per_event.entry(request.event_id()).or_default() += 1;
                }
                per_event.len() == 4 && per_event.values().all(|count| *count >= 2)
            },
        )
        .await;
    receiver.answer(Answer::status(200));
    let delivered = receiver
        .wait_for_delivered(4, Duration::from_secs(10))
        .await;
    let stored: HashSet<String> = hooks
        .events(&tenant.directory_id)
        .iter()
        .map(|event| event.id.to_string())
        .collect();
    let delivered_ids: HashSet<String> = delivered.iter().map(Received::event_id).collect();
    assert_eq!(delivered_ids, stored, "the whole backlog arrives");
    // A retry is the same event: same id, same body, signed afresh.
    for request in receiver.received() {
        let delivered = delivered
            .iter()
            .find(|d| d.event_id() == request.event_id())
            .unwrap();
        assert_eq!(request.body, delivered.body);
        assert_signed_by(&request, &secret);
    }

    let listed = hooks
        .cli(&["webhook", "deliveries", "--endpoint", &endpoint])
        .await
        .json();
    for delivery in listed["data"].as_array().unwrap() {
        assert_eq!(delivery["status"], "delivered");
        let log = delivery["attempt_log"].as_array().unwrap();
        assert!(log.len() >= 3, "{delivery}");
        assert_eq!(log[0]["status_code"], 500);
        let body = log[0]["response_body"].as_str().unwrap();
        assert!(body.len() <= 1024 && body.len() > 1000, "{}", body.len());
        assert_eq!(log.last().unwrap()["status_code"], 200);
    }
    hooks.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn retry_after_is_honoured_and_an_endpoint_failing_for_days_is_disabled() {
    let receiver = Receiver::start().await;
    receiver.answer(Answer {
        retry_after: Some("1".into()),
        ..Answer::status(429)
    });
    // Retries an hour apart: only Retry-After or the clock can bring them sooner.
    let hooks = Hooks::start(|config| {
        config.retry_schedule = RetrySchedule::parse("1h,1h,1h,1h,1h").unwrap();
    })
    .await;
    let (endpoint, _) = hooks.endpoint(&receiver.url, &[]).await;
    let tenant = hooks.tenant("okta", "acme.com").await;
    assert_eq!(
        Scim::new(&tenant).post("/Users", &user("ann")).await.status,
        201
    );
    let received = receiver
        .wait_until(
            Duration::from_secs(5),
            "a second attempt after Retry-After",
            |r| r.len() >= 4,
        )
        .await;
    receiver.answer(Answer::status(500));
    let first = &received[0];
    let second = received[1..]
        .iter()
        .find(|r| r.event_id() == first.event_id())
        .unwrap();
    let gap = second.at - first.at;
    assert!(
        gap >= Duration::from_millis(700) && gap < Duration::from_secs(3),
        "{gap:?}"
    );
    // The next attempts (now answered 500 without Retry-After) are an hour away.
    receiver
        .wait_until(Duration::from_secs(5), "the third attempts", |r| {
            r.len() >= 6
        })
        .await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 6);

    let endpoint_id = WebhookEndpointId::parse(&endpoint).unwrap();
    let find = || {
        let mut conn = hooks.store.connection().unwrap();
        roster_store::webhooks::find(&mut conn, &endpoint_id)
            .unwrap()
            .unwrap()
    };
    assert!(find().enabled);
    assert!(find().failing_since.is_some());
    // Three days and two hours later, the retries fail again: the endpoint has failed for
    // longer than ROSTER_WEBHOOK_DISABLE_AFTER.
    hooks.clock.advance(Duration::from_secs(3 * 86400 + 7200));
    hooks.events_written.notify_one();
    eventually(Duration::from_secs(5), "the endpoint disabled", || {
        (!find().enabled).then_some(())
    })
    .await;
    let listed = hooks.cli(&["webhook", "list"]).await.json();
    assert_eq!(listed["data"][0]["enabled"], false);
    assert!(
        listed["data"][0]["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("3 days")
    );
    assert!(
        listed["data"][0].get("secret").is_none(),
        "list never shows secrets"
    );

    // Disabled: nothing is sent even when due.
    receiver.answer(Answer::status(200));
    let before = receiver.received().len();
    hooks.clock.advance(Duration::from_secs(7200));
    hooks.events_written.notify_one();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), before);
    // Enabled again, the waiting deliveries go out.
    let enabled = hooks.cli(&["webhook", "enable", &endpoint]).await.json();
    assert_eq!(enabled["enabled"], true);
    receiver.wait_for_delivered(2, Duration::from_secs(5)).await;
    hooks.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn endpoints_get_only_their_organization_and_event_types() {
    let receiver = Receiver::start().await;
    let hooks = Hooks::start(|_| {}).await;
    let acme = hooks.tenant("okta", "acme.com").await;
    let globex = hooks.tenant("okta", "globex.com").await;

    let refused = hooks
        .cli(&[
            "webhook",
            "create",
            "--url",
            &receiver.url,
            "--events",
            "dsync.user.exploded",
        ])
        .await;
    assert!(!refused.success);
    assert!(refused.stdout.is_empty());
    assert!(
        refused
            .stderr
            .contains("unknown event type `dsync.user.exploded`")
            && refused.stderr.contains("dsync.group.user_removed"),
        "{}",
        refused.stderr
    );
    let unknown_org = hooks
        .cli(&[
            "webhook",
            "create",
            "--url",
            &receiver.url,
            "--organization",
            "org_01M86HN94NZP0FDZK4YN1J1WR9",
        ])
        .await;
    assert!(!unknown_org.success);
    assert!(
        unknown_org.stderr.contains("no organization"),
        "{}",
        unknown_org.stderr
    );

    let (scoped, _) = hooks
        .endpoint(
            &format!("{}/acme", receiver.url),
            &["--organization", &acme.organization_id],
        )
        .await;
    hooks
        .endpoint(
            &format!("{}/users", receiver.url),
            &["--events", "dsync.user.created,dsync.user.deleted"],
        )
        .await;
    hooks.endpoint(&format!("{}/all", receiver.url), &[]).await;
    let listed = hooks.cli(&["webhook", "list"]).await.json();
    let scoped_listed = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == scoped.as_str())
        .unwrap();
    assert_eq!(
        scoped_listed["organization_id"],
        acme.organization_id.as_str()
    );
    assert_eq!(scoped_listed["events"], json!([]));

    let acme_scim = Scim::new(&acme);
    assert_eq!(acme_scim.post("/Users", &user("ann")).await.status, 201);
    assert_eq!(
        acme_scim
            .post("/Groups", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Eng"}))
            .await
            .status,
        201
    );
    assert_eq!(
        Scim::new(&globex).post("/Users", &user("bob")).await.status,
        201
    );

    // acme: activated, user.created, group.created; globex: activated, user.created.
    receiver
        .wait_for_delivered(3 + 2 + 5, Duration::from_secs(10))
        .await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let by_path = |path: &str| -> Vec<(String, String)> {
        let mut seen: Vec<(String, String)> = receiver
            .delivered()
            .iter()
            .filter(|r| r.path == path)
            .map(|r| {
                let body = r.json();
                let directory = match body["event"].as_str().unwrap() {
                    "dsync.activated" => body["data"]["id"].as_str().unwrap().to_owned(),
                    _ => body["data"]["directory_id"].as_str().unwrap().to_owned(),
                };
                (body["event"].as_str().unwrap().to_owned(), directory)
            })
            .collect();
        seen.sort();
        seen
    };
    let pair = |kind: &str, tenant: &Tenant| (kind.to_owned(), tenant.directory_id.clone());
    let mut acme_only = vec![
        pair("dsync.activated", &acme),
        pair("dsync.group.created", &acme),
        pair("dsync.user.created", &acme),
    ];
    acme_only.sort();
    assert_eq!(by_path("/acme"), acme_only);
    let mut users = vec![
        pair("dsync.user.created", &acme),
        pair("dsync.user.created", &globex),
    ];
    users.sort();
    assert_eq!(by_path("/users"), users);
    assert_eq!(by_path("/all").len(), 5);
    hooks.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn internal_addresses_are_refused_unless_allowed() {
    let receiver = Receiver::start().await;
    let hooks = Hooks::start(|config| config.allow_private = false).await;
    let port = receiver.url.rsplit(':').next().unwrap().to_owned();
    hooks.endpoint(&receiver.url, &[]).await;
    hooks
        .endpoint(&format!("http://localhost:{port}/"), &[])
        .await;
    let tenant = hooks.tenant("okta", "acme.com").await;
    assert_eq!(
        Scim::new(&tenant).post("/Users", &user("ann")).await.status,
        201
    );
    let refused = eventually(Duration::from_secs(5), "refused attempts", || {
        let all = hooks.deliveries(DeliveryFilter::default());
        let errors: Vec<String> = all
            .iter()
            .filter_map(|(_, attempts)| attempts.first()?.error.clone())
            .collect();
        (all.len() == 4 && errors.len() == 4).then_some(errors)
    })
    .await;
    for error in refused {
        assert!(error.contains("ROSTER_WEBHOOK_ALLOW_PRIVATE"), "{error}");
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
    hooks.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn a_rotated_secret_overlaps_with_the_previous_one_in_the_standard_header() {
    let receiver = Receiver::start().await;
    let hooks = Hooks::start(|_| {}).await;
    let (endpoint, first_secret) = hooks.endpoint(&receiver.url, &[]).await;
    let tenant = hooks.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    assert_eq!(scim.post("/Users", &user("ann")).await.status, 201);
    for delivery in receiver.wait_for_delivered(2, Duration::from_secs(5)).await {
        assert_signed_by(&delivery, &first_secret);
        assert_eq!(standard_valid(&delivery, &first_secret), [true]);
    }

    let rotated = hooks
        .cli(&[
            "webhook",
            "rotate-secret",
            &endpoint,
            "--overlap-hours",
            "2",
        ])
        .await
        .json();
    let second_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(second_secret, first_secret);
    assert!(rotated["previous_secret_expires_at"].is_string());
    assert_eq!(scim.post("/Users", &user("bob")).await.status, 201);
    let delivery = receiver.wait_for_delivered(3, Duration::from_secs(5)).await[2].clone();
    assert!(workos_valid(&delivery, &second_secret));
    assert!(
        !workos_valid(&delivery, &first_secret),
        "WorkOS-Signature uses the new one only"
    );
    assert_eq!(standard_valid(&delivery, &second_secret), [true, false]);
    assert_eq!(standard_valid(&delivery, &first_secret), [false, true]);

    let rotated = hooks
        .cli(&[
            "webhook",
            "rotate-secret",
            &endpoint,
            "--overlap-hours",
            "0",
        ])
        .await
        .json();
    let third_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_eq!(scim.post("/Users", &user("cat")).await.status, 201);
    let delivery = receiver.wait_for_delivered(4, Duration::from_secs(5)).await[3].clone();
    assert_signed_by(&delivery, &third_secret);
    assert_eq!(standard_valid(&delivery, &third_secret), [true]);
    hooks.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn failed_deliveries_are_redelivered_on_request_with_the_same_event_id() {
    let receiver = Receiver::start().await;
    receiver.answer(Answer::status(500));
    let before_test = Timestamp::now().to_rfc3339();
    // No retries: the first failure is final.
    let hooks =
        Hooks::start(|config| config.retry_schedule = RetrySchedule::parse("").unwrap()).await;
    let (endpoint, secret) = hooks.endpoint(&receiver.url, &[]).await;
    let tenant = hooks.tenant("okta", "acme.com").await;
    assert_eq!(
        Scim::new(&tenant).post("/Users", &user("ann")).await.status,
        201
    );
    eventually(Duration::from_secs(5), "two failed deliveries", || {
        let failed = hooks.deliveries(DeliveryFilter {
            status: Some(DeliveryStatus::Failed),
            ..DeliveryFilter::default()
        });
        (failed.len() == 2).then_some(())
    })
    .await;
    let failed = hooks
        .cli(&[
            "webhook",
            "deliveries",
            "--status",
            "failed",
            "--endpoint",
            &endpoint,
        ])
        .await
        .json();
    assert_eq!(failed["data"].as_array().unwrap().len(), 2);
    let failed_ids: HashSet<String> = receiver.received().iter().map(Received::event_id).collect();

    receiver.answer(Answer::status(200));
    let requeued = hooks
        .cli(&["webhook", "redeliver", "--failed-since", &before_test])
        .await
        .json();
    assert_eq!(requeued["queued"], 2);
    let delivered = receiver.wait_for_delivered(2, Duration::from_secs(5)).await;
    let delivered_ids: HashSet<String> = delivered.iter().map(Received::event_id).collect();
    assert_eq!(delivered_ids, failed_ids, "the same events, by id");
    for delivery in &delivered {
        assert_signed_by(delivery, &secret);
    }

    // One event again, though it was delivered.
    let event_id = hooks.events(&tenant.directory_id)[1].id.to_string();
    let again = hooks.cli(&["webhook", "redeliver", &event_id]).await.json();
    assert_eq!(again["queued"], 1);
    let delivered = receiver.wait_for_delivered(3, Duration::from_secs(5)).await;
    assert_eq!(
        delivered
            .iter()
            .filter(|d| d.event_id() == event_id)
            .count(),
        2
    );
    let missing = hooks
        .cli(&["webhook", "redeliver", "event_01M86HN94NZP0FDZK4YN1J1WR9"])
        .await;
    assert!(
        !missing.success && missing.stderr.contains("no event"),
        "{}",
        missing.stderr
    );
    let neither = hooks.cli(&["webhook", "redeliver"]).await;
    assert!(!neither.success);
    hooks.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn events_past_their_retention_are_pruned_with_their_deliveries() {
    let receiver = Receiver::start().await;
    let hooks = Hooks::start(|_| {}).await;
    let (endpoint, _) = hooks.endpoint(&receiver.url, &[]).await;
    let tenant = hooks.tenant("okta", "acme.com").await;
    assert_eq!(
        Scim::new(&tenant).post("/Users", &user("ann")).await.status,
        201
    );
    receiver.wait_for_delivered(2, Duration::from_secs(5)).await;
    assert_eq!(hooks.events(&tenant.directory_id).len(), 2);
    hooks.clock.advance(Duration::from_secs(31 * 86400));
    hooks.events_written.notify_one();
    eventually(Duration::from_secs(5), "old events pruned", || {
        hooks.events(&tenant.directory_id).is_empty().then_some(())
    })
    .await;
    assert!(hooks.deliveries(DeliveryFilter::default()).is_empty());
    // The endpoint stays.
    assert_eq!(
        hooks.cli(&["webhook", "list"]).await.json()["data"][0]["id"],
        endpoint.as_str()
    );
    let deleted = hooks.cli(&["webhook", "delete", &endpoint]).await.json();
    assert_eq!(deleted["deleted"], true);
    assert!(!hooks.cli(&["webhook", "delete", &endpoint]).await.success);
    hooks.stop().await;
    receiver.stop().await;
}

/// `roster serve` (or `worker`) as a child process on a database.
fn spawn_roster(command: &str, database_url: &str, listen: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg(command)
        .env("ROSTER_DATABASE_URL", database_url)
        .env("ROSTER_SECRET_KEY", crate::support::TEST_SECRET_KEY)
        .env("ROSTER_LISTEN", listen)
        .env("ROSTER_PUBLIC_URL", format!("http://{listen}"))
        .env("ROSTER_DATABASE_POOL_SIZE", "4")
        .env("ROSTER_SCIM_RATE_LIMIT", "0")
        .env("ROSTER_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("ROSTER_WEBHOOK_TIMEOUT", "1s")
        .env("ROSTER_WEBHOOK_POLL_INTERVAL", "50ms")
        .env(
            "ROSTER_WEBHOOK_RETRY_SCHEDULE",
            "100ms,100ms,100ms,100ms,100ms",
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn free_address() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

async fn wait_ready(listen: &str) {
    let client = reqwest::Client::new();
    eventually_async(Duration::from_secs(15), "the server ready", || {
        let request = client.get(format!("http://{listen}/ready")).send();
        async move { matches!(request.await, Ok(response) if response.status() == 200) }
    })
    .await;
}

async fn eventually_async<F: std::future::Future<Output = bool>>(
    within: Duration,
    what: &str,
    mut check: impl FnMut() -> F,
) {
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "after {within:?}, still waiting for {what}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn killed_with_sigkill_mid_stream_nothing_acknowledged_is_lost_or_undelivered() {
    let receiver = Receiver::start().await;
    // Slow enough that deliveries are in flight when the process dies.
    receiver.answer(Answer {
        delay: Duration::from_millis(20),
        ..Answer::status(200)
    });
    let database = TestDatabase::new();
    let listen = free_address();
    let public_url = format!("http://{listen}");
    run_cli(&database.url, &public_url, &["migrate"])
        .await
        .json();
    let endpoint = run_cli(
        &database.url,
        &public_url,
        &["webhook", "create", "--url", &receiver.url],
    )
    .await
    .json();
    let tenant = tenant(&database.url, &public_url, "okta", "acme.com").await;
    let mut server = spawn_roster("serve", &database.url, &listen);
    wait_ready(&listen).await;

    // Four streams of user creations; each remembers what the server acknowledged.
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut streams = Vec::new();
    for stream in 0..4 {
        let scim = Scim::new(&tenant);
        let acknowledged = acknowledged.clone();
        streams.push(actix_web::rt::spawn(async move {
            for index in 0.. {
                let body = user(&format!("s{stream}u{index}"));
                let Ok(response) = scim
                    .http
                    .post(format!("{}/Users", scim.base))
                    .bearer_auth(&scim.token)
                    .header("content-type", "application/scim+json")
                    .body(body.to_string())
                    .send()
                    .await
                else {
                    return;
                };
                if response.status() != 201 {
                    return;
                }
                let Ok(created) = response.json::<Value>().await else {
                    return;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(created["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    eventually(Duration::from_secs(20), "40 acknowledged writes", || {
        (acknowledged.lock().unwrap().len() >= 40).then_some(())
    })
    .await;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for stream in streams {
        stream.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let delivered_before_restart = receiver.delivered().len();

    let listen = free_address();
    let mut server = spawn_roster("serve", &database.url, &listen);
    wait_ready(&listen).await;
    let store = Store::open(&DatabaseUrl::parse(&database.url).unwrap(), 2).unwrap();
    let stored = events(&store, &tenant.directory_id);
    let created_per_user = stored
        .iter()
        .filter(|event| event.event_type.as_str() == "dsync.user.created")
        .fold(HashMap::<String, usize>::new(), |mut counts, event| {
            *counts
                .entry(event.data["id"].as_str().unwrap().to_owned())
                .or_default() += 1;
            counts
        });
    for id in &acknowledged {
        assert_eq!(
            created_per_user.get(id),
            Some(&1),
            "acknowledged {id} has exactly one event"
        );
    }
    // Every stored change (acknowledged or not: the kill may have come between the commit and
    // the answer) has exactly one event, and no event describes a change that was not stored.
    let stored_users: HashSet<String> = {
        use diesel::prelude::*;
        use roster_store::schema::directory_users;
        let mut conn = store.connection().unwrap();
        directory_users::table
            .filter(directory_users::directory_id.eq(&tenant.directory_id))
            .select(directory_users::id)
            .load(&mut *conn)
            .unwrap()
            .into_iter()
            .collect()
    };
    assert_eq!(
        created_per_user.keys().cloned().collect::<HashSet<_>>(),
        stored_users
    );
    assert!(created_per_user.values().all(|count| *count == 1));
    if !database.is_postgres() {
        #[derive(diesel::QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut conn = store.connection().unwrap();
        let check: Check = diesel::RunQueryDsl::get_result(
            diesel::sql_query("PRAGMA integrity_check"),
            &mut *conn,
        )
        .unwrap();
        assert_eq!(
            check.integrity_check, "ok",
            "the killed process left a sound file"
        );
    }
    let stored_ids: HashSet<String> = stored.iter().map(|event| event.id.to_string()).collect();
    receiver
        .wait_until(
            Duration::from_secs(20),
            "every stored event delivered",
            |received| {
                let delivered: HashSet<String> = received
                    .iter()
                    .filter(|r| r.ok())
                    .map(Received::event_id)
                    .collect();
                stored_ids.is_subset(&delivered)
            },
        )
        .await;
    let delivered = receiver.delivered();
    let secret = endpoint["secret"].as_str().unwrap();
    for delivery in &delivered {
        assert_signed_by(delivery, secret);
        assert!(
            stored_ids.contains(&delivery.event_id()),
            "no event from nowhere"
        );
    }
    eprintln!(
        "crash test: {} acknowledged writes, {} events stored, {} delivered before the kill, {} deliveries in all ({} repeats)",
        acknowledged.len(),
        stored.len(),
        delivered_before_restart,
        delivered.len(),
        delivered.len() - stored_ids.len()
    );
    server.kill().unwrap();
    server.wait().unwrap();
    receiver.stop().await;
}

#[actix_web::test]
async fn two_workers_on_one_postgres_database_deliver_every_event_exactly_once() {
    let database = TestDatabase::new();
    if !database.is_postgres() {
        // SQLite is served by one process; several dispatchers need PostgreSQL's row locks.
        return;
    }
    let receiver = Receiver::start().await;
    receiver.answer(Answer {
        delay: Duration::from_millis(10),
        ..Answer::status(200)
    });
    let server = crate::support::TestServer::start_on(database).await;
    server
        .cli(&["webhook", "create", "--url", &receiver.url])
        .await
        .json();
    let mut workers: Vec<Child> = (0..2)
        .map(|_| spawn_roster("worker", &server.database.url, "127.0.0.1:0"))
        .collect();
    let tenant = server.tenant("okta", "acme.com").await;
    let writes: Vec<_> = (0..60)
        .map(|index| {
            let scim = Scim::new(&tenant);
            async move {
                scim.post("/Users", &user(&format!("u{index}")))
                    .await
                    .status
            }
        })
        .collect();
    for status in futures_util::future::join_all(writes).await {
        assert_eq!(status, 201);
    }
    let stored: HashSet<String> = server
        .events(&tenant.directory_id)
        .iter()
        .map(|event| event.id.to_string())
        .collect();
    assert_eq!(stored.len(), 61);
    receiver
        .wait_until(
            Duration::from_secs(20),
            "every event delivered",
            |received| received.len() >= stored.len(),
        )
        .await;
    // Give a duplicate time to show up.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received();
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for request in &received {
        *per_event.entry(request.event_id()).or_default() += 1;
    }
    assert_eq!(per_event.keys().cloned().collect::<HashSet<_>>(), stored);
    assert!(
        per_event.values().all(|count| *count == 1),
        "each event once: {per_event:?}"
    );
    let listed = server
        .cli(&["webhook", "deliveries", "--limit", "1000"])
        .await
        .json();
    let mut per_worker: HashMap<String, usize> = HashMap::new();
    for delivery in listed["data"].as_array().unwrap() {
        let log = delivery["attempt_log"].as_array().unwrap();
        assert_eq!(log.len(), 1);
        *per_worker
            .entry(log[0]["dispatcher"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    eprintln!(
        "deliveries per worker: {:?}",
        per_worker.values().collect::<Vec<_>>()
    );
    for worker in &mut workers {
        worker.kill().unwrap();
        worker.wait().unwrap();
    }
    server.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn a_dead_dispatchers_leases_expire_and_are_taken_over() {
    let receiver = Receiver::start().await;
    // This server has no dispatcher: the test plays the one that dies.
    let server = crate::support::TestServer::start().await;
    server
        .cli(&["webhook", "create", "--url", &receiver.url])
        .await
        .json();
    let tenant = server.tenant("okta", "acme.com").await;
    assert_eq!(
        Scim::new(&tenant).post("/Users", &user("ann")).await.status,
        201
    );
    let clock = Clock::system();
    {
        let mut conn = server.store.connection().unwrap();
        let now = clock.now();
        let in_an_hour = Timestamp::from_millis(now.as_millis() + 3_600_000);
        assert_eq!(deliveries::fan_out(&mut conn, 100, now).unwrap(), 2);
        let claimed = deliveries::claim_due(&mut conn, now, "dead", in_an_hour, 100, &[]).unwrap();
        assert_eq!(claimed.len(), 2);
        let again = deliveries::claim_due(&mut conn, now, "other", in_an_hour, 100, &[]).unwrap();
        assert!(again.is_empty(), "a leased delivery is nobody else's");
    }
    let wake = Arc::new(Notify::new());
    let dispatcher = Dispatcher::new(
        server.store.clone(),
        wake.clone(),
        test_config(),
        clock.clone(),
    )
    .unwrap()
    .spawn();
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty(), "the lease holds");
    clock.advance(Duration::from_secs(3601));
    wake.notify_one();
    let delivered = receiver.wait_for_delivered(2, Duration::from_secs(5)).await;
    assert_eq!(delivered.len(), 2);
    // The receiver has both; the dispatcher records each outcome just after.
    let deadline = Instant::now() + Duration::from_secs(5);
    let listed = loop {
        let listed = server.cli(&["webhook", "deliveries"]).await.json();
        let recorded = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|delivery| delivery["status"] == "delivered");
        if recorded || Instant::now() > deadline {
            break listed;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    for delivery in listed["data"].as_array().unwrap() {
        assert_eq!(delivery["status"], "delivered");
        assert_eq!(delivery["attempt_log"][0]["dispatcher"], dispatcher.owner());
    }
    dispatcher.shutdown().await;
    server.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn a_slow_receiver_holds_up_nobody_else() {
    let slow = Receiver::start().await;
    slow.answer(Answer {
        delay: Duration::from_millis(400),
        ..Answer::status(200)
    });
    let fast = Receiver::start().await;
    let hooks = Hooks::start(|config| config.endpoint_concurrency = 1).await;
    hooks.endpoint(&slow.url, &[]).await;
    hooks.endpoint(&fast.url, &[]).await;
    let tenant = hooks.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    for name in ["ann", "bob", "cat"] {
        assert_eq!(scim.post("/Users", &user(name)).await.status, 201);
    }
    let fast_last = fast
        .wait_for_delivered(4, Duration::from_secs(5))
        .await
        .iter()
        .map(|received| received.at)
        .max()
        .unwrap();
    let mut slow_arrivals: Vec<Instant> = slow
        .wait_for_delivered(4, Duration::from_secs(10))
        .await
        .iter()
        .map(|received| received.at)
        .collect();
    slow_arrivals.sort();
    assert!(
        fast_last < slow_arrivals[1],
        "the fast receiver had everything before the slow one had its second delivery"
    );
    for pair in slow_arrivals.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(350),
            "one attempt at a time to the slow endpoint"
        );
    }
    hooks.stop().await;
    slow.stop().await;
    fast.stop().await;
}
