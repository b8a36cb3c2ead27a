//! Reading a PATCH request body into operations, leniently about case as Entra requires.

use serde_json::Value;

use super::value::describe;
use super::{PatchError, PatchPath, parse_path};
use crate::json::get_ci;

/// The `schemas` value of a PATCH request.
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A PATCH operation's `op`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOpKind {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

/// One element of a PATCH request's `Operations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchOperation {
    /// What to do.
    pub op: PatchOpKind,
    /// Where; `None` means the resource itself (only for `add` and `replace`).
    pub path: Option<PatchPath>,
    /// The value; required for `add` and `replace`, optional for `remove`.
    pub value: Option<Value>,
}

/// Reads a PATCH request body.
///
/// Keys (`Operations`, `op`, `path`, `value`) and `op` values (`Add`, `Replace`) are matched
/// case-insensitively. When `schemas` is present it must contain [`PATCH_OP_URN`] (in any
/// case); a body without `schemas` is accepted since it carries no other meaning. A `path`
/// that is `null` or blank counts as absent.
pub fn parse_patch_request(body: &Value) -> Result<Vec<PatchOperation>, PatchError> {
    let Value::Object(body) = body else {
        return Err(PatchError::InvalidSyntax(
            "the PATCH body must be a JSON object".into(),
        ));
    };
    if let Some(schemas) = get_ci(body, "schemas") {
        let declared = schemas.as_array().is_some_and(|list| {
            list.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_URN))
            })
        });
        if !declared {
            return Err(PatchError::InvalidSyntax(format!(
                "'schemas' must be an array containing \"{PATCH_OP_URN}\""
            )));
        }
    }
    let operations = match get_ci(body, "Operations") {
        Some(Value::Array(operations)) => operations,
        Some(_) => {
            return Err(PatchError::InvalidSyntax(
                "'Operations' must be an array".into(),
            ));
        }
        None => {
            return Err(PatchError::InvalidSyntax(
                "the PATCH body has no 'Operations'".into(),
            ));
        }
    };
    operations
        .iter()
        .enumerate()
        .map(|(index, op)| parse_operation(op).map_err(|e| e.in_operation(index)))
        .collect()
}

fn parse_operation(op: &Value) -> Result<PatchOperation, PatchError> {
    let Value::Object(op) = op else {
        return Err(PatchError::InvalidSyntax(
            "each operation must be a JSON object".into(),
        ));
    };
    let kind = match get_ci(op, "op") {
        Some(Value::String(name)) if name.eq_ignore_ascii_case("add") => PatchOpKind::Add,
        Some(Value::String(name)) if name.eq_ignore_ascii_case("remove") => PatchOpKind::Remove,
        Some(Value::String(name)) if name.eq_ignore_ascii_case("replace") => PatchOpKind::Replace,
        Some(other) => {
            return Err(PatchError::InvalidSyntax(format!(
                "'op' must be \"add\", \"remove\" or \"replace\", got {}",
                describe(other)
            )));
        }
        None => {
            return Err(PatchError::InvalidSyntax(
                "the operation has no 'op'".into(),
            ));
        }
    };
    let path = match get_ci(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) if path.trim().is_empty() => None,
        Some(Value::String(path)) => Some(parse_path(path)?),
        Some(_) => return Err(PatchError::InvalidSyntax("'path' must be a string".into())),
    };
    let value = get_ci(op, "value").cloned();
    match (kind, &path, &value) {
        (PatchOpKind::Remove, None, _) => Err(PatchError::NoTarget(
            "'remove' needs a 'path' to say what to remove".into(),
        )),
        (PatchOpKind::Add | PatchOpKind::Replace, _, None) => Err(PatchError::InvalidSyntax(
            "'add' and 'replace' need a 'value'".into(),
        )),
        _ => Ok(PatchOperation {
            op: kind,
            path,
            value,
        }),
    }
}
