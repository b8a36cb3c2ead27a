//! Hand-written recursive-descent parser for the RFC 7644 §3.4.2.2 filter grammar.
//!
//! Every recursion goes through a depth check before it descends, and `and`/`or` chains are
//! built in loops, so hostile input produces an error instead of a stack overflow.

use super::ast::{AttrPath, CompValue, CompareOp, Filter};

/// Longest filter (in bytes) the parser accepts.
pub const MAX_FILTER_LEN: usize = 8 * 1024;
/// Deepest nesting of parentheses, `not (…)` and value paths the parser accepts.
pub const MAX_DEPTH: usize = 32;
/// Most attribute expressions (`attr op value`, `attr pr`) one filter may contain.
pub const MAX_TERMS: usize = 100;

/// Why a filter (or the filter inside a PATCH path) could not be parsed.
///
/// The `Display` text names what was wrong and where; it is meant to be sent to the client as
/// the `detail` of a SCIM `invalidFilter` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at byte {position}")]
pub struct FilterError {
    /// Byte offset into the input where the problem was found.
    pub position: usize,
    /// What was wrong, without the position.
    pub message: String,
}

/// Parses a SCIM filter such as `userName eq "bjensen" and emails[type eq "work"]`.
///
/// Beyond RFC 7644, two forms real clients send are accepted:
/// * an unquoted value that is not `true`/`false`/`null` or a number is read as a string
///   (`externalId eq alice`), because Microsoft Entra ID's documented sample leaves the
///   value unquoted;
/// * `emails[type eq "work"].value eq "x"` (a value path followed by a sub-attribute and a
///   comparison), which Entra sends when emails are a matching attribute. It is read as
///   `emails[type eq "work" and value eq "x"]`, which means the same thing.
///
/// Keywords, operators and `true`/`false`/`null` are case-insensitive; inside brackets,
/// URN-qualified names and nested brackets are rejected. The input may be at most
/// [`MAX_FILTER_LEN`] bytes, nest at most [`MAX_DEPTH`] levels and hold at most [`MAX_TERMS`]
/// attribute expressions.
pub fn parse_filter(input: &str) -> Result<Filter, FilterError> {
    let mut parser = Parser::new(input)?;
    parser.skip_ws();
    if parser.at_end() {
        return Err(parser.error("the filter is empty"));
    }
    let filter = parser.parse_or(0, Scope::Resource)?;
    parser.skip_ws();
    if !parser.at_end() {
        return Err(parser.error(format!(
            "expected 'and', 'or' or the end of the filter, found {}",
            parser.describe_next()
        )));
    }
    Ok(filter)
}

/// A PATCH path split into its parts (`emails[type eq "work"].value`).
#[derive(Debug)]
pub(crate) struct PathSyntax {
    /// The attribute, with the trailing `.subAttr` (after the brackets, if any) as its sub-attribute.
    pub attr: AttrPath,
    /// The value filter inside the brackets.
    pub filter: Option<Filter>,
}

/// Where a PATCH path failed to parse: in the path itself, or in the filter between brackets.
#[derive(Debug)]
pub(crate) enum PathSyntaxError {
    /// The attribute path is malformed.
    Path(FilterError),
    /// The value filter is malformed.
    Filter(FilterError),
}

/// Parses the RFC 7644 §3.5.2 PATCH path grammar: `attrPath` or `valuePath [ "." subAttr ]`.
pub(crate) fn parse_path_syntax(input: &str) -> Result<PathSyntax, PathSyntaxError> {
    let mut parser = Parser::new(input).map_err(PathSyntaxError::Path)?;
    parser.skip_ws();
    let start = parser.pos;
    let word = parser.read_word();
    if word.is_empty() {
        return Err(PathSyntaxError::Path(parser.error(format!(
            "expected an attribute name, found {}",
            parser.describe_next()
        ))));
    }
    let mut attr = parse_attr_path(word, start).map_err(PathSyntaxError::Path)?;
    let mut filter = None;
    if parser.peek() == Some(b'[') {
        if attr.sub_attribute.is_some() {
            return Err(PathSyntaxError::Path(FilterError {
                position: start,
                message: "a value filter must follow a plain attribute name, not a sub-attribute"
                    .into(),
            }));
        }
        parser.pos += 1;
        let inner = parser
            .parse_or(1, Scope::Element)
            .map_err(PathSyntaxError::Filter)?;
        parser
            .expect_byte(b']', "to close the value filter")
            .map_err(PathSyntaxError::Filter)?;
        filter = Some(inner);
        if parser.peek() == Some(b'.') {
            parser.pos += 1;
            let sub = parser.read_sub_attribute().map_err(PathSyntaxError::Path)?;
            attr.sub_attribute = Some(sub);
        }
    }
    parser.skip_ws();
    if !parser.at_end() {
        return Err(PathSyntaxError::Path(parser.error(format!(
            "unexpected {} after the path",
            parser.describe_next()
        ))));
    }
    Ok(PathSyntax { attr, filter })
}

