//! Organizations, directories, tokens, the CLI contract, health and request ids.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{TestServer, run_cli};

const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

async fn get_with_token(server: &TestServer, url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = server.http.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    // SCIM 1.1 answers `application/json`.
    assert!(
        ["application/scim+json", "application/json"].contains(&content_type.as_str()),
        "{content_type}"
    );
    (status, response.json().await.unwrap())
}

fn directory_state(list: &Value, id: &str) -> String {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|directory| directory["id"] == id)
        .map(|directory| directory["state"].as_str().unwrap().to_owned())
        .unwrap()
}

#[actix_web::test]
async fn a_directory_token_authenticates_its_own_directory_only_and_links_it() {
    let server = TestServer::start().await;
    let acme = server.tenant("okta", "acme.com").await;
    let globex = server.tenant("entra", "globex.com").await;
    assert!(
        acme.scim_base_url
            .ends_with(&format!("/scim/v2/{}", acme.directory_id))
    );
    assert!(acme.token.len() >= 43, "a token carries at least 256 bits");
    let config_url = format!("{}/ServiceProviderConfig", acme.scim_base_url);

    let listed = server.cli(&["directory", "list"]).await.json();
    assert_eq!(directory_state(&listed, &acme.directory_id), "unlinked");
    assert!(
        listed["data"][0].get("bearer_token").is_none(),
        "a token is shown only once"
    );

    for token in [None, Some(globex.token.as_str()), Some("roster_scim_wrong")] {
        let (status, body) = get_with_token(&server, &config_url, token).await;
        assert_eq!(status, 401);
        assert_eq!(body["schemas"][0], SCIM_ERROR);
        assert_eq!(body["status"], "401");
    }
    let listed = server.cli(&["directory", "list"]).await.json();
    assert_eq!(
        directory_state(&listed, &acme.directory_id),
        "unlinked",
        "failed attempts link nothing"
    );

    let (status, body) = get_with_token(&server, &config_url, Some(&acme.token)).await;
    assert_eq!(status, 200);
    assert_eq!(body["patch"]["supported"], true);
    let listed = server
        .cli(&["directory", "list", "--organization", &acme.organization_id])
        .await
        .json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(directory_state(&listed, &acme.directory_id), "linked");
    let all = server.cli(&["directory", "list"]).await.json();
    assert_eq!(directory_state(&all, &globex.directory_id), "unlinked");
    server.stop().await;
}

#[actix_web::test]
async fn resetting_a_token_invalidates_the_old_one_at_once() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "acme.com").await;
    let url = format!("{}/ServiceProviderConfig", tenant.scim_base_url);
    assert_eq!(
        get_with_token(&server, &url, Some(&tenant.token)).await.0,
        200
    );

    let reset = server
        .cli(&["directory", "reset-token", &tenant.directory_id])
        .await
        .json();
    let new_token = reset["bearer_token"].as_str().unwrap();
    assert_ne!(new_token, tenant.token);
    assert_eq!(reset["id"], tenant.directory_id.as_str());
    assert_eq!(
        reset["state"], "linked",
        "a reset keeps the directory and its data"
    );

    assert_eq!(
        get_with_token(&server, &url, Some(&tenant.token)).await.0,
        401
    );
    assert_eq!(get_with_token(&server, &url, Some(new_token)).await.0, 200);
    server.stop().await;
}

#[actix_web::test]
async fn a_deleted_directory_no_longer_authenticates() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = crate::support::Scim::new(&tenant);
    let user = scim
        .post("/Users", &serde_json::json!({"userName": "a@acme.com"}))
        .await;
    assert_eq!(user.status, 201);
    let deleted = server
        .cli(&["directory", "delete", &tenant.directory_id])
        .await
        .json();
    assert_eq!(deleted["deleted"], true);
    let user_id = user.body["id"].as_str().unwrap();
    let directory = roster_core::DirectoryId::parse(&tenant.directory_id).unwrap();
    let mut conn = server.store.connection().unwrap();
    assert!(
        roster_store::users::find(&mut conn, &directory, user_id)
            .unwrap()
            .is_none(),
        "everything provisioned into the directory goes with it"
    );
    drop(conn);
    // As WorkOS does: the directory's deletion is one event, with no per-user events.
    assert_eq!(
        server.event_types(&tenant.directory_id),
        ["dsync.activated", "dsync.user.created", "dsync.deleted"]
    );
    let url = format!("{}/ServiceProviderConfig", tenant.scim_base_url);
    assert_eq!(
        get_with_token(&server, &url, Some(&tenant.token)).await.0,
        401
    );
    let again = server
        .cli(&["directory", "delete", &tenant.directory_id])
        .await;
    assert!(!again.success);
    assert!(
        again.stderr.contains("no directory has the id"),
        "{}",
        again.stderr
    );
    server.stop().await;
}

#[actix_web::test]
async fn scim_one_one_directories_get_a_one_one_base_url() {
    let server = TestServer::start().await;
    let tenant = server.tenant("okta-1.1", "acme.com").await;
    assert!(
        tenant
            .scim_base_url
            .ends_with(&format!("/scim/v1.1/{}", tenant.directory_id))
    );
    let url = format!("{}/ServiceProviderConfigs", tenant.scim_base_url);
    assert_eq!(
        get_with_token(&server, &url, Some(&tenant.token)).await.0,
        200
    );
    server.stop().await;
}

