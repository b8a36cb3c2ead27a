//! Faults through the whole stack: the database going away under load, webhook receivers that
//! are down, slow or failing, an instance killed mid-delivery among three, and a SQLite
//! database that is full or read-only. Nothing acknowledged is lost, nothing is half-written,
//! and everything recovers without a restart.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener as StdListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use roster_events::schedule::RetrySchedule;
use roster_events::{Clock, DispatcherConfig};
use roster_store::deliveries::{self, DeliveryFilter, DeliveryStatus};
use serde_json::{Value, json};
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::receiver::{Answer, Receiver};
use crate::support::{Scim, TestDatabase, TestServer};

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": format!("{name}@acme.com"), "externalId": name,
        "name": {"givenName": name, "familyName": "Lee"}, "active": true})
}

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Forwards to the database.
    Up,
    /// Closes every connection at once and refuses new ones: a restart.
    Refusing,
    /// Accepts connections and never answers: an unreachable host.
    Silent,
}

/// A loopback TCP proxy in front of the shared PostgreSQL server, which the test cuts and
/// restores instead of stopping the server that other tests use. It runs on a runtime of its
/// own: the server under test blocks its thread while it connects.
struct Proxy {
    port: u16,
    link: Arc<Mutex<Link>>,
    connections: Arc<Mutex<JoinSet<()>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Proxy {
    fn start(upstream: String) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = StdListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let link = Arc::new(Mutex::new(Link::Up));
        let connections: Arc<Mutex<JoinSet<()>>> = Arc::default();
        {
            let (link, connections) = (link.clone(), connections.clone());
            let handle = runtime.handle().clone();
            runtime.spawn(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                while let Ok((mut client, _)) = listener.accept().await {
                    let mode = *link.lock().unwrap();
                    let upstream = upstream.clone();
                    match mode {
                        Link::Refusing => drop(client),
                        Link::Silent => {
                            connections.lock().unwrap().spawn_on(
                                async move {
                                    let _held = client;
                                    std::future::pending::<()>().await;
                                },
                                &handle,
                            );
                        }
                        Link::Up => {
                            connections.lock().unwrap().spawn_on(
                                async move {
                                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                                        let _ = copy_bidirectional(&mut client, &mut server).await;
                                    }
                                },
                                &handle,
                            );
                        }
                    }
                }
            });
        }
        Proxy {
            port,
            link,
            connections,
            runtime: Some(runtime),
        }
    }

    /// Drops every open connection and sets what new ones get.
    fn set(&self, link: Link) {
        *self.link.lock().unwrap() = link;
        if link != Link::Up {
            self.connections.lock().unwrap().abort_all();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.connections.lock().unwrap().abort_all();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// One SCIM write as the client saw it.
#[derive(Debug, Clone)]
struct Write {
    status: u16,
    id: Option<String>,
    took: Duration,
    body: Value,
}

/// PostgreSQL restarted, then unreachable, under a stream of writes: every answer is a 201 or
/// a SCIM 503, none takes longer than the bounds, and writes succeed again by themselves.
#[actix_web::test]
async fn postgres_restarted_or_unreachable_under_load_gets_503_and_recovers_by_itself() {
    let database = TestDatabase::new();
    if !database.is_postgres() {
        // SQLite is a file in the process: there is no server to lose.
        return;
    }
    let direct = url::Url::parse(&database.url).unwrap();
    let proxy = Proxy::start(format!(
        "{}:{}",
        direct.host_str().unwrap(),
        direct.port().unwrap_or(5432)
    ));
    let mut proxied = direct.clone();
    proxied.set_port(Some(proxy.port)).unwrap();
    let tenant = crate::support::tenant(&database.url, "http://unused", "okta", "acme.com").await;
    let direct_url = database.url.clone();
    let mut routed = TestDatabase::new();
    // The server reaches the same database through the proxy; the test database is dropped
    // with `database` (the spare one made here is dropped too).
    routed.url = proxied.to_string();
    let server = TestServer::start_configured(routed, |config| {
        config.database_timeout = Duration::from_secs(1);
        config.scim_rate_limit = 0;
    })
    .await;
    let scim = Scim {
        base: tenant
            .scim_base_url
            .replace("http://unused", &server.base_url),
        ..Scim::new(&tenant)
    };

    let stop = Arc::new(AtomicBool::new(false));
    let writes: Arc<Mutex<Vec<Write>>> = Arc::default();
    let mut writers = Vec::new();
    for stream in 0..4 {
        let (stop, writes) = (stop.clone(), writes.clone());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let (base, token) = (scim.base.clone(), scim.token.clone());
        writers.push(actix_web::rt::spawn(async move {
            for index in 0.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let started = Instant::now();
                let response = http
                    .post(format!("{base}/Users"))
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(user(&format!("s{stream}u{index}")).to_string())
                    .send()
                    .await
                    .expect("the server answers, even without its database");
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                writes.lock().unwrap().push(Write {
                    status,
                    id: body["id"].as_str().map(str::to_owned),
                    took: started.elapsed(),
                    body,
                });
                if status != 201 {
                    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    let count = |status: u16| {
        writes
            .lock()
            .unwrap()
            .iter()
            .filter(|write| write.status == status)
            .count()
    };
    let wait_for = |status: u16, at_least: usize, what: &'static str| {
        let count = &count;
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            while count(status) < at_least {
                assert!(Instant::now() < deadline, "still waiting for {what}");
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(201, 20, "writes before the outage").await;

    // A restart: connections drop, new ones are refused.
    proxy.set(Link::Refusing);
    let before_restart = count(503);
    wait_for(503, before_restart + 8, "503s while the server restarts").await;
    let ready = server
        .http
        .get(format!("{}/ready", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503, "not ready without its database");
    // Then a host that does not answer at all: connection attempts must time out.
    proxy.set(Link::Silent);
    let before_silence = count(503);
    wait_for(
        503,
        before_silence + 4,
        "503s while the host is unreachable",
    )
    .await;
    let created_during_outage = count(201);

    proxy.set(Link::Up);
    wait_for(
        201,
        created_during_outage + 20,
        "writes after the database returns",
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }

    let writes = writes.lock().unwrap().clone();
    for write in &writes {
        assert!(
            [201, 503].contains(&write.status),
            "only 201 or 503: {write:?}"
        );
        if write.status == 503 {
            assert_eq!(write.body["status"], "503", "{write:?}");
            assert!(
                write.body["schemas"][0]
                    .as_str()
                    .unwrap()
                    .ends_with(":Error")
            );
        }
        // Pool wait (1 s) and libpq's connect timeout (2 s) bound every answer.
        assert!(write.took < Duration::from_secs(8), "{write:?}");
    }
    // Every acknowledged write is stored, with exactly one event.
    let store =
        roster_store::Store::open(&roster_store::DatabaseUrl::parse(&direct_url).unwrap(), 2)
            .unwrap();
    let events = crate::support::events(&store, &tenant.directory_id);
    let mut created: HashMap<String, usize> = HashMap::new();
    for event in &events {
        if event.event_type.as_str() == "dsync.user.created" {
            *created
                .entry(event.data["id"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    for write in writes.iter().filter(|write| write.status == 201) {
        let id = write.id.as_deref().unwrap();
        assert_eq!(created.get(id), Some(&1), "{id} has one event");
    }
    eprintln!(
        "database outage: {} writes, {} acknowledged, {} answered 503, slowest {:?}",
        writes.len(),
        writes.iter().filter(|w| w.status == 201).count(),
        writes.iter().filter(|w| w.status == 503).count(),
        writes.iter().map(|w| w.took).max().unwrap()
    );
    let ready = server
        .http
        .get(format!("{}/ready", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    server.stop().await;
    drop(database);
}

/// Fast retries are not what this test is about: hours pass on the injected clock.
fn dispatcher_config() -> DispatcherConfig {
    DispatcherConfig {
        retry_schedule: RetrySchedule::parse("5s,5m,30m,2h,5h").unwrap(),
        timeout: Duration::from_millis(500),
        poll_interval: Duration::from_millis(50),
        allow_private: true,
        ..DispatcherConfig::default()
    }
}

/// A receiver that is down for an hour, one that takes longer than the timeout and one that
/// answers 500 hold up neither the healthy receiver nor SCIM; when they recover, each gets the
/// whole backlog.
#[actix_web::test]
async fn receivers_down_slow_or_failing_hold_up_nobody_and_get_their_backlog() {
    let healthy = Receiver::start().await;
    let slow = Receiver::start().await;
    slow.answer(Answer {
        delay: Duration::from_secs(3),
        ..Answer::status(200)
    });
    let failing = Receiver::start().await;
    failing.answer(Answer::status(500));
    let down_address = {
        let reserved = StdListener::bind("127.0.0.1:0").unwrap();
        reserved.local_addr().unwrap().to_string()
    };
    let server = TestServer::start().await;
    for url in [
        healthy.url.clone(),
        slow.url.clone(),
        failing.url.clone(),
        format!("http://{down_address}"),
    ] {
        server
            .cli(&["webhook", "create", "--url", &url])
            .await
            .json();
    }
    let clock = Clock::system();
    let dispatcher = server.dispatcher(dispatcher_config(), clock.clone());
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    for name in ["ann", "bob", "cat", "dan", "eve"] {
        let started = Instant::now();
        assert_eq!(scim.post("/Users", &user(name)).await.status, 201);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "SCIM does not wait for receivers"
        );
    }
    let stored: HashSet<String> = server
        .events(&tenant.directory_id)
        .iter()
        .map(|event| event.id.to_string())
        .collect();
    assert_eq!(stored.len(), 6);
    healthy.wait_for_delivered(6, Duration::from_secs(5)).await;
    let failed_attempts = || {
        let mut conn = server.store.connection().unwrap();
        deliveries::list(
            &mut conn,
            &DeliveryFilter {
                limit: 1000,
                ..DeliveryFilter::default()
            },
        )
        .unwrap()
        .iter()
        .map(|(_, attempts)| {
            attempts
                .iter()
                .filter(|a| a.status_code != Some(200))
                .count()
        })
        .sum::<usize>()
    };
    // The other three endpoints' first attempts fail (time out, 500, refused).
    let deadline = Instant::now() + Duration::from_secs(20);
    while failed_attempts() < 18 {
        assert!(Instant::now() < deadline, "first attempts recorded");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // An hour passes with every retry failing.
    for _ in 0..12 {
        clock.advance(Duration::from_secs(300));
        server.events_written.notify_one();
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    // They recover: the down one comes up on its address, the others answer at once.
    let came_back = Receiver::start_at(&down_address).await;
    slow.answer(Answer::status(200));
    failing.answer(Answer::status(200));
    let mut delivered_everything = false;
    for _ in 0..200 {
        clock.advance(Duration::from_secs(600));
        server.events_written.notify_one();
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        let received = |receiver: &Receiver| -> HashSet<String> {
            receiver
                .delivered()
                .iter()
                .map(|received| received.event_id())
                .collect()
        };
        if [&slow, &failing, &came_back]
            .iter()
            .all(|receiver| received(receiver) == stored)
        {
            delivered_everything = true;
            break;
        }
    }
    assert!(
        delivered_everything,
        "every recovered receiver has the backlog"
    );
    let mut conn = server.store.connection().unwrap();
    let pending = deliveries::list(
        &mut conn,
        &DeliveryFilter {
            status: Some(DeliveryStatus::Pending),
            limit: 1000,
            ..DeliveryFilter::default()
        },
    )
    .unwrap();
    drop(conn);
    assert!(pending.is_empty(), "nothing left pending");
    assert_eq!(healthy.received().len(), 6, "the healthy one got each once");
    dispatcher.shutdown().await;
    server.stop().await;
    for receiver in [healthy, slow, failing, came_back] {
        receiver.stop().await;
    }
}

/// Sets a pragma on every connection of the server's pool (all of them are checked out at
/// once, so none is missed).
fn on_every_connection(server: &TestServer, pragma: &str) {
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut conn = server.store.connection().unwrap();
        diesel::sql_query(pragma).execute(&mut *conn).unwrap();
        held.push(conn);
    }
}

#[derive(diesel::QueryableByName)]
struct Check {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[derive(diesel::QueryableByName)]
struct Pages {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    page_count: i64,
}

/// A SQLite database that fills up, then becomes read-only: SCIM writes get a 503 (identity
/// providers retry), nothing is half-written, the file stays sound, and writes succeed again
/// once space is freed or writing is allowed.
#[actix_web::test]
async fn a_full_or_read_only_sqlite_database_refuses_writes_cleanly_and_recovers() {
    let database = TestDatabase::new();
    if database.is_postgres() {
        // A full or read-only PostgreSQL is the server's condition, not one a test can set
        // on the shared server; the 503 mapping for its messages is the same code.
        return;
    }
    let server = TestServer::start_on(database).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    assert_eq!(scim.post("/Users", &user("ann")).await.status, 201);
    let stored = |server: &TestServer| {
        (
            scim_users(server, &tenant.directory_id),
            server.events(&tenant.directory_id).len(),
        )
    };
    let before = stored(&server);

    // Full: the file may not grow by a single page.
    let pages = {
        let mut conn = server.store.connection().unwrap();
        diesel::sql_query("PRAGMA page_count")
            .get_result::<Pages>(&mut *conn)
            .unwrap()
            .page_count
    };
    on_every_connection(&server, &format!("PRAGMA max_page_count = {pages}"));
    let big = |name: &str| {
        let mut body = user(name);
        body["nickName"] = json!("x".repeat(64 * 1024));
        body
    };
    for name in ["bob", "cat", "dan"] {
        let refused = scim.post("/Users", &big(name)).await;
        assert_eq!(refused.status, 503, "{}", refused.body);
        assert_eq!(refused.body["status"], "503");
        assert!(refused.headers.contains_key("retry-after"));
    }
    assert_eq!(stored(&server), before, "nothing half-written");
    assert_eq!(scim.get("/Users").await.status, 200, "reads go on");

    on_every_connection(&server, "PRAGMA max_page_count = 1073741823");
    assert_eq!(scim.post("/Users", &big("bob")).await.status, 201);

    // Read-only: every write refused the same way, reads served.
    let before = stored(&server);
    on_every_connection(&server, "PRAGMA query_only = ON");
    let refused = scim.post("/Users", &user("eve")).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    let id = scim
        .get("/Users?filter=userName%20eq%20%22ann@acme.com%22")
        .await
        .body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]});
    assert_eq!(
        scim.patch(&format!("/Users/{id}"), &patch).await.status,
        503
    );
    assert_eq!(scim.get(&format!("/Users/{id}")).await.body["active"], true);
    assert_eq!(stored(&server), before, "nothing half-written");
    on_every_connection(&server, "PRAGMA query_only = OFF");
    assert_eq!(scim.post("/Users", &user("eve")).await.status, 201);
    assert_eq!(
        scim.patch(&format!("/Users/{id}"), &patch).await.status,
        200
    );

    let mut conn = server.store.connection().unwrap();
    let check: Check = diesel::sql_query("PRAGMA integrity_check")
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(check.integrity_check, "ok");
    drop(conn);
    server.stop().await;
}

fn scim_users(server: &TestServer, directory_id: &str) -> i64 {
    use diesel::prelude::*;
    use roster_store::schema::directory_users;
    let mut conn = server.store.connection().unwrap();
    directory_users::table
        .filter(directory_users::directory_id.eq(directory_id))
        .count()
        .get_result(&mut *conn)
        .unwrap()
}

/// `roster serve` as a child process whose log (at info, so it names its dispatcher) goes to
/// `log`.
fn spawn_instance(database_url: &str, listen: &str, log: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env("ROSTER_DATABASE_URL", database_url)
        .env("ROSTER_SECRET_KEY", crate::support::TEST_SECRET_KEY)
        .env("ROSTER_LISTEN", listen)
        .env("ROSTER_PUBLIC_URL", format!("http://{listen}"))
        .env("ROSTER_DATABASE_POOL_SIZE", "4")
        .env("ROSTER_SCIM_RATE_LIMIT", "0")
        .env("ROSTER_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("ROSTER_WEBHOOK_TIMEOUT", "1s")
        .env("ROSTER_WEBHOOK_POLL_INTERVAL", "50ms")
        .env("ROSTER_WEBHOOK_RETRY_SCHEDULE", "100ms,100ms,100ms,100ms")
        .env("ROSTER_WEBHOOK_ENDPOINT_CONCURRENCY", "2")
        .env("RUST_LOG", "info")
        .env("ROSTER_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

/// The dispatcher name an instance logged at start.
fn owner_in(log: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    let start = text.find(r#""owner":"dispatcher_"#)? + r#""owner":""#.len();
    Some(text[start..].split('"').next()?.to_owned())
}

/// Three `roster serve` on one PostgreSQL database share the deliveries; one is killed with
/// SIGKILL while it holds leases. Every event is delivered; the survivors never deliver one
/// event twice between them; the dead one's leases run out and the survivors take them over.
#[actix_web::test]
async fn three_instances_one_killed_mid_delivery_lose_nothing_and_take_over_its_leases() {
    let database = TestDatabase::new();
    if !database.is_postgres() {
        // Several instances share a database only on PostgreSQL (row locks, SKIP LOCKED).
        return;
    }
    let receiver = Receiver::start().await;
    // Slow enough that deliveries are in flight when an instance dies.
    receiver.answer(Answer {
        delay: Duration::from_millis(150),
        ..Answer::status(200)
    });
    crate::support::run_cli(&database.url, "http://unused", &["migrate"])
        .await
        .json();
    crate::support::run_cli(
        &database.url,
        "http://unused",
        &["webhook", "create", "--url", &receiver.url],
    )
    .await
    .json();
    let tenant = crate::support::tenant(&database.url, "http://unused", "okta", "acme.com").await;
    let logs = tempfile::tempdir().unwrap();
    let mut instances = Vec::new();
    for index in 0..3 {
        let listen = {
            let reserved = StdListener::bind("127.0.0.1:0").unwrap();
            reserved.local_addr().unwrap().to_string()
        };
        let log = logs.path().join(format!("instance{index}.log"));
        let child = spawn_instance(&database.url, &listen, &log);
        instances.push((listen, log, child));
    }
    let http = reqwest::Client::new();
    for (listen, log, _) in &instances {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("http://{listen}/ready")).send().await;
            if matches!(ready, Ok(response) if response.status() == 200) && owner_in(log).is_some()
            {
                break;
            }
            assert!(Instant::now() < deadline, "instance on {listen} ready");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Writes spread over the three instances, as a load balancer would.
    let path = tenant
        .scim_base_url
        .trim_start_matches("http://unused")
        .to_owned();
    for index in 0..60 {
        let (listen, _, _) = &instances[index % 3];
        let response = http
            .post(format!("http://{listen}{path}/Users"))
            .bearer_auth(&tenant.token)
            .header("content-type", "application/scim+json")
            .body(user(&format!("u{index}")).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    let store =
        roster_store::Store::open(&roster_store::DatabaseUrl::parse(&database.url).unwrap(), 2)
            .unwrap();
    let stored: HashSet<String> = crate::support::events(&store, &tenant.directory_id)
        .iter()
        .map(|event| event.id.to_string())
        .collect();
    assert_eq!(stored.len(), 61);

    // Kill the instance holding leases once a few deliveries have landed.
    let leased_by = |owner: &str| -> Vec<String> {
        use diesel::prelude::*;
        use roster_store::schema::webhook_deliveries;
        let mut conn = store.connection().unwrap();
        webhook_deliveries::table
            .filter(webhook_deliveries::lease_owner.eq(owner))
            .filter(webhook_deliveries::status.eq("pending"))
            .select(webhook_deliveries::id)
            .load(&mut *conn)
            .unwrap()
    };
    let owners: Vec<String> = instances
        .iter()
        .map(|(_, log, _)| owner_in(log).unwrap())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    let (victim, held) = loop {
        if receiver.delivered().len() >= 5
            && let Some((index, held)) = owners
                .iter()
                .enumerate()
                .map(|(index, owner)| (index, leased_by(owner)))
                .find(|(_, held)| !held.is_empty())
        {
            instances[index].2.kill().unwrap(); // SIGKILL
            instances[index].2.wait().unwrap();
            break (index, held);
        }
        assert!(Instant::now() < deadline, "an instance holding leases");
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    };
    let victim_owner = owners[victim].clone();

    receiver
        .wait_until(
            Duration::from_secs(30),
            "every event delivered after the kill",
            |received| {
                let delivered: HashSet<String> = received
                    .iter()
                    .filter(|r| r.ok())
                    .map(|r| r.event_id())
                    .collect();
                stored.is_subset(&delivered)
            },
        )
        .await;
    // The dead instance may have sent some of what it held without recording it: those wait
    // for its leases (3 s) to run out and a survivor to take them over.
    let list = || {
        let mut conn = store.connection().unwrap();
        deliveries::list(
            &mut conn,
            &DeliveryFilter {
                limit: 1000,
                ..DeliveryFilter::default()
            },
        )
        .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while list()
        .iter()
        .any(|(delivery, _)| delivery.status != DeliveryStatus::Delivered)
    {
        assert!(
            Instant::now() < deadline,
            "every delivery recorded delivered"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a stray duplicate time to show up.
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let mut times: HashMap<String, usize> = HashMap::new();
    for received in receiver.delivered() {
        *times.entry(received.event_id()).or_default() += 1;
    }
    let listed = list();
    assert_eq!(listed.len(), 61);
    let mut taken_over = 0;
    for (delivery, attempts) in &listed {
        assert_eq!(delivery.status, DeliveryStatus::Delivered, "{delivery:?}");
        let succeeded: Vec<_> = attempts
            .iter()
            .filter(|attempt| attempt.status_code == Some(200))
            .collect();
        assert_eq!(succeeded.len(), 1, "recorded delivered once: {attempts:?}");
        let event = delivery.event_id.to_string();
        if held.contains(&delivery.id.to_string()) {
            assert_ne!(
                succeeded[0].lease_owner, victim_owner,
                "a survivor delivered what the dead instance held"
            );
            taken_over += 1;
        } else {
            assert_eq!(
                times[&event], 1,
                "{event}: delivered twice though no dead instance held it"
            );
        }
    }
    assert_eq!(taken_over, held.len());
    eprintln!(
        "three instances: killed one holding {} leases; {} events, {} deliveries received ({} repeats of events the dead one had sent)",
        held.len(),
        stored.len(),
        times.values().sum::<usize>(),
        times.values().sum::<usize>() - stored.len()
    );
    for (_, _, child) in &mut instances {
        let _ = child.kill();
        let _ = child.wait();
    }
    receiver.stop().await;
}
