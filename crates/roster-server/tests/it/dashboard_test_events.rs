//! The dashboard's test-event buttons: an endpoint's "Send test event" (one signed example
//! event, sent at once, its outcome on the page) and a directory's "Send test events" (the
//! directory's test life, delivered like any other events).

use std::time::Duration;

use roster_events::Clock;

use crate::browser::first_admin;
use crate::receiver::{Answer, Receiver};
use crate::support::TestServer;
use crate::webhooks::{assert_signed_by, test_config};

#[actix_web::test]
async fn an_endpoint_and_a_directory_send_test_events_from_their_pages() {
    let receiver = Receiver::start().await;
    let server = TestServer::start().await;
    let admin = first_admin(&server.base_url).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let created = admin
        .submit(
            "/dashboard/webhooks/new",
            "/dashboard/webhooks",
            &[("url", &receiver.url)],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let secret = created.code("webhook-secret");
    let endpoint = format!(
        "we_{}",
        &created
            .body
            .split("/dashboard/webhooks/we_")
            .nth(1)
            .unwrap()[..26]
    );
    let endpoint_page = format!("/dashboard/webhooks/{endpoint}");
    let test = format!("{endpoint_page}/test");

    let tested = admin.submit(&endpoint_page, &test, &[]).await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    assert!(
        tested.body.contains("Delivered: HTTP 200 in "),
        "{}",
        tested.body
    );
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_signed_by(&received[0], &secret);
    assert!(tested.body.contains(&received[0].event_id()));
    assert!(received[0].event_id().starts_with("event_test_"));

    receiver.answer(Answer::status(410));
    let gone = admin.submit(&endpoint_page, &test, &[]).await;
    assert!(
        gone.body.contains("Not delivered: HTTP 410 in "),
        "{}",
        gone.body
    );
    receiver.answer(Answer::status(200));
    let forged = admin.post(&test, &[("csrf", "forged")]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        receiver.received().len(),
        2,
        "nothing sent without the token"
    );

    let directory_page = format!("/dashboard/directories/{}", tenant.directory_id);
    let sent = admin
        .submit(
            &directory_page,
            &format!("{directory_page}/test-events"),
            &[],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    assert_eq!(sent.location(), directory_page);
    let recorded = server.event_types(&tenant.directory_id);
    assert!(recorded.len() >= 7, "{recorded:?}");
    let shown = admin.get(&directory_page).await;
    assert!(
        shown.body.contains(&format!(
            "Sent {} test events: dsync.user.created ×2",
            recorded.len()
        )),
        "{}",
        shown.body
    );
    let dispatcher = server.dispatcher(test_config(), Clock::system());
    let delivered = receiver
        .wait_for_delivered(1 + recorded.len(), Duration::from_secs(10))
        .await;
    for received in &delivered {
        assert_signed_by(received, &secret);
    }
    dispatcher.shutdown().await;

    let audit = admin.get("/dashboard/audit").await;
    assert!(audit.body.contains("webhook_endpoint.test_sent"));
    assert!(audit.body.contains("directory.test_events_sent"));
    let stranger = crate::browser::Browser::new(&server.base_url);
    let refused = stranger
        .post(&format!("{directory_page}/test-events"), &[])
        .await;
    assert_ne!(refused.status, 200);
    assert_eq!(
        server.event_types(&tenant.directory_id).len(),
        recorded.len()
    );
    receiver.stop().await;
    server.stop().await;
}
