//! Translates a parsed SCIM filter into a SQL condition, so that filters run in the database
//! (using the lower-cased key columns and their indexes for `userName`, `externalId`,
//! `displayName` and emails) instead of loading a directory into memory.
//!
//! Semantics follow the engine's in-memory evaluator, which is the reference: a missing
//! attribute makes a comparison false, `ne` is `not eq`, `eq null` is `not pr`, and a
//! multi-valued attribute matches when any element does. SQL's NULLs are turned into false at
//! every `not`, so three-valued logic never leaks through.
//!
//! Only attribute names from the schema table reach the SQL text; every value a client sent is
//! a bind parameter.

use roster_core::{Timestamp, case_key};
use roster_scim_engine::filter::{AttrPath, CompValue, CompareOp, Filter};
use roster_store::Backend;
use roster_store::sql::{Fragment, SqlValue, like_escape};

use crate::ScimError;
use crate::resources::document::ResourceSchema;
use crate::resources::schema::{Attribute, Kind, find};

/// Which table a filter runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `directory_users u`.
    Users,
    /// `directory_groups g`.
    Groups,
}

impl Table {
    fn alias(self) -> &'static str {
        match self {
            Table::Users => "u",
            Table::Groups => "g",
        }
    }

    fn schema(self) -> &'static ResourceSchema {
        match self {
            Table::Users => &crate::resources::user::USER,
            Table::Groups => &crate::resources::group::GROUP,
        }
    }
}

/// A scalar SQL expression and how to compare it.
struct Expr {
    sql: String,
    kind: Kind,
    case_exact: bool,
    /// The column already holds `case_key` of the value.
    pre_lowered: bool,
    /// A boolean read out of JSON on PostgreSQL, which `#>>` gives as the text `true`/`false`.
    text_boolean: bool,
    /// Unix milliseconds (the `meta` timestamps).
    millis: bool,
}

impl Expr {
    fn column(sql: String, kind: Kind, case_exact: bool, pre_lowered: bool) -> Self {
        Expr {
            sql,
            kind,
            case_exact,
            pre_lowered,
            text_boolean: false,
            millis: false,
        }
    }
}

/// What one element of a multi-valued attribute is read from.
enum Elements {
    /// `directory_user_emails e`: value, type and primary, indexed.
    EmailRows,
    /// `directory_group_members m`: the members' user ids.
    MemberRows,
    /// `directory_group_members gm` seen from a user: its groups' ids.
    GroupRows,
    /// A JSON array inside the document.
    Json {
        attribute: &'static Attribute,
        json_path: Vec<&'static str>,
    },
}

struct Translator {
    table: Table,
    backend: Backend,
}

/// The SQL condition for `filter` on `table` (over the alias `u` or `g`).
pub fn translate(filter: &Filter, table: Table, backend: Backend) -> Result<Fragment, ScimError> {
    Translator { table, backend }.filter(filter)
}

