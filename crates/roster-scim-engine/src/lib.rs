//! The SCIM protocol logic of Roster that does not touch storage or HTTP.
//!
//! * [`filter`]: the RFC 7644 §3.4.2.2 filter grammar ([`parse_filter`]) into a [`Filter`]
//!   tree, and an in-memory evaluator ([`matches()`]) that defines the reference semantics.
//! * [`patch`]: RFC 7644 §3.5.2 PATCH requests ([`parse_patch_request`], [`apply`]) applied
//!   to a resource held as a `serde_json::Value`, including the dialects Okta and Microsoft
//!   Entra ID send, and Okta's SCIM 1.1 partial-resource PATCH ([`apply_scim11_partial`]).
//! * [`schema`]: the [`AttributeRules`] trait through which the caller describes its resource
//!   types; the engine has no built-in User or Group schema.
//!
//! It is a pure library: no I/O, no storage, no HTTP. Turning a filter into SQL, producing
//! SCIM error responses, and validating whole resources on POST/PUT belong to the callers.
//! Parsing and applying never panic, whatever the input; filter parsing enforces length,
//! depth and size limits ([`MAX_FILTER_LEN`], [`MAX_DEPTH`], [`MAX_TERMS`]).

pub mod filter;
mod json;
pub mod patch;
pub mod schema;
#[cfg(test)]
mod test_schema;

pub use filter::{
    AttrPath, CompValue, CompareOp, Filter, FilterError, MAX_DEPTH, MAX_FILTER_LEN, MAX_TERMS,
    matches, parse_filter,
};
pub use patch::{
    PATCH_OP_URN, PatchError, PatchOpKind, PatchOperation, PatchPath, apply, apply_request,
    apply_scim11_partial, parse_patch_request, parse_path,
};
pub use schema::{AttributeInfo, AttributeKind, AttributeRules, Mutability};
