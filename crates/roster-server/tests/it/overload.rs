//! Overload and slow clients: the per-directory rate limit, the server-wide cap on requests in
//! flight, and the header and body timeouts, each seen by a real client on a real socket.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Reply, Scim, TestDatabase, TestServer};

const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn host(server: &TestServer) -> String {
    server.base_url.trim_start_matches("http://").to_owned()
}

/// Reads until the peer closes the connection, `enough` holds for what arrived, or `within`
/// passes; returns what arrived and whether the peer closed.
async fn read_until(
    stream: &mut TcpStream,
    within: Duration,
    enough: impl Fn(&str) -> bool,
) -> (String, bool) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if enough(&text) {
            return (text, false);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (text, true),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
            Err(_) => return (text, false),
        }
    }
}

async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    read_until(stream, within, |_| false).await
}

#[actix_web::test]
async fn a_directory_over_its_rate_limit_gets_429_and_other_directories_do_not() {
    let server = TestServer::start_configured(TestDatabase::new(), |config| {
        config.scim_rate_limit = 2;
    })
    .await;
    let noisy = server.tenant("okta", "noisy.com").await;
    let quiet = server.tenant("okta", "quiet.com").await;
    let (noisy_scim, quiet_scim) = (Scim::new(&noisy), Scim::new(&quiet));

    // Strangers knowing the directory's URL cannot spend its requests.
    let stranger = Scim {
        token: "roster_scim_not-the-token".into(),
        ..Scim::new(&noisy)
    };
    for _ in 0..20 {
        assert_eq!(stranger.get("/Users").await.status, 401);
    }

    let started = Instant::now();
    let burst: Vec<Reply> = join_all((0..20).map(|index| {
        let scim = &noisy_scim;
        async move {
            scim.post(
                "/Users",
                &json!({"userName": format!("u{index}@noisy.com")}),
            )
            .await
        }
    }))
    .await;
    let elapsed = started.elapsed();
    let created = burst.iter().filter(|reply| reply.status == 201).count();
    let limited: Vec<&Reply> = burst.iter().filter(|reply| reply.status == 429).collect();
    assert_eq!(created + limited.len(), 20, "only 201 or 429");
    // A bucket of 4 (twice the rate), refilled at 2 a second while the burst lasted.
    let refilled = (elapsed.as_secs_f64() * 2.0).ceil() as usize;
    assert!(
        (4..=4 + refilled).contains(&created),
        "{created} created in {elapsed:?}"
    );
    for reply in &limited {
        assert_eq!(reply.body["schemas"], json!([SCIM_ERROR]));
        assert_eq!(reply.body["status"], "429");
        let retry_after: u64 = reply.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry_after), "{retry_after}");
    }
    assert_eq!(
        quiet_scim.get("/Users").await.status,
        200,
        "another directory keeps its own bucket"
    );
    // What was refused was not stored; what was created was, with its event.
    let listed = quiet_scim.get("/Users").await.body["totalResults"].clone();
    assert_eq!(listed, json!(0));
    assert_eq!(server.events(&noisy.directory_id).len(), created + 1);
    server.stop().await;
}

/// Two requests whose bodies stop arriving fill a cap of two: the next request gets 503 in its
/// protocol's format, probes still answer, and once the body timeout ends the stalled ones
/// (408), the server serves again.
#[actix_web::test]
async fn past_the_cap_on_requests_in_flight_the_answer_is_503_until_slots_free() {
    let server = TestServer::start_configured(TestDatabase::new(), |config| {
        config.http.max_in_flight = 2;
        config.http.body_timeout = Duration::from_millis(500);
    })
    .await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let path = tenant
        .scim_base_url
        .trim_start_matches(&server.base_url)
        .to_owned();
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(host(&server)).await.unwrap();
        let head = format!(
            "POST {path}/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{{\"userName\":",
            tenant.token
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stalled.push(stream);
    }
    // Wait until both hold their slot.
    let mut overloaded = scim.get("/Users").await;
    for _ in 0..100 {
        if overloaded.status == 503 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        overloaded = scim.get("/Users").await;
    }
    assert_eq!(overloaded.status, 503, "{}", overloaded.body);
    assert_eq!(overloaded.body["schemas"], json!([SCIM_ERROR]));
    assert_eq!(overloaded.headers["retry-after"], "1");
    let api = server
        .http
        .get(format!("{}/directories", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 503);
    assert_eq!(api.headers()["retry-after"], "1");
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["code"], "service_unavailable");
    let health = server
        .http
        .get(format!("{}/health", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200, "probes are never refused");

    for mut stream in stalled {
        let (answer, _) = read_until(&mut stream, Duration::from_secs(5), |text| {
            text.contains(SCIM_ERROR) && text.ends_with('}')
        })
        .await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains(SCIM_ERROR), "{answer}");
    }
    assert_eq!(scim.get("/Users").await.status, 200, "slots are free again");
    assert_eq!(
        server.events(&tenant.directory_id).len(),
        1,
        "nothing half-sent was stored"
    );
    server.stop().await;
}

#[actix_web::test]
async fn slow_headers_are_cut_off_with_408() {
    let server = TestServer::start_configured(TestDatabase::new(), |config| {
        config.http.header_timeout = Duration::from_millis(300);
    })
    .await;
    let mut slow = TcpStream::connect(host(&server)).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut slow, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(closed, "the connection is closed after the 408");
    server.stop().await;
}
