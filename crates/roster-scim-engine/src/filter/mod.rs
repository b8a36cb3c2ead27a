//! SCIM filters (RFC 7644 §3.4.2.2): syntax tree, parser, and an in-memory evaluator.

mod ast;
mod eval;
mod parser;

pub use ast::{AttrPath, CompValue, CompareOp, Filter};
pub(crate) use eval::element_matches;
pub use eval::matches;
pub use parser::{FilterError, MAX_DEPTH, MAX_FILTER_LEN, MAX_TERMS, parse_filter};
pub(crate) use parser::{PathSyntaxError, parse_path_syntax};

#[cfg(test)]
mod tests;
