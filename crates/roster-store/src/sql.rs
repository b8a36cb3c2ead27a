//! Dynamic SQL for what diesel's typed DSL cannot express portably: SCIM filters translated to
//! `WHERE` clauses. A `Fragment` is text and bind values in order; placeholders are numbered
//! only when the whole query is rendered for a backend, so fragments compose freely.

use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::sqlite::Sqlite;

use crate::{AnyConnection, Backend, QueryResult, page_cursors};

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

/// Escapes `%`, `_` and `\\` for a `LIKE … ESCAPE '\\'` pattern.
pub fn like_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for character in value.chars() {
        if matches!(character, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(character);
    }
    out
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

#[derive(diesel::QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The rows of one directory in one table, under an alias that filters refer to.
pub(crate) struct Scope<'a> {
    pub(crate) table: &'static str,
    pub(crate) alias: &'static str,
    pub(crate) directory: &'a roster_core::DirectoryId,
}

/// A row with a text `id`, for the page cursors.
pub(crate) trait RowId {
    fn row_id(&self) -> &str;
}

/// A page of a directory's rows matching `filter`, in id order (which is creation order), with
/// the total number of matches.
pub(crate) fn page<T>(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
    filter: Option<Fragment>,
    offset: i64,
    limit: i64,
) -> QueryResult<(i64, Vec<T>)>
where
    T: diesel::QueryableByName<Pg> + diesel::QueryableByName<Sqlite> + RowId + 'static,
{
    let Scope {
        table,
        alias,
        directory,
    } = scope;
    // Only whole-directory lists (an import) are paged by cursor: a filter's matches are few.
    let generation = match filter {
        Some(_) => None,
        None => Some(directory_generation(conn, directory)?),
    };
    let mut condition = Fragment::new();
    condition
        .sql(&format!(
            " FROM {table} {alias} WHERE {alias}.directory_id = "
        ))
        .bind(SqlValue::Text(directory.to_string()));
    if let Some(filter) = filter {
        condition.sql(" AND (").append(filter).sql(")");
    }
    if let Some(generation) = generation
        && let Some((total, after)) =
            page_cursors::lookup(table, directory.as_str(), generation, offset)
    {
        let mut page = Fragment::new();
        page.sql(&format!("SELECT {alias}.*")).append(condition);
        if let Some(after) = after {
            page.sql(&format!(" AND {alias}.id > "))
                .bind(SqlValue::Text(after));
        }
        page.sql(&format!(" ORDER BY {alias}.id LIMIT "))
            .bind(SqlValue::BigInt(limit));
        let rows = load::<T>(conn, &page)?;
        remember_page(table, directory, generation, total, offset, &rows);
        return Ok((total, rows));
    }
    // A first page is read directly; when it is not full it holds every match, and its length
    // is the total without a count (a filter lookup by userName is one query, not two).
    let first_page = if offset == 0 && limit > 0 {
        let mut page = Fragment::new();
        page.sql(&format!("SELECT {alias}.*"))
            .append(condition.clone())
            .sql(&format!(" ORDER BY {alias}.id LIMIT "))
            .bind(SqlValue::BigInt(limit));
        Some(load::<T>(conn, &page)?)
    } else {
        None
    };
    let first_page_length = first_page
        .as_ref()
        .map(|rows| i64::try_from(rows.len()).unwrap_or(i64::MAX));
    let total = match first_page_length {
        Some(found) if found < limit => found,
        _ => {
            let mut count = Fragment::new();
            count
                .sql("SELECT COUNT(*) AS total")
                .append(condition.clone());
            load::<Total>(conn, &count)?
                .first()
                .map_or(0, |row| row.total)
        }
    };
    let rows = match first_page {
        Some(rows) => rows,
        None if limit == 0 || total <= offset => return Ok((total, Vec::new())),
        None => {
            // The offset is walked over ids alone (an index-only scan where the index allows
            // it); only the page's own rows are read in full.
            let mut page = Fragment::new();
            page.sql(&format!(
                "SELECT {alias}.* FROM {table} {alias} WHERE {alias}.id IN (SELECT {alias}.id"
            ))
            .append(condition)
            .sql(&format!(" ORDER BY {alias}.id LIMIT "))
            .bind(SqlValue::BigInt(limit))
            .sql(" OFFSET ")
            .bind(SqlValue::BigInt(offset))
            .sql(&format!(") ORDER BY {alias}.id"));
            load::<T>(conn, &page)?
        }
    };
    if let Some(generation) = generation {
        remember_page(table, directory, generation, total, offset, &rows);
    }
    Ok((total, rows))
}

fn remember_page<T: RowId>(
    table: &'static str,
    directory: &roster_core::DirectoryId,
    generation: i64,
    total: i64,
    offset: i64,
    rows: &[T],
) {
    let end = offset + i64::try_from(rows.len()).unwrap_or(i64::MAX);
    page_cursors::remember(
        table,
        directory.as_str(),
        generation,
        total,
        end,
        rows.last().map(RowId::row_id),
    );
}

/// The directory's event sequence: it moves with every change to its users and groups.
fn directory_generation(
    conn: &mut AnyConnection,
    directory: &roster_core::DirectoryId,
) -> QueryResult<i64> {
    use crate::schema::directories;
    use diesel::prelude::*;
    Ok(directories::table
        .find(directory.as_str())
        .select(directories::event_sequence)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
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
