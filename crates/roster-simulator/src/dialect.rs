//! What each identity provider sends for each step, request by request, as
//! `shared/scim-clients.md` records it: Okta's OIN SCIM 2.0 apps, Okta's custom AIW apps (PUT
//! for everything), Microsoft Entra ID, and Okta's SCIM 1.1 header-auth apps.

use reqwest::Method;
use serde_json::{Value, json};

use crate::Provider;
use crate::client::{Scim, encode};
use crate::people::Person;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const CORE_1_0: &str = "urn:scim:schemas:core:1.0";
const ENTERPRISE_1_0: &str = "urn:scim:schemas:extension:enterprise:1.0";

/// A group member as the identity provider names it.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) display: String,
}

/// A user and whether this run created it (rather than finding it from an earlier run).
pub(crate) struct Provisioned {
    pub(crate) id: String,
    pub(crate) created: bool,
}

fn id_of(reply: &Value) -> Option<String> {
    reply["id"].as_str().map(str::to_owned)
}

fn patch_op(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

impl Provider {
    /// "Test API Credentials" (Okta) or "Test Connection" (Entra), and what saving the
    /// settings reads.
    pub(crate) async fn connect(self, scim: &Scim, probe: &str) -> Option<()> {
        match self {
            Provider::Okta | Provider::OktaAiw | Provider::Okta11 => {
                scim.get("/Users?startIndex=1&count=2").await?;
                scim.get("/Groups?startIndex=1&count=100").await?;
            }
            Provider::Entra => {
                // A random user and group by the matching attributes; neither exists.
                let filter = encode(&format!("externalId eq \"{probe}\""));
                scim.get(&format!("/Users?filter={filter}")).await?;
                let filter = encode(&format!("displayName eq \"{probe}\""));
                scim.get(&format!(
                    "/Groups?excludedAttributes=members&filter={filter}"
                ))
                .await?;
            }
        }
        Some(())
    }

    fn user_document(self, person: &Person, manager: Option<&Person>) -> Value {
        let manager_2_0 = manager.map(|manager| {
            json!({"value": manager.employee_number, "displayName": manager.display_name()})
        });
        match self {
            Provider::Okta | Provider::OktaAiw => json!({
                "schemas": [USER, ENTERPRISE],
                "userName": person.email,
                "name": {"givenName": person.given_name, "familyName": person.family_name},
                "emails": [{"primary": true, "value": person.email, "type": "work"}],
                "displayName": person.display_name(),
                "locale": "en-US",
                "externalId": person.okta_id,
                "groups": [],
                "password": person.password,
                "active": true,
                "title": person.title,
                ENTERPRISE: {
                    "employeeNumber": person.employee_number,
                    "department": person.department,
                    "manager": manager_2_0,
                },
            }),
            Provider::Entra => json!({
                "schemas": [USER, ENTERPRISE],
                "externalId": person.nickname,
                "userName": person.email,
                "active": true,
                "displayName": person.display_name(),
                "emails": [{"primary": true, "type": "work", "value": person.email}],
                "meta": {"resourceType": "User"},
                "name": {
                    "formatted": person.display_name(),
                    "familyName": person.family_name,
                    "givenName": person.given_name,
                },
                "roles": [],
                "title": person.title,
                ENTERPRISE: {
                    "employeeNumber": person.employee_number,
                    "department": person.department,
                    "manager": manager_2_0,
                },
            }),
            Provider::Okta11 => json!({
                "schemas": [CORE_1_0, ENTERPRISE_1_0],
                "userName": person.email,
                "name": {"givenName": person.given_name, "familyName": person.family_name},
                "emails": [{"primary": true, "value": person.email, "type": "work"}],
                "displayName": person.display_name(),
                "externalId": person.okta_id,
                "password": person.password,
                "active": true,
                "title": person.title,
                ENTERPRISE_1_0: {
                    "employeeNumber": person.employee_number,
                    "department": person.department,
                    "manager": manager.map(|manager| json!({
                        "managerId": manager.employee_number,
                        "displayName": manager.display_name(),
                    })),
                },
            }),
        }
    }

    /// Assignment: look the user up by the matching attribute, create it if absent, otherwise
    /// bring the existing one up to date (and active).
    pub(crate) async fn provision_user(
        self,
        scim: &Scim,
        person: &Person,
        manager: Option<&Person>,
    ) -> Option<Provisioned> {
        let filter = match self {
            Provider::Entra => encode(&format!("externalId eq \"{}\"", person.nickname)),
            _ => encode(&format!("userName eq \"{}\"", person.email)),
        };
        let query = match self {
            Provider::Entra => format!("/Users?filter={filter}"),
            _ => format!("/Users?filter={filter}&startIndex=1&count=100"),
        };
        let found = scim.get(&query).await?;
        if let Some(id) = id_of(&found.body["Resources"][0]) {
            self.update_user(scim, &id, person, true).await?;
            return Some(Provisioned { id, created: false });
        }
        let created = scim
            .expect(
                Method::POST,
                "/Users",
                Some(&self.user_document(person, manager)),
                &[201],
            )
            .await?;
        Some(Provisioned {
            id: id_of(&created.body)?,
            created: true,
        })
    }

    /// A profile change (name, title, department), optionally reactivating the user.
    pub(crate) async fn update_user(
        self,
        scim: &Scim,
        id: &str,
        person: &Person,
        activate: bool,
    ) -> Option<()> {
        let path = format!("/Users/{id}");
        match self {
            Provider::Entra => {
                // Entra's flag-style multi-replace: one path-less value object whose keys are
                // paths, dotted and URN-qualified.
                let mut value = json!({
                    "name.givenName": person.given_name,
                    "name.familyName": person.family_name,
                    "displayName": person.display_name(),
                    "title": person.title,
                    format!("{ENTERPRISE}:department"): person.department,
                });
                if activate {
                    value["active"] = json!("True");
                }
                let body = patch_op(json!([{"op": "Replace", "value": value}]));
                scim.expect(Method::PATCH, &path, Some(&body), &[200, 204])
                    .await?;
            }
            Provider::Okta | Provider::OktaAiw | Provider::Okta11 => {
                // Read, modify, PUT the whole object back with everything the server returned.
                let mut document = scim.get(&path).await?.body;
                document["name"]["givenName"] = json!(person.given_name);
                document["name"]["familyName"] = json!(person.family_name);
                document["displayName"] = json!(person.display_name());
                document["title"] = json!(person.title);
                let extension = if self == Provider::Okta11 {
                    ENTERPRISE_1_0
                } else {
                    ENTERPRISE
                };
                document[extension]["department"] = json!(person.department);
                if activate {
                    document["active"] = json!(true);
                }
                scim.expect(Method::PUT, &path, Some(&document), &[200])
                    .await?;
            }
        }
        Some(())
    }

    /// Unassignment: the user is deactivated, never deleted.
    pub(crate) async fn deactivate_user(self, scim: &Scim, id: &str) -> Option<()> {
        let path = format!("/Users/{id}");
        let body = match self {
            Provider::Okta => patch_op(json!([{"op": "replace", "value": {"active": false}}])),
            Provider::Entra => {
                patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}]))
            }
            Provider::Okta11 => json!({"schemas": [CORE_1_0], "id": id, "active": false}),
            Provider::OktaAiw => {
                let mut document = scim.get(&path).await?.body;
                document["active"] = json!(false);
                scim.expect(Method::PUT, &path, Some(&document), &[200])
                    .await?;
                return Some(());
            }
        };
        scim.expect(Method::PATCH, &path, Some(&body), &[200, 204])
            .await?;
        Some(())
    }

    /// Group push: create the group and add its members; returns its id.
    pub(crate) async fn push_group(
        self,
        scim: &Scim,
        name: &str,
        object_id: &str,
        members: &[Member],
    ) -> Option<String> {
        let values_2_0: Vec<Value> = members
            .iter()
            .map(|member| json!({"value": member.id, "display": member.display}))
            .collect();
        match self {
            Provider::Okta => {
                let created = scim
                    .expect(
                        Method::POST,
                        "/Groups",
                        Some(&json!({"schemas": [GROUP], "displayName": name, "members": []})),
                        &[201],
                    )
                    .await?;
                let id = id_of(&created.body)?;
                // Okta re-sends the read-only id with every membership change.
                let body = patch_op(json!([
                    {"op": "replace", "value": {"id": id, "displayName": name}},
                    {"op": "add", "path": "members", "value": values_2_0},
                ]));
                scim.expect(
                    Method::PATCH,
                    &format!("/Groups/{id}"),
                    Some(&body),
                    &[200, 204],
                )
                .await?;
                Some(id)
            }
            Provider::OktaAiw => {
                let body = json!({"schemas": [GROUP], "displayName": name, "members": values_2_0});
                let created = scim
                    .expect(Method::POST, "/Groups", Some(&body), &[201])
                    .await?;
                id_of(&created.body)
            }
            Provider::Entra => {
                let filter = encode(&format!("displayName eq \"{name}\""));
                let found = scim
                    .get(&format!(
                        "/Groups?excludedAttributes=members&filter={filter}"
                    ))
                    .await?;
                let id = match id_of(&found.body["Resources"][0]) {
                    Some(id) => id,
                    None => {
                        let body = json!({"schemas": [GROUP], "externalId": object_id,
                            "displayName": name, "meta": {"resourceType": "Group"}});
                        let created = scim
                            .expect(Method::POST, "/Groups", Some(&body), &[201])
                            .await?;
                        id_of(&created.body)?
                    }
                };
                let values: Vec<Value> = members
                    .iter()
                    .map(|member| json!({"$ref": null, "value": member.id}))
                    .collect();
                let body = patch_op(json!([{"op": "Add", "path": "members", "value": values}]));
                // Entra expects 204 from a group PATCH.
                scim.expect(Method::PATCH, &format!("/Groups/{id}"), Some(&body), &[204])
                    .await?;
                Some(id)
            }
            Provider::Okta11 => {
                let body = json!({"schemas": [CORE_1_0], "displayName": name, "members": []});
                let created = scim
                    .expect(Method::POST, "/Groups", Some(&body), &[201])
                    .await?;
                let id = id_of(&created.body)?;
                let body = json!({"schemas": [CORE_1_0], "members": values_2_0});
                scim.expect(
                    Method::PATCH,
                    &format!("/Groups/{id}"),
                    Some(&body),
                    &[200, 204],
                )
                .await?;
                Some(id)
            }
        }
    }

    /// An assignment undone: one member leaves the group.
    pub(crate) async fn remove_member(
        self,
        scim: &Scim,
        group_id: &str,
        name: &str,
        member: &Member,
    ) -> Option<()> {
        let path = format!("/Groups/{group_id}");
        let (body, accepted): (Value, &[u16]) = match self {
            Provider::Okta => (
                patch_op(json!([
                    {"op": "replace", "value": {"id": group_id, "displayName": name}},
                    {"op": "remove", "path": format!("members[value eq \"{}\"]", member.id)},
                ])),
                &[200, 204],
            ),
            Provider::Entra => (
                // The legacy form: remove only the members listed in the value.
                patch_op(json!([
                    {"op": "Remove", "path": "members", "value": [{"value": member.id}]},
                ])),
                &[204],
            ),
            Provider::Okta11 => (
                json!({"schemas": [CORE_1_0], "members": [
                    {"value": member.id, "display": member.display, "operation": "delete"}]}),
                &[200, 204],
            ),
            Provider::OktaAiw => {
                // Read the group, PUT the full member list back without them.
                let mut document = scim.get(&path).await?.body;
                if let Some(members) = document["members"].as_array_mut() {
                    members.retain(|value| value["value"] != member.id.as_str());
                }
                scim.expect(Method::PUT, &path, Some(&document), &[200])
                    .await?;
                return Some(());
            }
        };
        scim.expect(Method::PATCH, &path, Some(&body), accepted)
            .await?;
        Some(())
    }

    /// A group renamed in the identity provider.
    pub(crate) async fn rename_group(self, scim: &Scim, group_id: &str, name: &str) -> Option<()> {
        let path = format!("/Groups/{group_id}");
        let (body, accepted): (Value, &[u16]) = match self {
            // The read-only id rides along, as Okta sends it.
            Provider::Okta => (
                patch_op(
                    json!([{"op": "replace", "value": {"id": group_id, "displayName": name}}]),
                ),
                &[200, 204],
            ),
            Provider::Entra => (
                patch_op(json!([{"op": "Replace", "path": "displayName", "value": name}])),
                &[204],
            ),
            Provider::Okta11 => (
                json!({"schemas": [CORE_1_0], "displayName": name}),
                &[200, 204],
            ),
            Provider::OktaAiw => {
                let mut document = scim.get(&path).await?.body;
                document["displayName"] = json!(name);
                scim.expect(Method::PUT, &path, Some(&document), &[200])
                    .await?;
                return Some(());
            }
        };
        scim.expect(Method::PATCH, &path, Some(&body), accepted)
            .await?;
        Some(())
    }
}