impl Translator {
    fn filter(&self, filter: &Filter) -> Result<Fragment, ScimError> {
        let mut out = Fragment::new();
        match filter {
            Filter::And(left, right) | Filter::Or(left, right) => {
                let joiner = if matches!(filter, Filter::And(..)) {
                    ") AND ("
                } else {
                    ") OR ("
                };
                out.sql("(")
                    .append(self.filter(left)?)
                    .sql(joiner)
                    .append(self.filter(right)?)
                    .sql(")");
            }
            Filter::Not(inner) => {
                out.append(negate(self.filter(inner)?));
            }
            Filter::Present(path) => {
                out.append(self.on_path(path, &|expr| Ok(present(expr)))?);
            }
            Filter::Compare {
                path,
                op: CompareOp::Ne,
                value,
            } => {
                let equal = Filter::Compare {
                    path: path.clone(),
                    op: CompareOp::Eq,
                    value: value.clone(),
                };
                out.append(negate(self.filter(&equal)?));
            }
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: CompValue::Null,
            } => {
                out.append(negate(self.filter(&Filter::Present(path.clone()))?));
            }
            Filter::Compare { path, op, value } => {
                out.append(self.on_path(path, &|expr| self.compare(expr, *op, value, path))?);
            }
            Filter::ValuePath { path, filter } => {
                let (elements, _) = self.multi_valued(path)?;
                let mut element_filter = Fragment::new();
                self.element_filter(&elements, filter, path, &mut element_filter)?;
                out.append(self.exists(&elements, element_filter));
            }
        };
        Ok(out)
    }

    /// A filter inside `attr[…]`, whose paths name sub-attributes of one element.
    fn element_filter(
        &self,
        elements: &Elements,
        filter: &Filter,
        parent: &AttrPath,
        out: &mut Fragment,
    ) -> Result<(), ScimError> {
        match filter {
            Filter::And(left, right) | Filter::Or(left, right) => {
                let joiner = if matches!(filter, Filter::And(..)) {
                    ") AND ("
                } else {
                    ") OR ("
                };
                let (mut l, mut r) = (Fragment::new(), Fragment::new());
                self.element_filter(elements, left, parent, &mut l)?;
                self.element_filter(elements, right, parent, &mut r)?;
                out.sql("(").append(l).sql(joiner).append(r).sql(")");
            }
            Filter::Not(inner) => {
                let mut inner_sql = Fragment::new();
                self.element_filter(elements, inner, parent, &mut inner_sql)?;
                out.append(negate(inner_sql));
            }
            Filter::ValuePath { .. } => {
                return Err(ScimError::invalid_filter(format!(
                    "Value filters cannot be nested inside `{parent}[…]`."
                )));
            }
            Filter::Present(path) => {
                out.append(present(&self.element_expr(elements, path, parent)?));
            }
            Filter::Compare {
                path,
                op: CompareOp::Ne,
                value,
            } => {
                let equal = Filter::Compare {
                    path: path.clone(),
                    op: CompareOp::Eq,
                    value: value.clone(),
                };
                let mut inner = Fragment::new();
                self.element_filter(elements, &equal, parent, &mut inner)?;
                out.append(negate(inner));
            }
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value: CompValue::Null,
            } => {
                let expr = self.element_expr(elements, path, parent)?;
                out.append(negate(present(&expr)));
            }
            Filter::Compare { path, op, value } => {
                let expr = self.element_expr(elements, path, parent)?;
                out.append(self.compare(&expr, *op, value, path)?);
            }
        }
        Ok(())
    }

    /// Applies `leaf` to the expression a path names; for a multi-valued attribute, to each
    /// element inside an `EXISTS`.
    fn on_path(
        &self,
        path: &AttrPath,
        leaf: &dyn Fn(&Expr) -> Result<Fragment, ScimError>,
    ) -> Result<Fragment, ScimError> {
        if let Some(expr) = self.scalar(path)? {
            return leaf(&expr);
        }
        let (elements, attribute) = self.multi_valued(path)?;
        let sub = path.sub_attribute.clone().unwrap_or_else(|| {
            // RFC 7644 §3.4.2.2: a complex multi-valued attribute without a sub-attribute is
            // compared through its `value`.
            if attribute.kind == Kind::Complex {
                "value".to_owned()
            } else {
                String::new()
            }
        });
        let element_path = AttrPath {
            urn: None,
            attribute: sub,
            sub_attribute: None,
        };
        let expr = self.element_expr(&elements, &element_path, path)?;
        Ok(self.exists(&elements, leaf(&expr)?))
    }

    /// A single-valued attribute's expression, or `None` if the path names a multi-valued one.
    fn scalar(&self, path: &AttrPath) -> Result<Option<Expr>, ScimError> {
        let alias = self.table.alias();
        let attribute_name = path.attribute.as_str();
        let sub = path.sub_attribute.as_deref();
        if path.urn.is_none() && attribute_name.eq_ignore_ascii_case("meta") {
            let column = match sub {
                Some(name) if name.eq_ignore_ascii_case("created") => "created_at",
                Some(name) if name.eq_ignore_ascii_case("lastModified") => "updated_at",
                _ => {
                    return Err(unsupported(
                        path,
                        "only meta.created and meta.lastModified can be filtered",
                    ));
                }
            };
            let mut expr = Expr::column(format!("{alias}.{column}"), Kind::DateTime, true, false);
            expr.millis = true;
            return Ok(Some(expr));
        }
        let (extension, attribute) = self.resolve(path)?;
        if attribute.multi_valued {
            return Ok(None);
        }
        if extension.is_none() && sub.is_none() {
            let column = match (self.table, attribute.name) {
                (_, "id") => Some(Expr::column(
                    format!("{alias}.id"),
                    Kind::String,
                    true,
                    false,
                )),
                (_, "externalId") => Some(Expr::column(
                    format!("{alias}.external_id"),
                    Kind::String,
                    true,
                    false,
                )),
                (_, "displayName") => Some(Expr::column(
                    format!("{alias}.display_name_key"),
                    Kind::String,
                    false,
                    true,
                )),
                (Table::Users, "userName") => Some(Expr::column(
                    format!("{alias}.user_name_key"),
                    Kind::String,
                    false,
                    true,
                )),
                (Table::Users, "active") => Some(Expr::column(
                    format!("{alias}.active"),
                    Kind::Boolean,
                    true,
                    false,
                )),
                _ => None,
            };
            if column.is_some() {
                return Ok(column);
            }
        }
        let (target, json_path) = match sub {
            Some(sub_name) => {
                let sub_attribute = find(attribute.sub_attributes, sub_name)
                    .ok_or_else(|| unsupported(path, "the schema defines no such sub-attribute"))?;
                (sub_attribute, vec![attribute.name, sub_attribute.name])
            }
            // RFC 7644 §3.4.2.2: a complex attribute without a sub-attribute is compared
            // through its `value` (`manager eq "…"`).
            None if attribute.kind == Kind::Complex => {
                let value = find(attribute.sub_attributes, "value").ok_or_else(|| {
                    unsupported(path, "name a sub-attribute of this complex attribute")
                })?;
                (value, vec![attribute.name, value.name])
            }
            None => (attribute, vec![attribute.name]),
        };
        let mut full_path: Vec<&str> = extension.into_iter().collect();
        full_path.extend(json_path);
        Ok(Some(self.json_expr(
            &format!("{alias}.document"),
            &full_path,
            target,
        )))
    }

    fn json_expr(&self, document: &str, path: &[&str], attribute: &Attribute) -> Expr {
        let sql = match self.backend {
            Backend::Sqlite => {
                let json_path: String = path.iter().map(|part| format!(".\"{part}\"")).collect();
                format!("json_extract({document}, '${json_path}')")
            }
            Backend::Postgres => {
                let parts: Vec<String> = path.iter().map(|part| format!("\"{part}\"")).collect();
                format!("({document}::jsonb #>> '{{{}}}')", parts.join(","))
            }
        };
        let mut expr = Expr::column(sql, attribute.kind, attribute.case_exact, false);
        expr.text_boolean = self.backend == Backend::Postgres && attribute.kind == Kind::Boolean;
        expr
    }

    /// Resolves a path's attribute in the schema: its extension URN (if any) and definition.
    fn resolve(
        &self,
        path: &AttrPath,
    ) -> Result<(Option<&'static str>, &'static Attribute), ScimError> {
        let schema = self.table.schema();
        match path.urn.as_deref() {
            None => find(schema.core, &path.attribute).map(|attribute| (None, attribute)),
            Some(urn) if urn.eq_ignore_ascii_case(schema.core_urn) => {
                find(schema.core, &path.attribute).map(|attribute| (None, attribute))
            }
            Some(urn) => schema.extension(urn).and_then(|(urn, attributes)| {
                find(attributes, &path.attribute).map(|attribute| (Some(urn), attribute))
            }),
        }
        .ok_or_else(|| unsupported(path, "the schema defines no such attribute"))
    }

    fn multi_valued(&self, path: &AttrPath) -> Result<(Elements, &'static Attribute), ScimError> {
        let (extension, attribute) = self.resolve(path)?;
        if !attribute.multi_valued {
            return Err(unsupported(
                path,
                "value filters `[…]` apply to multi-valued attributes only",
            ));
        }
        let elements = match (self.table, attribute.name) {
            (Table::Users, "emails") => Elements::EmailRows,
            (Table::Users, "groups") => Elements::GroupRows,
            (Table::Groups, "members") => Elements::MemberRows,
            _ => Elements::Json {
                attribute,
                json_path: extension.into_iter().chain([attribute.name]).collect(),
            },
        };
        Ok((elements, attribute))
    }

    /// The expression for a sub-attribute of one element.
    fn element_expr(
        &self,
        elements: &Elements,
        path: &AttrPath,
        parent: &AttrPath,
    ) -> Result<Expr, ScimError> {
        let name = path.attribute.as_str();
        let column = |sql: &str, kind, case_exact, pre_lowered| {
            Ok(Expr::column(sql.to_owned(), kind, case_exact, pre_lowered))
        };
        match elements {
            Elements::EmailRows => match name.to_ascii_lowercase().as_str() {
                "value" => column("e.value_key", Kind::String, false, true),
                "type" => column("e.type_key", Kind::String, false, true),
                "primary" => column("e.is_primary", Kind::Boolean, true, false),
                _ => Err(unsupported(
                    parent,
                    "emails can be filtered by value, type and primary",
                )),
            },
            Elements::MemberRows if name.eq_ignore_ascii_case("value") => {
                column("m.user_id", Kind::String, true, false)
            }
            Elements::MemberRows => Err(unsupported(parent, "members can be filtered by value")),
            Elements::GroupRows if name.eq_ignore_ascii_case("value") => {
                column("gm.group_id", Kind::String, true, false)
            }
            Elements::GroupRows => Err(unsupported(parent, "groups can be filtered by value")),
            Elements::Json { attribute, .. } => {
                if name.is_empty() {
                    return Ok(self.json_element_expr(&[], attribute));
                }
                let sub = find(attribute.sub_attributes, name).ok_or_else(|| {
                    unsupported(parent, "the schema defines no such sub-attribute")
                })?;
                Ok(self.json_element_expr(&[sub.name], sub))
            }
        }
    }

    fn json_element_expr(&self, path: &[&str], attribute: &Attribute) -> Expr {
        match self.backend {
            Backend::Sqlite if path.is_empty() => Expr::column(
                "j.value".to_owned(),
                attribute.kind,
                attribute.case_exact,
                false,
            ),
            Backend::Sqlite => self.json_expr("j.value", path, attribute),
            Backend::Postgres if path.is_empty() => {
                let mut expr = Expr::column(
                    "(j.value #>> '{}')".to_owned(),
                    attribute.kind,
                    attribute.case_exact,
                    false,
                );
                expr.text_boolean = attribute.kind == Kind::Boolean;
                expr
            }
            Backend::Postgres => self.json_expr("j.value", path, attribute),
        }
    }

    fn exists(&self, elements: &Elements, condition: Fragment) -> Fragment {
        let alias = self.table.alias();
        let source = match elements {
            Elements::EmailRows => format!("directory_user_emails e WHERE e.user_id = {alias}.id"),
            Elements::MemberRows => {
                format!("directory_group_members m WHERE m.group_id = {alias}.id")
            }
            Elements::GroupRows => {
                format!("directory_group_members gm WHERE gm.user_id = {alias}.id")
            }
            Elements::Json { json_path, .. } => match self.backend {
                Backend::Sqlite => {
                    let path: String = json_path
                        .iter()
                        .map(|part| format!(".\"{part}\""))
                        .collect();
                    format!("json_each({alias}.document, '${path}') j WHERE 1 = 1")
                }
                Backend::Postgres => {
                    let parts: Vec<String> =
                        json_path.iter().map(|part| format!("\"{part}\"")).collect();
                    let array = format!("({alias}.document::jsonb #> '{{{}}}')", parts.join(","));
                    format!(
                        "jsonb_array_elements(CASE WHEN jsonb_typeof({array}) = 'array' THEN {array} ELSE '[]'::jsonb END) j WHERE TRUE"
                    )
                }
            },
        };
        let mut out = Fragment::new();
        out.sql(&format!("EXISTS (SELECT 1 FROM {source} AND ("))
            .append(condition)
            .sql("))");
        out
    }

    fn compare(
        &self,
        expr: &Expr,
        op: CompareOp,
        value: &CompValue,
        path: &AttrPath,
    ) -> Result<Fragment, ScimError> {
        let mut out = Fragment::new();
        if expr.millis {
            let CompValue::Str(text) = value else {
                return Err(unsupported(
                    path,
                    "compare timestamps with an RFC 3339 string",
                ));
            };
            let at = Timestamp::parse_rfc3339(text)
                .ok_or_else(|| unsupported(path, "the value is not an RFC 3339 timestamp"))?;
            let symbol = ordering_symbol(op)
                .ok_or_else(|| unsupported(path, "timestamps support eq, ne, gt, ge, lt and le"))?;
            out.sql(&format!("{} {symbol} ", expr.sql))
                .bind(SqlValue::BigInt(at.as_millis()));
            return Ok(out);
        }
        match expr.kind {
            Kind::Boolean => {
                if op != CompareOp::Eq {
                    return Err(unsupported(
                        path,
                        "boolean attributes support eq, ne and pr",
                    ));
                }
                // A literal of another type never equals a boolean, as in the reference evaluator.
                let CompValue::Bool(flag) = *value else {
                    out.sql("1 = 0");
                    return Ok(out);
                };
                if expr.text_boolean {
                    out.sql(&format!("{} = ", expr.sql))
                        .bind(SqlValue::Text(flag.to_string()));
                } else {
                    out.sql(&format!("{} = ", expr.sql))
                        .bind(SqlValue::Bool(flag));
                }
                Ok(out)
            }
            Kind::Complex => Err(unsupported(
                path,
                "name a sub-attribute of this complex attribute",
            )),
            Kind::String | Kind::Reference | Kind::DateTime => {
                let text = match value {
                    CompValue::Str(text) => text.clone(),
                    CompValue::Number(number) => number.to_string(),
                    CompValue::Bool(_) | CompValue::Null => {
                        out.sql("1 = 0");
                        return Ok(out);
                    }
                };
                let insensitive = !expr.case_exact;
                let (left, bound) = match (insensitive, expr.pre_lowered) {
                    (true, true) => (expr.sql.clone(), case_key(&text)),
                    (true, false) => (format!("lower({})", expr.sql), case_key(&text)),
                    (false, _) => (expr.sql.clone(), text),
                };
                match op {
                    CompareOp::Eq => {
                        out.sql(&format!("{left} = ")).bind(SqlValue::Text(bound));
                    }
                    CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                        let (prefix, suffix) = match op {
                            CompareOp::Co => (true, true),
                            CompareOp::Sw => (false, true),
                            _ => (true, false),
                        };
                        if self.backend == Backend::Sqlite && !insensitive {
                            // SQLite's LIKE ignores ASCII case; GLOB doesn't.
                            let pattern = wrap(&glob_escape(&bound), "*", prefix, suffix);
                            out.sql(&format!("{left} GLOB "))
                                .bind(SqlValue::Text(pattern));
                        } else {
                            let pattern = wrap(&like_escape(&bound), "%", prefix, suffix);
                            out.sql(&format!("{left} LIKE "))
                                .bind(SqlValue::Text(pattern))
                                .sql(" ESCAPE '\\'");
                        }
                    }
                    CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                        let symbol = ordering_symbol(op).unwrap_or("=");
                        // Byte order on both backends, as the in-memory evaluator compares.
                        let collate = if self.backend == Backend::Postgres {
                            " COLLATE \"C\""
                        } else {
                            ""
                        };
                        out.sql(&format!("{left}{collate} {symbol} "))
                            .bind(SqlValue::Text(bound));
                    }
                    CompareOp::Ne => {
                        return Err(ScimError::internal(
                            &"`ne` reached the comparison; it is translated as `not eq`",
                        ));
                    }
                }
                Ok(out)
            }
        }
    }
}

