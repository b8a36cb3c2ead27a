//! `/events`: the same `dsync.*` events the webhooks carry, for apps that poll.

use actix_web::{HttpResponse, web};
use roster_core::{EventId, EventType};
use roster_store::events::{self, Event, EventListFilter};
use roster_store::page::{Order, Page};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::list::{ListOf, Query, list_response, page_request, param, timestamp};
use crate::{ApiContext, ApiError, ApiKeyScope};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/events").get(list));
}

/// A `dsync.*` event, as webhooks deliver it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EventObject {
    /// Always `event`.
    #[schema(example = "event")]
    object: &'static str,
    /// `event_…`
    #[schema(value_type = String)]
    id: EventId,
    /// The event type.
    event: EventType,
    /// The directory user or group (with `previous_attributes` on `*.updated`),
    /// `{directory_id, user, group}` for memberships, or the directory for
    /// `dsync.activated`/`dsync.deleted`.
    #[schema(value_type = Object)]
    data: Value,
    #[schema(format = DateTime)]
    created_at: String,
}

impl From<Event> for EventObject {
    fn from(event: Event) -> Self {
        EventObject {
            object: "event",
            id: event.id,
            event: event.event_type,
            data: event.data,
            created_at: event.created_at.to_rfc3339(),
        }
    }
}

/// List events, oldest first unless asked otherwise.
#[utoipa::path(
    get,
    path = "/events",
    operation_id = "list_events",
    tag = "events",
    params(
        ("events" = Option<String>, Query, description = "Comma-separated event types.",
            pattern = r"^dsync\.(activated|deleted|user\.(created|updated|deleted)|group\.(created|updated|deleted|user_added|user_removed))(,dsync\.(activated|deleted|user\.(created|updated|deleted)|group\.(created|updated|deleted|user_added|user_removed)))*$"),
        ("organization_id" = Option<String>, Query, description = "Only this organization's.", pattern = "^org_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$"),
        ("range_start" = Option<String>, Query, description = "ISO 8601; events at or after.", format = DateTime),
        ("range_end" = Option<String>, Query, description = "ISO 8601; events before.", format = DateTime),
        crate::list::ListParameters,
    ),
    responses(
        (status = 200, body = ListOf<EventObject>),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
async fn list(
    scope: ApiKeyScope,
    context: web::Data<ApiContext>,
    query: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    // Oldest first unless asked otherwise: apps follow the stream with `after` from the last
    // event they handled, as WorkOS's SDKs document.
    let request = page_request(&query, Order::Asc)?;
    // One comma-separated value, as the WorkOS SDKs send it.
    let types = param(&query, "events")
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| {
                    EventType::parse(name).ok_or_else(|| {
                        let accepted: Vec<&str> =
                            EventType::ALL.iter().map(|kind| kind.as_str()).collect();
                        ApiError::invalid_parameter(
                            "events",
                            format!(
                                "Unknown event type `{name}`; accepted: {}.",
                                accepted.join(", ")
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let range_start = timestamp(&query, "range_start")?;
    let range_end = timestamp(&query, "range_end")?;
    let requested = param(&query, "organization_id").map(str::to_owned);
    let organization = match (scope.organization(), requested) {
        (Some(own), Some(asked)) if own.as_str() != asked => {
            return Ok(list_response(Page::<EventObject>::empty()));
        }
        (Some(own), _) => Some(own.to_string()),
        (None, asked) => asked,
    };
    let page = web::block(move || -> Result<_, ApiError> {
        let mut conn = context.store.connection()?;
        let filter = EventListFilter {
            organization: organization.as_deref(),
            types,
            range_start,
            range_end,
        };
        let page = events::list_page(&mut conn, &filter, &request)?;
        Ok(page.map(EventObject::from))
    })
    .await??;
    Ok(list_response(page))
}
