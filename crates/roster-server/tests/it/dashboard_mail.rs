//! Roster's email, received by a real SMTP server on loopback: invitations, setup links, and
//! the alert when the dispatcher disables a webhook endpoint.

use std::time::Duration;

use roster_events::{Clock, Dispatcher, DispatcherConfig};
use serde_json::json;

use crate::browser::{Browser, first_admin};
use crate::receiver::{Answer, Receiver};
use crate::smtp::SmtpServer;
use crate::support::{Scim, TestDatabase, TestServer};

async fn server_with_smtp(smtp: &SmtpServer) -> TestServer {
    let url = smtp.url.clone();
    TestServer::start_configured(TestDatabase::new(), move |config| {
        config.mail.smtp_url = Some(url);
    })
    .await
}

#[actix_web::test]
async fn an_invited_admin_gets_a_link_that_works_once() {
    let smtp = SmtpServer::start().await;
    let server = server_with_smtp(&smtp).await;
    let admin = first_admin(&server.base_url).await;
    let page = admin.get("/dashboard/admins").await;
    assert!(!page.body.contains("No SMTP server"), "SMTP is configured");
    let sent = admin
        .submit(
            "/dashboard/admins",
            "/dashboard/admins",
            &[("email", "Ben@Vendor.example")],
        )
        .await;
    assert_eq!(sent.status, 303);
    let mail = smtp.wait_for("ben@vendor.example").await;
    assert!(mail.from.contains("roster@test.example"));
    assert!(
        mail.text
            .contains("Subject: You are invited to administer Roster")
    );
    let link = mail.link(&format!("{}/dashboard/invitations/", server.base_url));

    let invited = Browser::new(&server.base_url);
    let path = link.replace(&server.base_url, "");
    let form = invited.get(&path).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("ben@vendor.example"));
    let accepted = invited
        .post(
            &path,
            &[
                ("csrf", &form.csrf()),
                ("password", "another long passphrase"),
                ("password_again", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    let admins = invited.get("/dashboard/admins").await;
    assert!(admins.body.contains("ben@vendor.example"));
    assert_eq!(
        Browser::new(&server.base_url).get(&path).await.status,
        404,
        "used once"
    );
    server.stop().await;
}

#[actix_web::test]
async fn a_setup_link_is_emailed_to_the_it_admin() {
    let smtp = SmtpServer::start().await;
    let server = server_with_smtp(&smtp).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let admin = first_admin(&server.base_url).await;
    let organization = format!("/dashboard/organizations/{}", tenant.organization_id);
    let page = admin
        .submit(
            &organization,
            &format!("{organization}/setup-link"),
            &[("email", "it@acme.com")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let shown = page.code("setup-link");
    let mail = smtp.wait_for("it@acme.com").await;
    assert!(
        mail.text
            .contains("Subject: Set up directory sync for acme.com")
    );
    assert_eq!(mail.link(&format!("{}/setup/", server.base_url)), shown);
    assert!(
        mail.text.contains("Content-Type: text/html"),
        "an HTML body too"
    );
    server.stop().await;
}

#[actix_web::test]
async fn without_smtp_mail_goes_to_a_folder_and_the_dashboard_says_so() {
    let server = TestServer::start().await;
    let admin = first_admin(&server.base_url).await;
    let page = admin.get("/dashboard/admins").await;
    assert!(page.body.contains("No SMTP server is configured"));
    admin
        .submit(
            "/dashboard/admins",
            "/dashboard/admins",
            &[("email", "ben@vendor.example")],
        )
        .await;
    let written: Vec<String> = std::fs::read_dir(server.database.mail_folder())
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert_eq!(written.len(), 1);
    assert!(written[0].contains("ben@vendor.example"));
    server.stop().await;
}

#[actix_web::test]
async fn administrators_are_emailed_when_an_endpoint_is_disabled() {
    let smtp = SmtpServer::start().await;
    let server = server_with_smtp(&smtp).await;
    first_admin(&server.base_url).await;
    let receiver = Receiver::start().await;
    receiver.answer(Answer::status(500));
    let endpoint = server
        .cli(&["webhook", "create", "--url", &receiver.url])
        .await
        .json();
    let mailer = roster_mail::Mailer::start(&roster_mail::MailConfig {
        smtp_url: Some(smtp.url.clone()),
        from: "Roster <roster@test.example>".to_owned(),
        folder: server.database.mail_folder(),
    })
    .unwrap();
    // No retries, and disabled as soon as a second attempt fails.
    let dispatcher = Dispatcher::new(
        server.store.clone(),
        server.events_written.clone(),
        DispatcherConfig {
            retry_schedule: roster_events::schedule::RetrySchedule::parse("").unwrap(),
            disable_after: Duration::ZERO,
            poll_interval: Duration::from_millis(100),
            allow_private: true,
            ..DispatcherConfig::default()
        },
        Clock::system(),
    )
    .unwrap()
    .on_endpoint_disabled(roster_dashboard::alerts::endpoint_disabled(
        server.store.clone(),
        mailer,
        server.base_url.clone(),
    ))
    .spawn();
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    for name in ["ann", "bob", "cy"] {
        let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("{name}@acme.com"), "active": true});
        assert_eq!(scim.post("/Users", &user).await.status, 201);
    }
    let mail = smtp.wait_for(crate::browser::EMAIL).await;
    assert!(mail.text.contains("Subject: Webhook endpoint disabled"));
    assert!(mail.text.contains(endpoint["id"].as_str().unwrap()));
    dispatcher.shutdown().await;
    server.stop().await;
}

#[actix_web::test]
async fn the_daily_summary_lists_directories_whose_provider_was_refused() {
    let smtp = SmtpServer::start().await;
    let server = server_with_smtp(&smtp).await;
    first_admin(&server.base_url).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let healthy = server.tenant("okta", "globex.com").await;
    let mailer = roster_mail::Mailer::start(&roster_mail::MailConfig {
        smtp_url: Some(smtp.url.clone()),
        from: "Roster <roster@test.example>".to_owned(),
        folder: server.database.mail_folder(),
    })
    .unwrap();
    let send = |at: roster_core::Timestamp| {
        roster_dashboard::summary::send(&server.store, &mailer, &server.base_url, at)
    };
    let now = roster_core::Timestamp::now();
    assert_eq!(send(now).await.unwrap(), 0, "nothing failed: nothing sent");

    let stale = Scim {
        token: "roster_scim_an_old_token".to_owned(),
        ..Scim::new(&tenant)
    };
    assert_eq!(stale.get("/Users").await.status, 401);
    assert_eq!(Scim::new(&healthy).get("/Users").await.status, 200);
    let logged = || {
        let mut conn = server.store.connection().unwrap();
        roster_store::request_log::count_since(&mut conn, &[401], now).unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while logged().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the 401 was never logged"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    let later = roster_core::Timestamp::from_millis(now.as_millis() + 1000);
    assert_eq!(send(later).await.unwrap(), 1);
    let mail = smtp.wait_for(crate::browser::EMAIL).await;
    assert!(mail.text.contains("Subject: 1 directory is failing"));
    assert!(mail.text.contains(&tenant.directory_id));
    assert!(!mail.text.contains(&healthy.directory_id));
    assert_eq!(
        send(later).await.unwrap(),
        0,
        "once a day, across instances"
    );
    let next_day = roster_core::Timestamp::from_millis(later.as_millis() + 21 * 3_600_000);
    assert_eq!(
        send(next_day).await.unwrap(),
        1,
        "still failing within the last 24 hours"
    );
    server.stop().await;
}