/// Whether attribute paths are relative to the resource or to one element of a multi-valued
/// attribute (inside `[...]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Resource,
    Element,
}

struct Parser<'a> {
    input: &'a str,
    /// Always on a char boundary: it only moves over ASCII bytes or whole tokens that end
    /// before an ASCII delimiter.
    pos: usize,
    terms: usize,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Result<Self, FilterError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(FilterError {
                position: MAX_FILTER_LEN,
                message: format!(
                    "the filter is {} bytes long; at most {MAX_FILTER_LEN} are allowed",
                    input.len()
                ),
            });
        }
        Ok(Self {
            input,
            pos: 0,
            terms: 0,
        })
    }

    fn error(&self, message: impl Into<String>) -> FilterError {
        FilterError {
            position: self.pos,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    /// Describes what is at the current position, for error messages.
    fn describe_next(&self) -> String {
        let rest = self.rest();
        let word_len = rest.bytes().take_while(|b| is_word_byte(*b)).count();
        match (rest.get(..word_len), rest.chars().next()) {
            (_, None) => "the end of the filter".into(),
            (Some(word), _) if !word.is_empty() => format!("'{word}'"),
            (_, Some(c)) => format!("'{c}'"),
        }
    }

    /// Reads a run of attribute-path characters (letters, digits, `-_:.$`).
    fn read_word(&mut self) -> &'a str {
        let rest = self.rest();
        let len = rest.bytes().take_while(|b| is_word_byte(*b)).count();
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    /// Consumes `keyword` (case-insensitively) if it is the next whole word.
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let rest = self.rest();
        let len = rest.bytes().take_while(|b| is_word_byte(*b)).count();
        if rest
            .get(..len)
            .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
        {
            self.pos += len;
            true
        } else {
            false
        }
    }

    fn expect_byte(&mut self, byte: u8, purpose: &str) -> Result<(), FilterError> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!(
                "expected '{}' {purpose}, found {}",
                char::from(byte),
                self.describe_next()
            )))
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), FilterError> {
        if depth >= MAX_DEPTH {
            Err(self.error(format!(
                "the filter nests more than {MAX_DEPTH} levels of parentheses, 'not' or brackets"
            )))
        } else {
            Ok(())
        }
    }

    fn count_term(&mut self, start: usize) -> Result<(), FilterError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            Err(FilterError {
                position: start,
                message: format!("the filter has more than {MAX_TERMS} attribute expressions"),
            })
        } else {
            Ok(())
        }
    }

    fn parse_or(&mut self, depth: usize, scope: Scope) -> Result<Filter, FilterError> {
        let mut left = self.parse_and(depth, scope)?;
        loop {
            let before = self.pos;
            self.skip_ws();
            if self.eat_keyword("or") {
                let right = self.parse_and(depth, scope)?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = before;
                return Ok(left);
            }
        }
    }

    fn parse_and(&mut self, depth: usize, scope: Scope) -> Result<Filter, FilterError> {
        let mut left = self.parse_unary(depth, scope)?;
        loop {
            let before = self.pos;
            self.skip_ws();
            if self.eat_keyword("and") {
                let right = self.parse_unary(depth, scope)?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = before;
                return Ok(left);
            }
        }
    }

    /// A parenthesised filter, `not (…)`, or an attribute expression / value path.
    fn parse_unary(&mut self, depth: usize, scope: Scope) -> Result<Filter, FilterError> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            None => {
                Err(self
                    .error("expected an attribute expression, '(' or 'not' but the filter ended"))
            }
            Some(b'(') => {
                self.check_depth(depth)?;
                self.pos += 1;
                let inner = self.parse_or(depth + 1, scope)?;
                self.expect_byte(b')', "to close the parenthesis")?;
                Ok(inner)
            }
            Some(_) => {
                let word = self.read_word();
                if word.is_empty() {
                    return Err(self.error(format!(
                        "expected an attribute name, '(' or 'not', found {}",
                        self.describe_next()
                    )));
                }
                if word.eq_ignore_ascii_case("not") {
                    self.skip_ws();
                    if self.peek() != Some(b'(') {
                        return Err(self.error(format!(
                            "expected '(' after 'not', found {}",
                            self.describe_next()
                        )));
                    }
                    self.check_depth(depth)?;
                    self.pos += 1;
                    let inner = self.parse_or(depth + 1, scope)?;
                    self.expect_byte(b')', "to close 'not ('")?;
                    return Ok(Filter::Not(Box::new(inner)));
                }
                if word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or") {
                    return Err(FilterError {
                        position: start,
                        message: format!(
                            "expected an attribute expression, '(' or 'not', found keyword '{word}'"
                        ),
                    });
                }
                let path = parse_attr_path(word, start)?;
                if scope == Scope::Element && path.urn.is_some() {
                    return Err(FilterError {
                        position: start,
                        message: "attributes inside brackets are sub-attributes and cannot be URN-qualified".into(),
                    });
                }
                if self.peek() == Some(b'[') {
                    self.parse_value_path(path, start, depth, scope)
                } else {
                    self.parse_attr_expression(path, start)
                }
            }
        }
    }

    fn parse_value_path(
        &mut self,
        path: AttrPath,
        start: usize,
        depth: usize,
        scope: Scope,
    ) -> Result<Filter, FilterError> {
        if scope == Scope::Element {
            return Err(self.error("value filters cannot be nested inside brackets"));
        }
        if path.sub_attribute.is_some() {
            return Err(FilterError {
                position: start,
                message: "a value filter must follow a plain attribute name, not a sub-attribute"
                    .into(),
            });
        }
        self.check_depth(depth)?;
        self.pos += 1;
        let inner = self.parse_or(depth + 1, Scope::Element)?;
        self.expect_byte(b']', "to close the value filter")?;
        if self.peek() != Some(b'.') {
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            });
        }
        self.pos += 1;
        let sub_start = self.pos;
        let sub = self.read_sub_attribute()?;
        let comparison = self.parse_attr_expression(AttrPath::new(sub), sub_start)?;
        Ok(Filter::ValuePath {
            path,
            filter: Box::new(Filter::And(Box::new(inner), Box::new(comparison))),
        })
    }

    /// Reads the `subAttr` after `].`.
    fn read_sub_attribute(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        let word = self.read_word();
        if is_attr_name(word) {
            Ok(word.to_owned())
        } else {
            Err(FilterError {
                position: start,
                message: format!("expected a sub-attribute name after '.', found '{word}'"),
            })
        }
    }

    /// `pr`, or a comparison operator and its value, after an attribute path.
    fn parse_attr_expression(
        &mut self,
        path: AttrPath,
        start: usize,
    ) -> Result<Filter, FilterError> {
        self.skip_ws();
        let op_start = self.pos;
        let word = self.read_word();
        if word.eq_ignore_ascii_case("pr") {
            self.count_term(start)?;
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_keyword(word) else {
            self.pos = op_start;
            let found = if word.is_empty() {
                self.describe_next()
            } else {
                format!("'{word}'")
            };
            return Err(self.error(format!(
                "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after '{path}', found {found}"
            )));
        };
        let value = self.parse_value(op)?;
        self.count_term(start)?;
        Ok(Filter::Compare { path, op, value })
    }

    fn parse_value(&mut self, op: CompareOp) -> Result<CompValue, FilterError> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some(b'"') {
            return self.parse_string().map(CompValue::Str);
        }
        let rest = self.rest();
        let len = rest
            .bytes()
            .take_while(|b| {
                !b.is_ascii_whitespace() && !matches!(b, b'(' | b')' | b'[' | b']' | b'"')
            })
            .count();
        let token = rest.get(..len).unwrap_or("");
        if token.is_empty() {
            return Err(self.error(format!(
                "expected a value after '{op}', found {}",
                self.describe_next()
            )));
        }
        let value = if token.eq_ignore_ascii_case("true") {
            CompValue::Bool(true)
        } else if token.eq_ignore_ascii_case("false") {
            CompValue::Bool(false)
        } else if token.eq_ignore_ascii_case("null") {
            CompValue::Null
        } else if is_json_number(token) {
            match serde_json::from_str::<serde_json::Number>(token) {
                Ok(n) => CompValue::Number(n),
                Err(_) => return Err(self.error(format!("the number {token} is out of range"))),
            }
        } else if ["and", "or", "not", "pr"]
            .iter()
            .any(|k| token.eq_ignore_ascii_case(k))
        {
            return Err(self.error(format!(
                "expected a value after '{op}', found keyword '{token}'"
            )));
        } else if token.chars().any(char::is_control) {
            return Err(self.error("unquoted values cannot contain control characters"));
        } else {
            CompValue::Str(token.to_owned())
        };
        self.pos = start + len;
        Ok(value)
    }

    /// Parses a JSON string literal starting at the current `"`.
    fn parse_string(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        let bytes = self.input.as_bytes();
        let mut i = start + 1;
        let end = loop {
            match bytes.get(i) {
                None => {
                    return Err(FilterError {
                        position: start,
                        message: "unterminated string".into(),
                    });
                }
                Some(b'\\') => i += 2,
                Some(b'"') => break i,
                Some(_) => i += 1,
            }
        };
        let literal = self.input.get(start..=end).unwrap_or("");
        let value = serde_json::from_str::<String>(literal).map_err(|e| FilterError {
            position: start,
            message: format!("invalid string literal: {e}"),
        })?;
        // No stored value can hold one (PostgreSQL's text cannot), and a database refuses it.
        if value.contains('\0') {
            return Err(FilterError {
                position: start,
                message: "a string holds a NUL character (\\u0000)".into(),
            });
        }
        self.pos = end + 1;
        Ok(value)
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':' | b'.' | b'$')
}

