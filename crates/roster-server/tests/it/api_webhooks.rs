//! Webhook endpoints and deliveries through the management API, against a real dispatcher and
//! a real receiver: what an app's backend does to subscribe, rotate, pause, and recover from
//! an outage.

use std::time::{Duration, Instant};

use roster_events::Clock;
use serde_json::{Value, json};

use crate::api::{Api, api_key, ids};
use crate::receiver::{Answer, Receiver};
use crate::support::{Scim, TestServer};
use crate::webhooks::{assert_signed_by, test_config, workos_valid};

const PATIENCE: Duration = Duration::from_secs(10);

fn user(name: &str) -> Value {
    json!({"userName": format!("{name}@acme.com"), "active": true,
           "emails": [{"value": format!("{name}@acme.com"), "primary": true}]})
}

/// Reads `path` until `done` holds for the answer, failing after `PATIENCE`.
async fn poll(api: &Api, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (_, answer) = api.get(path).await;
        if done(&answer) {
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "GET {path} still answers {answer}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn create_endpoint(api: &Api, body: Value) -> (String, String) {
    let (status, created) = api.post("/webhook_endpoints", &body).await;
    assert_eq!(status, 201, "{created}");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

#[actix_web::test]
async fn an_endpoint_made_through_the_api_receives_signed_events_and_can_be_paused_and_rotated() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let dispatcher = server.dispatcher(test_config(), Clock::system());
    let api = api_key(&server, &[]).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);

    let (status, created) = api
        .post(
            "/webhook_endpoints",
            &json!({"endpoint_url": format!("{}/hooks", receiver.url), "events": ["dsync.user.created"]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    for key in [
        "object",
        "id",
        "endpoint_url",
        "secret",
        "status",
        "events",
        "created_at",
        "updated_at",
    ] {
        assert!(created.get(key).is_some(), "webhook endpoint lacks {key}");
    }
    assert_eq!(created["status"], "enabled");
    assert_eq!(created["events"], json!(["dsync.user.created"]));
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let (_, listed) = api.get("/webhook_endpoints").await;
    assert_eq!(ids(&listed), [id.as_str()]);
    assert_eq!(listed["data"][0]["secret"], Value::Null, "shown once");
    let (_, read) = api.get(&format!("/webhook_endpoints/{id}")).await;
    assert_eq!(read["secret"], Value::Null);

    scim.post("/Users", &user("ann")).await;
    let delivered = receiver.wait_for_delivered(1, PATIENCE).await;
    assert_eq!(delivered[0].path, "/hooks");
    assert_signed_by(&delivered[0], &secret);
    let event_id = delivered[0].event_id();
    let deliveries = poll(
        &api,
        &format!("/webhook_deliveries?endpoint_id={id}"),
        |page| page["data"][0]["status"] == "delivered",
    )
    .await;
    assert_eq!(deliveries["data"].as_array().unwrap().len(), 1);
    let delivery = &deliveries["data"][0];
    assert_eq!(
        (&delivery["status"], &delivery["event_id"]),
        (&json!("delivered"), &json!(event_id))
    );
    assert_eq!(delivery["attempt_log"][0]["status_code"], 200);
    let (_, by_event) = api
        .get(&format!("/webhook_deliveries?event_id={event_id}"))
        .await;
    assert_eq!(by_event["data"][0]["id"], delivery["id"]);

    let (status, requeued) = api
        .post(
            &format!(
                "/webhook_deliveries/{}/redeliver",
                delivery["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!((status, &requeued["status"]), (202, &json!("pending")));
    let again = receiver.wait_for_delivered(2, PATIENCE).await;
    assert_eq!(again[1].event_id(), event_id, "the same event id again");
    let (status, redelivery) = api
        .post(&format!("/events/{event_id}/redeliver"), &json!({}))
        .await;
    assert_eq!((status, &redelivery["queued"]), (202, &json!(1)));
    receiver.wait_for_delivered(3, PATIENCE).await;

    let (status, paused) = api
        .patch(
            &format!("/webhook_endpoints/{id}"),
            &json!({"status": "disabled", "events": []}),
        )
        .await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["status"], "disabled");
    assert_eq!(paused["events"], json!([]), "empty: every type");
    scim.post("/Users", &user("bob")).await;
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        receiver.delivered().len(),
        3,
        "a disabled endpoint gets nothing"
    );

    let (status, rotated) = api
        .post(
            &format!("/webhook_endpoints/{id}/rotate_secret"),
            &json!({"overlap_hours": 0}),
        )
        .await;
    assert_eq!(status, 200);
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let (_, resumed) = api
        .patch(
            &format!("/webhook_endpoints/{id}"),
            &json!({"status": "enabled"}),
        )
        .await;
    assert_eq!(resumed["status"], "enabled");
    scim.post("/Users", &user("cyd")).await;
    let after = receiver.wait_for_delivered(4, PATIENCE).await;
    assert_eq!(after[3].json()["data"]["username"], "cyd@acme.com");
    assert_signed_by(&after[3], &new_secret);
    assert!(!workos_valid(&after[3], &secret), "the old secret is over");
    let (_, created) = api
        .get("/events?events=dsync.user.created&order=desc&limit=2")
        .await;
    let missed = &created["data"][1];
    assert_eq!(missed["data"]["username"], "bob@acme.com");
    let (status, _) = api
        .post(
            &format!("/events/{}/redeliver", missed["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    assert_eq!(status, 202);
    let caught_up = receiver.wait_for_delivered(5, PATIENCE).await;
    assert_eq!(caught_up[4].event_id(), missed["id"].as_str().unwrap());

    assert_eq!(api.delete(&format!("/webhook_endpoints/{id}")).await, 204);
    assert_eq!(api.get(&format!("/webhook_endpoints/{id}")).await.0, 404);
    dispatcher.shutdown().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn failed_deliveries_are_sent_again_after_an_outage() {
    let receiver = Receiver::start().await;
    receiver.answer(Answer::status(500));
    let server = TestServer::start().await;
    let dispatcher = server.dispatcher(test_config(), Clock::system());
    let api = api_key(&server, &[]).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let (id, secret) = create_endpoint(
        &api,
        json!({"url": receiver.url, "events": ["dsync.user.created"]}),
    )
    .await;
    let scim = Scim::new(&tenant);
    scim.post("/Users", &user("ann")).await;
    scim.post("/Users", &user("bob")).await;

    poll(
        &api,
        &format!("/webhook_deliveries?status=failed&endpoint_id={id}"),
        |page| page["data"].as_array().unwrap().len() == 2,
    )
    .await;

    receiver.answer(Answer::status(200));
    let (status, redelivery) = api
        .post(
            "/webhook_deliveries/redeliver_failed",
            &json!({"since": "2020-01-01T00:00:00Z", "endpoint_id": id}),
        )
        .await;
    assert_eq!((status, &redelivery["queued"]), (202, &json!(2)));
    let delivered = receiver.wait_for_delivered(2, PATIENCE).await;
    for received in &delivered {
        assert_signed_by(received, &secret);
    }
    poll(&api, "/webhook_deliveries?status=failed", |page| {
        page["data"] == json!([])
    })
    .await;
    dispatcher.shutdown().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn bad_webhook_requests_say_which_field_and_change_nothing() {
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;
    let (id, _) = create_endpoint(
        &api,
        json!({"endpoint_url": "https://app.example.com/hooks"}),
    )
    .await;
    for (body, param) in [
        (json!({"events": ["dsync.user.created"]}), "endpoint_url"),
        (
            json!({"endpoint_url": "ftp://app.example.com"}),
            "endpoint_url",
        ),
        (
            json!({"endpoint_url": "https://app.example.com", "events": ["dsync.user.exploded"]}),
            "events",
        ),
    ] {
        let (status, error) = api.post("/webhook_endpoints", &body).await;
        assert_eq!((status, &error["param"]), (422, &json!(param)), "{body}");
    }
    let path = format!("/webhook_endpoints/{id}");
    for (body, param) in [
        (json!({"status": "paused"}), "status"),
        (json!({"endpoint_url": "not a url"}), "endpoint_url"),
        (json!({"events": ["nope"]}), "events"),
    ] {
        let (status, error) = api.patch(&path, &body).await;
        assert_eq!((status, &error["param"]), (422, &json!(param)), "{body}");
    }
    let (status, error) = api
        .post(
            &format!("{path}/rotate_secret"),
            &json!({"overlap_hours": 721}),
        )
        .await;
    assert_eq!((status, &error["param"]), (422, &json!("overlap_hours")));
    let (status, error) = api
        .post("/webhook_deliveries/redeliver_failed", &json!({}))
        .await;
    assert_eq!((status, &error["param"]), (422, &json!("since")));
    let (status, error) = api
        .post(
            "/webhook_deliveries/redeliver_failed",
            &json!({"since": "yesterday"}),
        )
        .await;
    assert_eq!((status, &error["param"]), (422, &json!("since")));
    let (status, error) = api.get("/webhook_deliveries?status=lost").await;
    assert_eq!((status, &error["param"]), (422, &json!("status")));
    assert_eq!(
        api.post("/webhook_deliveries/wd_nope/redeliver", &json!({}))
            .await
            .0,
        404
    );
    assert_eq!(
        api.post(
            "/events/event_01JUNKJUNKJUNKJUNKJUNKJUNK/redeliver",
            &json!({})
        )
        .await
        .0,
        404
    );
    let (_, unchanged) = api.get(&path).await;
    assert_eq!(
        (
            &unchanged["status"],
            &unchanged["endpoint_url"],
            &unchanged["events"]
        ),
        (
            &json!("enabled"),
            &json!("https://app.example.com/hooks"),
            &json!([])
        )
    );
}

#[actix_web::test]
async fn a_scoped_key_manages_only_its_organizations_endpoints() {
    let server = TestServer::start().await;
    let acme = server.tenant("okta", "acme.com").await;
    let globex = server.tenant("okta", "globex.com").await;
    let full = api_key(&server, &[]).await;
    let scoped = api_key(&server, &["--organization", &acme.organization_id]).await;
    let reader = api_key(&server, &["--read-only"]).await;

    let (global, _) = create_endpoint(
        &full,
        json!({"endpoint_url": "https://vendor.example.com/all"}),
    )
    .await;
    let (theirs, _) = create_endpoint(
        &full,
        json!({"endpoint_url": "https://vendor.example.com/globex", "organization_id": globex.organization_id}),
    )
    .await;
    let (status, own) = scoped
        .post(
            "/webhook_endpoints",
            &json!({"endpoint_url": "https://acme-app.example.com/hooks"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        own["organization_id"],
        json!(acme.organization_id),
        "limited to its organization"
    );
    let own_id = own["id"].as_str().unwrap();

    let (_, listed) = scoped.get("/webhook_endpoints").await;
    assert_eq!(ids(&listed), [own_id]);
    for other in [&global, &theirs] {
        let path = format!("/webhook_endpoints/{other}");
        assert_eq!(scoped.get(&path).await.0, 404);
        assert_eq!(
            scoped.patch(&path, &json!({"status": "disabled"})).await.0,
            404
        );
        assert_eq!(
            scoped
                .post(&format!("{path}/rotate_secret"), &json!({}))
                .await
                .0,
            404
        );
        assert_eq!(scoped.delete(&path).await, 404);
        assert_eq!(
            scoped
                .get(&format!("/webhook_deliveries?endpoint_id={other}"))
                .await
                .0,
            404
        );
    }
    let (status, _) = scoped
        .post(
            "/webhook_endpoints",
            &json!({"endpoint_url": "https://x.example.com", "organization_id": globex.organization_id}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, all) = full.get("/webhook_endpoints?limit=100").await;
    assert_eq!(
        all["data"].as_array().unwrap().len(),
        3,
        "nothing extra was made"
    );
    for endpoint in all["data"].as_array().unwrap() {
        assert_eq!(endpoint["status"], "enabled", "nothing was changed");
    }

    assert_eq!(
        reader
            .post(
                "/webhook_endpoints",
                &json!({"endpoint_url": "https://x.example.com"})
            )
            .await
            .0,
        403
    );
    assert_eq!(
        reader
            .patch(
                &format!("/webhook_endpoints/{global}"),
                &json!({"status": "disabled"})
            )
            .await
            .0,
        403
    );
    assert_eq!(
        reader.delete(&format!("/webhook_endpoints/{global}")).await,
        403
    );
}

#[actix_web::test]
async fn a_redelivery_asked_while_an_attempt_is_in_flight_is_not_swallowed_by_its_answer() {
    let receiver = Receiver::start().await;
    receiver.answer(Answer {
        delay: Duration::from_millis(800),
        ..Answer::status(200)
    });
    let server = TestServer::start().await;
    let dispatcher = server.dispatcher(test_config(), Clock::system());
    let api = api_key(&server, &[]).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let (id, _) = create_endpoint(
        &api,
        json!({"endpoint_url": receiver.url, "events": ["dsync.user.created"]}),
    )
    .await;
    Scim::new(&tenant).post("/Users", &user("ann")).await;
    let pending = poll(
        &api,
        &format!("/webhook_deliveries?endpoint_id={id}"),
        |page| page["data"].as_array().is_some_and(|data| !data.is_empty()),
    )
    .await;
    // The receiver holds the first attempt for 800 ms; ask again in the middle of it.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let delivery = pending["data"][0]["id"].as_str().unwrap();
    let (status, _) = api
        .post(
            &format!("/webhook_deliveries/{delivery}/redeliver"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 202);
    let delivered = receiver.wait_for_delivered(2, PATIENCE).await;
    assert_eq!(delivered[0].event_id(), delivered[1].event_id());
    dispatcher.shutdown().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn test_events_show_every_user_and_group_event_and_leave_the_directory_as_it_was() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let dispatcher = server.dispatcher(test_config(), Clock::system());
    let api = api_key(&server, &[]).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let (_, secret) = create_endpoint(&api, json!({"endpoint_url": receiver.url})).await;

    let (status, run) = api
        .post(
            &format!("/directories/{}/test_events", tenant.directory_id),
            &json!({}),
        )
        .await;
    assert_eq!(status, 202, "{run}");
    let kinds: std::collections::BTreeSet<&str> = run["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "dsync.group.created",
            "dsync.group.deleted",
            "dsync.group.user_added",
            "dsync.group.user_removed",
            "dsync.user.created",
            "dsync.user.deleted",
            "dsync.user.updated",
        ]
        .into(),
    );
    let count = run["events"].as_array().unwrap().len();
    let delivered = receiver.wait_for_delivered(count, PATIENCE).await;
    for received in &delivered {
        assert_signed_by(received, &secret);
    }
    let updated: Vec<Value> = delivered
        .iter()
        .map(|received| received.json())
        .filter(|event| event["event"] == "dsync.user.updated")
        .collect();
    assert!(
        updated
            .iter()
            .any(|event| event["data"]["previous_attributes"]["state"] == "active"),
        "a deactivation, with what it was"
    );
    assert!(
        delivered.iter().all(
            |received| received.json()["data"].to_string().contains("acme.com")
                || received.json()["event"]
                    .as_str()
                    .unwrap()
                    .starts_with("dsync.group.")
        ),
        "test people are on the organization's domain"
    );
    let (_, directory) = api
        .get(&format!("/directories/{}", tenant.directory_id))
        .await;
    assert_eq!(
        directory["metadata"],
        json!({"users": {"active": 0, "inactive": 0}, "groups": 0}),
        "nothing left behind"
    );
    assert_eq!(directory["state"], "unlinked", "no identity provider spoke");

    let other = server.tenant("okta", "globex.com").await;
    let scoped = api_key(&server, &["--organization", &other.organization_id]).await;
    let path = format!("/directories/{}/test_events", tenant.directory_id);
    assert_eq!(scoped.post(&path, &json!({})).await.0, 404);
    let reader = api_key(&server, &["--read-only"]).await;
    assert_eq!(reader.post(&path, &json!({})).await.0, 403);
    dispatcher.shutdown().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn a_test_event_reaches_the_endpoint_signed_and_says_what_the_receiver_answered() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;
    let (id, secret) = create_endpoint(
        &api,
        json!({"endpoint_url": format!("{}/hooks", receiver.url)}),
    )
    .await;
    let path = format!("/webhook_endpoints/{id}/test");

    let (status, tested) = api.post(&path, &json!({})).await;
    assert_eq!(status, 200, "{tested}");
    assert_eq!(tested["object"], "webhook_endpoint_test");
    assert_eq!(tested["endpoint_id"], id.as_str());
    assert_eq!(tested["delivered"], true);
    assert_eq!(tested["status_code"], 200);
    assert!(tested["duration_ms"].as_i64().unwrap() >= 0);
    assert!(tested["error"].is_null());
    let event = &tested["event"];
    assert_eq!(event["event"], "dsync.user.created");
    assert!(event["id"].as_str().unwrap().starts_with("event_test_"));
    assert_eq!(event["data"]["object"], "directory_user");
    assert_eq!(event["data"]["email"], "jane.doe@example.com");
    let received = receiver.received();
    assert_eq!(received.len(), 1, "one attempt, sent before the answer");
    let hook = &received[0];
    assert_eq!(hook.path, "/hooks");
    assert_signed_by(hook, &secret);
    assert_eq!(
        hook.json(),
        *event,
        "the answer shows the body that was sent"
    );
    assert_eq!(hook.header("roster-event-sequence"), "0");
    assert!(
        !hook.headers.contains_key("roster-delivery-id"),
        "a test is no delivery"
    );

    // A failing receiver: the answer says so, and the endpoint's record is untouched.
    receiver.answer(Answer {
        body: "no such route".to_owned(),
        ..Answer::status(500)
    });
    let (status, failed) = api.post(&path, &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(failed["delivered"], false);
    assert_eq!(failed["status_code"], 500);
    assert_eq!(failed["response_body"], "no such route");
    assert_ne!(
        failed["event"]["id"], event["id"],
        "every test is a new event"
    );
    let (_, endpoint) = api.get(&format!("/webhook_endpoints/{id}")).await;
    assert!(endpoint["failing_since"].is_null(), "{endpoint}");
    assert_eq!(endpoint["status"], "enabled");
    let (_, deliveries) = api
        .get(&format!("/webhook_deliveries?endpoint_id={id}"))
        .await;
    assert_eq!(deliveries["data"], json!([]), "tests are not deliveries");

    // Nobody listening: the error says why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (nobody, _) =
        create_endpoint(&api, json!({"endpoint_url": format!("http://{closed}/")})).await;
    let (status, refused) = api
        .post(&format!("/webhook_endpoints/{nobody}/test"), &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(refused["delivered"], false);
    assert!(refused["status_code"].is_null());
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("connection refused"),
        "{refused}"
    );

    let recorded = {
        let mut conn = server.store.connection().unwrap();
        roster_store::audit_log::list_page(
            &mut conn,
            &roster_store::audit_log::AuditFilter {
                action_prefix: Some("webhook_endpoint.test_sent"),
                ..Default::default()
            },
            &roster_store::page::PageRequest {
                limit: 10,
                before: None,
                after: None,
                order: roster_store::page::Order::Asc,
            },
        )
        .unwrap()
        .items
    };
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0].target.as_deref(), Some(id.as_str()));
    assert_eq!(recorded[1].details["status_code"], 500);
    assert!(recorded[0].actor.starts_with("api_key:key_"));

    let other = server.tenant("okta", "globex.com").await;
    let scoped = api_key(&server, &["--organization", &other.organization_id]).await;
    let (status, hidden) = scoped.post(&path, &json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(hidden["code"], "entity_not_found");
    let reader = api_key(&server, &["--read-only"]).await;
    assert_eq!(reader.post(&path, &json!({})).await.0, 403);
    let (status, unknown) = api
        .post("/webhook_endpoints/we_nothing/test", &json!({}))
        .await;
    assert_eq!(status, 404);
    assert!(unknown["message"].as_str().unwrap().contains("we_nothing"));
    receiver.stop().await;
}

#[actix_web::test]
async fn a_test_event_is_refused_an_internal_address_as_deliveries_are() {
    let receiver = Receiver::start().await;
    let server = TestServer::start_configured(crate::support::TestDatabase::new(), |config| {
        config.webhooks.allow_private = false;
    })
    .await;
    let api = api_key(&server, &[]).await;
    let (id, _) = create_endpoint(&api, json!({"endpoint_url": receiver.url})).await;
    let (status, tested) = api
        .post(&format!("/webhook_endpoints/{id}/test"), &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(tested["delivered"], false);
    assert!(
        tested["error"]
            .as_str()
            .unwrap()
            .contains("ROSTER_WEBHOOK_ALLOW_PRIVATE"),
        "{tested}"
    );
    assert!(receiver.received().is_empty());
    receiver.stop().await;
}
