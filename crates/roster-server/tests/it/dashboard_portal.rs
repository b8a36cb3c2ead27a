//! The IT-admin setup portal and `POST /portal/generate_link`: single-use, expiring links,
//! sessions limited to one organization.

use roster_core::{OrganizationId, Timestamp};
use serde_json::{Value, json};

use crate::browser::{Browser, first_admin};
use crate::support::{Scim, Tenant, TestServer};

async fn api_key(server: &TestServer, options: &[&str]) -> String {
    let mut args = vec!["api-key", "create", "--name", "backend"];
    args.extend_from_slice(options);
    server.cli(&args).await.json()["secret"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn generate_link(server: &TestServer, key: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/portal/generate_link", server.base_url))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Opens a setup link in a fresh browser, as the IT admin who received it.
async fn open_link(link: &str) -> (Browser, u16) {
    let url = url::Url::parse(link).unwrap();
    let browser = Browser::new(&link.replace(url.path(), ""));
    let landing = browser.get(url.path()).await;
    if landing.status != 200 {
        return (browser, landing.status);
    }
    let opened = browser.post(url.path(), &[("csrf", &landing.csrf())]).await;
    (browser, opened.status)
}

/// A browser in a portal session of `organization`, from a link made in the store.
pub(crate) async fn open_setup_link(server: &TestServer, organization: &OrganizationId) -> Browser {
    let token = {
        let mut conn = server.store.connection().unwrap();
        let now = Timestamp::now();
        let (_, token) = roster_store::portal_links::create(
            &mut conn,
            organization,
            "dsync",
            "test",
            now,
            Timestamp::from_millis(now.as_millis() + 5 * 60_000),
        )
        .unwrap();
        token
    };
    let (browser, status) = open_link(&format!("{}/setup/{token}", server.base_url)).await;
    assert_eq!(status, 303);
    browser
}

#[actix_web::test]
async fn a_portal_session_sees_its_organization_and_nothing_else() {
    let server = TestServer::start().await;
    let acme: Tenant = server.tenant("okta", "acme.com").await;
    let globex: Tenant = server.tenant("entra", "globex.com").await;
    let key = api_key(&server, &[]).await;
    let (status, body) = generate_link(
        &server,
        &key,
        &json!({"organization": acme.organization_id, "intent": "dsync"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let link = body["link"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{}/setup/", server.base_url)),
        "{link}"
    );

    let (portal, opened) = open_link(&link).await;
    assert_eq!(opened, 303);
    let home = portal.get("/setup/directories").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains(&acme.directory_id));
    assert!(!home.body.contains(&globex.directory_id));
    assert!(!home.body.contains("globex"));

    // Another organization's directory does not exist for this session.
    let other = format!("/setup/directories/{}", globex.directory_id);
    assert_eq!(portal.get(&other).await.status, 404);
    assert_eq!(portal.get(&format!("{other}/status")).await.status, 404);
    let csrf = home.csrf();
    let reset = portal
        .post(&format!("{other}/reset-token"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reset.status, 404);
    assert_eq!(Scim::new(&globex).get("/Users").await.status, 200);

    // Nor do the vendor's pages, with the portal cookie or with its value as a session cookie.
    let vendor = portal.get("/dashboard/organizations").await;
    assert_eq!(vendor.status, 303);
    assert!(vendor.location().starts_with("/dashboard/login"));
    assert_eq!(portal.get("/").await.location(), "/dashboard/setup");

    // Its own directory: the token can be reset, once per click, and the status follows.
    let own = format!("/setup/directories/{}", acme.directory_id);
    let reset = portal
        .post(&format!("{own}/reset-token"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reset.status, 200);
    let fresh = reset.code("bearer-token");
    assert_eq!(Scim::new(&acme).get("/Users").await.status, 401);
    let scim = Scim {
        token: fresh,
        ..Scim::new(&acme)
    };
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "zoe@acme.com", "emails": [{"value": "zoe@acme.com", "primary": true}], "active": true});
    assert_eq!(scim.post("/Users", &user).await.status, 201);
    let status: Value =
        serde_json::from_str(&portal.get(&format!("{own}/status")).await.body).unwrap();
    assert_eq!(status["state"], "linked");
    assert_eq!(status["users"], 1);
    assert_eq!(status["first_users"], json!(["zoe@acme.com"]));
    let forged = portal
        .post(&format!("{own}/reset-token"), &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, 403);

    // The link worked once.
    let (_, again) = open_link(&link).await;
    assert_eq!(again, 403);
    server.stop().await;
}

#[actix_web::test]
async fn an_expired_link_opens_nothing() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "acme.com").await;
    let token = {
        let mut conn = server.store.connection().unwrap();
        let organization = OrganizationId::parse(&tenant.organization_id).unwrap();
        let now = Timestamp::now();
        let (_, token) = roster_store::portal_links::create(
            &mut conn,
            &organization,
            "dsync",
            "test",
            Timestamp::from_millis(now.as_millis() - 10 * 60_000),
            Timestamp::from_millis(now.as_millis() - 5 * 60_000),
        )
        .unwrap();
        token
    };
    let (_, status) = open_link(&format!("{}/setup/{token}", server.base_url)).await;
    assert_eq!(status, 403);
    let (_, status) = open_link(&format!("{}/setup/setup_made_up", server.base_url)).await;
    assert_eq!(status, 403);
    server.stop().await;
}

#[actix_web::test]
async fn generate_link_checks_its_key_and_its_input() {
    let server = TestServer::start().await;
    let acme = server.tenant("okta", "acme.com").await;
    let globex = server.tenant("okta", "globex.com").await;
    let scoped = api_key(&server, &["--organization", &acme.organization_id]).await;
    let read_only = api_key(&server, &["--read-only"]).await;
    let key = api_key(&server, &[]).await;

    let (status, body) = generate_link(
        &server,
        &scoped,
        &json!({"organization": globex.organization_id, "intent": "dsync"}),
    )
    .await;
    assert_eq!(
        status, 404,
        "another organization does not exist for a scoped key"
    );
    assert_eq!(body["code"], "entity_not_found");
    let (status, _) = generate_link(
        &server,
        &scoped,
        &json!({"organization": acme.organization_id, "intent": "dsync"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = generate_link(
        &server,
        &read_only,
        &json!({"organization": acme.organization_id, "intent": "dsync"}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = generate_link(
        &server,
        &key,
        &json!({"organization": acme.organization_id, "intent": "sso"}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["param"], "intent");
    let (status, body) = generate_link(&server, &key, &json!({"intent": "dsync"})).await;
    assert_eq!(status, 422);
    assert_eq!(body["param"], "organization");
    let (status, _) = generate_link(
        &server,
        &key,
        &json!({"organization": "org_01J00000000000000000000000", "intent": "dsync"}),
    )
    .await;
    assert_eq!(status, 404);
    let unauthenticated = reqwest::Client::new()
        .post(format!("{}/portal/generate_link", server.base_url))
        .json(&json!({"organization": acme.organization_id, "intent": "dsync"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);

    // Links made through the API are in the audit log with the key that made them.
    let admin = first_admin(&server.base_url).await;
    let audit = admin.get("/dashboard/audit?kind=portal").await;
    assert!(audit.body.contains("api_key:key_"));
    server.stop().await;
}
