//! The vendor dashboard through HTTP, as a browser uses it: first run, sign-in and its rate
//! limit, sessions, CSRF, security headers, and a directory's token shown once.

use std::collections::BTreeSet;

use crate::browser::{Browser, EMAIL, PASSWORD, first_admin};
use crate::dashboard_portal::open_setup_link;
use crate::support::{Scim, TestServer};
use serde_json::json;

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn admin_count(server: &TestServer) -> i64 {
    let mut conn = server.store.connection().unwrap();
    roster_store::admins::count(&mut conn).unwrap()
}

#[actix_web::test]
async fn first_run_creates_the_first_admin_once() {
    let server = TestServer::start().await;
    let browser = Browser::new(&server.base_url);
    let root = browser.get("/").await;
    assert_eq!(root.status, 303);
    assert_eq!(root.location(), "/dashboard/setup");
    let login = browser.get("/dashboard/login").await;
    assert_eq!(
        login.location(),
        "/dashboard/setup",
        "nobody to sign in yet"
    );

    // Another browser has the form open too; the first to submit wins.
    let late = Browser::new(&server.base_url);
    let late_csrf = late.get("/dashboard/setup").await.csrf();
    let admin = first_admin(&server.base_url).await;
    assert_eq!(admin.get("/dashboard/organizations").await.status, 200);
    let second = late
        .post(
            "/dashboard/setup",
            &[
                ("csrf", &late_csrf),
                ("email", "mallory@evil.example"),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
            ],
        )
        .await;
    assert_eq!(second.status, 303);
    assert!(second.location().starts_with("/dashboard/login"));
    assert_eq!(admin_count(&server), 1);
    assert_eq!(late.get("/dashboard/setup").await.status, 303);
    assert_eq!(late.get("/").await.location(), "/dashboard/organizations");
    server.stop().await;
}

