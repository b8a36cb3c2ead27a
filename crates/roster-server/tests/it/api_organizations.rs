//! `/organizations` as the WorkOS SDKs drive it: create, read (also by external id), list
//! with filters, update, delete with everything the organization owns, and the scope of keys.

use serde_json::{Value, json};

use crate::api::{api_key, ids};
use crate::support::TestServer;

fn domain_names(organization: &Value) -> Vec<&str> {
    organization["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|domain| domain["domain"].as_str().unwrap())
        .collect()
}

#[actix_web::test]
async fn organizations_are_created_read_listed_and_updated_as_workos_does() {
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;

    let (status, acme) = api
        .post(
            "/organizations",
            &json!({"name": " Acme Corp ", "domain_data": [{"domain": "Acme.com", "state": "verified"},
                    {"domain": "acme.io", "state": "pending"}],
                    "external_id": "crm-17", "metadata": {"tier": "gold", "skip": null}}),
        )
        .await;
    assert_eq!(status, 201, "{acme}");
    for key in [
        "object",
        "id",
        "name",
        "domains",
        "metadata",
        "external_id",
        "created_at",
        "updated_at",
    ] {
        assert!(acme.get(key).is_some(), "organization lacks {key}");
    }
    assert_eq!(acme["object"], "organization");
    assert_eq!(acme["name"], "Acme Corp");
    assert_eq!(acme["metadata"], json!({"tier": "gold"}));
    assert_eq!(acme["external_id"], "crm-17");
    assert_eq!(domain_names(&acme), ["acme.com", "acme.io"]);
    let domain = &acme["domains"][0];
    for key in [
        "object",
        "id",
        "organization_id",
        "domain",
        "state",
        "verification_strategy",
        "created_at",
        "updated_at",
    ] {
        assert!(domain.get(key).is_some(), "organization domain lacks {key}");
    }
    assert!(domain["id"].as_str().unwrap().starts_with("org_domain_"));
    assert_eq!(domain["organization_id"], acme["id"]);
    let acme_id = acme["id"].as_str().unwrap().to_owned();

    let (status, read) = api.get(&format!("/organizations/{acme_id}")).await;
    assert_eq!((status, &read), (200, &acme), "read back as created");
    let (status, by_external) = api.get("/organizations/external_id/crm-17").await;
    assert_eq!((status, &by_external["id"]), (200, &acme["id"]));
    assert_eq!(api.get("/organizations/external_id/crm-18").await.0, 404);

    let (_, globex) = api
        .post(
            "/organizations",
            &json!({"name": "Globex", "domains": ["globex.com"]}),
        )
        .await;
    let globex_id = globex["id"].as_str().unwrap().to_owned();
    assert_eq!(globex["metadata"], json!({}));
    assert_eq!(globex["external_id"], Value::Null);

    let (_, all) = api.get("/organizations").await;
    assert_eq!(
        ids(&all),
        [globex_id.clone(), acme_id.clone()],
        "newest first"
    );
    assert_eq!(all["list_metadata"], json!({"before": null, "after": null}));
    let (_, searched) = api.get("/organizations?search=ACME").await;
    assert_eq!(ids(&searched), [acme_id.as_str()]);
    let (_, by_domain) = api
        .get("/organizations?domains=globex.com,unknown.org")
        .await;
    assert_eq!(ids(&by_domain), [globex_id.as_str()]);
    let (_, first) = api.get("/organizations?limit=1&order=asc").await;
    assert_eq!(ids(&first), [acme_id.as_str()]);
    let after = first["list_metadata"]["after"].as_str().unwrap();
    let (_, second) = api
        .get(&format!("/organizations?limit=1&order=asc&after={after}"))
        .await;
    assert_eq!(ids(&second), [globex_id.as_str()]);
    assert_eq!(second["list_metadata"]["after"], Value::Null);

    let (status, renamed) = api
        .put(
            &format!("/organizations/{acme_id}"),
            &json!({"name": "Acme Inc", "domain_data": [{"domain": "acme.com", "state": "verified"},
                    {"domain": "acme.net", "state": "verified"}],
                    "metadata": {"tier": "", "region": "eu"}}),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["name"], "Acme Inc");
    assert_eq!(domain_names(&renamed), ["acme.com", "acme.net"]);
    assert_eq!(
        renamed["domains"][0]["id"], acme["domains"][0]["id"],
        "a kept domain keeps its id"
    );
    assert_eq!(renamed["metadata"], json!({"region": "eu"}));
    assert_eq!(renamed["external_id"], "crm-17", "absent fields are kept");
    let (_, cleared) = api
        .put(
            &format!("/organizations/{acme_id}"),
            &json!({"external_id": null}),
        )
        .await;
    assert_eq!(cleared["external_id"], Value::Null);
    assert_eq!(cleared["name"], "Acme Inc");
    let (_, freed) = api.get("/organizations?domains=acme.io").await;
    assert_eq!(ids(&freed), Vec::<String>::new(), "acme.io was released");
    let (status, _) = api
        .post(
            "/organizations",
            &json!({"name": "Initech", "domains": ["acme.io"]}),
        )
        .await;
    assert_eq!(status, 201, "a released domain can be claimed again");
}

#[actix_web::test]
async fn bad_organization_writes_are_refused_with_the_field_named_and_nothing_changes() {
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;
    let (_, acme) = api
        .post(
            "/organizations",
            &json!({"name": "Acme", "domains": ["acme.com"], "external_id": "a"}),
        )
        .await;
    let acme_id = acme["id"].as_str().unwrap();

    for (body, param) in [
        (json!({"domains": ["x.com"]}), "name"),
        (json!({"name": "   "}), "name"),
        (
            json!({"name": "X", "domains": ["not a domain"]}),
            "domain_data",
        ),
        (
            json!({"name": "X", "domain_data": [{"domain": "x.com", "state": "owned"}]}),
            "domain_data",
        ),
        (json!({"name": "X", "external_id": ""}), "external_id"),
        (
            json!({"name": "X", "metadata": {"k": "v".repeat(601)}}),
            "metadata",
        ),
        (
            json!({"name": "X", "metadata": {"k".repeat(41): "v"}}),
            "metadata",
        ),
    ] {
        let (status, error) = api.post("/organizations", &body).await;
        assert_eq!(status, 422, "{body} gave {error}");
        assert_eq!(error["code"], "invalid_request_parameters");
        assert_eq!(error["param"], param, "{body}");
        assert!(error["message"].as_str().unwrap().len() > 10);
    }
    let (status, error) = api
        .post(
            "/organizations",
            &json!({"name": "Globex", "domains": ["ACME.com"]}),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("domain_already_used"))
    );
    let (status, error) = api
        .post(
            "/organizations",
            &json!({"name": "Globex", "external_id": "a"}),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (409, Some("external_id_already_used"))
    );
    let malformed = api
        .http
        .post(format!("{}/organizations", api.base))
        .bearer_auth(&api.key)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    let error: Value = malformed.json().await.unwrap();
    assert_eq!(error["code"], "invalid_request");

    let (_, globex) = api
        .post(
            "/organizations",
            &json!({"name": "Globex", "domains": ["globex.com"]}),
        )
        .await;
    let globex_id = globex["id"].as_str().unwrap();
    let (status, _) = api
        .put(
            &format!("/organizations/{globex_id}"),
            &json!({"name": "Globex 2", "domains": ["globex.com", "acme.com"]}),
        )
        .await;
    assert_eq!(status, 409);
    let (_, unchanged) = api.get(&format!("/organizations/{globex_id}")).await;
    assert_eq!(unchanged, globex, "a refused update changes nothing");
    let (_, all) = api.get("/organizations").await;
    assert_eq!(ids(&all).len(), 2, "no refused create left anything behind");
    assert_eq!(api.get(&format!("/organizations/{acme_id}")).await.1, acme);
    assert_eq!(
        api.put(
            "/organizations/org_01JUNKJUNKJUNKJUNKJUNKJUNK",
            &json!({"name": "X"})
        )
        .await
        .0,
        404
    );
    assert_eq!(api.get("/organizations/not-an-id").await.0, 404);
}

