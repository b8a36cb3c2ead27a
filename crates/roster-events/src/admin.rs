//! The operations behind `roster webhook …`: input validation, one store call, and the JSON
//! object the command prints. Secrets appear in that JSON only when just created or rotated.

use roster_core::id::{WebhookDeliveryId, WebhookEndpointId};
use roster_core::{EventId, EventType, OrganizationId, Timestamp};
use roster_store::deliveries::{
    self, Attempt, Delivery, DeliveryFilter, DeliveryStatus, EndpointScope,
};
use roster_store::webhooks::{self, NewEndpoint, WebhookEndpoint};
use roster_store::{AnyConnection, QueryError, organizations};
use serde_json::{Value, json};

use crate::signing::generate_secret;

/// Why a webhook command failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The input is not acceptable; the message says what is.
    #[error("{0}")]
    Invalid(String),
    /// Nothing has that id.
    #[error("{0}")]
    NotFound(String),
    /// The database failed.
    #[error("database query failed: {0}")]
    Query(#[from] QueryError),
}

fn invalid(message: impl Into<String>) -> AdminError {
    AdminError::Invalid(message.into())
}

fn parse_id<T>(
    parse: impl FnOnce(&str) -> Result<T, roster_core::IdError>,
    value: &str,
) -> Result<T, AdminError> {
    parse(value).map_err(|error| invalid(error.to_string()))
}

