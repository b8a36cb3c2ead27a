//! Server-side pagination for list pages: numbered pages of a counted search (users,
//! groups), or cursors (events, audit log, deliveries) where counting would cost more than
//! it tells.

use roster_store::page::{Order, Page, PageRequest};
use serde::Deserialize;
use serde_json::{Value, json};

/// Rows per page.
pub(crate) const PER_PAGE: i64 = 50;

/// The query string of a cursor-paged list.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Cursor {
    pub(crate) after: Option<String>,
    pub(crate) before: Option<String>,
}

impl Cursor {
    pub(crate) fn request(&self) -> PageRequest {
        let clean = |value: &Option<String>| value.clone().filter(|value| !value.is_empty());
        PageRequest {
            limit: PER_PAGE,
            after: clean(&self.after),
            before: clean(&self.before),
            order: Order::Desc,
        }
    }
}

/// A URL of `path` with `params` (empty values left out) in its query string.
pub(crate) fn url(path: &str, params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().filter(|(_, value)| !value.is_empty()))
        .finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// Newer/older links for a cursor page, keeping the list's filters.
pub(crate) fn cursor_links<T>(page: &Page<T>, path: &str, filters: &[(&str, &str)]) -> Value {
    let link = |key: &str, id: &Option<String>| {
        id.as_ref().map(|id| {
            let mut params = filters.to_vec();
            params.push((key, id));
            url(path, &params)
        })
    };
    json!({"newer": link("before", &page.before), "older": link("after", &page.after)})
}

/// A numbered page of a counted list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Numbered {
    /// From 1.
    pub(crate) page: i64,
}

impl Numbered {
    pub(crate) fn from_query(page: Option<&str>) -> Self {
        Numbered {
            page: page.and_then(|page| page.parse().ok()).unwrap_or(1).max(1),
        }
    }

    pub(crate) fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(PER_PAGE)
    }

    /// "51–100 of 3,214" and the previous/next links, keeping the list's filters.
    pub(crate) fn links(
        self,
        total: i64,
        shown: usize,
        path: &str,
        filters: &[(&str, &str)],
    ) -> Value {
        let last_page = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        let link = |page: i64| {
            let page = page.to_string();
            let mut params = filters.to_vec();
            params.push(("page", &page));
            url(path, &params)
        };
        let from = if shown == 0 { 0 } else { self.offset() + 1 };
        json!({
            "total": total,
            "from": from,
            "to": self.offset() + i64::try_from(shown).unwrap_or(0),
            "page": self.page,
            "pages": last_page,
            "newer": (self.page > 1).then(|| link(self.page - 1)),
            "older": (self.page < last_page).then(|| link(self.page + 1)),
        })
    }
}
