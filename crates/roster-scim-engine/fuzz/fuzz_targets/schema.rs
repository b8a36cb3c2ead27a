//! A small User-like schema, enough to send the engine down every kind of path: complex,
//! multi-valued, boolean, read-only, immutable and extension attributes.

use roster_scim_engine::schema::{AttributeInfo, AttributeKind, AttributeRules, Mutability};

pub struct FuzzSchema;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn attribute(name: &'static str, kind: AttributeKind, multi_valued: bool, mutability: Mutability) -> AttributeInfo<'static> {
    AttributeInfo { name, extension_urn: None, kind, multi_valued, case_exact: name == "externalId", mutability }
}

impl AttributeRules for FuzzSchema {
    fn core_schema(&self) -> &str {
        "urn:ietf:params:scim:schemas:core:2.0:User"
    }

    fn extension_schema(&self, urn: &str) -> Option<&str> {
        urn.eq_ignore_ascii_case(ENTERPRISE).then_some(ENTERPRISE)
    }

    fn attribute(&self, urn: Option<&str>, name: &str) -> Option<AttributeInfo<'_>> {
        use AttributeKind::{Boolean, Complex, String};
        let found = match (urn.is_some(), name.to_ascii_lowercase().as_str()) {
            (false, "username") => attribute("userName", String, false, Mutability::ReadWrite),
            (false, "externalid") => attribute("externalId", String, false, Mutability::Immutable),
            (false, "active") => attribute("active", Boolean, false, Mutability::ReadWrite),
            (false, "name") => attribute("name", Complex, false, Mutability::ReadWrite),
            (false, "emails") => attribute("emails", Complex, true, Mutability::ReadWrite),
            (false, "members") => attribute("members", Complex, true, Mutability::ReadWrite),
            (false, "groups") => attribute("groups", Complex, true, Mutability::ReadOnly),
            (false, "id") => attribute("id", String, false, Mutability::ReadOnly),
            (true, "department") => AttributeInfo { extension_urn: Some(ENTERPRISE), ..attribute("department", String, false, Mutability::ReadWrite) },
            (true, "manager") => AttributeInfo { extension_urn: Some(ENTERPRISE), ..attribute("manager", Complex, false, Mutability::ReadWrite) },
            _ => return None,
        };
        Some(found)
    }

    fn sub_attribute(&self, parent: &AttributeInfo<'_>, name: &str) -> Option<AttributeInfo<'_>> {
        use AttributeKind::{Boolean, String};
        let found = match (parent.name, name.to_ascii_lowercase().as_str()) {
            ("name", "givenname") => attribute("givenName", String, false, Mutability::ReadWrite),
            ("name", "familyname") => attribute("familyName", String, false, Mutability::ReadWrite),
            ("emails" | "members" | "groups" | "manager", "value") => attribute("value", String, false, Mutability::ReadWrite),
            ("emails", "type") => attribute("type", String, false, Mutability::ReadWrite),
            ("emails", "primary") => attribute("primary", Boolean, false, Mutability::ReadWrite),
            ("members", "display") => attribute("display", String, false, Mutability::ReadOnly),
            _ => return None,
        };
        Some(found)
    }
}
