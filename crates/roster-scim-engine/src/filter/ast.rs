//! The filter syntax tree. `Display` renders a tree back into filter text that parses to the
//! same tree, which is what logs and error messages show.

use std::fmt;

/// An attribute reference: `userName`, `name.givenName`, `meta.lastModified`, or a URN-qualified
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
///
/// Names are kept exactly as the client wrote them; every comparison of names is
/// case-insensitive (RFC 7643 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN the attribute is qualified with, without the trailing `:`.
    pub urn: Option<String>,
    /// The attribute name (for a URN-qualified path, the part after the URN's last `:`).
    pub attribute: String,
    /// The sub-attribute after the `.`, if any.
    pub sub_attribute: Option<String>,
}

impl AttrPath {
    /// An unqualified path to a top-level attribute.
    pub fn new(attribute: impl Into<String>) -> Self {
        Self {
            urn: None,
            attribute: attribute.into(),
            sub_attribute: None,
        }
    }

    /// The same path pointing at `sub_attribute` of the attribute.
    #[must_use]
    pub fn with_sub_attribute(mut self, sub_attribute: impl Into<String>) -> Self {
        self.sub_attribute = Some(sub_attribute.into());
        self
    }

    /// The same path qualified with a schema URN.
    #[must_use]
    pub fn with_urn(mut self, urn: impl Into<String>) -> Self {
        self.urn = Some(urn.into());
        self
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attribute)?;
        if let Some(sub) = &self.sub_attribute {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator of RFC 7644 §3.4.2.2 (`pr` is [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`: equal. `attr eq null` matches when the attribute is not present (see [`Filter::Present`]).
    Eq,
    /// `ne`: exactly `not (attr eq value)`, so it also matches resources without the attribute,
    /// and a multi-valued attribute matches when no value equals.
    Ne,
    /// `co`: the string contains the value.
    Co,
    /// `sw`: the string starts with the value.
    Sw,
    /// `ew`: the string ends with the value.
    Ew,
    /// `gt`: greater than (strings lexicographically, numbers numerically).
    Gt,
    /// `ge`: greater than or equal.
    Ge,
    /// `lt`: less than.
    Lt,
    /// `le`: less than or equal.
    Le,
}

impl CompareOp {
    /// The operator as written in a filter, lower-case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// Parses an operator keyword, case-insensitively (`EQ`, `Eq`).
    pub fn from_keyword(word: &str) -> Option<Self> {
        [
            Self::Eq,
            Self::Ne,
            Self::Co,
            Self::Sw,
            Self::Ew,
            Self::Gt,
            Self::Ge,
            Self::Lt,
            Self::Le,
        ]
        .into_iter()
        .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The literal on the right of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompValue {
    /// A JSON string literal, already unescaped, or an unquoted token (see [`crate::filter::parse_filter`]).
    Str(String),
    /// A JSON number.
    Number(serde_json::Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl CompValue {
    /// The literal as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Str(s) => serde_json::Value::String(s.clone()),
            Self::Number(n) => serde_json::Value::Number(n.clone()),
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Null => serde_json::Value::Null,
        }
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Str(s) => fmt::Display::fmt(&serde_json::Value::String(s.clone()), f),
            Self::Number(n) => fmt::Display::fmt(n, f),
            Self::Bool(b) => fmt::Display::fmt(b, f),
            Self::Null => f.write_str("null"),
        }
    }
}

/// A parsed filter expression.
///
/// Inside [`Filter::ValuePath`] the paths of the inner filter are relative to one element of the
/// multi-valued attribute (`type` in `emails[type eq "work"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `path op value`.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The literal compared against.
        value: CompValue,
    },
    /// `path pr`: the attribute has a value that is not null, not `""`, not `[]` and not `{}`.
    Present(AttrPath),
    /// `left and right`.
    And(Box<Filter>, Box<Filter>),
    /// `left or right`.
    Or(Box<Filter>, Box<Filter>),
    /// `not (inner)`.
    Not(Box<Filter>),
    /// `path[filter]`: some element of the multi-valued attribute matches `filter`.
    ValuePath {
        /// The multi-valued attribute.
        path: AttrPath,
        /// The filter each element is tested against.
        filter: Box<Filter>,
    },
}

impl Filter {
    /// Formats `self` as an operand of `and`/`or`, parenthesised when precedence requires it.
    fn fmt_operand(&self, f: &mut fmt::Formatter<'_>, parent_is_and: bool) -> fmt::Result {
        let needs_parens = match self {
            Self::Or(..) => parent_is_and,
            _ => false,
        };
        if needs_parens {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Self::Present(path) => write!(f, "{path} pr"),
            Self::And(left, right) => {
                left.fmt_operand(f, true)?;
                f.write_str(" and ")?;
                // The parser builds left-deep trees, so a right operand of the same kind needs
                // parentheses to come back as the same tree.
                match right.as_ref() {
                    Self::And(..) | Self::Or(..) => write!(f, "({right})"),
                    _ => write!(f, "{right}"),
                }
            }
            Self::Or(left, right) => {
                left.fmt_operand(f, false)?;
                f.write_str(" or ")?;
                match right.as_ref() {
                    Self::Or(..) => write!(f, "({right})"),
                    _ => write!(f, "{right}"),
                }
            }
            Self::Not(inner) => write!(f, "not ({inner})"),
            Self::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}
