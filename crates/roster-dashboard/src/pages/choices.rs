//! Organizations as forms and lists name them, without loading every organization: a select
//! lists up to [`SELECT_LIMIT`] of them (beyond that, a form asks for the id), and rows name
//! only the organizations they show.

use std::collections::BTreeMap;

use roster_core::OrganizationId;
use roster_store::page::{Order, PageRequest};
use roster_store::{AnyConnection, organizations};
use serde_json::{Value, json};

use crate::DashboardError;

/// The most organizations a select offers.
const SELECT_LIMIT: i64 = 200;

/// `{"options": [{id, name}…], "complete": bool}`: `complete` is false when there are more
/// than a select should hold, and the form asks for an id instead.
pub(super) fn organization_choices(conn: &mut AnyConnection) -> Result<Value, DashboardError> {
    let page = organizations::list_page(
        conn,
        &organizations::OrganizationListFilter::default(),
        &PageRequest {
            limit: SELECT_LIMIT,
            before: None,
            after: None,
            order: Order::Asc,
        },
    )?;
    let mut options: Vec<(String, String)> = page
        .items
        .iter()
        .map(|organization| (organization.name.clone(), organization.id.to_string()))
        .collect();
    options.sort();
    Ok(json!({
        "options": options.iter().map(|(name, id)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
        "complete": page.after.is_none(),
    }))
}

/// The names of the organizations `ids` names, by id (an id with no organization keeps its id).
pub(super) fn organization_names<'a>(
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = &'a OrganizationId>,
) -> Result<BTreeMap<String, String>, DashboardError> {
    let mut names = BTreeMap::new();
    for id in ids {
        if names.contains_key(id.as_str()) {
            continue;
        }
        let name = organizations::find(conn, id)?
            .map_or_else(|| id.to_string(), |organization| organization.name);
        names.insert(id.to_string(), name);
    }
    Ok(names)
}
