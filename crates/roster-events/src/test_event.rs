//! Test events: one example `dsync.user.created`, sent to one endpoint at once by the sender
//! deliveries use (both signatures, the address checks, the timeout), with what the receiver
//! answered. It checks that an endpoint is reachable and verifies signatures before any
//! directory has users. Nothing is stored: the event is in no event log, the attempt belongs to
//! no delivery, and the endpoint's failure record (and so its automatic disabling) is left
//! alone; there are no retries.

use std::time::Duration;

use roster_core::{
    DirectoryId, DirectoryUser, DirectoryUserId, EventType, OrganizationId, ProfileEmail,
    Timestamp, UserProfile, UserState,
};
use roster_store::webhooks::WebhookEndpoint;
use serde_json::{Map, Value, json};

use crate::deliver::{Message, Sender};
use crate::dispatcher::{DispatcherConfig, DispatcherError};

/// What every test event's id starts with (real ones are `event_` and a ULID), so that
/// receivers can tell a test from a change: verify it, answer 2xx, apply nothing.
pub const TEST_EVENT_PREFIX: &str = "event_test_";

/// Sends test events, with the dispatcher's settings.
#[derive(Debug, Clone)]
pub struct TestSender {
    sender: Sender,
}

/// How a test event fared.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// The event as sent (its body is this, serialised compactly).
    pub event: Value,
    /// When the POST started.
    pub started_at: Timestamp,
    /// How long until the answer (or the failure).
    pub duration: Duration,
    /// The receiver's status code, if it answered.
    pub status_code: Option<u16>,
    /// The first KiB of the receiver's answer.
    pub response_body: Option<String>,
    /// Why there was no answer: the connection was refused, the address is internal, it
    /// timed out, …
    pub error: Option<String>,
}

impl TestSender {
    /// A sender with the timeout and address rules deliveries have under `config`.
    pub fn new(config: &DispatcherConfig) -> Result<Self, DispatcherError> {
        Ok(TestSender {
            sender: Sender::new(config.timeout, config.allow_private)?,
        })
    }

    /// Sends one test event to `endpoint` now, whether it is enabled or not, and waits for the
    /// answer (at most the delivery timeout).
    pub async fn send(&self, endpoint: &WebhookEndpoint) -> TestOutcome {
        let now = Timestamp::now();
        let event = example_event(now);
        let event_id = event["id"].as_str().unwrap_or_default().to_owned();
        let message = Message {
            endpoint,
            event_id: &event_id,
            event: &event,
            // Before every real event of any directory (they count from 1), so a receiver
            // applying only events newer than the last it applied applies nothing.
            sequence: 0,
            delivery_id: None,
        };
        let result = self.sender.send(&message, now).await;
        TestOutcome {
            event,
            started_at: result.started_at,
            duration: result.duration,
            status_code: result.status.map(|status| status.as_u16()),
            response_body: result.body,
            error: result.error,
        }
    }
}

impl TestOutcome {
    /// The test event's id (`event_test_…`).
    pub fn event_id(&self) -> &str {
        self.event["id"].as_str().unwrap_or_default()
    }

    /// Whether the receiver answered 2xx, as a delivery counts it.
    pub fn succeeded(&self) -> bool {
        self.status_code
            .is_some_and(|code| (200..300).contains(&code))
    }

    /// The duration in whole milliseconds.
    pub fn duration_ms(&self) -> i64 {
        i64::try_from(self.duration.as_millis()).unwrap_or(i64::MAX)
    }

    /// One line for people: `HTTP 200 in 12 ms`, or the error and how long it took.
    pub fn summary(&self) -> String {
        match (self.status_code, &self.error) {
            (Some(code), _) => format!("HTTP {code} in {} ms", self.duration_ms()),
            (None, Some(error)) => format!("{error} (after {} ms)", self.duration_ms()),
            (None, None) => format!("no answer after {} ms", self.duration_ms()),
        }
    }

    /// What the audit log keeps of it (never the secret, nor the answer's body).
    pub fn audit_details(&self, url: &str) -> Value {
        json!({
            "url": url,
            "event_id": self.event_id(),
            "status_code": self.status_code,
            "duration_ms": self.duration_ms(),
            "error": self.error,
        })
    }
}

/// A `dsync.user.created` for an example person, shaped exactly as a real one (it is rendered
/// by the same type). Its ids are fresh, so they name nothing in Roster or in the receiver's
/// database, and its event id marks it as a test.
pub fn example_event(now: Timestamp) -> Value {
    let email = "jane.doe@example.com";
    let raw = json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "externalId": "roster-test-user",
        "userName": email,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "displayName": "Jane Doe",
        "title": "Software Engineer",
        "emails": [{"value": email, "primary": true, "type": "work"}],
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering"}
    });
    let mut custom_attributes = Map::new();
    custom_attributes.insert("department".to_owned(), json!("Engineering"));
    let user = DirectoryUser {
        id: DirectoryUserId::generate(),
        directory_id: DirectoryId::generate(),
        organization_id: OrganizationId::generate(),
        profile: UserProfile {
            idp_id: "roster-test-user".to_owned(),
            email: Some(email.to_owned()),
            emails: vec![ProfileEmail {
                primary: true,
                kind: Some("work".to_owned()),
                value: email.to_owned(),
            }],
            first_name: Some("Jane".to_owned()),
            last_name: Some("Doe".to_owned()),
            username: Some(email.to_owned()),
            job_title: Some("Software Engineer".to_owned()),
            state: UserState::Active,
            custom_attributes,
        },
        raw_attributes: raw,
        created_at: now,
        updated_at: now,
    };
    json!({
        "object": "event",
        "id": format!("{TEST_EVENT_PREFIX}{}", ulid::Ulid::generate()),
        "event": EventType::UserCreated,
        "data": user.to_json(),
        "created_at": now.to_rfc3339(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_a_user_creation_marked_as_a_test() {
        let now = Timestamp::from_millis(1_795_000_000_123);
        let event = example_event(now);
        assert_eq!(event["event"], "dsync.user.created");
        assert!(event["id"].as_str().unwrap().starts_with(TEST_EVENT_PREFIX));
        assert_eq!(event["data"]["object"], "directory_user");
        assert_eq!(event["data"]["email"], "jane.doe@example.com");
        assert_eq!(event["created_at"], now.to_rfc3339());
        assert_ne!(
            example_event(now)["id"],
            event["id"],
            "every test is a new event to a receiver that dedupes"
        );
    }
}
