//! What the engine needs to know about a resource type's schema.
//!
//! The engine has no built-in knowledge of Users or Groups; the caller describes its resource
//! types through [`AttributeRules`]. Attributes the rules do not know are still handled: they
//! are kept under the name the client used and treated as whatever JSON they are.

use crate::filter::AttrPath;

/// The SCIM data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttributeKind {
    /// A JSON string.
    String,
    /// A JSON boolean. PATCH also accepts the strings `"true"`/`"false"` in any case.
    Boolean,
    /// A JSON number.
    Decimal,
    /// A JSON number without a fractional part.
    Integer,
    /// An `xsd:dateTime` string; these compare correctly as strings when in the same zone.
    DateTime,
    /// A base64 string.
    Binary,
    /// A URI string.
    Reference,
    /// An object of sub-attributes.
    Complex,
}

/// When an attribute may be written (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// Set by the service provider; writes from clients are silently ignored.
    ReadOnly,
    /// Freely writable.
    ReadWrite,
    /// May be set once; changing an existing value to a different one is an error.
    Immutable,
    /// Writable but never returned (for example `password`).
    WriteOnly,
}

/// The definition of one attribute or sub-attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeInfo<'s> {
    /// The name in its canonical case; the engine writes the attribute under this key.
    pub name: &'s str,
    /// The extension schema URN whose object holds the attribute, or `None` for a top-level
    /// attribute of the core schema. Unused for sub-attributes.
    pub extension_urn: Option<&'s str>,
    /// The data type.
    pub kind: AttributeKind,
    /// Whether the value is an array.
    pub multi_valued: bool,
    /// Whether string comparisons are case-sensitive (RFC 7643 §2.2 default: `false`).
    pub case_exact: bool,
    /// When the attribute may be written.
    pub mutability: Mutability,
}

/// Describes one resource type's schema (core schema plus extensions) to the engine.
pub trait AttributeRules {
    /// The resource's core schema URN (`urn:ietf:params:scim:schemas:core:2.0:User`). Paths
    /// qualified with it refer to top-level attributes.
    fn core_schema(&self) -> &str;

    /// If `urn` (compared case-insensitively) is one of the resource's extension schemas,
    /// returns it in canonical case.
    fn extension_schema(&self, urn: &str) -> Option<&str>;

    /// Looks up an attribute by name, case-insensitively. `urn` is `None` for an unqualified
    /// name and otherwise the extension URN it was qualified with (never the core URN).
    /// The returned [`AttributeInfo::extension_urn`] decides where the attribute is stored.
    fn attribute(&self, urn: Option<&str>, name: &str) -> Option<AttributeInfo<'_>>;

    /// Looks up a sub-attribute of a complex attribute by name, case-insensitively.
    fn sub_attribute(&self, parent: &AttributeInfo<'_>, name: &str) -> Option<AttributeInfo<'_>>;
}

/// Where an attribute path lives in a resource document.
#[derive(Debug, Clone)]
pub(crate) struct Resolved<'s> {
    /// `None` for a top-level attribute, else the extension object's key.
    pub location: Option<Location>,
    /// The key to use: canonical when known, else as the client wrote it.
    pub name: String,
    /// The definition, when the schema has one.
    pub info: Option<AttributeInfo<'s>>,
}

/// An extension object's key in the resource.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    /// Canonical for known extensions, else as written by the client.
    pub urn: String,
    /// Whether the schema knows this extension (so `urn` is canonical).
    pub known: bool,
}

/// Resolves a path's attribute (ignoring its sub-attribute) against the schema.
pub(crate) fn resolve<'s>(schema: &'s dyn AttributeRules, path: &AttrPath) -> Resolved<'s> {
    let qualifier = path
        .urn
        .as_deref()
        .filter(|urn| !urn.eq_ignore_ascii_case(schema.core_schema()));
    let info = schema.attribute(qualifier, &path.attribute);
    let location = match info {
        Some(info) => info.extension_urn.map(|urn| Location {
            urn: urn.to_owned(),
            known: true,
        }),
        None => qualifier.map(|urn| match schema.extension_schema(urn) {
            Some(canonical) => Location {
                urn: canonical.to_owned(),
                known: true,
            },
            None => Location {
                urn: urn.to_owned(),
                known: false,
            },
        }),
    };
    Resolved {
        location,
        name: info.map_or_else(|| path.attribute.clone(), |info| info.name.to_owned()),
        info,
    }
}
