//! The mass-deprovisioning guard through the whole stack: SCIM deactivations on a real server,
//! the dispatcher, a real local receiver, and the `roster` binary releasing or discarding a
//! hold.

use std::ops::Deref;
use std::time::Duration;

use roster_events::schedule::RetrySchedule;
use roster_events::{Clock, DispatcherConfig, DispatcherHandle};
use roster_store::events::Event;
use serde_json::{Value, json};

use crate::receiver::{Received, Receiver};
use crate::support::{Scim, TestServer};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const WITHIN: Duration = Duration::from_secs(10);

/// A server and a dispatcher that sends one webhook at a time per endpoint, so that arrival
/// order is event order.
struct Guarded {
    server: TestServer,
    dispatcher: DispatcherHandle,
    receiver: Receiver,
}

impl Deref for Guarded {
    type Target = TestServer;

    fn deref(&self) -> &TestServer {
        &self.server
    }
}

impl Guarded {
    async fn start() -> Self {
        let server = TestServer::start().await;
        let dispatcher = server.dispatcher(
            DispatcherConfig {
                retry_schedule: RetrySchedule::parse("100ms,100ms,100ms").unwrap(),
                timeout: Duration::from_secs(2),
                poll_interval: Duration::from_millis(50),
                endpoint_concurrency: 1,
                allow_private: true,
                ..DispatcherConfig::default()
            },
            Clock::system(),
        );
        let receiver = Receiver::start().await;
        let guarded = Guarded {
            server,
            dispatcher,
            receiver,
        };
        guarded
            .cli(&["webhook", "create", "--url", &guarded.receiver.url])
            .await
            .json();
        guarded
    }

    /// Waits until `count` webhooks in all have been delivered, and returns them.
    async fn delivered(&self, count: usize) -> Vec<Received> {
        self.receiver.wait_for_delivered(count, WITHIN).await
    }

    async fn stop(self) {
        self.dispatcher.shutdown().await;
        self.server.stop().await;
        self.receiver.stop().await;
    }
}

