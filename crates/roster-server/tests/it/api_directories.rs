//! Setting customers up through the API instead of the CLI: creating a directory (its token
//! shown once), changing its settings, resetting its token; and the events API serving the
//! very objects webhooks deliver.

use serde_json::{Value, json};

use crate::api::{Api, api_key};
use crate::support::{Scim, Tenant, TestServer};

async fn organization(api: &Api, domain: &str) -> String {
    let (status, created) = api
        .post(
            "/organizations",
            &json!({"name": domain, "domains": [domain]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

fn tenant_of(directory: &Value) -> Tenant {
    Tenant {
        organization_id: directory["organization_id"].as_str().unwrap().to_owned(),
        directory_id: directory["id"].as_str().unwrap().to_owned(),
        scim_base_url: directory["scim_base_url"].as_str().unwrap().to_owned(),
        token: directory["bearer_token"].as_str().unwrap().to_owned(),
    }
}

#[actix_web::test]
async fn a_directory_made_through_the_api_takes_scim_with_the_token_shown_once() {
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;
    let acme = organization(&api, "acme.com").await;

    let (status, created) = api
        .post(
            "/directories",
            &json!({"organization": acme, "type": "entra", "name": " Acme Entra "}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["type"], "azure scim v2.0");
    assert_eq!(created["name"], "Acme Entra");
    assert_eq!(created["state"], "unlinked");
    assert_eq!(created["domain"], "acme.com");
    let token = created["bearer_token"].as_str().unwrap();
    assert!(token.starts_with("roster_scim_"));
    let tenant = tenant_of(&created);
    assert_eq!(
        tenant.scim_base_url,
        format!("{}/scim/v2/{}", server.base_url, tenant.directory_id)
    );
    let scim = Scim::new(&tenant);
    assert_eq!(scim.get("/Users?startIndex=1&count=2").await.status, 200);

    let (_, read) = api
        .get(&format!("/directories/{}", tenant.directory_id))
        .await;
    assert_eq!(read["state"], "linked");
    assert!(read.get("bearer_token").is_none(), "shown only once");
    let (_, typed) = api
        .post(
            "/directories",
            &json!({"organization_id": acme, "type": "okta scim v1.1", "name": "Legacy"}),
        )
        .await;
    assert!(
        typed["scim_base_url"]
            .as_str()
            .unwrap()
            .contains("/scim/v1.1/")
    );

    for (body, param) in [
        (json!({"type": "okta", "name": "X"}), "organization_id"),
        (
            json!({"organization_id": acme, "type": "ldap", "name": "X"}),
            "type",
        ),
        (json!({"organization_id": acme, "name": "X"}), "type"),
        (
            json!({"organization_id": acme, "type": "okta", "name": ""}),
            "name",
        ),
    ] {
        let (status, error) = api.post("/directories", &body).await;
        assert_eq!((status, &error["param"]), (422, &json!(param)), "{body}");
    }
    let (status, error) = api
        .post(
            "/directories",
            &json!({"organization_id": "org_01JUNKJUNKJUNKJUNKJUNKJUNK", "type": "okta", "name": "X"}),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("entity_not_found"))
    );
    let (_, listed) = api
        .get(&format!("/directories?organization_id={acme}&limit=100"))
        .await;
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        2,
        "refused creates left nothing"
    );

    let globex = organization(&api, "globex.com").await;
    let scoped = api_key(&server, &["--organization", &acme]).await;
    let (status, _) = scoped
        .post(
            "/directories",
            &json!({"organization_id": globex, "type": "okta", "name": "X"}),
        )
        .await;
    assert_eq!(status, 404, "another organization is not found");
    let (status, _) = scoped
        .post(
            "/directories",
            &json!({"organization_id": acme, "type": "okta", "name": "Own"}),
        )
        .await;
    assert_eq!(status, 201);
    let reader = api_key(&server, &["--read-only"]).await;
    let (status, _) = reader
        .post(
            "/directories",
            &json!({"organization_id": acme, "type": "okta", "name": "X"}),
        )
        .await;
    assert_eq!(status, 403);
}

#[actix_web::test]
async fn directory_settings_change_through_the_api_and_bad_values_change_nothing() {
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let path = format!("/directories/{}", tenant.directory_id);

    let (status, updated) = api
        .put(
            &path,
            &json!({"name": "Okta (prod)", "inactive_user_retention_days": 30,
                    "email_domain_policy": "refuse"}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Okta (prod)");
    assert_eq!(updated["inactive_user_retention_days"], 30);
    assert_eq!(updated["email_domain_policy"], "refuse");
    assert!(updated.get("bearer_token").is_none());

    let (_, kept) = api
        .put(&path, &json!({"inactive_user_retention_days": null}))
        .await;
    assert_eq!(kept["inactive_user_retention_days"], Value::Null);
    assert_eq!(kept["name"], "Okta (prod)", "absent fields are kept");

    for (body, param) in [
        (
            json!({"inactive_user_retention_days": 0}),
            "inactive_user_retention_days",
        ),
        (
            json!({"inactive_user_retention_days": 3651}),
            "inactive_user_retention_days",
        ),
        (
            json!({"inactive_user_retention_days": 30.5}),
            "inactive_user_retention_days",
        ),
        (
            json!({"inactive_user_retention_days": "thirty"}),
            "inactive_user_retention_days",
        ),
        (
            json!({"email_domain_policy": "ignore"}),
            "email_domain_policy",
        ),
        (json!({"name": " ", "email_domain_policy": "flag"}), "name"),
    ] {
        let (status, error) = api.put(&path, &body).await;
        assert_eq!((status, &error["param"]), (422, &json!(param)), "{body}");
    }
    let (status, _) = api.put(&path, &json!({"name": 7})).await;
    assert_eq!(status, 400, "a body of the wrong shape");
    let (_, after) = api.get(&path).await;
    assert_eq!(after["email_domain_policy"], "refuse", "nothing changed");
    assert_eq!(after["name"], "Okta (prod)");
    let (_, whole) = api
        .put(&path, &json!({"inactive_user_retention_days": 45.0}))
        .await;
    assert_eq!(
        whole["inactive_user_retention_days"], 45,
        "JSON has one kind of number"
    );

    let other = server.tenant("okta", "globex.com").await;
    let scoped = api_key(&server, &["--organization", &other.organization_id]).await;
    assert_eq!(scoped.put(&path, &json!({"name": "Mine"})).await.0, 404);
}

#[actix_web::test]
async fn resetting_a_token_through_the_api_locks_the_old_one_out_and_keeps_the_data() {
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let old = Scim::new(&tenant);
    let created = old
        .post(
            "/Users",
            &json!({"userName": "ann@acme.com", "active": true}),
        )
        .await;
    assert_eq!(created.status, 201);

    let (status, reset) = api
        .post(
            &format!("/directories/{}/token", tenant.directory_id),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{reset}");
    let renewed = tenant_of(&reset);
    assert_ne!(renewed.token, tenant.token);
    assert_eq!(reset["metadata"]["users"]["active"], 1, "data stays");
    assert_eq!(old.get("/Users").await.status, 401);
    let listed = Scim::new(&renewed).get("/Users").await;
    assert_eq!(
        (listed.status, &listed.body["totalResults"]),
        (200, &json!(1))
    );

    let other = server.tenant("okta", "globex.com").await;
    let scoped = api_key(&server, &["--organization", &other.organization_id]).await;
    let (status, _) = scoped
        .post(
            &format!("/directories/{}/token", tenant.directory_id),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(Scim::new(&renewed).get("/Users").await.status, 200);
}

#[actix_web::test]
async fn the_events_api_serves_exactly_the_objects_webhooks_deliver() {
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;
    let tenant = server.tenant("okta", "acme.com").await;
    let scim = Scim::new(&tenant);
    let user = scim
        .post(
            "/Users",
            &json!({"userName": "ann@acme.com", "active": true, "name": {"givenName": "Ann"}}),
        )
        .await;
    let id = user.body["id"].as_str().unwrap();
    scim.patch(
        &format!("/Users/{id}"),
        &json!({"Operations": [{"op": "replace", "value": {"active": false}}]}),
    )
    .await;

    let (_, listed) = api.get("/events?limit=100").await;
    let served = listed["data"].as_array().unwrap();
    let stored = server.events(&tenant.directory_id);
    assert_eq!(served.len(), stored.len());
    for (served, stored) in served.iter().zip(&stored) {
        assert_eq!(
            served,
            &stored.to_json(),
            "the webhook body of {}",
            stored.id
        );
    }
}
