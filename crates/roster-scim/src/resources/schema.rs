//! The attributes Roster stores and returns, per resource type. This one table drives the
//! published `/Schemas`, input normalisation (canonical names, booleans from strings), output
//! projection, PATCH and filters, so what is published is exactly what is stored and returned.

use serde_json::{Value, json};

/// The core User schema URN.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension URN.
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Roster's own extension: attributes copied as they are into a user's `custom_attributes`.
/// Not published in `/Schemas`: the bulk API writes it for attributes that have no SCIM
/// counterpart (an HR system's `location`, `start_date`, …).
pub const CUSTOM_ATTRIBUTES_SCHEMA: &str =
    "urn:roster:params:scim:schemas:extension:custom:1.0:User";
/// The core Group schema URN.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A SCIM attribute type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    String,
    /// A boolean.
    Boolean,
    /// A URI reference.
    Reference,
    /// A timestamp.
    DateTime,
    /// An object of sub-attributes.
    Complex,
}

/// Who may change an attribute (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Set by the server only; ignored in requests.
    ReadOnly,
    /// Set by clients.
    ReadWrite,
    /// Set by clients when the value is added, never changed afterwards (RFC 7643 §8.7.1's
    /// `members.value`).
    Immutable,
}

/// One attribute definition.
#[derive(Debug)]
pub struct Attribute {
    /// Canonical name.
    pub name: &'static str,
    /// Type.
    pub kind: Kind,
    /// Whether it is an array.
    pub multi_valued: bool,
    /// Whether string comparison respects case.
    pub case_exact: bool,
    /// Who may change it.
    pub mutability: Mutability,
    /// Whether a resource must have it.
    pub required: bool,
    /// The values the server recognises, when it restricts them.
    pub canonical_values: &'static [&'static str],
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: &'static [Attribute],
    /// What it holds, for `/Schemas`.
    pub description: &'static str,
}

const fn string(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        name,
        kind: Kind::String,
        multi_valued: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        required: false,
        canonical_values: &[],
        sub_attributes: &[],
        description,
    }
}

const fn boolean(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        kind: Kind::Boolean,
        ..string(name, description)
    }
}

const fn complex(
    name: &'static str,
    sub_attributes: &'static [Attribute],
    description: &'static str,
) -> Attribute {
    Attribute {
        kind: Kind::Complex,
        sub_attributes,
        ..string(name, description)
    }
}

const fn multi(attribute: Attribute) -> Attribute {
    Attribute {
        multi_valued: true,
        ..attribute
    }
}

const fn read_only(attribute: Attribute) -> Attribute {
    Attribute {
        mutability: Mutability::ReadOnly,
        ..attribute
    }
}

const fn case_exact(attribute: Attribute) -> Attribute {
    Attribute {
        case_exact: true,
        ..attribute
    }
}

const fn immutable(attribute: Attribute) -> Attribute {
    Attribute {
        mutability: Mutability::Immutable,
        ..attribute
    }
}

const fn required(attribute: Attribute) -> Attribute {
    Attribute {
        required: true,
        ..attribute
    }
}

const fn reference(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        kind: Kind::Reference,
        case_exact: true,
        ..string(name, description)
    }
}

const NAME: [Attribute; 6] = [
    string("formatted", "The full name."),
    string("familyName", "The family name."),
    string("givenName", "The given name."),
    string("middleName", "The middle name."),
    string("honorificPrefix", "The honorific prefix."),
    string("honorificSuffix", "The honorific suffix."),
];

const LABELLED_VALUE: [Attribute; 4] = [
    string("value", "The value."),
    string("display", "A human-readable name."),
    string("type", "A label: work, home, other, …"),
    boolean(
        "primary",
        "Whether this is the primary value; at most one is.",
    ),
];

const ADDRESS: [Attribute; 8] = [
    string("formatted", "The full mailing address."),
    string("streetAddress", "The street address."),
    string("locality", "The city or locality."),
    string("region", "The state or region."),
    string("postalCode", "The postal code."),
    string("country", "The country, as an ISO 3166-1 alpha-2 code."),
    string("type", "A label: work, home, other."),
    boolean("primary", "Whether this is the primary address."),
];

const USER_GROUP: [Attribute; 4] = [
    read_only(case_exact(string("value", "The group's id."))),
    read_only(reference("$ref", "The group's URI.")),
    read_only(string("display", "The group's display name.")),
    read_only(string("type", "direct")),
];

// RFC 7643 §8.7.1: a member is named by its id; its display name and URI are derived.
const MEMBER: [Attribute; 4] = [
    immutable(case_exact(string("value", "The member's id."))),
    immutable(reference("$ref", "The member's URI.")),
    read_only(string("display", "The member's display name.")),
    Attribute {
        canonical_values: &["User"],
        ..immutable(string(
            "type",
            "The member's resource type: User (nested groups are not supported).",
        ))
    },
];

