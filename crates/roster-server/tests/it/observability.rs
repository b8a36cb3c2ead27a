//! `GET /metrics` and each directory's health: what an operator scrapes and what the
//! management API shows, after real traffic.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::first_admin;
use crate::receiver::{Answer, Receiver};
use crate::smtp::SmtpServer;
use crate::support::{Scim, TestDatabase, TestServer};

const TOKEN: &str = "scrape-token-0123456789";

/// The value of the series `name` whose labels include every pair in `labels`; `None` if no
/// line matches. Counters are process-wide (tests share the recorder), so tests label by
/// their own directory and endpoint ids.
fn series(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.starts_with(&format!("{name}{{")) || line.starts_with(&format!("{name} "))
        })
        .find(|line| {
            labels
                .iter()
                .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

async fn scrape(server: &TestServer, token: Option<&str>) -> (u16, String) {
    let mut request = server.http.get(format!("{}/metrics", server.base_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn directory_object(server: &TestServer, key: &str, id: &str) -> Value {
    server
        .http
        .get(format!("{}/directories/{id}", server.base_url))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[actix_web::test]
async fn metrics_count_requests_by_route_directory_and_endpoint() {
    let off = TestServer::start().await;
    assert_eq!(
        scrape(&off, Some(TOKEN)).await.0,
        404,
        "off without a token"
    );
    off.stop().await;

    let server = TestServer::start_configured(TestDatabase::new(), |config| {
        config.metrics_token = Some(roster_server::config::MetricsToken::new(TOKEN.into()));
    })
    .await;
    assert_eq!(scrape(&server, None).await.0, 401);
    assert_eq!(
        scrape(&server, Some("scrape-token-0123456788")).await.0,
        401
    );

    let failing = Receiver::start().await;
    failing.answer(Answer::status(500));
    let healthy = Receiver::start().await;
    let failing_id = server
        .cli(&["webhook", "create", "--url", &failing.url])
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let healthy_id = server
        .cli(&["webhook", "create", "--url", &healthy.url])
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    for name in ["ann", "bob", "cat"] {
        let created = scim
            .post("/Users", &json!({"userName": format!("{name}@acme.com")}))
            .await;
        assert_eq!(created.status, 201);
    }
    let conflict = scim
        .post("/Users", &json!({"userName": "ann@acme.com"}))
        .await;
    assert_eq!(conflict.status, 409);
    let wrong = Scim {
        token: "roster_scim_wrong".into(),
        ..Scim::new(&tenant)
    };
    assert_eq!(wrong.get("/Users").await.status, 401);

    let (status, text) = scrape(&server, Some(TOKEN)).await;
    assert_eq!(status, 200);
    let users_route = "/scim/v2/{directory_id}/Users";
    assert!(
        series(
            &text,
            "roster_http_requests_total",
            &[
                ("route", users_route),
                ("method", "POST"),
                ("status", "201")
            ]
        )
        .is_some_and(|count| count >= 3.0),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|line| line.starts_with("roster_http_requests_total")
                && line.contains(&tenant.directory_id)),
        "routes are patterns, never raw paths"
    );
    assert!(
        series(
            &text,
            "roster_http_request_duration_seconds_bucket",
            &[("route", users_route)]
        )
        .is_some()
    );
    let directory = [("directory", tenant.directory_id.as_str())];
    assert_eq!(
        series(&text, "roster_scim_requests_total", &directory),
        Some(5.0),
        "three creates, the conflict and the refused token"
    );
    let errors = |status| {
        series(
            &text,
            "roster_scim_errors_total",
            &[
                ("directory", tenant.directory_id.as_str()),
                ("status", status),
            ],
        )
    };
    assert_eq!(errors("409"), Some(1.0));
    assert_eq!(errors("401"), Some(1.0));
    assert_eq!(
        series(&text, "roster_db_pool_max_connections", &[]),
        Some(4.0)
    );
    assert!(series(&text, "roster_db_pool_connections", &[]).is_some());
    assert!(
        series(&text, "roster_outbox_undispatched_events", &[]).is_some_and(|n| n >= 4.0),
        "no dispatcher yet: the activation and three creations wait"
    );
    assert!(
        series(
            &text,
            "roster_directory_last_request_timestamp_seconds",
            &directory
        )
        .is_some()
    );
    assert_eq!(
        series(&text, "roster_directory_silent", &directory),
        Some(0.0)
    );

    // Deliveries: attempts and failures per endpoint.
    let dispatcher = server.dispatcher(
        roster_events::DispatcherConfig {
            allow_private: true,
            retry_schedule: roster_events::schedule::RetrySchedule::parse("1h").unwrap(),
            ..roster_events::DispatcherConfig::default()
        },
        roster_events::Clock::system(),
    );
    healthy.wait_for_delivered(4, Duration::from_secs(5)).await;
    failing
        .wait_until(Duration::from_secs(5), "four failed attempts", |received| {
            received.len() >= 4
        })
        .await;
    let mut text = String::new();
    for _ in 0..100 {
        text = scrape(&server, Some(TOKEN)).await.1;
        let attempts = |endpoint: &str| {
            series(
                &text,
                "roster_webhook_attempts_total",
                &[("endpoint", endpoint)],
            )
        };
        // Attempts are counted before they are recorded: wait for both.
        if attempts(&failing_id) == Some(4.0)
            && attempts(&healthy_id) == Some(4.0)
            && series(&text, "roster_webhook_deliveries_pending", &[]) == Some(4.0)
        {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let failures = |endpoint: &str| {
        series(
            &text,
            "roster_webhook_failures_total",
            &[("endpoint", endpoint)],
        )
    };
    assert_eq!(failures(&failing_id), Some(4.0), "{text}");
    assert_eq!(failures(&healthy_id), None);
    assert_eq!(
        series(&text, "roster_webhook_deliveries_pending", &[]),
        Some(4.0)
    );
    assert_eq!(
        series(&text, "roster_outbox_undispatched_events", &[]),
        Some(0.0)
    );

    // The directory's last error, in the management API's directory object.
    let key = server
        .cli(&["api-key", "create", "--name", "ops"])
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut object = Value::Null;
    for _ in 0..100 {
        object = directory_object(&server, &key, &tenant.directory_id).await;
        if object["last_error"]["status"] == 401 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(object["last_error"]["status"], 401, "{object}");
    assert!(
        object["last_error"]["detail"]
            .as_str()
            .unwrap()
            .contains("Authentication failed"),
        "{object}"
    );
    assert!(object["last_request_at"].is_string());
    assert_eq!(object["silent_since"], Value::Null);
    dispatcher.shutdown().await;
    server.stop().await;
    failing.stop().await;
    healthy.stop().await;
}

/// A linked directory that last called long ago is reported silent (log, `/metrics`, API,
/// an email to administrators), and the report clears when its identity provider calls again.
#[actix_web::test]
async fn a_directory_that_stops_calling_is_reported_silent_until_it_calls_again() {
    let smtp = SmtpServer::start().await;
    let smtp_url = smtp.url.clone();
    let server = TestServer::start_configured(TestDatabase::new(), |config| {
        config.metrics_token = Some(roster_server::config::MetricsToken::new(TOKEN.into()));
        config.directory_silent_after = Some(Duration::from_secs(10));
        config.mail.smtp_url = Some(smtp_url);
    })
    .await;
    first_admin(&server.base_url).await;
    let quiet = server.tenant("okta", "quiet.com").await;
    let chatty = server.tenant("okta", "chatty.com").await;
    let never = server.tenant("okta", "never.com").await;
    assert_eq!(Scim::new(&quiet).get("/Users").await.status, 200);
    assert_eq!(Scim::new(&chatty).get("/Users").await.status, 200);
    // Its identity provider last called an hour ago.
    {
        use diesel::RunQueryDsl;
        let an_hour_ago = roster_core::Timestamp::now().as_millis() - 3_600_000;
        let mut conn = server.store.connection().unwrap();
        diesel::sql_query(format!(
            "UPDATE directories SET last_request_at = {an_hour_ago} WHERE id = '{}'",
            quiet.directory_id
        ))
        .execute(&mut *conn)
        .unwrap();
    }
    let key = server
        .cli(&["api-key", "create", "--name", "ops"])
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let silent =
        |text: &str, id: &str| series(text, "roster_directory_silent", &[("directory", id)]);
    let mut text = String::new();
    for _ in 0..200 {
        text = scrape(&server, Some(TOKEN)).await.1;
        if silent(&text, &quiet.directory_id) == Some(1.0) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(silent(&text, &quiet.directory_id), Some(1.0), "{text}");
    assert_eq!(silent(&text, &chatty.directory_id), Some(0.0));
    assert_eq!(
        silent(&text, &never.directory_id),
        None,
        "a directory never linked is not silent, just not set up"
    );
    let object = directory_object(&server, &key, &quiet.directory_id).await;
    assert!(object["silent_since"].is_string(), "{object}");
    let mail = smtp.wait_for(crate::browser::EMAIL).await;
    assert!(
        mail.text.contains("Subject: IdP has gone silent"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains(&quiet.directory_id));

    assert_eq!(Scim::new(&quiet).get("/Users").await.status, 200);
    for _ in 0..200 {
        text = scrape(&server, Some(TOKEN)).await.1;
        if silent(&text, &quiet.directory_id) == Some(0.0) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(silent(&text, &quiet.directory_id), Some(0.0), "{text}");
    let object = directory_object(&server, &key, &quiet.directory_id).await;
    assert_eq!(object["silent_since"], Value::Null);
    server.stop().await;
}

/// Sets a directory's last request an hour before now, as if its identity provider stopped.
fn quiet_for_an_hour(server: &TestServer, directory_id: &str) {
    use diesel::RunQueryDsl;
    let an_hour_ago = roster_core::Timestamp::now().as_millis() - 3_600_000;
    let mut conn = server.store.connection().unwrap();
    diesel::sql_query(format!(
        "UPDATE directories SET last_request_at = {an_hour_ago} WHERE id = '{directory_id}'"
    ))
    .execute(&mut *conn)
    .unwrap();
}

/// One silence check by the instance using `store`, emailing administrators as `roster serve`
/// wires it; returns the directories that went silent.
async fn check_silence(
    store: &roster_store::Store,
    mailer: &roster_mail::Mailer,
    public_url: &str,
    now: roster_core::Timestamp,
) -> Vec<String> {
    roster_scim::maintenance::check_silence(
        store,
        Duration::from_secs(600),
        now,
        |directories| async move {
            roster_dashboard::alerts::directories_silent(store, mailer, public_url, directories)
                .await
                .unwrap();
        },
    )
    .await
    .unwrap()
}

/// Administrators get one email when a linked directory goes silent: not again while it stays
/// silent (whichever instance checks), not when it calls again, once more when it goes quiet
/// again — and once when two instances on one database check at the same moment.
#[actix_web::test]
async fn administrators_are_emailed_once_per_silence_across_instances() {
    let smtp = SmtpServer::start().await;
    let smtp_url = smtp.url.clone();
    let server = TestServer::start_configured(TestDatabase::new(), move |config| {
        config.mail.smtp_url = Some(smtp_url);
        // The test runs the checks itself, at the times it chooses.
        config.directory_silent_after = None;
    })
    .await;
    first_admin(&server.base_url).await;
    let quiet = server.tenant("okta", "quiet.com").await;
    let chatty = server.tenant("okta", "chatty.com").await;
    assert_eq!(Scim::new(&quiet).get("/Users").await.status, 200);
    assert_eq!(Scim::new(&chatty).get("/Users").await.status, 200);
    let mailer = roster_mail::Mailer::start(&roster_mail::MailConfig {
        smtp_url: Some(smtp.url.clone()),
        from: "Roster <roster@test.example>".to_owned(),
        folder: server.database.mail_folder(),
    })
    .unwrap();
    // A second instance: its own pool on the same database.
    let other = roster_store::Store::open_with_timeout(
        &roster_store::DatabaseUrl::parse(&server.database.url).unwrap(),
        2,
        roster_store::DEFAULT_TIMEOUT,
    )
    .unwrap();
    let base = server.base_url.as_str();
    let at = |minutes: i64| {
        roster_core::Timestamp::from_millis(
            roster_core::Timestamp::now().as_millis() + minutes * 60_000,
        )
    };

    quiet_for_an_hour(&server, &quiet.directory_id);
    assert_eq!(
        check_silence(&server.store, &mailer, base, at(0)).await,
        [quiet.directory_id.as_str()]
    );
    let mails = smtp.received();
    assert_eq!(mails.len(), 1, "one email per administrator");
    let mail = &mails[0];
    assert_eq!(mail.to, [crate::browser::EMAIL]);
    assert!(
        mail.text.contains("Subject: IdP has gone silent"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("quiet.com"), "the organization is named");
    assert_eq!(
        mail.link(&format!("{base}/dashboard/directories/")),
        format!("{base}/dashboard/directories/{}", quiet.directory_id)
    );
    assert!(!mail.text.contains(&chatty.directory_id));
    assert!(
        mail.text.contains("Content-Type: text/html"),
        "an HTML body too"
    );

    assert!(check_silence(&other, &mailer, base, at(1)).await.is_empty());
    assert!(
        check_silence(&server.store, &mailer, base, at(9))
            .await
            .is_empty()
    );
    assert_eq!(smtp.received().len(), 1, "not again while it stays silent");

    assert_eq!(Scim::new(&quiet).get("/Users").await.status, 200);
    assert!(check_silence(&other, &mailer, base, at(0)).await.is_empty());
    let health = {
        let mut conn = server.store.connection().unwrap();
        roster_store::health::for_directories(&mut conn, &[&quiet.directory_id]).unwrap()
    };
    assert_eq!(health[&quiet.directory_id].silent_since, None, "cleared");
    assert_eq!(smtp.received().len(), 1, "no email when it calls again");

    // Quiet again: a new silence, which both instances find at once. On PostgreSQL a third
    // connection holds the directory's health row until both checks wait for it, so that both
    // have read it unmarked before either marks it.
    quiet_for_an_hour(&server, &quiet.directory_id);
    let holder = server.database.is_postgres().then(|| {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        let mut holder = diesel::PgConnection::establish(&server.database.url).unwrap();
        holder
            .batch_execute(&format!(
                "BEGIN; SELECT 1 FROM directory_health WHERE directory_id = '{}' FOR UPDATE",
                quiet.directory_id
            ))
            .unwrap();
        holder
    });
    let release = async {
        let Some(mut holder) = holder else { return };
        use diesel::connection::SimpleConnection;
        use diesel::{Connection, RunQueryDsl};
        let mut watcher = diesel::PgConnection::establish(&server.database.url).unwrap();
        let waiting = diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM pg_stat_activity \
              WHERE datname = current_database() AND wait_event_type = 'Lock')",
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while diesel::select(waiting.clone())
            .get_result::<i64>(&mut watcher)
            .unwrap()
            < 2
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the two checks never waited for the row"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        holder.batch_execute("COMMIT").unwrap();
    };
    let (first, second, ()) = tokio::join!(
        check_silence(&server.store, &mailer, base, at(0)),
        check_silence(&other, &mailer, base, at(0)),
        release
    );
    let mut found = [first, second].concat();
    found.sort();
    assert_eq!(
        found,
        [quiet.directory_id.as_str()],
        "one instance reports it"
    );
    assert_eq!(smtp.received().len(), 2, "one email for the new silence");
    server.stop().await;
}
