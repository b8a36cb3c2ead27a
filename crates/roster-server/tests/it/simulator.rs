//! The identity-provider simulator against a real Roster, in every dialect: the directory ends
//! up as the simulator says it should, with the events (and webhooks) that describe the push;
//! `roster simulate`, `roster webhook listen` and `roster demo` as the processes people run.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use roster_core::Timestamp;
use roster_events::schedule::RetrySchedule;
use roster_events::signing::{self, generate_secret};
use roster_events::{Clock, DispatcherConfig};
use roster_simulator::{Options, Provider, Summary, Target};
use roster_store::webhooks::EndpointSecret;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::receiver::Receiver;
use crate::support::{Scim, Tenant, TestServer};

fn options(provider: Provider, seed: u64) -> Options {
    Options {
        provider,
        users: 12,
        groups: 3,
        members_per_group: 4,
        deactivate_percent: 25,
        rename: true,
        concurrency: 4,
        seed,
        domain: "acme.example".into(),
    }
}

async fn simulate(tenant: &Tenant, options: &Options) -> Summary {
    let target = Target {
        scim_base_url: tenant.scim_base_url.clone(),
        token: tenant.token.clone(),
    };
    let summary = roster_simulator::run(&target, options, &|_| {})
        .await
        .unwrap();
    assert!(summary.ok(), "{:#?}", summary.failures);
    summary
}

