//! A custom API directory's CSV upload in the dashboard, through HTTP as a browser uses it: the
//! preview is the bulk API's dry run and writes nothing, Apply writes the previewed file with
//! the events and webhooks the bulk API's batch has, and files or directories the upload
//! cannot take are refused with a message.

use std::time::Duration;

use roster_events::{Clock, DispatcherConfig};
use serde_json::json;

use crate::browser::{Browser, Page, first_admin};
use crate::receiver::Receiver;
use crate::support::{TestDatabase, TestServer};

const CSV: &str = "External ID,Email,First Name,Last Name,Groups,Department\n\
                   E1,ann@acme.com,Ann,Lee,Engineering,R&D\n\
                   E2,bob@acme.com,Bob,Ray,Engineering;Sales,\"Sales,\nEMEA\"\n";

fn user_count(server: &TestServer, directory_id: &str) -> i64 {
    let id = roster_core::DirectoryId::parse(directory_id).unwrap();
    let mut conn = server.store.connection().unwrap();
    roster_store::users::search(&mut conn, &id, None, 0, 1)
        .unwrap()
        .0
}

/// The figure a report shows for `outcome`.
fn total(page: &Page, outcome: &str) -> u64 {
    let marker = format!("data-total=\"{outcome}\">");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {outcome} total in: {}", page.body))
        + marker.len();
    page.body[start..]
        .split('<')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Posts the upload form of the directory's page, as the browser would.
async fn preview(admin: &Browser, directory_id: &str, fields: &[(&str, &str)]) -> Page {
    admin
        .submit(
            &format!("/dashboard/directories/{directory_id}"),
            &format!("/dashboard/directories/{directory_id}/upload"),
            fields,
        )
        .await
}

/// Clicks Apply on a preview.
async fn apply(admin: &Browser, directory_id: &str, preview: &Page) -> Page {
    let (csrf, batch, mode, key) = (
        preview.csrf(),
        preview.input("batch"),
        preview.input("mode"),
        preview.input("key"),
    );
    admin
        .post(
            &format!("/dashboard/directories/{directory_id}/upload/apply"),
            &[
                ("csrf", &csrf),
                ("batch", &batch),
                ("mode", &mode),
                ("key", &key),
            ],
        )
        .await
}

#[actix_web::test]
async fn a_previewed_file_writes_nothing_and_applying_it_writes_what_the_bulk_api_would() {
    let server = TestServer::start().await;
    let receiver = Receiver::start().await;
    server
        .cli(&["webhook", "create", "--url", &receiver.url])
        .await
        .json();
    // It polls once an hour: only the upload's wake-up gets the webhooks out in time.
    let dispatcher = server.dispatcher(
        DispatcherConfig {
            poll_interval: Duration::from_secs(3600),
            timeout: Duration::from_secs(2),
            allow_private: true,
            ..DispatcherConfig::default()
        },
        Clock::system(),
    );
    let admin = first_admin(&server.base_url).await;
    let tenant = server.tenant("custom", "acme.com").await;
    let id = tenant.directory_id.as_str();
    let directory = admin.get(&format!("/dashboard/directories/{id}")).await;
    assert!(directory.body.contains("Upload CSV"), "{}", directory.body);
    assert_eq!(
        directory.code("scim-base-url"),
        format!("{}/custom/v1/{id}", server.base_url),
        "a custom API directory shows its bulk base URL"
    );

    let previewed = preview(&admin, id, &[("csv", CSV), ("mode", "upsert")]).await;
    assert_eq!(previewed.status, 200, "{}", previewed.body);
    assert!(previewed.body.contains("Preview: nothing is written yet"));
    assert_eq!(total(&previewed, "created"), 4, "two groups, two users");
    assert_eq!(total(&previewed, "error"), 0);
    assert!(previewed.body.contains("users[1]"));
    assert!(server.events(id).is_empty(), "a preview emits nothing");
    assert_eq!(user_count(&server, id), 0, "a preview writes nothing");

    let applied = apply(&admin, id, &previewed).await;
    assert_eq!(applied.status, 200, "{}", applied.body);
    assert!(applied.body.contains("Applied."), "{}", applied.body);
    assert_eq!(
        total(&applied, "created"),
        4,
        "the preview said what it would do"
    );
    assert_eq!(user_count(&server, id), 2);
    let events = server.event_types(id);
    assert_eq!(events[0], "dsync.activated");
    assert_eq!(
        events
            .iter()
            .filter(|kind| *kind == "dsync.user.created")
            .count(),
        2
    );
    assert_eq!(
        events
            .iter()
            .filter(|kind| *kind == "dsync.group.user_added")
            .count(),
        3
    );
    receiver
        .wait_for_delivered(events.len(), Duration::from_secs(10))
        .await;
    // The file is the batch the bulk API takes: the multi-line quoted cell arrived intact.
    let bob = {
        let directory = roster_core::DirectoryId::parse(id).unwrap();
        let mut conn = server.store.connection().unwrap();
        roster_store::users::find_by_external_ids(&mut conn, &directory, &["E2"])
            .unwrap()
            .remove(0)
    };
    assert_eq!(
        bob.user.profile.custom_attributes["department"],
        json!("Sales,\nEMEA")
    );

    // Apply clicked again (or the page reloaded): the first report, nothing applied twice.
    let again = apply(&admin, id, &previewed).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert!(again.body.contains("This file was already applied"));
    assert_eq!(server.event_types(id).len(), events.len());
    // The same file uploaded anew changes nothing.
    let previewed = preview(&admin, id, &[("csv", CSV), ("mode", "upsert")]).await;
    assert_eq!(total(&previewed, "unchanged"), 4);

    let audit = admin.get("/dashboard/audit").await;
    assert!(
        audit.body.contains("directory.csv_applied"),
        "{}",
        audit.body
    );
    dispatcher.shutdown().await;
    receiver.stop().await;
    server.stop().await;
}

#[actix_web::test]
async fn files_and_directories_the_upload_cannot_take_are_refused_with_a_message() {
    let server = TestServer::start_configured(TestDatabase::new(), |config| {
        config.bulk_max_records = 3;
    })
    .await;
    let admin = first_admin(&server.base_url).await;
    let custom = server.tenant("custom", "acme.com").await;
    let id = custom.directory_id.as_str();

    let malformed = preview(
        &admin,
        id,
        &[("csv", "email\nann@acme.com\n"), ("mode", "upsert")],
    )
    .await;
    assert_eq!(malformed.status, 200);
    assert!(
        malformed.body.contains("needs an `external_id` column"),
        "{}",
        malformed.body
    );
    let oversize = preview(
        &admin,
        id,
        &[
            (
                "csv",
                "external_id,email\nE1,a@acme.com\nE2,b@acme.com\nE3,c@acme.com\nE4,d@acme.com\n",
            ),
            ("mode", "upsert"),
        ],
    )
    .await;
    assert!(
        oversize.body.contains("at most 3 per request"),
        "{}",
        oversize.body
    );
    // One bad row, all or nothing: the preview says nothing would be written, names the row,
    // and offers no Apply.
    let refused = preview(
        &admin,
        id,
        &[
            (
                "csv",
                "external_id,email\nE1,a@acme.com\nE2,not-an-address\n",
            ),
            ("mode", "upsert"),
        ],
    )
    .await;
    assert!(
        refused
            .body
            .contains("Applying this file would write nothing"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("users[1]"));
    assert!(!refused.body.contains("upload/apply"));
    let partial = preview(
        &admin,
        id,
        &[
            (
                "csv",
                "external_id,email\nE1,a@acme.com\nE2,not-an-address\n",
            ),
            ("mode", "upsert"),
            ("partial", "true"),
        ],
    )
    .await;
    assert_eq!(total(&partial, "created"), 1);
    assert_eq!(total(&partial, "error"), 1);
    assert!(partial.body.contains("upload/apply"));
    let forged = admin
        .post(
            &format!("/dashboard/directories/{id}/upload/apply"),
            &[
                ("csrf", "forged"),
                ("batch", "ZQ=="),
                ("mode", "upsert"),
                ("key", "k"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    let okta = server.tenant("okta", "okta.example").await;
    let page = admin
        .get(&format!("/dashboard/directories/{}", okta.directory_id))
        .await;
    assert!(!page.body.contains("Upload CSV"));
    let upload = admin
        .get(&format!(
            "/dashboard/directories/{}/upload",
            okta.directory_id
        ))
        .await;
    assert_eq!(upload.status, 400);
    assert!(
        upload
            .body
            .contains("Only custom API directories take CSV uploads")
    );
    assert!(server.events(id).is_empty());
    assert_eq!(user_count(&server, id), 0);
    server.stop().await;
}