fn present(expr: &Expr) -> Fragment {
    let mut out = Fragment::new();
    if matches!(expr.kind, Kind::String | Kind::Reference | Kind::DateTime) && !expr.millis {
        out.sql(&format!("({0} IS NOT NULL AND {0} <> '')", expr.sql));
    } else {
        out.sql(&format!("{} IS NOT NULL", expr.sql));
    }
    out
}

fn negate(inner: Fragment) -> Fragment {
    let mut out = Fragment::new();
    out.sql("NOT COALESCE((").append(inner).sql("), FALSE)");
    out
}

fn ordering_symbol(op: CompareOp) -> Option<&'static str> {
    match op {
        CompareOp::Eq => Some("="),
        CompareOp::Gt => Some(">"),
        CompareOp::Ge => Some(">="),
        CompareOp::Lt => Some("<"),
        CompareOp::Le => Some("<="),
        _ => None,
    }
}

fn wrap(escaped: &str, wildcard: &str, prefix: bool, suffix: bool) -> String {
    format!(
        "{}{escaped}{}",
        if prefix { wildcard } else { "" },
        if suffix { wildcard } else { "" }
    )
}

fn glob_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(character);
                out.push(']');
            }
            other => out.push(other),
        }
    }
    out
}

fn unsupported(path: &AttrPath, why: &str) -> ScimError {
    ScimError::invalid_filter(format!("Cannot filter on `{path}`: {why}."))
}