/// Reads users and groups back over SCIM and compares them with what the simulator expects.
async fn assert_directory_matches(tenant: &Tenant, summary: &Summary) {
    let scim = Scim::new(tenant);
    let extension = if tenant.scim_base_url.contains("/v1.1/") {
        "urn:scim:schemas:extension:enterprise:1.0"
    } else {
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    };
    let expected = &summary.expected;
    let listed = scim.get("/Users?startIndex=1&count=100").await.body;
    assert_eq!(listed["totalResults"], json!(expected.users.len()));
    let mut user_ids = BTreeMap::new();
    for user in &expected.users {
        let id = user.id.as_deref().expect("every user was created");
        let stored = scim.get(&format!("/Users/{id}")).await;
        assert_eq!(stored.status, 200, "{}", stored.body);
        let stored = stored.body;
        assert_eq!(stored["userName"], user.user_name.as_str());
        assert_eq!(stored["name"]["givenName"], user.given_name.as_str());
        assert_eq!(stored["name"]["familyName"], user.family_name.as_str());
        assert_eq!(stored["title"], user.title.as_str());
        assert_eq!(stored["active"], user.active, "{}", user.user_name);
        assert_eq!(stored[extension]["department"], user.department.as_str());
        assert_eq!(
            stored[extension]["employeeNumber"],
            user.employee_number.as_str()
        );
        user_ids.insert(user.user_name.clone(), id.to_owned());
    }
    let listed = scim.get("/Groups?startIndex=1&count=100").await.body;
    assert_eq!(listed["totalResults"], json!(expected.groups.len()));
    for group in &expected.groups {
        let id = group.id.as_deref().expect("every group was pushed");
        let stored = scim.get(&format!("/Groups/{id}")).await.body;
        assert_eq!(stored["displayName"], group.display_name.as_str());
        let members: HashSet<&str> = stored["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|member| member["value"].as_str().unwrap())
            .collect();
        let wanted: HashSet<&str> = group
            .members
            .iter()
            .map(|name| user_ids[name].as_str())
            .collect();
        assert_eq!(members, wanted, "members of {}", group.display_name);
    }
}

/// The event types the push must have recorded, with how many of each.
fn expected_event_counts(summary: &Summary) -> BTreeMap<String, usize> {
    let operations = &summary.operations;
    [
        ("dsync.activated", 1),
        ("dsync.user.created", operations.users_created),
        (
            "dsync.user.updated",
            operations.users_updated + operations.users_deactivated,
        ),
        ("dsync.group.created", operations.groups_pushed),
        ("dsync.group.user_added", operations.members_added),
        ("dsync.group.user_removed", operations.members_removed),
        ("dsync.group.updated", operations.groups_renamed),
    ]
    .into_iter()
    .filter(|(_, count)| *count > 0)
    .map(|(kind, count)| (kind.to_owned(), count))
    .collect()
}

fn event_counts(types: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for kind in types {
        *counts.entry(kind.clone()).or_default() += 1;
    }
    counts
}

async fn dialect_round_trip(provider: Provider, directory_type: &str, seed: u64) {
    let server = TestServer::start().await;
    let tenant = server.tenant(directory_type, "acme.example").await;
    let summary = simulate(&tenant, &options(provider, seed)).await;

    let operations = &summary.operations;
    assert_eq!(operations.users_created, 12);
    assert_eq!(operations.users_updated, 3, "one in five, rounded up");
    assert_eq!(operations.users_deactivated, 3, "25% of 12");
    assert_eq!(operations.groups_pushed, 3);
    assert_eq!(
        operations.members_added, 15,
        "four members and one more per group"
    );
    assert_eq!(operations.members_removed, 3);
    assert_eq!(operations.groups_renamed, 3);
    assert_eq!(summary.expected.active_users, 9);
    assert_eq!(summary.expected.inactive_users, 3);
    assert_eq!(
        summary.requests.total,
        summary
            .requests
            .by_method
            .values()
            .flat_map(BTreeMap::values)
            .sum::<u64>()
    );
    assert_eq!(summary.requests.by_method["POST"]["201"], 12 + 3);
    assert_directory_matches(&tenant, &summary).await;
    assert_eq!(
        event_counts(&server.event_types(&tenant.directory_id)),
        expected_event_counts(&summary),
        "{provider}: one event per change, none for what did not change"
    );
    server.stop().await;
}

#[actix_web::test]
async fn okta_pushes_a_directory_that_ends_as_described() {
    dialect_round_trip(Provider::Okta, "okta", 1).await;
}

#[actix_web::test]
async fn okta_aiw_pushes_a_directory_that_ends_as_described() {
    dialect_round_trip(Provider::OktaAiw, "okta", 2).await;
}

#[actix_web::test]
async fn entra_pushes_a_directory_that_ends_as_described() {
    dialect_round_trip(Provider::Entra, "entra", 3).await;
}

#[actix_web::test]
async fn okta_scim_one_one_pushes_a_directory_that_ends_as_described() {
    dialect_round_trip(Provider::Okta11, "okta-1.1", 4).await;
}

#[actix_web::test]
async fn a_second_run_with_the_same_seed_changes_nothing_it_should_not() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "acme.example").await;
    let options = Options {
        rename: false,
        ..options(Provider::Okta, 5)
    };
    let first = simulate(&tenant, &options).await;
    let events = server.events(&tenant.directory_id).len();
    // The same people again: Okta finds each by userName and updates instead of creating.
    let target = Target {
        scim_base_url: tenant.scim_base_url.clone(),
        token: tenant.token.clone(),
    };
    let again = roster_simulator::run(&target, &options, &|_| {})
        .await
        .unwrap();
    assert_eq!(again.operations.users_created, 0);
    assert_eq!(again.operations.users_linked, 12);
    let ids = |summary: &Summary| {
        summary
            .expected
            .users
            .iter()
            .map(|user| user.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&again), ids(&first), "the same users, not new ones");
    assert!(server.events(&tenant.directory_id).len() > events);
    server.stop().await;
}

#[actix_web::test]
async fn the_webhooks_delivered_are_the_events_of_the_push() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let dispatcher = server.dispatcher(
        DispatcherConfig {
            retry_schedule: RetrySchedule::parse("100ms,100ms,100ms").unwrap(),
            timeout: Duration::from_secs(2),
            poll_interval: Duration::from_millis(50),
            allow_private: true,
            ..DispatcherConfig::default()
        },
        Clock::system(),
    );
    let created = server
        .cli(&[
            "webhook",
            "create",
            "--url",
            &format!("{}/hooks", receiver.url),
        ])
        .await
        .json();
    let secret = EndpointSecret::new(created["secret"].as_str().unwrap().to_owned());
    let tenant = server.tenant("entra", "acme.example").await;
    let summary = simulate(&tenant, &options(Provider::Entra, 6)).await;

    let stored = server.events(&tenant.directory_id);
    assert_eq!(
        event_counts(
            &stored
                .iter()
                .map(|event| event.event_type.as_str().to_owned())
                .collect::<Vec<_>>()
        ),
        expected_event_counts(&summary)
    );
    let delivered = receiver
        .wait_for_delivered(stored.len(), Duration::from_secs(20))
        .await;
    assert_eq!(delivered.len(), stored.len(), "each event exactly once");
    let now = Timestamp::now().as_millis();
    for delivery in &delivered {
        let event = stored
            .iter()
            .find(|event| event.id.as_str() == delivery.event_id())
            .expect("a stored event");
        assert_eq!(delivery.body, serde_json::to_vec(&event.to_json()).unwrap());
        assert_eq!(
            delivery.header("roster-event-sequence"),
            event.sequence.to_string()
        );
        signing::verify_workos(
            &secret,
            delivery.header("WorkOS-Signature"),
            &delivery.body,
            now,
        )
        .unwrap();
        signing::verify_standard(
            &secret,
            delivery.header("webhook-id"),
            delivery.header("webhook-timestamp"),
            delivery.header("webhook-signature"),
            &delivery.body,
            now / 1000,
        )
        .unwrap();
    }
    dispatcher.shutdown().await;
    server.stop().await;
    receiver.stop().await;
}

