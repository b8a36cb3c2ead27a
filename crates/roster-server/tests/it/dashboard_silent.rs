//! Directories gone silent, as the dashboard shows them: a notice on the landing page naming
//! them, a badge in their organization's list, and a notice on their page.

use roster_core::{DirectoryId, Timestamp};
use roster_store::{directories, health};

use crate::browser::first_admin;
use crate::support::{Scim, TestServer};

/// The part of `body` from `start` to the end of its element.
fn section<'a>(body: &'a str, start: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in: {body}"));
    let to = body[from..].find("</div>").unwrap();
    &body[from..from + to]
}

#[actix_web::test]
async fn a_directory_gone_silent_is_named_on_the_landing_page_its_organization_and_its_page() {
    let server = TestServer::start().await;
    let admin = first_admin(&server.base_url).await;
    let quiet = server.tenant("okta", "quiet.com").await;
    let chatty = server.tenant("okta", "chatty.com").await;
    assert_eq!(Scim::new(&chatty).get("/Users").await.status, 200);
    let landing = admin.get("/dashboard/organizations").await;
    assert!(
        !landing.body.contains("silent-directories"),
        "{}",
        landing.body
    );

    // Linked by a request an hour ago, and marked by the silence watch with a 10-minute limit.
    let now = Timestamp::now();
    {
        let mut conn = server.store.connection().unwrap();
        let id = DirectoryId::parse(&quiet.directory_id).unwrap();
        let directory = directories::find(&mut conn, &id).unwrap().unwrap();
        let an_hour_ago = Timestamp::from_millis(now.as_millis() - 3_600_000);
        assert!(directories::activate(&mut conn, &directory, an_hour_ago).unwrap());
        let cutoff = Timestamp::from_millis(now.as_millis() - 600_000);
        let newly = health::update_silence(&mut conn, cutoff, now).unwrap();
        assert_eq!(newly, std::slice::from_ref(&quiet.directory_id));
    }

    let landing = admin.get("/dashboard/organizations").await;
    let notice = section(&landing.body, "id=\"silent-directories\"");
    assert!(
        notice.contains("1 linked directory has gone silent"),
        "{notice}"
    );
    assert!(notice.contains(&format!("/dashboard/directories/{}", quiet.directory_id)));
    assert!(notice.contains("quiet.com"));
    assert!(notice.contains("silent since"));
    assert!(!notice.contains(&chatty.directory_id), "{notice}");

    let listed = admin
        .get(&format!(
            "/dashboard/organizations/{}",
            quiet.organization_id
        ))
        .await;
    assert!(listed.body.contains("badge silent"), "{}", listed.body);
    let other = admin
        .get(&format!(
            "/dashboard/organizations/{}",
            chatty.organization_id
        ))
        .await;
    assert!(other.body.contains("badge linked"), "{}", other.body);
    assert!(!other.body.contains("badge silent"));

    let page = admin
        .get(&format!("/dashboard/directories/{}", quiet.directory_id))
        .await;
    assert!(
        page.body.contains("has sent no request since"),
        "{}",
        page.body
    );
    let page = admin
        .get(&format!("/dashboard/directories/{}", chatty.directory_id))
        .await;
    assert!(!page.body.contains("has sent no request since"));
    server.stop().await;
}
