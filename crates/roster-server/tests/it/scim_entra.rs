//! Microsoft Entra ID provisioning, with the quirks its "known issues" page and Postman suite
//! document: capitalised operations and attribute names, string booleans, path-less
//! multi-replace with dotted and URN keys, filtered email paths, legacy member removal,
//! `excludedAttributes=members`, 204 on group PATCH.

use serde_json::json;

use crate::support::{Scim, TestServer};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[actix_web::test]
async fn entra_provisioning_cycle() {
    let server = TestServer::start().await;
    let tenant = server.tenant("entra", "contoso.com").await;
    let entra = Scim::new(&tenant);

    // Test connection: query a random user by the matching attribute, unquoted as the doc shows.
    let probe = entra.get("/Users?filter=externalId%20eq%20c3a1b2").await;
    assert_eq!(probe.status, 200, "{}", probe.body);
    assert_eq!(probe.body["totalResults"], json!(0));

    let created = entra
        .post(
            "/Users",
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
                "externalId": "alice",
                "UserName": "Alice@contoso.com",
                "Active": "True",
                "displayName": "Alice Smith",
                "emails": [{"Primary": true, "type": "work", "value": "Alice@contoso.com"}],
                "meta": {"resourceType": "User"},
                "name": {"formatted": "Alice Smith", "familyName": "Smith", "givenName": "Alice"},
                "roles": [],
                ENTERPRISE: {"employeeNumber": "42", "department": "Finance"}
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.body["userName"], "Alice@contoso.com",
        "values are stored as sent"
    );
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["emails"][0]["primary"], true);
    assert_eq!(created.body[ENTERPRISE]["department"], "Finance");
    assert!(
        created.body.get("roles").is_none(),
        "unknown attributes are kept, not published"
    );

    let by_external = entra
        .get("/Users?filter=externalId%20eq%20%22alice%22")
        .await;
    assert_eq!(by_external.body["Resources"][0]["id"], id.as_str());
    let by_email = entra
        .get("/Users?filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22alice%40contoso.com%22")
        .await;
    assert_eq!(by_email.status, 200, "{}", by_email.body);
    assert_eq!(by_email.body["totalResults"], json!(1));

    let update = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "displayName", "value": "Alice Jones"},
            {"op": "Replace", "value": {"name.familyName": "Jones", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"}},
            {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "alice@home.example"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": {"value": "bob-id"}}
        ]
    });
    let patched = entra.patch(&format!("/Users/{id}"), &update).await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["displayName"], "Alice Jones");
    assert_eq!(patched.body["name"]["familyName"], "Jones");
    assert_eq!(patched.body[ENTERPRISE]["department"], "Sales");
    assert_eq!(patched.body[ENTERPRISE]["manager"]["value"], "bob-id");
    let emails = patched.body["emails"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    assert!(
        emails
            .iter()
            .any(|email| email["type"] == "home" && email["value"] == "alice@home.example")
    );

    let disable = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let disabled = entra.patch(&format!("/Users/{id}"), &disable).await;
    assert_eq!(disabled.body["active"], false);
    assert_eq!(
        entra.get(&format!("/Users/{id}")).await.body["active"],
        false
    );

    // Groups.
    let second = entra
        .post("/Users", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob@contoso.com", "externalId": "bob"}))
        .await;
    let bob = second.body["id"].as_str().unwrap().to_owned();
    let group = entra
        .post(
            "/Groups",
            &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "externalId": "g-1",
                "displayName": "Finance",
                "meta": {"resourceType": "Group"}
            }),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let group_id = group.body["id"].as_str().unwrap().to_owned();
    let lookup = entra
        .get("/Groups?excludedAttributes=members&filter=displayName%20eq%20%22finance%22")
        .await;
    assert_eq!(lookup.body["totalResults"], json!(1));
    assert!(lookup.body["Resources"][0].get("members").is_none());
    assert_eq!(lookup.body["Resources"][0]["displayName"], "Finance");

    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Add", "path": "members", "value": [{"$ref": null, "value": id}, {"$ref": null, "value": bob}]}]});
    assert_eq!(
        entra
            .patch(&format!("/Groups/{group_id}"), &add)
            .await
            .status,
        204
    );
    let legacy_remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Remove", "path": "members", "value": [{"value": id}]}]});
    assert_eq!(
        entra
            .patch(&format!("/Groups/{group_id}"), &legacy_remove)
            .await
            .status,
        204
    );
    let members = entra.get(&format!("/Groups/{group_id}")).await.body["members"].clone();
    assert_eq!(
        members.as_array().unwrap().len(),
        1,
        "only the named member was removed"
    );
    assert_eq!(members[0]["value"], bob.as_str());
    let by_member = entra
        .get(&format!("/Groups?filter=members%20eq%20%22{bob}%22"))
        .await;
    assert_eq!(by_member.body["totalResults"], json!(1));

    assert_eq!(entra.delete(&format!("/Users/{id}")).await.status, 204);
    assert_eq!(entra.get(&format!("/Users/{id}")).await.status, 404);
    assert_eq!(entra.delete(&format!("/Users/{id}")).await.status, 404);

    let types = server.event_types(&tenant.directory_id);
    assert_eq!(
        types,
        [
            "dsync.activated",
            "dsync.user.created",
            "dsync.user.updated",
            "dsync.user.updated",
            "dsync.user.created",
            "dsync.group.created",
            "dsync.group.user_added",
            "dsync.group.user_added",
            "dsync.group.user_removed",
            "dsync.user.deleted",
        ]
    );
    let events = server.events(&tenant.directory_id);
    assert_eq!(
        events[2].data["previous_attributes"],
        json!({"last_name": "Smith", "custom_attributes": {"department": "Finance", "manager_id": null},
               "emails": [{"primary": true, "type": "work", "value": "Alice@contoso.com"}]})
    );
    assert_eq!(events[2].data["custom_attributes"]["employee_number"], "42");
    server.stop().await;
}
