//! Cursor pagination as WorkOS's API does it: by object id (a ULID, so by creation), newest
//! first unless asked otherwise, `after`/`before` naming the last/first id of the page the
//! client holds. A page is read with one query (its limit plus one row, to know whether more
//! follow), so walking a list stays correct while writes go on: nothing is skipped or repeated.

/// Which way a list runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first.
    Asc,
    /// Newest first (the default).
    Desc,
}

/// What page the client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// How many objects, 1 to 100.
    pub limit: i64,
    /// Objects that come before this id in list order.
    pub before: Option<String>,
    /// Objects that come after this id in list order.
    pub after: Option<String>,
    /// The list order.
    pub order: Order,
}

/// A page and the cursors around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The objects, in list order.
    pub items: Vec<T>,
    /// Pass as `before` to get the previous page; `None` when this is the first.
    pub before: Option<String>,
    /// Pass as `after` to get the next page; `None` when this is the last.
    pub after: Option<String>,
}

impl<T> Page<T> {
    /// A page with nothing on it, and nothing before or after.
    pub fn empty() -> Self {
        Page {
            items: Vec::new(),
            before: None,
            after: None,
        }
    }

    /// Converts the items, keeping the cursors.
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(convert).collect(),
            before: self.before,
            after: self.after,
        }
    }

    /// Converts the items, keeping the cursors.
    pub fn try_map<U, E>(self, convert: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self
                .items
                .into_iter()
                .map(convert)
                .collect::<Result<_, _>>()?,
            before: self.before,
            after: self.after,
        })
    }
}

/// Reads one page of a boxed diesel query over a table with a text `id` column.
macro_rules! read_page {
    ($conn:expr, $query:expr, $id:expr, $request:expr, $row:ty, $id_of:expr) => {{
        use diesel::prelude::*;
        let request: &$crate::page::PageRequest = $request;
        let descending = request.order == $crate::page::Order::Desc;
        // Walking backwards from `before` reads in the opposite order, then flips the rows.
        let backwards = request.before.is_some() && request.after.is_none();
        let mut query = $query;
        if let Some(after) = request.after.clone() {
            query = if descending {
                query.filter($id.lt(after))
            } else {
                query.filter($id.gt(after))
            };
        } else if let Some(before) = request.before.clone() {
            query = if descending {
                query.filter($id.gt(before))
            } else {
                query.filter($id.lt(before))
            };
        }
        query = if descending != backwards {
            query.order($id.desc())
        } else {
            query.order($id.asc())
        };
        let mut rows: Vec<$row> = query.limit(request.limit + 1).load($conn)?;
        let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > request.limit;
        rows.truncate(usize::try_from(request.limit).unwrap_or(0));
        if backwards {
            rows.reverse();
        }
        let id_of = $id_of;
        let first = rows.first().map(&id_of);
        let last = rows.last().map(&id_of);
        let (before, after) = if backwards {
            (if more { first } else { None }, last)
        } else {
            (
                if request.after.is_some() { first } else { None },
                if more { last } else { None },
            )
        };
        $crate::page::Page {
            items: rows,
            before,
            after,
        }
    }};
}
pub(crate) use read_page;