const MANAGER: [Attribute; 3] = [
    case_exact(string("value", "The manager's id.")),
    reference("$ref", "The manager's URI."),
    read_only(string("displayName", "The manager's display name.")),
];

/// Core User attributes (RFC 7643 §4.1) that Roster stores.
pub const USER_ATTRIBUTES: [Attribute; 16] = [
    required(string(
        "userName",
        "Unique identifier for the user, used to log in. Unique within the directory regardless of case.",
    )),
    complex("name", &NAME, "The components of the user's name."),
    string("displayName", "The name to display."),
    string("nickName", "The casual name."),
    string("title", "The job title."),
    string(
        "userType",
        "The relationship to the organization: Employee, Contractor, …",
    ),
    string("preferredLanguage", "The preferred language."),
    string("locale", "The locale."),
    string("timezone", "The time zone, in IANA format."),
    boolean(
        "active",
        "Whether the user may use the application. Deactivated users stay readable.",
    ),
    multi(complex("emails", &LABELLED_VALUE, "Email addresses.")),
    multi(complex("phoneNumbers", &LABELLED_VALUE, "Phone numbers.")),
    multi(complex("addresses", &ADDRESS, "Physical addresses.")),
    read_only(multi(complex(
        "groups",
        &USER_GROUP,
        "The groups the user belongs to.",
    ))),
    case_exact(string(
        "externalId",
        "The identity provider's id for the user.",
    )),
    read_only(case_exact(string("id", "Roster's id for the user."))),
];

/// Enterprise User extension attributes (RFC 7643 §4.3) that Roster stores.
pub const ENTERPRISE_ATTRIBUTES: [Attribute; 6] = [
    string("employeeNumber", "The employee number."),
    string("costCenter", "The cost center."),
    string("organization", "The organization."),
    string("division", "The division."),
    string("department", "The department."),
    complex("manager", &MANAGER, "The user's manager."),
];

/// Group attributes (RFC 7643 §4.2) that Roster stores.
pub const GROUP_ATTRIBUTES: [Attribute; 4] = [
    required(string("displayName", "The group's name.")),
    multi(complex(
        "members",
        &MEMBER,
        "The group's members: users of the same directory.",
    )),
    case_exact(string(
        "externalId",
        "The identity provider's id for the group.",
    )),
    read_only(case_exact(string("id", "Roster's id for the group."))),
];

/// Finds an attribute by name, ignoring case (attribute names are case-insensitive).
pub fn find<'a>(attributes: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attributes
        .iter()
        .find(|attribute| attribute.name.eq_ignore_ascii_case(name))
}

fn attribute_json(attribute: &Attribute) -> Value {
    let kind = match attribute.kind {
        Kind::String => "string",
        Kind::Boolean => "boolean",
        Kind::Reference => "reference",
        Kind::DateTime => "dateTime",
        Kind::Complex => "complex",
    };
    let mutability = match attribute.mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
    };
    let mut value = json!({
        "name": attribute.name,
        "type": kind,
        "multiValued": attribute.multi_valued,
        "description": attribute.description,
        "required": attribute.required,
        "caseExact": attribute.case_exact,
        "mutability": mutability,
        "returned": if attribute.name == "id" { "always" } else { "default" },
        "uniqueness": if matches!(attribute.name, "userName" | "id") { "server" } else { "none" },
    });
    if attribute.kind == Kind::Reference {
        value["referenceTypes"] = json!(if attribute.name == "$ref" {
            vec!["User", "Group"]
        } else {
            vec!["external"]
        });
    }
    if !attribute.canonical_values.is_empty() {
        value["canonicalValues"] = json!(attribute.canonical_values);
    }
    if !attribute.sub_attributes.is_empty() {
        value["subAttributes"] = attribute
            .sub_attributes
            .iter()
            .map(attribute_json)
            .collect();
    }
    value
}

/// The `/Schemas` resources, each with its `meta.location` under `base`.
pub fn schema_documents(base: &str) -> Vec<Value> {
    let schema = |id: &str, name: &str, description: &str, attributes: &[Attribute]| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": id,
            "name": name,
            "description": description,
            "attributes": attributes.iter().filter(|attribute| attribute.name != "id").map(attribute_json).collect::<Vec<_>>(),
            "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
        })
    };
    vec![
        schema(USER_SCHEMA, "User", "User account", &USER_ATTRIBUTES),
        schema(
            ENTERPRISE_USER_SCHEMA,
            "EnterpriseUser",
            "Enterprise user",
            &ENTERPRISE_ATTRIBUTES,
        ),
        schema(GROUP_SCHEMA, "Group", "Group", &GROUP_ATTRIBUTES),
    ]
}

/// The `/ResourceTypes` resources.
pub fn resource_type_documents(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": GROUP_SCHEMA,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}