#[actix_web::test]
async fn deleting_an_organization_deletes_what_it_owns_and_records_dsync_deleted() {
    let server = TestServer::start().await;
    let api = api_key(&server, &[]).await;
    let acme = server.tenant("okta", "acme.com").await;
    let second = server
        .cli(&[
            "directory",
            "create",
            "--organization",
            &acme.organization_id,
            "--type",
            "entra",
            "--name",
            "Entra",
        ])
        .await
        .json();
    let globex = server.tenant("okta", "globex.com").await;
    let scoped = api_key(&server, &["--organization", &acme.organization_id]).await;

    assert_eq!(
        api.delete(&format!("/organizations/{}", acme.organization_id))
            .await,
        204
    );
    assert_eq!(
        api.get(&format!("/organizations/{}", acme.organization_id))
            .await
            .0,
        404
    );
    for directory in [&acme.directory_id, second["id"].as_str().unwrap()] {
        assert_eq!(api.get(&format!("/directories/{directory}")).await.0, 404);
        let types = server.event_types(directory);
        assert_eq!(types.last().map(String::as_str), Some("dsync.deleted"));
    }
    assert_eq!(
        scoped.get("/directories").await.0,
        401,
        "the organization's keys went with it"
    );
    let (status, left) = api.get("/directories").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&left), [globex.directory_id.as_str()]);
    let (_, domains_free) = api
        .post(
            "/organizations",
            &json!({"name": "New Acme", "domains": ["acme.com"]}),
        )
        .await;
    assert_eq!(domain_names(&domains_free), ["acme.com"]);
    assert_eq!(
        api.delete(&format!("/organizations/{}", acme.organization_id))
            .await,
        404
    );
}