#[actix_web::test]
async fn organizations_keep_their_domains_to_themselves_and_nothing_is_half_written() {
    let server = TestServer::start().await;
    let first = server
        .cli(&[
            "org", "create", "--name", "Acme", "--domain", "acme.com", "--domain", "ACME.io",
        ])
        .await
        .json();
    assert_eq!(first["domains"], serde_json::json!(["acme.com", "acme.io"]));
    assert!(first["id"].as_str().unwrap().starts_with("org_"));

    let clash = server
        .cli(&[
            "org",
            "create",
            "--name",
            "Copycat",
            "--domain",
            "copycat.com",
            "--domain",
            "acme.io",
        ])
        .await;
    assert!(!clash.success);
    assert!(clash.stdout.is_empty());
    assert!(
        clash
            .stderr
            .contains("`acme.io` already belongs to organization"),
        "{}",
        clash.stderr
    );

    let listed = server.cli(&["org", "list"]).await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    // The refused organization's other domain was not left behind.
    server
        .cli(&[
            "org",
            "create",
            "--name",
            "Copycat",
            "--domain",
            "copycat.com",
        ])
        .await
        .json();
    server.stop().await;
}

#[actix_web::test]
async fn bad_input_says_what_was_wrong_and_what_is_accepted() {
    let server = TestServer::start().await;
    let org = server
        .cli(&["org", "create", "--name", "Acme"])
        .await
        .json();
    let org_id = org["id"].as_str().unwrap();

    let unknown_type = server
        .cli(&[
            "directory",
            "create",
            "--organization",
            org_id,
            "--type",
            "gsuite",
            "--name",
            "x",
        ])
        .await;
    assert!(!unknown_type.success);
    assert!(
        unknown_type
            .stderr
            .contains("unknown directory type `gsuite`"),
        "{}",
        unknown_type.stderr
    );
    assert!(
        unknown_type.stderr.contains("`entra` (`azure scim v2.0`)"),
        "{}",
        unknown_type.stderr
    );

    let missing_org = "org_01M86HN90A2GERTD2XBMAVHRWT";
    let unknown_org = server
        .cli(&[
            "directory",
            "create",
            "--organization",
            missing_org,
            "--type",
            "okta",
            "--name",
            "x",
        ])
        .await;
    assert!(!unknown_org.success);
    assert!(
        unknown_org
            .stderr
            .contains(&format!("no organization has the id {missing_org}")),
        "{}",
        unknown_org.stderr
    );

    let malformed_org = server
        .cli(&[
            "directory",
            "create",
            "--organization",
            "acme",
            "--type",
            "okta",
            "--name",
            "x",
        ])
        .await;
    assert!(
        malformed_org.stderr.contains("not a valid organization id"),
        "{}",
        malformed_org.stderr
    );

    let bad_domain = server
        .cli(&["org", "create", "--name", "X", "--domain", "not a domain"])
        .await;
    assert!(
        bad_domain.stderr.contains("is not a valid domain"),
        "{}",
        bad_domain.stderr
    );

    let directories = server.cli(&["directory", "list"]).await.json();
    assert_eq!(
        directories["data"],
        serde_json::json!([]),
        "nothing was half-written"
    );

    let bad_url = run_cli("mysql://root@db/roster", &server.base_url, &["org", "list"]).await;
    assert!(!bad_url.success);
    assert!(
        bad_url.stderr.contains("ROSTER_DATABASE_URL"),
        "{}",
        bad_url.stderr
    );
    assert!(
        bad_url.stderr.contains("sqlite://PATH"),
        "{}",
        bad_url.stderr
    );

    let bad_public_url = run_cli(&server.database.url, "not a url", &["org", "list"]).await;
    assert!(
        bad_public_url.stderr.contains("ROSTER_PUBLIC_URL"),
        "{}",
        bad_public_url.stderr
    );
    server.stop().await;
}

#[actix_web::test]
async fn health_readiness_and_request_ids() {
    let server = TestServer::start().await;
    let health = server
        .http
        .get(format!("{}/health", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let first_id = health.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let ready = server
        .http
        .get(format!("{}/ready", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let second_id = ready.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(first_id, second_id);
    let missing = server
        .http
        .get(format!("{}/no-such-page", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-request-id"));
    server.stop().await;
}

/// The README's run command, as a process: it creates its database, serves, and stops cleanly
/// on SIGTERM.
#[actix_web::test]
async fn roster_serve_runs_and_shuts_down_gracefully() {
    let database = crate::support::TestDatabase::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env("ROSTER_DATABASE_URL", &database.url)
        .env("ROSTER_LISTEN", &listen)
        .env("ROSTER_SECRET_KEY", crate::support::TEST_SECRET_KEY)
        .env_remove("ROSTER_PUBLIC_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(response) = client.get(format!("http://{listen}/ready")).send().await {
            ready = response.status() == 200;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "roster serve did not become ready");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = actix_web::rt::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "roster serve exited with {exit}");
    if !database.is_postgres() {
        assert!(database.url.ends_with("roster.db"));
    }
}
