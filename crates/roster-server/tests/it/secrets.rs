//! Secrets at rest and in logs: webhook signing secrets are stored sealed with the secret key
//! (from `ROSTER_SECRET_KEY`, or a key file beside a SQLite database), and no token, key or
//! secret that a full run handles appears in its logs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::RunQueryDsl;
use serde_json::{Value, json};

use crate::receiver::Receiver;
use crate::support::{Scim, TEST_SECRET_KEY, TestDatabase, run_cli};

/// `roster` with exactly these variables set (no test key unless given).
fn roster(database_url: &str, env: &[(&str, &str)], args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_roster"));
    command
        .args(args)
        .env_remove("ROSTER_SECRET_KEY")
        .env("ROSTER_DATABASE_URL", database_url)
        .env("RUST_LOG", "info");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = diesel::sql_types::Text)]
    secret: String,
}

fn stored_secret(database: &TestDatabase, id: &str) -> String {
    let store =
        roster_store::Store::open(&roster_store::DatabaseUrl::parse(&database.url).unwrap(), 1)
            .unwrap();
    let mut conn = store.connection().unwrap();
    diesel::sql_query(format!(
        "SELECT secret FROM webhook_endpoints WHERE id = '{id}'"
    ))
    .get_result::<Stored>(&mut *conn)
    .unwrap()
    .secret
}