#[actix_web::test]
async fn roster_simulate_prints_one_json_summary_and_fails_on_rejected_answers() {
    let server = TestServer::start().await;
    let tenant = server.tenant("entra", "acme.example").await;
    let output = server
        .cli(&[
            "simulate",
            "--directory",
            &tenant.directory_id,
            "--token",
            &tenant.token,
            "--provider",
            "entra",
            "--users",
            "6",
            "--groups",
            "2",
            "--members-per-group",
            "2",
            "--deactivate",
            "50%",
            "--rename",
            "--seed",
            "9",
        ])
        .await;
    let summary = output.json();
    assert_eq!(summary["provider"], "entra");
    assert_eq!(summary["scim_base_url"], tenant.scim_base_url.as_str());
    assert_eq!(summary["failures"], json!([]));
    assert_eq!(summary["expected"]["active_users"], 3);
    assert_eq!(summary["expected"]["inactive_users"], 3);
    assert_eq!(summary["requests"]["by_method"]["POST"]["201"], 6 + 2);
    assert_eq!(summary["requests"]["by_method"]["PATCH"]["204"], 2 + 2 + 2);
    assert!(output.stderr.contains("deactivations"), "{}", output.stderr);
    let scim = Scim::new(&tenant);
    let users = scim.get("/Users?startIndex=1&count=100").await.body;
    assert_eq!(users["totalResults"], 6);
    assert!(
        users["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|user| user["userName"].as_str().unwrap().ends_with("@example.com"))
    );

    // A wrong token: every answer is a 401, listed, and the command fails after printing.
    let rejected = server
        .cli(&[
            "simulate",
            "--scim-base-url",
            &tenant.scim_base_url,
            "--token",
            "roster_scim_wrong",
            "--provider",
            "okta",
        ])
        .await;
    assert!(!rejected.success);
    let summary: Value = serde_json::from_str(rejected.stdout.trim()).unwrap();
    assert_eq!(summary["failures"][0]["status"], 401);
    assert_eq!(summary["requests"]["by_method"]["GET"]["401"], 1);
    assert!(
        rejected.stderr.contains("would not accept"),
        "{}",
        rejected.stderr
    );
    server.stop().await;
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Kills the child when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_web::test]
async fn roster_webhook_listen_prints_what_verifies_and_refuses_the_rest() {
    let port = free_port();
    let secret = generate_secret();
    let mut listen = Process(
        Command::new(env!("CARGO_BIN_EXE_roster"))
            .args(["webhook", "listen", "--port", &port.to_string()])
            .env("ROSTER_WEBHOOK_SECRET", secret.expose())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}/webhooks");
    // No TestDatabase installed reqwest's TLS provider in this test (nextest runs it alone).
    roster_events::install_crypto_provider();
    let http = reqwest::Client::new();
    let body = r#"{"object":"event","id":"event_01TEST","event":"dsync.user.created","data":{"email":"ada@acme.example"},"created_at":"2026-01-01T00:00:00.000Z"}"#;
    let post = |secret: &EndpointSecret| {
        let now = Timestamp::now().as_millis();
        http.post(&url)
            .header("content-type", "application/json")
            .header(
                "WorkOS-Signature",
                signing::workos_signature(secret, now, body.as_bytes()),
            )
            .header("webhook-id", "event_01TEST")
            .header("webhook-timestamp", (now / 1000).to_string())
            .header(
                "webhook-signature",
                signing::standard_signature(&[secret], "event_01TEST", now / 1000, body.as_bytes()),
            )
            .header("roster-event-sequence", "7")
            .body(body)
            .send()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let accepted = loop {
        match post(&secret).await {
            Ok(response) => break response,
            Err(_) if Instant::now() < deadline => {
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
            Err(error) => panic!("roster webhook listen never answered: {error}"),
        }
    };
    assert_eq!(accepted.status(), 200);
    let forged = post(&generate_secret()).await.unwrap();
    assert_eq!(forged.status(), 400);
    assert!(forged.text().await.unwrap().contains("does not match"));
    let unsigned = http.post(&url).body(body).send().await.unwrap();
    assert_eq!(unsigned.status(), 400);

    listen.0.kill().unwrap();
    let mut stdout = String::new();
    listen
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let verified = stdout
        .find("verified  dsync.user.created  event_01TEST  sequence 7")
        .unwrap_or_else(|| panic!("{stdout}"));
    let pretty = &stdout[verified..];
    assert!(
        pretty.contains("WorkOS-Signature ✓, webhook-signature ✓"),
        "{stdout}"
    );
    assert!(
        pretty.contains("\n  \"data\": {\n"),
        "indented JSON: {stdout}"
    );
    assert_eq!(
        stdout.matches("REJECTED  answered 400").count(),
        2,
        "{stdout}"
    );
    assert!(
        stdout.contains("WorkOS-Signature ✗ the signature does not match"),
        "{stdout}"
    );
    assert!(
        stdout.contains("WorkOS-Signature missing, webhook-signature missing"),
        "{stdout}"
    );
}

#[actix_web::test]
async fn roster_demo_shows_a_verified_webhook_within_seconds() {
    let started = Instant::now();
    let mut demo = Process(
        Command::new(env!("CARGO_BIN_EXE_roster"))
            .arg("demo")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = demo.0.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let wait_for = |seen: &mut Vec<String>, wanted: &str| loop {
        match received.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => {
                seen.push(line.clone());
                if line.contains(wanted) {
                    return line;
                }
            }
            Err(error) => panic!("no `{wanted}` line ({error}); saw:\n{}", seen.join("\n")),
        }
    };
    let first = wait_for(&mut seen, "✓ #");
    eprintln!(
        "roster demo: first verified webhook after {:?}",
        started.elapsed()
    );
    assert!(first.contains("dsync."), "{first}");
    let database = seen[0]
        .rsplit(' ')
        .next()
        .map(std::path::PathBuf::from)
        .unwrap();
    assert!(database.exists(), "{}", seen[0]);
    wait_for(&mut seen, "Serving until Ctrl-C");
    let printed = seen.join("\n");
    assert!(
        printed.contains("curl -s -H 'Authorization: Bearer sk_"),
        "{printed}"
    );
    // "The push: 21 SCIM requests in 164 ms; 18 events, 18 verified; the first one …"
    let push = seen
        .iter()
        .find(|line| line.starts_with("The push: "))
        .unwrap_or_else(|| panic!("{printed}"));
    let counts: Vec<&str> = push.split("; ").nth(1).unwrap().split(", ").collect();
    assert_eq!(
        counts[0].trim_end_matches(" events"),
        counts[1].trim_end_matches(" verified"),
        "every event arrived verified: {push}"
    );
    assert!(!printed.contains("✗"), "{printed}");

    // "  dashboard           http://127.0.0.1:…/dashboard (admin@acme.example / …)" signs in.
    let dashboard = seen
        .iter()
        .find_map(|line| line.trim_start().strip_prefix("dashboard "))
        .unwrap_or_else(|| panic!("{printed}"))
        .trim();
    let (url, login) = dashboard.split_once(" (").unwrap();
    let (email, password) = login.trim_end_matches(')').split_once(" / ").unwrap();
    let base = url.trim_end_matches("/dashboard");
    let browser = Browser::new(base);
    let signed_in = browser
        .submit(
            "/dashboard/login",
            "/dashboard/login",
            &[("email", email), ("password", password)],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let organizations = browser.get("/dashboard/organizations").await;
    assert_eq!(organizations.status, 200);
    assert!(organizations.body.contains("Acme Corp"));

    // Ctrl-C (here SIGTERM) stops it and deletes the database.
    let stopped = Command::new("kill")
        .args(["-TERM", &demo.0.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = demo.0.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!database.exists());
}
