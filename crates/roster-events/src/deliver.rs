//! One delivery attempt: the event serialised once, signed over exactly those bytes, POSTed;
//! the answer classified.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use roster_core::Timestamp;
use roster_store::deliveries::Claimed;
use roster_store::webhooks::WebhookEndpoint;
use serde_json::Value;

use crate::address::{PublicResolver, check_literal_host};
use crate::schedule::retry_after;
use crate::signing::{standard_signature, workos_signature};

/// The most of a receiver's answer kept with an attempt.
const MAX_RESPONSE_BODY: usize = 1024;

/// What one attempt came to.
#[derive(Debug, Clone)]
pub(crate) struct AttemptResult {
    pub(crate) started_at: Timestamp,
    pub(crate) duration: Duration,
    pub(crate) status: Option<StatusCode>,
    pub(crate) body: Option<String>,
    pub(crate) error: Option<String>,
    /// The receiver's `Retry-After`, on 429 and 503 only.
    pub(crate) retry_after: Option<Duration>,
}

impl AttemptResult {
    pub(crate) fn succeeded(&self) -> bool {
        self.status.is_some_and(|status| status.is_success())
    }
}

/// What one POST carries: an event for an endpoint, and where it stands.
pub(crate) struct Message<'a> {
    pub(crate) endpoint: &'a WebhookEndpoint,
    pub(crate) event_id: &'a str,
    pub(crate) event: &'a Value,
    /// `roster-event-sequence`.
    pub(crate) sequence: i64,
    /// `roster-delivery-id`; a test event is no delivery and has none.
    pub(crate) delivery_id: Option<&'a str>,
}

/// Sends deliveries. One HTTP client (and connection pool) for all endpoints.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    pub(crate) fn new(timeout: Duration, allow_private: bool) -> Result<Self, reqwest::Error> {
        crate::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect could lead anywhere, including past the address check; receivers
            // must give their final URL.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would make the resolver's check moot.
            .no_proxy();
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicResolver));
        }
        Ok(Sender {
            client: builder.build()?,
            allow_private,
        })
    }

    /// Makes one attempt at a delivery. Signatures use the real time, which receivers compare
    /// with theirs; `secrets_at` (the dispatcher's clock) picks which secrets are still valid.
    pub(crate) async fn attempt(&self, claimed: &Claimed, secrets_at: Timestamp) -> AttemptResult {
        let event = claimed.event.to_json();
        let message = Message {
            endpoint: &claimed.endpoint,
            event_id: claimed.event.id.as_str(),
            event: &event,
            sequence: claimed.event.sequence,
            delivery_id: Some(claimed.delivery.id.as_str()),
        };
        self.send(&message, secrets_at).await
    }

    /// POSTs one message, signed, and says how it went.
    pub(crate) async fn send(&self, message: &Message<'_>, secrets_at: Timestamp) -> AttemptResult {
        let started_at = Timestamp::now();
        let clock = Instant::now();
        let outcome = self.post(message, started_at, secrets_at).await;
        let duration = clock.elapsed();
        match outcome {
            Ok((status, body, retry_after)) => AttemptResult {
                started_at,
                duration,
                status: Some(status),
                body: Some(body),
                error: None,
                retry_after,
            },
            Err(error) => AttemptResult {
                started_at,
                duration,
                status: None,
                body: None,
                error: Some(error),
                retry_after: None,
            },
        }
    }

    async fn post(
        &self,
        message: &Message<'_>,
        started_at: Timestamp,
        secrets_at: Timestamp,
    ) -> Result<(StatusCode, String, Option<Duration>), String> {
        let endpoint = message.endpoint;
        let url = url::Url::parse(&endpoint.url).map_err(|e| format!("bad URL: {e}"))?;
        if !self.allow_private {
            check_literal_host(&url).map_err(|e| e.to_string())?;
        }
        let body = serde_json::to_vec(message.event)
            .map_err(|e| format!("cannot serialise the event: {e}"))?;
        let event_id = message.event_id;
        let millis = started_at.as_millis();
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("Roster-Webhooks/", env!("CARGO_PKG_VERSION")),
            )
            .header(
                "WorkOS-Signature",
                workos_signature(&endpoint.secret, millis, &body),
            )
            .header("webhook-id", event_id)
            .header("webhook-timestamp", (millis / 1000).to_string())
            .header(
                "webhook-signature",
                standard_signature(
                    &endpoint.signing_secrets(secrets_at),
                    event_id,
                    millis / 1000,
                    &body,
                ),
            )
            .header("roster-event-sequence", message.sequence.to_string());
        if let Some(delivery_id) = message.delivery_id {
            request = request.header("roster-delivery-id", delivery_id);
        }
        let response = request.body(body).send().await.map_err(describe)?;
        let status = response.status();
        let retry_after = match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| retry_after(value, started_at)),
            _ => None,
        };
        Ok((status, read_start(response).await, retry_after))
    }
}

/// The first KiB of a body, whatever the rest does (a receiver streaming forever is cut off by
/// the timeout, and what arrived is kept).
async fn read_start(mut response: reqwest::Response) -> String {
    let mut start = Vec::new();
    while start.len() < MAX_RESPONSE_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => start.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    start.truncate(MAX_RESPONSE_BODY);
    let mut text = String::from_utf8_lossy(&start).into_owned();
    // A multi-byte character cut at the limit became U+FFFD, which may push the text past it.
    while text.len() > MAX_RESPONSE_BODY {
        text.pop();
    }
    text
}

/// A reqwest error with its causes: "error sending request" alone doesn't say that the
/// connection was refused or the address was internal.
fn describe(error: reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
