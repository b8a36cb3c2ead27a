//! Schemas for request fields whose rules a plain Rust type cannot say: the values the
//! handlers accept, so that what `/openapi.json` calls valid is exactly what is accepted
//! (a schema-valid request never meets a 422).

use roster_core::{DirectoryType, EventType};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, Object, ObjectBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::{Array, RefOr};

/// A DNS domain as `Domain::parse` accepts it (lower or upper case).
const DOMAIN_PATTERN: &str = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn nullable_array_of(items: Object) -> Array {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(items)
        .build()
}

/// One domain.
pub(crate) fn domain() -> Object {
    string()
        .pattern(Some(DOMAIN_PATTERN))
        .max_length(Some(253))
        .examples([serde_json::json!("acme.com")])
        .build()
}

/// Domains, or null.
pub(crate) fn domains() -> Array {
    nullable_array_of(domain())
}

/// Event types to subscribe to, or null.
pub(crate) fn event_types() -> Array {
    nullable_array_of(
        string()
            .enum_values(Some(EventType::ALL.map(EventType::as_str)))
            .build(),
    )
}

/// A directory type: WorkOS's string or Roster's alias.
pub(crate) fn directory_type() -> Object {
    let names = DirectoryType::ALL
        .iter()
        .flat_map(|(_, name, alias)| [*name, *alias]);
    string().enum_values(Some(names)).build()
}

/// Metadata changes: at most 50 keys of 1 to 40 characters, each a string of up to 600
/// characters, or null (or "") to remove the key.
pub(crate) fn metadata_changes() -> Object {
    let value = ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(600))
        .build();
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .max_properties(Some(50))
        .property_names(Some(
            string().min_length(Some(1)).max_length(Some(40)).build(),
        ))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::Object(
            value,
        )))))
        .build()
}