/// RFC 7643 ATTRNAME (`ALPHA *(ALPHA / DIGIT / "-" / "_")`), plus `$ref`.
fn is_attr_name(name: &str) -> bool {
    if name.eq_ignore_ascii_case("$ref") {
        return true;
    }
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Splits `[urn:…:]attr[.sub]`; the attribute of a URN-qualified path is after the last `:`.
fn parse_attr_path(word: &str, start: usize) -> Result<AttrPath, FilterError> {
    let err = |offset: usize, message: String| FilterError {
        position: start + offset,
        message,
    };
    let is_urn = word
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    let (urn, name, name_offset) = match word.rfind(':') {
        Some(colon) if is_urn => (
            word.get(..colon),
            word.get(colon + 1..).unwrap_or(""),
            colon + 1,
        ),
        Some(colon) => {
            return Err(err(
                colon,
                format!("'{word}' is not an attribute name: ':' is only allowed in a URN (urn:…)"),
            ));
        }
        None => (None, word, 0),
    };
    if name.is_empty() {
        return Err(err(
            name_offset,
            format!("'{word}' has no attribute name after the schema URN"),
        ));
    }
    let mut parts = name.split('.');
    let attribute = parts.next().unwrap_or("");
    let sub_attribute = parts.next();
    if parts.next().is_some() {
        return Err(err(
            name_offset,
            format!("'{name}' has more than one '.'; at most attribute.subAttribute is allowed"),
        ));
    }
    if !is_attr_name(attribute) {
        return Err(err(
            name_offset,
            format!("'{attribute}' is not a valid attribute name"),
        ));
    }
    if let Some(sub) = sub_attribute
        && !is_attr_name(sub)
    {
        return Err(err(
            name_offset + attribute.len() + 1,
            format!("'{sub}' is not a valid sub-attribute name"),
        ));
    }
    Ok(AttrPath {
        urn: urn.map(str::to_owned),
        attribute: attribute.to_owned(),
        sub_attribute: sub_attribute.map(str::to_owned),
    })
}

/// Whether `token` has the shape of a JSON number (`-?int frac? exp?`).
fn is_json_number(token: &str) -> bool {
    let b = token.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let from = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - from
    };
    let int_start = i;
    let int_len = digits(&mut i);
    if int_len == 0 || (int_len > 1 && b.get(int_start) == Some(&b'0')) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}
