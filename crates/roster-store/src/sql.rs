//! Dynamic SQL for what diesel's typed DSL cannot express portably: SCIM filters translated to
//! `WHERE` clauses. A `Fragment` is text and bind values in order; placeholders are numbered
//! only when the whole query is rendered for a backend, so fragments compose freely.

use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::sqlite::Sqlite;

use crate::{AnyConnection, Backend, QueryResult};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// Text.
    Text(String),
    /// A 64-bit integer.
    BigInt(i64),
    /// A boolean.
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Sql(String),
    Bind(SqlValue),
}

/// A piece of SQL with its bind values. Only trusted text goes through [`Fragment::sql`];
/// everything a client sent goes through [`Fragment::bind`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    parts: Vec<Part>,
}

impl Fragment {
    /// An empty fragment.
    pub fn new() -> Self {
        Fragment::default()
    }

    /// Appends trusted SQL text.
    pub fn sql(&mut self, text: &str) -> &mut Self {
        self.parts.push(Part::Sql(text.to_owned()));
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: SqlValue) -> &mut Self {
        self.parts.push(Part::Bind(value));
        self
    }

    /// Appends another fragment.
    pub fn append(&mut self, other: Fragment) -> &mut Self {
        self.parts.extend(other.parts);
        self
    }

    /// The SQL text with numbered placeholders for `backend`, and the values in order.
    pub fn render(&self, backend: Backend) -> (String, Vec<SqlValue>) {
        let mut text = String::new();
        let mut values = Vec::new();
        for part in &self.parts {
            match part {
                Part::Sql(sql) => text.push_str(sql),
                Part::Bind(value) => {
                    values.push(value.clone());
                    match backend {
                        Backend::Postgres => text.push_str(&format!("${}", values.len())),
                        Backend::Sqlite => text.push('?'),
                    }
                }
            }
        }
        (text, values)
    }
}

macro_rules! bind_values {
    ($query:expr, $values:expr) => {{
        let mut query = $query;
        for value in $values {
            query = match value {
                SqlValue::Text(text) => query.bind::<Text, _>(text),
                SqlValue::BigInt(number) => query.bind::<BigInt, _>(number),
                SqlValue::Bool(flag) => query.bind::<Bool, _>(flag),
            };
        }
        query
    }};
}

/// Runs a rendered query and loads its rows by column name.
pub(crate) fn load<T>(conn: &mut AnyConnection, query: &Fragment) -> QueryResult<Vec<T>>
where
    T: diesel::QueryableByName<Pg> + diesel::QueryableByName<Sqlite> + 'static,
{
    use diesel::RunQueryDsl;
    let (text, values) = query.render(conn.backend());
    match conn {
        AnyConnection::Postgresql(inner) => {
            let boxed: BoxedSqlQuery<'_, Pg, _> = diesel::sql_query(text).into_boxed();
            bind_values!(boxed, values).load(inner)
        }
        AnyConnection::Sqlite(inner) => {
            let boxed: BoxedSqlQuery<'_, Sqlite, _> = diesel::sql_query(text).into_boxed();
            bind_values!(boxed, values).load(inner)
        }
    }
}

/// A `COUNT(*) AS total` row.
#[derive(diesel::QueryableByName)]
pub(crate) struct Total {
    #[diesel(sql_type = BigInt)]
    pub(crate) total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_per_backend_at_render_time() {
        let mut inner = Fragment::new();
        inner.sql("b = ").bind(SqlValue::Bool(true));
        let mut outer = Fragment::new();
        outer
            .sql("a = ")
            .bind(SqlValue::Text("x".into()))
            .sql(" AND ")
            .append(inner);
        assert_eq!(outer.render(Backend::Postgres).0, "a = $1 AND b = $2");
        assert_eq!(outer.render(Backend::Sqlite).0, "a = ? AND b = ?");
        assert_eq!(
            outer.render(Backend::Sqlite).1,
            vec![SqlValue::Text("x".into()), SqlValue::Bool(true)]
        );
    }
}
