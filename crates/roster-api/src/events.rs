//! `/events`: the same `dsync.*` events the webhooks carry, for apps that poll.

use actix_web::{HttpResponse, web};
use roster_core::EventType;
use roster_store::events::{self, EventListFilter};
use roster_store::page::{Order, Page};

use crate::list::{Query, list_response, page_request, param, timestamp};
use crate::{ApiContext, ApiError, ApiKeyScope};

pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/events").get(list));
}

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
            return Ok(list_response(Page {
                items: Vec::<serde_json::Value>::new(),
                before: None,
                after: None,
            }));
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
        Ok(Page {
            items: page.items.iter().map(|event| event.to_json()).collect(),
            before: page.before,
            after: page.after,
        })
    })
    .await??;
    Ok(list_response(page))
}
