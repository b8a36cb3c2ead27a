//! A directory's "Send test events" button: the test life of `roster_scim::test_events` (two
//! test people and a group, every user and group event type), delivered like any other events.

use actix_web::{HttpResponse, web};
use roster_core::EventType;
use serde::Deserialize;
use serde_json::json;

use super::directories::find;
use crate::audit::{self, Action};
use crate::forms::AdminForm;
use crate::session::redirect_with;
use crate::{DashboardContext, DashboardError};

pub(super) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/directories/{id}/test-events").post(send));
}

#[derive(Deserialize)]
struct Nothing {}

async fn send(
    context: web::Data<DashboardContext>,
    id: web::Path<String>,
    form: AdminForm<Nothing>,
) -> Result<HttpResponse, DashboardError> {
    let (directory, _) = find(&context, &id).await?;
    let store = context.store.clone();
    let events_written = context.events_written.clone();
    let tested = directory.clone();
    // Each step of the run is its own transaction, as an identity provider's requests would
    // be, and wakes the dispatcher when it commits.
    let run = web::block(move || roster_scim::test_events::send(&store, &events_written, &tested))
        .await?
        .map_err(DashboardError::internal)?;
    let actor = form.session.admin.email.clone();
    let now = context.now();
    let shown = directory.id.clone();
    let recorded: Vec<String> = run.events.iter().map(|(id, _)| id.to_string()).collect();
    context
        .run(move |conn| {
            audit::record(
                conn,
                Action {
                    actor: &actor,
                    action: "directory.test_events_sent",
                    target: Some(directory.id.as_str()),
                    organization: Some(directory.organization_id.as_str()),
                    details: json!({"name": directory.name, "events": recorded}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    Ok(redirect_with(
        &format!("/dashboard/directories/{shown}"),
        &describe(run.events.iter().map(|(_, kind)| *kind)),
    ))
}

/// "Sent 11 test events: dsync.user.created ×2, …", in the order they were first recorded.
fn describe(kinds: impl Iterator<Item = EventType>) -> String {
    let mut counted: Vec<(EventType, usize)> = Vec::new();
    for kind in kinds {
        match counted.iter_mut().find(|(seen, _)| *seen == kind) {
            Some((_, count)) => *count += 1,
            None => counted.push((kind, 1)),
        }
    }
    let total: usize = counted.iter().map(|(_, count)| count).sum();
    let listed: Vec<String> = counted
        .iter()
        .map(|(kind, count)| match count {
            1 => kind.as_str().to_owned(),
            _ => format!("{} ×{count}", kind.as_str()),
        })
        .collect();
    format!(
        "Sent {total} test events: {}. The webhook endpoints that want them receive them like any others; the directory is as it was.",
        listed.join(", ")
    )
}