#[actix_web::test]
async fn a_scoped_key_sees_and_changes_only_its_organization() {
    let server = TestServer::start().await;
    let acme = server.tenant("okta", "acme.com").await;
    let globex = server.tenant("okta", "globex.com").await;
    let scoped = api_key(&server, &["--organization", &acme.organization_id]).await;
    let reader = api_key(&server, &["--read-only"]).await;

    let (_, listed) = scoped.get("/organizations?limit=100").await;
    assert_eq!(ids(&listed), [acme.organization_id.as_str()]);
    let (_, asked_for_other) = scoped.get("/organizations?domains=globex.com").await;
    assert_eq!(ids(&asked_for_other), Vec::<String>::new());
    let globex_path = format!("/organizations/{}", globex.organization_id);
    assert_eq!(scoped.get(&globex_path).await.0, 404);
    assert_eq!(
        scoped.put(&globex_path, &json!({"name": "Mine"})).await.0,
        404
    );
    assert_eq!(scoped.delete(&globex_path).await, 404);
    let (status, error) = scoped
        .post("/organizations", &json!({"name": "Side project"}))
        .await;
    assert_eq!((status, error["code"].as_str()), (403, Some("forbidden")));
    let (status, renamed) = scoped
        .put(
            &format!("/organizations/{}", acme.organization_id),
            &json!({"name": "Acme renamed"}),
        )
        .await;
    assert_eq!((status, &renamed["name"]), (200, &json!("Acme renamed")));

    assert_eq!(
        reader.post("/organizations", &json!({"name": "X"})).await.0,
        403
    );
    assert_eq!(reader.put(&globex_path, &json!({"name": "X"})).await.0, 403);
    assert_eq!(reader.delete(&globex_path).await, 403);
    let (status, untouched) = reader.get(&globex_path).await;
    assert_eq!((status, &untouched["name"]), (200, &json!("globex.com")));
}
