//! SCIM PATCH (RFC 7644 §3.5.2) applied to JSON resources, including the dialects Okta and
//! Microsoft Entra ID actually send, and Okta's SCIM 1.1 partial-resource PATCH.

mod apply;
mod ops;
mod path;
mod request;
mod scim11;
mod value;

pub use apply::{apply, apply_request};
pub use path::{PatchPath, parse_path};
pub use request::{PATCH_OP_URN, PatchOpKind, PatchOperation, parse_patch_request};
pub use scim11::apply_scim11_partial;

/// Why a PATCH request was rejected. Each variant maps to one RFC 7644 §3.12 `scimType`
/// (see [`PatchError::scim_type`]); the message is meant for the client as the error `detail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// The request body is malformed (`invalidSyntax`).
    #[error("{0}")]
    InvalidSyntax(String),
    /// A path cannot be parsed or does not fit the attribute it names (`invalidPath`).
    #[error("{0}")]
    InvalidPath(String),
    /// The value filter inside a path cannot be parsed (`invalidFilter`).
    #[error("{0}")]
    InvalidFilter(String),
    /// A value has the wrong type for its attribute (`invalidValue`).
    #[error("{0}")]
    InvalidValue(String),
    /// The operation selects nothing and nothing can be created (`noTarget`).
    #[error("{0}")]
    NoTarget(String),
    /// The operation would change an immutable attribute (`mutability`).
    #[error("{0}")]
    Mutability(String),
}

impl PatchError {
    /// The RFC 7644 §3.12 `scimType` for a 400 response.
    pub fn scim_type(&self) -> &'static str {
        match self {
            Self::InvalidSyntax(_) => "invalidSyntax",
            Self::InvalidPath(_) => "invalidPath",
            Self::InvalidFilter(_) => "invalidFilter",
            Self::InvalidValue(_) => "invalidValue",
            Self::NoTarget(_) => "noTarget",
            Self::Mutability(_) => "mutability",
        }
    }

    /// Prefixes the message with the index of the operation that failed.
    pub(crate) fn in_operation(self, index: usize) -> Self {
        let prefix = |message: String| format!("Operations[{index}]: {message}");
        match self {
            Self::InvalidSyntax(m) => Self::InvalidSyntax(prefix(m)),
            Self::InvalidPath(m) => Self::InvalidPath(prefix(m)),
            Self::InvalidFilter(m) => Self::InvalidFilter(prefix(m)),
            Self::InvalidValue(m) => Self::InvalidValue(prefix(m)),
            Self::NoTarget(m) => Self::NoTarget(prefix(m)),
            Self::Mutability(m) => Self::Mutability(prefix(m)),
        }
    }
}

#[cfg(test)]
mod tests;
