//! Describes our schema table to the PATCH engine and the in-memory filter evaluator.

use roster_scim_engine::schema::{
    AttributeInfo, AttributeKind, AttributeRules, Mutability as EngineMutability,
};

use super::document::ResourceSchema;
use super::schema::{Attribute, Kind, Mutability, find};

fn info(
    attribute: &'static Attribute,
    extension_urn: Option<&'static str>,
) -> AttributeInfo<'static> {
    AttributeInfo {
        name: attribute.name,
        extension_urn,
        kind: match attribute.kind {
            Kind::String => AttributeKind::String,
            Kind::Boolean => AttributeKind::Boolean,
            Kind::Reference => AttributeKind::Reference,
            Kind::DateTime => AttributeKind::DateTime,
            Kind::Complex => AttributeKind::Complex,
        },
        multi_valued: attribute.multi_valued,
        case_exact: attribute.case_exact,
        mutability: match attribute.mutability {
            Mutability::ReadOnly => EngineMutability::ReadOnly,
            Mutability::ReadWrite => EngineMutability::ReadWrite,
            Mutability::Immutable => EngineMutability::Immutable,
        },
    }
}

impl AttributeRules for ResourceSchema {
    fn core_schema(&self) -> &str {
        self.core_urn
    }

    fn extension_schema(&self, urn: &str) -> Option<&str> {
        self.extension(urn).map(|(urn, _)| urn)
    }

    fn attribute(&self, urn: Option<&str>, name: &str) -> Option<AttributeInfo<'_>> {
        match urn {
            None => find(self.core, name).map(|attribute| info(attribute, None)),
            Some(urn) => self.extension(urn).and_then(|(urn, attributes)| {
                find(attributes, name).map(|attribute| info(attribute, Some(urn)))
            }),
        }
    }

    fn sub_attribute(&self, parent: &AttributeInfo<'_>, name: &str) -> Option<AttributeInfo<'_>> {
        let attributes = match parent.extension_urn {
            None => self.core,
            Some(urn) => self.extension(urn)?.1,
        };
        let parent = find(attributes, parent.name)?;
        find(parent.sub_attributes, name).map(|sub| info(sub, None))
    }
}
