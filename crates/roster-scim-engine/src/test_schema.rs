//! User and Group schemas (RFC 7643 core + enterprise extension) for the tests.

use crate::schema::{AttributeInfo, AttributeKind as K, AttributeRules, Mutability as M};

pub(crate) const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const ENTERPRISE_URN: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

struct Def {
    info: AttributeInfo<'static>,
    subs: &'static [AttributeInfo<'static>],
}

const fn attr(name: &'static str, kind: K) -> AttributeInfo<'static> {
    AttributeInfo {
        name,
        extension_urn: None,
        kind,
        multi_valued: false,
        case_exact: false,
        mutability: M::ReadWrite,
    }
}

const fn string(name: &'static str) -> AttributeInfo<'static> {
    attr(name, K::String)
}

const fn multi(info: AttributeInfo<'static>) -> AttributeInfo<'static> {
    AttributeInfo {
        multi_valued: true,
        ..info
    }
}

const fn exact(info: AttributeInfo<'static>) -> AttributeInfo<'static> {
    AttributeInfo {
        case_exact: true,
        ..info
    }
}

const fn with(info: AttributeInfo<'static>, mutability: M) -> AttributeInfo<'static> {
    AttributeInfo { mutability, ..info }
}

const fn enterprise(info: AttributeInfo<'static>) -> AttributeInfo<'static> {
    AttributeInfo {
        extension_urn: Some(ENTERPRISE_URN),
        ..info
    }
}

const fn simple(info: AttributeInfo<'static>) -> Def {
    Def { info, subs: &[] }
}

const MULTI_SUBS: &[AttributeInfo<'static>] = &[
    string("value"),
    string("display"),
    string("type"),
    attr("primary", K::Boolean),
];
const ADDRESS_SUBS: &[AttributeInfo<'static>] = &[
    string("formatted"),
    string("streetAddress"),
    string("locality"),
    string("region"),
    string("postalCode"),
    string("country"),
    string("type"),
    attr("primary", K::Boolean),
];
const META_SUBS: &[AttributeInfo<'static>] = &[
    exact(string("resourceType")),
    attr("created", K::DateTime),
    attr("lastModified", K::DateTime),
    exact(attr("location", K::Reference)),
    exact(string("version")),
];
const REF_SUBS: &[AttributeInfo<'static>] = &[
    string("value"),
    attr("$ref", K::Reference),
    string("display"),
    string("type"),
];

const USER: &[Def] = &[
    simple(exact(with(string("id"), M::ReadOnly))),
    simple(exact(string("externalId"))),
    Def {
        info: with(attr("meta", K::Complex), M::ReadOnly),
        subs: META_SUBS,
    },
    simple(string("userName")),
    Def {
        info: attr("name", K::Complex),
        subs: &[
            string("formatted"),
            string("familyName"),
            string("givenName"),
            string("middleName"),
            string("honorificPrefix"),
            string("honorificSuffix"),
        ],
    },
    simple(string("displayName")),
    simple(string("nickName")),
    simple(attr("profileUrl", K::Reference)),
    simple(string("title")),
    simple(string("userType")),
    simple(string("preferredLanguage")),
    simple(string("locale")),
    simple(string("timezone")),
    simple(attr("active", K::Boolean)),
    simple(with(string("password"), M::WriteOnly)),
    simple(with(string("immutableId"), M::Immutable)),
    simple(attr("loginCount", K::Integer)),
    Def {
        info: multi(attr("emails", K::Complex)),
        subs: MULTI_SUBS,
    },
    Def {
        info: multi(attr("phoneNumbers", K::Complex)),
        subs: MULTI_SUBS,
    },
    Def {
        info: multi(attr("addresses", K::Complex)),
        subs: ADDRESS_SUBS,
    },
    Def {
        info: multi(with(attr("groups", K::Complex), M::ReadOnly)),
        subs: REF_SUBS,
    },
];

const ENTERPRISE: &[Def] = &[
    simple(enterprise(string("employeeNumber"))),
    simple(enterprise(string("costCenter"))),
    simple(enterprise(string("organization"))),
    simple(enterprise(string("division"))),
    simple(enterprise(string("department"))),
    Def {
        info: enterprise(attr("manager", K::Complex)),
        subs: &[
            string("value"),
            attr("$ref", K::Reference),
            with(string("displayName"), M::ReadOnly),
        ],
    },
];

const GROUP: &[Def] = &[
    simple(exact(with(string("id"), M::ReadOnly))),
    simple(exact(string("externalId"))),
    Def {
        info: with(attr("meta", K::Complex), M::ReadOnly),
        subs: META_SUBS,
    },
    simple(string("displayName")),
    Def {
        info: multi(attr("members", K::Complex)),
        subs: REF_SUBS,
    },
];

/// A resource type described by static tables.
pub(crate) struct TestSchema {
    core_urn: &'static str,
    core: &'static [Def],
    extensions: &'static [(&'static str, &'static [Def])],
}

pub(crate) const USER_SCHEMA: TestSchema = TestSchema {
    core_urn: USER_URN,
    core: USER,
    extensions: &[(ENTERPRISE_URN, ENTERPRISE)],
};

pub(crate) const GROUP_SCHEMA: TestSchema = TestSchema {
    core_urn: GROUP_URN,
    core: GROUP,
    extensions: &[],
};

impl TestSchema {
    fn defs(&self, urn: Option<&str>) -> &'static [Def] {
        match urn {
            None => self.core,
            Some(urn) => self
                .extensions
                .iter()
                .find(|(u, _)| u.eq_ignore_ascii_case(urn))
                .map_or(&[], |(_, defs)| *defs),
        }
    }
}

impl AttributeRules for TestSchema {
    fn core_schema(&self) -> &str {
        self.core_urn
    }

    fn extension_schema(&self, urn: &str) -> Option<&str> {
        self.extensions
            .iter()
            .map(|(u, _)| *u)
            .find(|u| u.eq_ignore_ascii_case(urn))
    }

    fn attribute(&self, urn: Option<&str>, name: &str) -> Option<AttributeInfo<'_>> {
        self.defs(urn)
            .iter()
            .map(|d| d.info)
            .find(|i| i.name.eq_ignore_ascii_case(name))
    }

    fn sub_attribute(&self, parent: &AttributeInfo<'_>, name: &str) -> Option<AttributeInfo<'_>> {
        self.defs(parent.extension_urn)
            .iter()
            .find(|d| d.info.name == parent.name)?
            .subs
            .iter()
            .copied()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}