/// Checks a webhook URL: absolute, http or https, with a host, without a fragment.
pub fn validate_url(value: &str) -> Result<String, AdminError> {
    let error = |reason: &str| invalid(format!("`{value}` is not a usable webhook URL: {reason}"));
    let parsed = url::Url::parse(value.trim()).map_err(|cause| error(&cause.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(error("the scheme must be https (or http)"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(error("it has no host"));
    }
    if parsed.fragment().is_some() {
        return Err(error("it must not have a #fragment"));
    }
    Ok(parsed.to_string())
}

/// Reads a comma-separated list of event types; unknown ones are refused with the list of
/// accepted ones.
pub fn parse_event_types(value: &str) -> Result<Vec<EventType>, AdminError> {
    let mut types = Vec::new();
    for name in value
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let kind = EventType::parse(name).ok_or_else(|| {
            invalid(format!(
                "unknown event type `{name}`; accepted: {}",
                EventType::ALL.map(EventType::as_str).join(", ")
            ))
        })?;
        if !types.contains(&kind) {
            types.push(kind);
        }
    }
    Ok(types)
}

/// An endpoint as the CLI shows it; `with_secret` only right after the secret was made.
pub fn endpoint_json(endpoint: &WebhookEndpoint, with_secret: bool) -> Value {
    let mut value = json!({
        "object": "webhook_endpoint",
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.event_types.iter().map(|kind| kind.as_str()).collect::<Vec<_>>(),
        "organization_id": endpoint.organization_id,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since.map(Timestamp::to_rfc3339),
        "previous_secret_expires_at": endpoint.previous_secret_expires_at.map(Timestamp::to_rfc3339),
        "created_at": endpoint.created_at.to_rfc3339(),
        "updated_at": endpoint.updated_at.to_rfc3339(),
    });
    if with_secret {
        value["secret"] = json!(endpoint.secret.expose());
    }
    value
}

fn attempt_json(attempt: &Attempt) -> Value {
    json!({
        "attempt": attempt.attempt,
        "started_at": attempt.started_at.to_rfc3339(),
        "duration_ms": attempt.duration_ms,
        "status_code": attempt.status_code,
        "response_body": attempt.response_body,
        "error": attempt.error,
        "dispatcher": attempt.lease_owner,
    })
}

fn delivery_json(delivery: &Delivery, attempts: &[Attempt]) -> Value {
    json!({
        "object": "webhook_delivery",
        "id": delivery.id,
        "event_id": delivery.event_id,
        "endpoint_id": delivery.endpoint_id,
        "status": delivery.status.as_str(),
        "attempts": delivery.attempts,
        "next_attempt_at": (delivery.status == DeliveryStatus::Pending)
            .then(|| delivery.next_attempt_at.to_rfc3339()),
        "last_attempt_at": delivery.last_attempt_at.map(Timestamp::to_rfc3339),
        "created_at": delivery.created_at.to_rfc3339(),
        "updated_at": delivery.updated_at.to_rfc3339(),
        "attempt_log": attempts.iter().map(attempt_json).collect::<Vec<_>>(),
    })
}

fn list(items: Vec<Value>) -> Value {
    json!({"object": "list", "data": items})
}

/// `roster webhook create`.
pub fn create_endpoint(
    conn: &mut AnyConnection,
    url: &str,
    events: Option<&str>,
    organization: Option<&str>,
) -> Result<Value, AdminError> {
    let url = validate_url(url)?;
    let event_types = events
        .map(parse_event_types)
        .transpose()?
        .unwrap_or_default();
    let organization_id = organization
        .map(|id| parse_id(OrganizationId::parse, id))
        .transpose()?;
    if let Some(organization) = &organization_id
        && !organizations::exists(conn, organization)?
    {
        return Err(AdminError::NotFound(format!(
            "no organization has the id {organization}"
        )));
    }
    let endpoint = webhooks::create(
        conn,
        NewEndpoint {
            url,
            event_types,
            organization_id,
            secret: generate_secret(),
        },
    )?;
    Ok(endpoint_json(&endpoint, true))
}

/// `roster webhook list`.
pub fn list_endpoints(conn: &mut AnyConnection) -> Result<Value, AdminError> {
    let endpoints = webhooks::list(conn)?;
    Ok(list(
        endpoints
            .iter()
            .map(|endpoint| endpoint_json(endpoint, false))
            .collect(),
    ))
}

fn no_endpoint(id: &WebhookEndpointId) -> AdminError {
    AdminError::NotFound(format!("no webhook endpoint has the id {id}"))
}

/// `roster webhook delete`.
pub fn delete_endpoint(conn: &mut AnyConnection, id: &str) -> Result<Value, AdminError> {
    let id = parse_id(WebhookEndpointId::parse, id)?;
    if !webhooks::delete(conn, &id)? {
        return Err(no_endpoint(&id));
    }
    Ok(json!({"object": "webhook_endpoint", "id": id, "deleted": true}))
}

/// `roster webhook enable` / `disable`.
pub fn set_enabled(conn: &mut AnyConnection, id: &str, enabled: bool) -> Result<Value, AdminError> {
    let id = parse_id(WebhookEndpointId::parse, id)?;
    let reason = (!enabled).then_some("disabled by an administrator");
    let endpoint =
        webhooks::set_enabled(conn, &id, enabled, reason)?.ok_or_else(|| no_endpoint(&id))?;
    Ok(endpoint_json(&endpoint, false))
}

/// `roster webhook rotate-secret`: a new secret at once; the old one keeps signing the
/// Standard Webhooks header for `overlap_hours` (0: it stops at once).
pub fn rotate_secret(
    conn: &mut AnyConnection,
    id: &str,
    overlap_hours: u32,
    now: Timestamp,
) -> Result<Value, AdminError> {
    let id = parse_id(WebhookEndpointId::parse, id)?;
    let endpoint = rotate(conn, &id, overlap_hours, now)?.ok_or_else(|| no_endpoint(&id))?;
    Ok(endpoint_json(&endpoint, true))
}

/// Gives an endpoint a fresh secret; the old one keeps signing the Standard Webhooks header
/// for `overlap_hours` (0: it stops at once). `None` if there is no such endpoint.
pub fn rotate(
    conn: &mut AnyConnection,
    id: &WebhookEndpointId,
    overlap_hours: u32,
    now: Timestamp,
) -> Result<Option<WebhookEndpoint>, QueryError> {
    let expires = (overlap_hours > 0)
        .then(|| Timestamp::from_millis(now.as_millis() + i64::from(overlap_hours) * 3_600_000));
    webhooks::rotate_secret(conn, id, generate_secret(), expires)
}

/// `roster webhook deliveries`.
pub fn list_deliveries(
    conn: &mut AnyConnection,
    endpoint: Option<&str>,
    event: Option<&str>,
    status: Option<&str>,
    limit: i64,
) -> Result<Value, AdminError> {
    let filter = DeliveryFilter {
        endpoint_id: endpoint
            .map(|id| parse_id(WebhookEndpointId::parse, id))
            .transpose()?,
        event_id: event.map(|id| parse_id(EventId::parse, id)).transpose()?,
        status: status
            .map(|value| {
                DeliveryStatus::parse(value).ok_or_else(|| {
                    invalid(format!(
                        "unknown delivery status `{value}`; accepted: pending, delivered, failed"
                    ))
                })
            })
            .transpose()?,
        organization: None,
        limit: limit.clamp(1, 10_000),
    };
    let found = deliveries::list(conn, &filter)?;
    Ok(list(
        found
            .iter()
            .map(|(delivery, attempts)| delivery_json(delivery, attempts))
            .collect(),
    ))
}

/// `roster webhook redeliver EVENT_ID`: the event again to every endpoint that wants it, with
/// the same event id (`webhook-id`), so receivers that already have it can tell.
pub fn redeliver_event(
    conn: &mut AnyConnection,
    event: &str,
    now: Timestamp,
) -> Result<Value, AdminError> {
    let event = parse_id(EventId::parse, event)?;
    let queued = deliveries::redeliver_event(conn, &event, EndpointScope::All, now)?
        .ok_or_else(|| AdminError::NotFound(format!("no event has the id {event}")))?;
    Ok(redelivery_json(&queued))
}

/// `roster webhook redeliver --failed-since TIME`: every failed delivery of an event created
/// at or after `since` (RFC 3339).
pub fn redeliver_failed_since(
    conn: &mut AnyConnection,
    since: &str,
    now: Timestamp,
) -> Result<Value, AdminError> {
    let since = Timestamp::parse_rfc3339(since).ok_or_else(|| {
        invalid(format!(
            "`{since}` is not an RFC 3339 time (expected e.g. 2026-11-24T09:00:00Z)"
        ))
    })?;
    let queued = deliveries::redeliver_failed_since(conn, since, EndpointScope::All, now)?;
    Ok(redelivery_json(&queued))
}

fn redelivery_json(queued: &[WebhookDeliveryId]) -> Value {
    json!({"object": "redelivery", "queued": queued.len(), "delivery_ids": queued})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_event_types_are_refused_with_the_accepted_ones() {
        assert_eq!(
            parse_event_types("dsync.user.created, dsync.user.created,dsync.deleted").unwrap(),
            [EventType::UserCreated, EventType::Deleted]
        );
        let error = parse_event_types("dsync.user.exploded")
            .unwrap_err()
            .to_string();
        assert!(error.contains("`dsync.user.exploded`"), "{error}");
        assert!(error.contains("dsync.group.user_removed"), "{error}");
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert_eq!(
            validate_url("https://app.example.com/hooks/roster").unwrap(),
            "https://app.example.com/hooks/roster"
        );
        assert!(validate_url("ftp://example.com").is_err());
        assert!(validate_url("https://example.com/#x").is_err());
        assert!(validate_url("not a url").is_err());
    }
}