#[actix_web::test]
async fn webhook_secrets_are_stored_sealed_under_the_secret_key() {
    let database = TestDatabase::new();
    run_cli(&database.url, "http://x", &["migrate"])
        .await
        .json();
    let created = run_cli(
        &database.url,
        "http://x",
        &[
            "webhook",
            "create",
            "--url",
            "https://hooks.example.com/roster",
        ],
    )
    .await
    .json();
    let id = created["id"].as_str().unwrap();
    let secret = created["secret"].as_str().unwrap();
    let stored = stored_secret(&database, id);
    assert!(stored.starts_with("enc:v1:"), "{stored}");
    assert!(!stored.contains(secret.trim_start_matches("whsec_")));

    // A secret stored before encryption existed is sealed at the next start, unchanged.
    {
        let store =
            roster_store::Store::open(&roster_store::DatabaseUrl::parse(&database.url).unwrap(), 1)
                .unwrap();
        let mut conn = store.connection().unwrap();
        diesel::sql_query(format!(
            "UPDATE webhook_endpoints SET secret = 'whsec_legacyplaintextsecret' WHERE id = '{id}'"
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    run_cli(&database.url, "http://x", &["migrate"])
        .await
        .json();
    let resealed = stored_secret(&database, id);
    assert!(resealed.starts_with("enc:v1:"), "{resealed}");
    roster_store::secrets::install(
        roster_store::secrets::SecretKey::parse(TEST_SECRET_KEY).unwrap(),
    )
    .unwrap();
    let opened = roster_store::secrets::SecretKey::parse(TEST_SECRET_KEY)
        .unwrap()
        .open(id, &resealed)
        .unwrap();
    assert_eq!(opened, "whsec_legacyplaintextsecret");

    // Another key stops the process at start, with a message that says why.
    let other = roster_store::secrets::SecretKey::generate().to_base64();
    let (ok, _, stderr) = roster(
        &database.url,
        &[("ROSTER_SECRET_KEY", &other)],
        &["webhook", "list"],
    );
    assert!(!ok);
    assert!(
        stderr.contains("is not the key it was encrypted with"),
        "{stderr}"
    );

    if database.is_postgres() {
        // Several instances must share the key: PostgreSQL requires it.
        let (ok, _, stderr) = roster(&database.url, &[], &["migrate"]);
        assert!(!ok);
        assert!(
            stderr.contains("ROSTER_SECRET_KEY is required with PostgreSQL"),
            "{stderr}"
        );
    } else {
        // SQLite without the variable: a key file beside a new database, owner-only.
        let fresh = TestDatabase::new();
        let (ok, stdout, stderr) = roster(
            &fresh.url,
            &[],
            &[
                "webhook",
                "create",
                "--url",
                "https://hooks.example.com/roster",
            ],
        );
        assert!(ok, "{stderr}");
        let created: Value = serde_json::from_str(stdout.trim()).unwrap();
        let path = fresh.url.trim_start_matches("sqlite://").to_owned() + ".key";
        let key_text = std::fs::read_to_string(&path).unwrap();
        let key = roster_store::secrets::SecretKey::parse(&key_text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(Path::new(&path))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let id = created["id"].as_str().unwrap();
        assert_eq!(
            key.open(id, &stored_secret(&fresh, id)).unwrap(),
            created["secret"].as_str().unwrap()
        );
        let (ok, _, stderr) = roster(&fresh.url, &[], &["webhook", "list"]);
        assert!(ok, "the same key file opens it again: {stderr}");
    }
}

/// A full run with logs at debug: tokens (before and after a reset), an API key, webhook
/// secrets (before and after rotation), the metrics token, the secret key and a password sent
/// in a SCIM body appear nowhere in the server's or the CLI's logs.
#[actix_web::test]
async fn no_secret_reaches_the_logs_of_a_full_run() {
    let database = TestDatabase::new();
    let receiver = Receiver::start().await;
    let logs = tempfile::tempdir().unwrap();
    let metrics_token = "metrics-token-that-must-not-be-logged";
    let listen = {
        let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        reserved.local_addr().unwrap().to_string()
    };
    let base = format!("http://{listen}");
    let env = [
        ("ROSTER_SECRET_KEY", TEST_SECRET_KEY),
        ("ROSTER_PUBLIC_URL", base.as_str()),
        ("ROSTER_METRICS_TOKEN", metrics_token),
        ("ROSTER_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("RUST_LOG", "debug"),
    ];
    let mut cli_log = String::new();
    let mut cli = |args: &[&str]| -> Value {
        let (ok, stdout, stderr) = roster(&database.url, &env, args);
        assert!(ok, "{args:?}: {stderr}");
        cli_log.push_str(&stderr);
        serde_json::from_str(stdout.trim()).unwrap()
    };
    let organization = cli(&["org", "create", "--name", "Acme", "--domain", "acme.com"]);
    let organization = organization["id"].as_str().unwrap().to_owned();
    let directory = cli(&[
        "directory",
        "create",
        "--organization",
        &organization,
        "--type",
        "okta",
        "--name",
        "Okta",
    ]);
    let directory_id = directory["id"].as_str().unwrap().to_owned();
    let first_token = directory["bearer_token"].as_str().unwrap().to_owned();
    let reset = cli(&["directory", "reset-token", &directory_id]);
    let token = reset["bearer_token"].as_str().unwrap().to_owned();
    let api_key = cli(&["api-key", "create", "--name", "backend"])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let endpoint = cli(&["webhook", "create", "--url", &receiver.url]);
    let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
    let first_secret = endpoint["secret"].as_str().unwrap().to_owned();
    let rotated = cli(&["webhook", "rotate-secret", &endpoint_id]);
    let secret = rotated["secret"].as_str().unwrap().to_owned();

    let server_log = logs.path().join("serve.log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env_remove("ROSTER_SECRET_KEY")
        .env("ROSTER_DATABASE_URL", &database.url)
        .env("ROSTER_LISTEN", &listen)
        .envs(env)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&server_log).unwrap())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if matches!(http.get(format!("{base}/ready")).send().await, Ok(r) if r.status() == 200) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let scim = Scim {
        http: http.clone(),
        base: format!("{base}/scim/v2/{directory_id}"),
        token: token.clone(),
    };
    let password = "hunter2-must-not-be-logged";
    let created = scim
        .post(
            "/Users",
            &json!({"userName": "ann@acme.com", "password": password, "active": true}),
        )
        .await;
    assert_eq!(created.status, 201);
    let stale = Scim {
        token: first_token.clone(),
        ..Scim {
            http: http.clone(),
            base: scim.base.clone(),
            token: String::new(),
        }
    };
    assert_eq!(stale.get("/Users").await.status, 401);
    assert_eq!(
        scim.get("/Users?filter=userName%20eq%20%22ann@acme.com%22")
            .await
            .status,
        200
    );
    let listed = http
        .get(format!("{base}/directory_users?directory={directory_id}"))
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let wrong_key = http
        .get(format!("{base}/directories"))
        .bearer_auth(format!("{api_key}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    let scraped = http
        .get(format!("{base}/metrics"))
        .bearer_auth(metrics_token)
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    receiver
        .wait_for_delivered(2, Duration::from_secs(10))
        .await;
    cli(&["webhook", "deliveries"]);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();

    let log = std::fs::read_to_string(&server_log).unwrap() + &cli_log;
    assert!(
        log.contains("DEBUG") && log.contains(&directory_id),
        "the log is at debug and tells what happened"
    );
    let strip = |secret: &str, prefix: &str| secret.trim_start_matches(prefix).to_owned();
    for (what, value) in [
        (
            "the first bearer token",
            strip(&first_token, "roster_scim_"),
        ),
        ("the bearer token", strip(&token, "roster_scim_")),
        ("the API key", strip(&api_key, "sk_")),
        ("the first webhook secret", strip(&first_secret, "whsec_")),
        ("the webhook secret", strip(&secret, "whsec_")),
        ("the metrics token", metrics_token.to_owned()),
        ("the secret key", TEST_SECRET_KEY.to_owned()),
        ("a password in a SCIM body", password.to_owned()),
    ] {
        assert!(!log.contains(&value), "{what} is in the log");
    }
    receiver.stop().await;
}

/// A receiver that answers with a redirect does not lead deliveries elsewhere (say, to an
/// internal address the guard would refuse): the redirect is the attempt's failed answer.
#[actix_web::test]
async fn deliveries_follow_no_redirect() {
    let elsewhere = Receiver::start().await;
    let redirecting = Receiver::start().await;
    redirecting.answer(crate::receiver::Answer {
        location: Some(format!("{}/stolen", elsewhere.url)),
        ..crate::receiver::Answer::status(307)
    });
    let server = crate::support::TestServer::start().await;
    server
        .cli(&["webhook", "create", "--url", &redirecting.url])
        .await
        .json();
    let dispatcher = server.dispatcher(
        roster_events::DispatcherConfig {
            allow_private: true,
            ..roster_events::DispatcherConfig::default()
        },
        roster_events::Clock::system(),
    );
    let tenant = server.tenant("okta", "acme.com").await;
    assert_eq!(Scim::new(&tenant).get("/Users").await.status, 200);
    redirecting
        .wait_until(Duration::from_secs(5), "the first attempt", |received| {
            !received.is_empty()
        })
        .await;
    let mut listed = Value::Null;
    for _ in 0..100 {
        listed = server.cli(&["webhook", "deliveries"]).await.json();
        if listed["data"][0]["attempt_log"][0]["status_code"] == 307 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        listed["data"][0]["attempt_log"][0]["status_code"], 307,
        "{listed}"
    );
    assert_eq!(
        listed["data"][0]["status"], "pending",
        "a redirect is a failure to retry"
    );
    assert!(
        elsewhere.received().is_empty(),
        "nothing followed the redirect"
    );
    dispatcher.shutdown().await;
    server.stop().await;
    redirecting.stop().await;
    elsewhere.stop().await;
}
