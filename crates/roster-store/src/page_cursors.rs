//! Where each page of an unfiltered SCIM list ends, so that an identity provider paging
//! through a directory (`startIndex=1, 101, 201, …`: Okta's import) gets page N by the id
//! that ended page N-1 instead of by skipping N×100 rows, and its `totalResults` without a
//! count. SCIM pages by offset, which PostgreSQL can only serve by walking every row before
//! it: the last page of 100,000 users cost ten times the first.
//!
//! An entry is valid for one state of the directory, named by its event sequence: every change
//! that adds or removes a user or group records an event, so an unchanged sequence means the
//! same rows at the same offsets. Any change makes the entry stale, and the next request pages
//! by offset and starts a new one.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

/// Directories (× tables) remembered; an import touches one at a time.
const MAX_LISTS: usize = 256;
/// Page ends remembered per list: 100,000 rows in pages of 100.
const MAX_PAGE_ENDS: usize = 2048;

/// What is known of one list in one state.
struct Known {
    generation: i64,
    total: i64,
    /// The id of the row at each offset's end: the rows of a page starting at `offset` are
    /// the `count` rows after `page_ends[offset]`.
    page_ends: BTreeMap<i64, String>,
}

/// Every list's known page ends, in this process.
static LISTS: Mutex<Option<HashMap<(&'static str, String), Known>>> = Mutex::new(None);

/// How to read the page at `offset`, if this state of the list has been paged to it: the
/// total, and the id the page starts after (`None`: from the first row).
pub(crate) fn lookup(
    table: &'static str,
    directory: &str,
    generation: i64,
    offset: i64,
) -> Option<(i64, Option<String>)> {
    let lists = LISTS.lock().unwrap_or_else(PoisonError::into_inner);
    let known = lists.as_ref()?.get(&(table, directory.to_owned()))?;
    if known.generation != generation {
        return None;
    }
    if offset == 0 {
        return Some((known.total, None));
    }
    known
        .page_ends
        .get(&offset)
        .map(|after| (known.total, Some(after.clone())))
}

/// Records that in this state the list holds `total` rows and the row at `end` (an offset)
/// is `last_id`.
pub(crate) fn remember(
    table: &'static str,
    directory: &str,
    generation: i64,
    total: i64,
    end: i64,
    last_id: Option<&str>,
) {
    let mut lists = LISTS.lock().unwrap_or_else(PoisonError::into_inner);
    let lists = lists.get_or_insert_with(HashMap::new);
    let key = (table, directory.to_owned());
    if !lists.contains_key(&key) && lists.len() >= MAX_LISTS {
        // Forgetting is always safe: the next request pages by offset.
        lists.clear();
    }
    let known = lists.entry(key).or_insert_with(|| Known {
        generation,
        total,
        page_ends: BTreeMap::new(),
    });
    if known.generation != generation {
        *known = Known {
            generation,
            total,
            page_ends: BTreeMap::new(),
        };
    }
    known.total = total;
    if let Some(last_id) = last_id
        && known.page_ends.len() < MAX_PAGE_ENDS
    {
        known.page_ends.insert(end, last_id.to_owned());
    }
}