#[actix_web::test]
async fn a_form_without_its_csrf_token_changes_nothing() {
    let server = TestServer::start().await;
    let admin = first_admin(&server.base_url).await;
    let organizations = || {
        let mut conn = server.store.connection().unwrap();
        roster_store::organizations::list(&mut conn).unwrap().len()
    };
    let missing = admin
        .post(
            "/dashboard/organizations",
            &[("name", "Acme"), ("domains", "")],
        )
        .await;
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains("This form has expired"));
    let wrong = admin
        .post(
            "/dashboard/organizations",
            &[("csrf", "not-the-token"), ("name", "Acme"), ("domains", "")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    // Another session's token is no better.
    let other = Browser::new(&server.base_url);
    let other_csrf = {
        let page = other.get("/dashboard/login").await;
        other
            .post(
                "/dashboard/login",
                &[
                    ("csrf", &page.csrf()),
                    ("email", EMAIL),
                    ("password", PASSWORD),
                ],
            )
            .await;
        other.get("/dashboard/organizations/new").await.csrf()
    };
    let crossed = admin
        .post(
            "/dashboard/organizations",
            &[("csrf", &other_csrf), ("name", "Acme"), ("domains", "")],
        )
        .await;
    assert_eq!(crossed.status, 403);
    assert_eq!(organizations(), 0);
    let signed_out = admin.post("/dashboard/logout", &[]).await;
    assert_eq!(signed_out.status, 403, "even signing out needs the token");

    let created = admin
        .submit(
            "/dashboard/organizations/new",
            "/dashboard/organizations",
            &[("name", "Acme Corp"), ("domains", "acme.com")],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(organizations(), 1);

    // Forms shown before signing in carry the double-submit cookie's value.
    let stranger = Browser::new(&server.base_url);
    let refused = stranger
        .post(
            "/dashboard/login",
            &[("csrf", "forged"), ("email", EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, 403);
    server.stop().await;
}

#[actix_web::test]
async fn signed_out_browsers_see_nothing_and_sessions_end_on_sign_out() {
    let server = TestServer::start().await;
    let admin = first_admin(&server.base_url).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let stranger = Browser::new(&server.base_url);
    for path in [
        "/dashboard/organizations".to_owned(),
        format!("/dashboard/organizations/{}", tenant.organization_id),
        format!("/dashboard/directories/{}", tenant.directory_id),
        format!("/dashboard/directories/{}/users", tenant.directory_id),
        "/dashboard/events".to_owned(),
        "/dashboard/webhooks".to_owned(),
        "/dashboard/api-keys".to_owned(),
        "/dashboard/audit".to_owned(),
        "/dashboard/admins".to_owned(),
    ] {
        let page = stranger.get(&path).await;
        assert_eq!(page.status, 303, "{path}");
        assert!(
            page.location().starts_with("/dashboard/login?next="),
            "{path}"
        );
        assert!(!page.body.contains(&tenant.organization_id));
    }
    let reset = stranger
        .post(
            &format!("/dashboard/directories/{}/reset-token", tenant.directory_id),
            &[],
        )
        .await;
    assert_eq!(reset.status, 303);
    assert_eq!(
        Scim::new(&tenant).get("/Users").await.status,
        200,
        "the token was not reset"
    );

    // Signing out ends the session on the server: its cookie is worth nothing afterwards.
    let _ = admin;
    let browser = Browser::new(&server.base_url);
    let signed_in = browser
        .submit(
            "/dashboard/login",
            "/dashboard/login",
            &[("email", EMAIL), ("password", PASSWORD)],
        )
        .await;
    let cookie = signed_in
        .set_cookies()
        .into_iter()
        .find(|cookie| cookie.starts_with("roster_session="))
        .unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let replay = || async {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/dashboard/organizations", server.base_url))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(replay().await, 200);
    let out = browser
        .submit("/dashboard/organizations", "/dashboard/logout", &[])
        .await;
    assert_eq!(out.location(), "/dashboard/login");
    assert!(
        out.set_cookies()
            .iter()
            .any(|cookie| cookie.starts_with("roster_session=;"))
    );
    assert_eq!(replay().await, 303);
    server.stop().await;
}

#[actix_web::test]
async fn sign_in_is_rate_limited_and_says_nothing_about_which_part_was_wrong() {
    let server = TestServer::start().await;
    first_admin(&server.base_url).await;
    let browser = Browser::new(&server.base_url);
    let attempt = |email: &'static str, password: &'static str| {
        let browser = &browser;
        async move {
            browser
                .submit(
                    "/dashboard/login",
                    "/dashboard/login",
                    &[("email", email), ("password", password)],
                )
                .await
        }
    };
    let unknown = attempt("nobody@vendor.example", PASSWORD).await;
    assert_eq!(unknown.status, 401);
    assert!(unknown.body.contains("Wrong email or password."));
    for _ in 0..5 {
        let wrong = attempt(EMAIL, "not the password at all").await;
        if wrong.status == 429 {
            break;
        }
        assert_eq!(wrong.status, 401);
        assert!(wrong.body.contains("Wrong email or password."));
    }
    let limited = attempt(EMAIL, PASSWORD).await;
    assert_eq!(limited.status, 429, "even the right password waits");
    assert!(limited.body.contains("Too many sign-in attempts"));
    // Another account is not locked out by attempts on this one.
    let other = attempt("someone@vendor.example", "whatever it is").await;
    assert_eq!(other.status, 401);
    server.stop().await;
}

#[actix_web::test]
async fn pages_send_security_headers_and_cookies_are_locked_down() {
    let server = TestServer::start_configured(crate::support::TestDatabase::new(), |config| {
        config.public_url = config.public_url.replace("http://", "https://");
    })
    .await;
    let browser = Browser::new(&server.base_url.replace("https://", "http://"));
    let page = browser.get("/dashboard/setup").await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert!(!page.body.contains("<script>"), "no inline script");
    let created = browser
        .post(
            "/dashboard/setup",
            &[
                ("csrf", &page.csrf()),
                ("email", EMAIL),
                ("password", PASSWORD),
                ("password_again", PASSWORD),
            ],
        )
        .await;
    let session = created
        .set_cookies()
        .into_iter()
        .find(|cookie| cookie.starts_with("roster_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/dashboard"] {
        assert!(session.contains(flag), "{flag} in {session}");
    }
    let script = browser.get("/static/roster.js").await;
    assert_eq!(script.status, 200);
    assert!(
        script.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    server.stop().await;
}

#[actix_web::test]
async fn a_directory_token_is_shown_once_and_a_reset_replaces_it() {
    let server = TestServer::start().await;
    let admin = first_admin(&server.base_url).await;
    let created = admin
        .submit(
            "/dashboard/organizations/new",
            "/dashboard/organizations",
            &[("name", "Acme Corp"), ("domains", "acme.com")],
        )
        .await;
    let organization = created.location().to_owned();
    let new_directory = format!("{organization}/directories");
    let page = admin
        .submit(
            &new_directory,
            &new_directory,
            &[("provider", "okta"), ("name", "Acme Okta")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page.code("bearer-token");
    let base = page.code("scim-base-url");
    assert!(token.starts_with("roster_scim_"));
    assert!(
        page.body.contains("Test Connector Configuration"),
        "Okta's steps"
    );
    let scim = Scim {
        http: reqwest::Client::new(),
        base: base.clone(),
        token: token.clone(),
    };
    let user = json!({"schemas": [USER_SCHEMA], "userName": "zoe@acme.com",
        "name": {"givenName": "Zoe", "familyName": "Varga"},
        "emails": [{"value": "zoe@acme.com", "primary": true}], "active": true});
    assert_eq!(scim.post("/Users", &user).await.status, 201);

    let directory = base.rsplit('/').next().unwrap();
    let overview = admin
        .get(&format!("/dashboard/directories/{directory}"))
        .await;
    assert!(!overview.body.contains(&token), "never shown again");
    assert!(overview.body.contains("linked"));
    let users = admin
        .get(&format!("/dashboard/directories/{directory}/users?q=ZOE"))
        .await;
    assert!(users.body.contains("zoe@acme.com"));
    let nobody = admin
        .get(&format!("/dashboard/directories/{directory}/users?q=mateo"))
        .await;
    assert!(!nobody.body.contains("zoe@acme.com"));

    let overview_path = format!("/dashboard/directories/{directory}");
    let reset = admin
        .submit(&overview_path, &format!("{overview_path}/reset-token"), &[])
        .await;
    let fresh = reset.code("bearer-token");
    assert_ne!(fresh, token);
    assert_eq!(scim.get("/Users").await.status, 401, "the old token stops");
    let audit = admin.get("/dashboard/audit?kind=directory").await;
    assert!(audit.body.contains("directory.token_reset"));
    assert!(audit.body.contains("directory.created"));
    assert!(!audit.body.contains(&fresh), "no secret in the audit log");
    server.stop().await;
}

#[actix_web::test]
async fn the_admin_command_reads_the_password_on_stdin() {
    let server = TestServer::start().await;
    let run = |password: &'static str| {
        let mut command = crate::support::roster_command(&server.database.url, &server.base_url);
        command
            .args(["admin", "create", "--email", "Ops@Vendor.example"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let short = run("short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12"));
    let created = run("a long enough passphrase\n");
    assert!(created.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(printed["email"], "ops@vendor.example");
    assert!(printed["id"].as_str().unwrap().starts_with("admin_"));
    let browser = Browser::new(&server.base_url);
    let signed_in = browser
        .submit(
            "/dashboard/login",
            "/dashboard/login",
            &[
                ("email", "ops@vendor.example"),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    server.stop().await;
}

#[actix_web::test]
async fn organizations_are_searched_edited_and_deleted_with_confirmation() {
    let server = TestServer::start().await;
    let admin = first_admin(&server.base_url).await;
    let tenant = server.tenant("okta", "acme.com").await;
    server.tenant("okta", "globex.com").await;
    let by_domain = admin.get("/dashboard/organizations?q=acme.com").await;
    assert!(by_domain.body.contains(&tenant.organization_id));
    assert!(!by_domain.body.contains("globex.com"));
    let by_name = admin.get("/dashboard/organizations?q=GLOBEX").await;
    assert!(by_name.body.contains("globex.com"));
    assert!(!by_name.body.contains(&tenant.organization_id));

    let page = format!("/dashboard/organizations/{}", tenant.organization_id);
    let taken = admin
        .submit(
            &format!("{page}/edit"),
            &format!("{page}/edit"),
            &[("name", "Acme Corp"), ("domains", "acme.com, globex.com")],
        )
        .await;
    assert_eq!(taken.status, 200, "the form again, with the error");
    assert!(taken.body.contains("already belongs to organization"));
    let saved = admin
        .submit(
            &format!("{page}/edit"),
            &format!("{page}/edit"),
            &[("name", "Acme Corp"), ("domains", "acme.com acme.io")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = admin.get(&page).await;
    assert!(shown.body.contains("Acme Corp") && shown.body.contains("acme.io"));

    let wrong = admin
        .submit(
            &format!("{page}/delete"),
            &format!("{page}/delete"),
            &[("confirm_name", "Acme")],
        )
        .await;
    assert_eq!(wrong.location(), format!("{page}/delete"));
    assert_eq!(admin.get(&page).await.status, 200, "not deleted");
    let deleted = admin
        .submit(
            &format!("{page}/delete"),
            &format!("{page}/delete"),
            &[("confirm_name", "Acme Corp")],
        )
        .await;
    assert_eq!(deleted.location(), "/dashboard/organizations");
    assert_eq!(admin.get(&page).await.status, 404);
    assert_eq!(
        server.event_types(&tenant.directory_id),
        ["dsync.deleted"],
        "its directory's deletion is an event"
    );
    server.stop().await;
}

#[actix_web::test]
async fn lists_are_paged_on_the_server() {
    let server = TestServer::start().await;
    let admin = first_admin(&server.base_url).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let creations = (0..120).map(|index| {
        let scim = &scim;
        async move {
            let user = json!({"schemas": [USER_SCHEMA], "userName": format!("user{index:03}@acme.com"),
                "active": true});
            let created = scim.post("/Users", &user).await;
            assert_eq!(created.status, 201);
            created.body["id"].as_str().unwrap().to_owned()
        }
    });
    let user_ids = futures_util::future::join_all(creations).await;
    let users = format!("/dashboard/directories/{}/users", tenant.directory_id);
    let first = admin.get(&users).await;
    assert!(first.body.contains("1–50 of 120"), "{}", first.body);
    assert_eq!(first.body.matches("<tr>").count(), 1 + 50);
    let last = admin.get(&format!("{users}?page=3")).await;
    assert!(last.body.contains("101–120 of 120"));
    assert_eq!(last.body.matches("<tr>").count(), 1 + 20);
    let searched = admin.get(&format!("{users}?q=user11")).await;
    assert!(searched.body.contains("1–10 of 10"), "user110 to user119");

    // Events and the request log go by cursor: the next page starts where this one ended.
    let events = admin.get("/dashboard/events").await;
    assert_eq!(events.body.matches("<tr>").count(), 1 + 50);
    let older = events.body.split("events?after=").nth(1).unwrap();
    let cursor = older.split('"').next().unwrap();
    let next = admin
        .get(&format!("/dashboard/events?after={cursor}"))
        .await;
    assert_eq!(next.body.matches("<tr>").count(), 1 + 50);
    // The request log is written in the background: wait until it holds more than a page.
    let directory_id = roster_core::DirectoryId::parse(&tenant.directory_id).unwrap();
    for _ in 0..100 {
        let mut conn = server.store.connection().unwrap();
        let logged = roster_store::request_log::recent(&mut conn, &directory_id, None, 51).unwrap();
        if logged.len() > 50 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let requests = format!("/dashboard/directories/{}/requests", tenant.directory_id);
    let logged = admin.get(&requests).await;
    assert!(logged.body.contains("Older →</a>"));

    // Lists that are short on most installations page all the same.
    let organization = roster_core::OrganizationId::parse(&tenant.organization_id).unwrap();
    {
        let mut conn = server.store.connection().unwrap();
        for index in 0..55 {
            roster_store::webhooks::create(
                &mut conn,
                roster_store::webhooks::NewEndpoint {
                    url: format!("https://hooks{index}.example/"),
                    event_types: Vec::new(),
                    organization_id: None,
                    secret: roster_events::signing::generate_secret(),
                },
            )
            .unwrap();
            let secret = roster_store::api_keys::generate_secret();
            roster_store::api_keys::create(
                &mut conn,
                &format!("key {index}"),
                &secret,
                None,
                false,
            )
            .unwrap();
            roster_store::directories::create(
                &mut conn,
                &organization,
                roster_core::DirectoryType::OktaScimV2,
                &format!("Directory {index}"),
            )
            .unwrap();
        }
    }
    let organization_page = format!("/dashboard/organizations/{organization}");
    for (path, rest) in [
        ("/dashboard/webhooks", 5),
        ("/dashboard/api-keys", 5),
        (organization_page.as_str(), 6),
    ] {
        let first = admin.get(path).await;
        assert_eq!(first.body.matches("<tr>").count(), 1 + 50, "{path}");
        let older = first.body.split("?after=").nth(1).unwrap();
        let cursor = older.split('"').next().unwrap();
        let next = admin.get(&format!("{path}?after={cursor}")).await;
        assert_eq!(next.body.matches("<tr>").count(), 1 + rest, "{path}");
        assert!(next.body.contains("← Newer</a>"), "{path}");
    }

    // A group of every user, and one user in more groups than a page holds.
    let members: Vec<_> = user_ids.iter().map(|id| json!({"value": id})).collect();
    let everyone =
        json!({"schemas": [GROUP_SCHEMA], "displayName": "Everyone", "members": members});
    let everyone = scim.post("/Groups", &everyone).await;
    assert_eq!(everyone.status, 201);
    let creations = (0..55).map(|index| {
        let scim = &scim;
        let group = json!({"schemas": [GROUP_SCHEMA], "displayName": format!("Team {index}"),
            "members": [{"value": user_ids[0]}]});
        async move { scim.post("/Groups", &group).await.status }
    });
    for status in futures_util::future::join_all(creations).await {
        assert_eq!(status, 201);
    }
    let directory = format!("/dashboard/directories/{}", tenant.directory_id);
    let listed = admin.get(&format!("{directory}/groups?q=everyone")).await;
    assert!(
        listed.body.contains("<td class=\"num\">120</td>"),
        "its member count: {}",
        listed.body
    );
    let group_page = format!(
        "{directory}/groups/{}",
        everyone.body["id"].as_str().unwrap()
    );
    assert_pages(&admin, &group_page, ("/users/", "\""), 50, 50).await;
    let user_page = format!("{directory}/users/{}", user_ids[0]);
    assert_pages(&admin, &user_page, ("/groups/", "\""), 50, 6).await;
    let delete_page = format!("{organization_page}/delete");
    let confirm = assert_pages(&admin, &delete_page, ("<li>", " — "), 50, 6).await;
    assert!(confirm.contains("56 directories"));
    {
        let mut conn = server.store.connection().unwrap();
        let now = roster_core::Timestamp::now();
        for index in 0..55 {
            roster_store::invitations::create(
                &mut conn,
                &format!("invitee{index}@vendor.com"),
                EMAIL,
                now,
                roster_core::Timestamp::from_millis(now.as_millis() + 3_600_000),
            )
            .unwrap();
        }
    }
    let invitations = ("<div class=\"spaced\"><strong>", "<");
    assert_pages(&admin, "/dashboard/admins", invitations, 50, 5).await;
    let portal = open_setup_link(&server, &organization).await;
    assert_pages(
        &portal,
        "/setup/directories",
        ("/setup/directories/", "\""),
        50,
        6,
    )
    .await;
    server.stop().await;
}

/// Checks that `path` lists `first` rows (each starting with `row.0` and named up to `row.1`)
/// and links to a next page of `rest` other rows, which links back; returns the first page.
async fn assert_pages(
    browser: &Browser,
    path: &str,
    row: (&str, &str),
    first: usize,
    rest: usize,
) -> String {
    let rows = |body: &str| -> BTreeSet<String> {
        body.split(row.0)
            .skip(1)
            .map(|part| part.split(row.1).next().unwrap().to_owned())
            .collect()
    };
    let page = browser.get(path).await;
    assert_eq!(page.status, 200, "{path}");
    let shown = rows(&page.body);
    assert_eq!(shown.len(), first, "{path}: {shown:?}");
    let (before_link, _) = page
        .body
        .split_once("Next →</a>")
        .or_else(|| page.body.split_once("Older →</a>"))
        .unwrap_or_else(|| panic!("{path} has no next page"));
    let next = before_link.rsplit("href=\"").next().unwrap();
    let next = next.split('"').next().unwrap();
    let next = next.replace("&#x2F;", "/").replace("&amp;", "&");
    let second = browser.get(&next).await;
    let more = rows(&second.body);
    assert_eq!(more.len(), rest, "{next}: {more:?}");
    assert!(shown.is_disjoint(&more), "{next}");
    assert!(
        second.body.contains("← Previous</a>") || second.body.contains("← Newer</a>"),
        "{next}"
    );
    page.body
}
