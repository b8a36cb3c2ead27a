//! PATCH paths: `attrPath` or `valuePath [ "." subAttr ]` (RFC 7644 §3.5.2).

use std::fmt;

use super::PatchError;
use crate::filter::{AttrPath, Filter, PathSyntaxError, parse_path_syntax};

/// A parsed PATCH path.
///
/// `name.givenName` is `attr = name.givenName` without filter; `emails[type eq "work"].value`
/// is `attr = emails.value` with the filter `type eq "work"` selecting elements of `emails`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchPath {
    /// The attribute, its optional URN qualifier, and the sub-attribute targeted (after the
    /// brackets when there is a filter).
    pub attr: AttrPath,
    /// The value filter selecting elements of a multi-valued attribute.
    pub filter: Option<Filter>,
}

/// Parses a PATCH path such as `members[value eq "2819c223"]`, `emails[type eq "work"].value`
/// or `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
///
/// Syntax errors in the path are [`PatchError::InvalidPath`]; syntax errors in the filter
/// between brackets are [`PatchError::InvalidFilter`].
pub fn parse_path(input: &str) -> Result<PatchPath, PatchError> {
    match parse_path_syntax(input) {
        Ok(syntax) => Ok(PatchPath {
            attr: syntax.attr,
            filter: syntax.filter,
        }),
        Err(PathSyntaxError::Path(e)) => Err(PatchError::InvalidPath(format!(
            "invalid path {}: {e}",
            quote(input)
        ))),
        Err(PathSyntaxError::Filter(e)) => Err(PatchError::InvalidFilter(format!(
            "invalid filter in path {}: {e}",
            quote(input)
        ))),
    }
}

/// Quotes client input for a message, shortened so a huge path cannot bloat the response.
fn quote(input: &str) -> String {
    const MAX_CHARS: usize = 80;
    if input.chars().count() > MAX_CHARS {
        let head: String = input.chars().take(MAX_CHARS).collect();
        format!("'{head}…'")
    } else {
        format!("'{input}'")
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.attr.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attr.attribute)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.attr.sub_attribute {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}