/// Provisions `count` users and a group; returns the user ids and the group id.
async fn populate(scim: &Scim, prefix: &str, count: usize) -> (Vec<String>, String) {
    let mut users = Vec::new();
    for index in 0..count {
        let name = format!("{prefix}{index}");
        let created = scim
            .post(
                "/Users",
                &json!({"schemas": [USER_SCHEMA], "userName": format!("{name}@acme.com"),
                    "name": {"givenName": name, "familyName": "Lee"}, "active": true}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        users.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let group = scim
        .post(
            "/Groups",
            &json!({"schemas": [GROUP_SCHEMA], "displayName": "Staff"}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    (users, group.body["id"].as_str().unwrap().to_owned())
}

async fn deactivate(scim: &Scim, users: &[String]) {
    for id in users {
        let reply = scim
            .patch(
                &format!("/Users/{id}"),
                &json!({"schemas": [PATCH_SCHEMA],
                    "Operations": [{"op": "replace", "value": {"active": false}}]}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body["active"], json!(false));
    }
}

async fn rename_group(scim: &Scim, group: &str, name: &str) {
    let reply = scim
        .put(
            &format!("/Groups/{group}"),
            &json!({"schemas": [GROUP_SCHEMA], "displayName": name}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

fn ids(received: &[Received]) -> Vec<String> {
    received.iter().map(Received::event_id).collect()
}

/// The ids of the directory's events of these types from position `from` on, in order.
fn event_ids(events: &[Event], from: usize, types: &[&str]) -> Vec<String> {
    events[from..]
        .iter()
        .filter(|event| types.contains(&event.event_type.as_str()))
        .map(|event| event.id.to_string())
        .collect()
}

fn open_holds(list: &Value) -> Vec<Value> {
    list["data"].as_array().unwrap().clone()
}

/// 50 users, 10 deactivated (20 %: delivered), then 15 more: the 20th deprovisioning crosses
/// 30 % of the active users with at least 20, so it and every later one is held, while other
/// events flow. Releasing the hold delivers them in sequence order.
#[actix_web::test]
async fn crossing_the_threshold_holds_deactivations_until_released() {
    let guarded = Guarded::start().await;
    let tenant = guarded.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let (users, group) = populate(&scim, "u", 50).await;
    // The users, the group and `dsync.activated`.
    let base = guarded.events(&tenant.directory_id).len();
    assert_eq!(base, 52);
    guarded.delivered(base).await;

    deactivate(&scim, &users[..10]).await;
    let delivered = guarded.delivered(base + 10).await;
    let first_ten = event_ids(
        &guarded.events(&tenant.directory_id),
        base,
        &["dsync.user.updated"],
    );
    assert_eq!(ids(&delivered[base..]), first_ten);

    let before = guarded.events(&tenant.directory_id).len();
    deactivate(&scim, &users[10..25]).await;
    let deleted = scim.delete(&format!("/Users/{}", users[25])).await;
    assert_eq!(deleted.status, 204);
    rename_group(&scim, &group, "Everyone").await;

    let events = guarded.events(&tenant.directory_id);
    let deprovisionings = event_ids(
        &events,
        before,
        &["dsync.user.updated", "dsync.user.deleted"],
    );
    assert_eq!(deprovisionings.len(), 16);
    let (flowing, held) = deprovisionings.split_at(9);
    let rename = event_ids(&events, before, &["dsync.group.updated"]);
    // The rename, written after the held events, arrives; the held events never do.
    let delivered = guarded.delivered(base + 20).await;
    let mut expected: Vec<String> = flowing.to_vec();
    expected.extend(rename.clone());
    assert_eq!(ids(&delivered[base + 10..]), expected);
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(guarded.receiver.delivered().len(), base + 20);

    // The changes themselves are stored.
    let user = scim.get(&format!("/Users/{}", users[24])).await;
    assert_eq!(user.body["active"], json!(false));
    assert_eq!(scim.get(&format!("/Users/{}", users[25])).await.status, 404);

    let holds = guarded
        .cli(&[
            "directory",
            "holds",
            "--directory",
            &tenant.directory_id,
            "--status",
            "open",
        ])
        .await
        .json();
    let holds = open_holds(&holds);
    assert_eq!(holds.len(), 1, "{holds:?}");
    let hold = &holds[0];
    assert_eq!(hold["status"], "open");
    assert_eq!(hold["directory_id"], json!(tenant.directory_id));
    assert_eq!(hold["deprovisioned"], 20);
    assert_eq!(hold["active_users_at_start"], 50);
    assert_eq!(hold["events"], 7);
    let hold_id = hold["id"].as_str().unwrap();
    assert!(hold_id.starts_with("hold_"));

    let released = guarded
        .cli(&["directory", "release-hold", hold_id])
        .await
        .json();
    assert_eq!(released["status"], "released");
    assert!(released["decided_at"].is_string());
    let delivered = guarded.delivered(base + 27).await;
    assert_eq!(ids(&delivered[base + 20..]), held);

    // The released deprovisionings no longer count: the next deactivation flows.
    deactivate(&scim, &users[26..27]).await;
    guarded.delivered(base + 28).await;

    let again = guarded.cli(&["directory", "release-hold", hold_id]).await;
    assert!(!again.success);
    assert!(
        again.stderr.contains("already released"),
        "{}",
        again.stderr
    );
    let open = guarded
        .cli(&["directory", "holds", "--status", "open"])
        .await
        .json();
    assert!(open_holds(&open).is_empty());
    guarded.stop().await;
}

/// A discarded hold's events are never delivered, and stay in the event log and the API.
#[actix_web::test]
async fn a_discarded_hold_is_never_delivered_but_stays_in_the_log() {
    let guarded = Guarded::start().await;
    let tenant = guarded.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let (users, group) = populate(&scim, "u", 50).await;
    let base = guarded.events(&tenant.directory_id).len();
    guarded.delivered(base).await;

    deactivate(&scim, &users[..22]).await;
    let events = guarded.events(&tenant.directory_id);
    let deactivations = event_ids(&events, base, &["dsync.user.updated"]);
    let (flowing, held) = deactivations.split_at(19);
    guarded.delivered(base + 19).await;

    let holds = guarded.cli(&["directory", "holds"]).await.json();
    let hold_id = open_holds(&holds)[0]["id"].as_str().unwrap().to_owned();
    let discarded = guarded
        .cli(&["directory", "discard-hold", &hold_id])
        .await
        .json();
    assert_eq!(discarded["status"], "discarded");
    assert_eq!(discarded["events"], 3);

    rename_group(&scim, &group, "Everyone").await;
    let delivered = guarded.delivered(base + 20).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let delivered_ids = ids(&guarded.receiver.delivered());
    assert_eq!(delivered_ids.len(), base + 20);
    assert_eq!(ids(&delivered[base..base + 19]), flowing);
    assert!(held.iter().all(|id| !delivered_ids.contains(id)));

    let key = guarded
        .cli(&["api-key", "create", "--name", "backend"])
        .await
        .json();
    let listed: Value = reqwest::Client::new()
        .get(format!(
            "{}/events?events=dsync.user.updated&limit=100",
            guarded.base_url
        ))
        .bearer_auth(key["secret"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed: Vec<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(held.iter().all(|id| listed.contains(id)), "{listed:?}");
    guarded.stop().await;
}

/// A directory under the minimum never holds, and the guard can be turned off (and its
/// settings are validated before anything is written).
#[actix_web::test]
async fn small_directories_and_a_guard_turned_off_never_hold() {
    let guarded = Guarded::start().await;
    let small = guarded.tenant("okta", "small.com").await;
    let small_scim = Scim::new(&small);
    let (small_users, _) = populate(&small_scim, "s", 10).await;
    deactivate(&small_scim, &small_users).await;
    let small_events = guarded.events(&small.directory_id).len();
    assert_eq!(small_events, 22);
    guarded.delivered(small_events).await;

    let large = guarded.tenant("okta", "large.com").await;
    let refused = guarded
        .cli(&[
            "directory",
            "update",
            &large.directory_id,
            "--deprovisioning-guard-minimum",
            "5",
            "--deprovisioning-guard",
            "150",
        ])
        .await;
    assert!(!refused.success);
    assert!(
        refused.stderr.contains("--deprovisioning-guard"),
        "{}",
        refused.stderr
    );
    let updated = guarded
        .cli(&[
            "directory",
            "update",
            &large.directory_id,
            "--deprovisioning-guard",
            "off",
            "--deprovisioning-guard-window-minutes",
            "30",
        ])
        .await
        .json();
    assert_eq!(
        updated["deprovisioning_guard"],
        json!({"enabled": false, "percent": 30, "minimum": 20, "window_minutes": 30})
    );
    let large_scim = Scim::new(&large);
    let (large_users, _) = populate(&large_scim, "l", 30).await;
    deactivate(&large_scim, &large_users).await;
    let large_events = guarded.events(&large.directory_id).len();
    assert_eq!(large_events, 62);
    guarded.delivered(small_events + large_events).await;

    let holds = guarded.cli(&["directory", "holds"]).await.json();
    assert!(open_holds(&holds).is_empty(), "{holds}");
    // Turned on again, with a new threshold.
    let updated = guarded
        .cli(&[
            "directory",
            "update",
            &large.directory_id,
            "--deprovisioning-guard",
            "20",
        ])
        .await
        .json();
    assert_eq!(updated["deprovisioning_guard"]["enabled"], json!(true));
    guarded.stop().await;
}
