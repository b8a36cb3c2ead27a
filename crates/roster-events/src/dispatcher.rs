//! The dispatcher: a loop that turns undispatched events into deliveries (fan-out), claims the
//! due ones under a lease, and attempts each in its own task, at most so many per endpoint, so
//! that one slow receiver never holds up the others. It wakes when a SCIM write commits
//! (`events_written`), when an attempt finishes, when the next retry is due, and otherwise
//! polls, which also picks up events written by other processes (the CLI, other instances).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use roster_core::Timestamp;
use roster_core::id::WebhookDeliveryId;
use roster_store::deliveries::{self, AttemptReport, Claimed, Outcome};
use roster_store::webhooks::WebhookEndpoint;
use roster_store::{Store, StoreError};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::clock::{Clock, after, before};
use crate::deliver::{AttemptResult, Sender};
use crate::schedule::RetrySchedule;

/// Events fanned out per transaction.
const FAN_OUT_BATCH: i64 = 500;
/// Events pruned per transaction, so pruning never holds the write lock for long.
const PRUNE_BATCH: i64 = 1000;
/// How often old events are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How the dispatcher behaves; every field has a `ROSTER_WEBHOOK_*` setting.
#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// Delays between a delivery's attempts.
    pub retry_schedule: RetrySchedule,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How often to look for work without being woken.
    pub poll_interval: Duration,
    /// Attempts in flight to one endpoint at once.
    pub endpoint_concurrency: usize,
    /// Attempts in flight in all.
    pub max_in_flight: usize,
    /// How long an endpoint may fail without a success before it is disabled.
    pub disable_after: Duration,
    /// Whether deliveries may go to loopback, private and link-local addresses.
    pub allow_private: bool,
    /// How long events (and their deliveries) are kept.
    pub event_retention: Duration,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        DispatcherConfig {
            retry_schedule: RetrySchedule::default(),
            timeout: Duration::from_secs(15),
            poll_interval: Duration::from_secs(1),
            endpoint_concurrency: 4,
            max_in_flight: 64,
            disable_after: Duration::from_secs(3 * 86400),
            allow_private: false,
            event_retention: Duration::from_secs(30 * 86400),
        }
    }
}

impl DispatcherConfig {
    /// How long a claim holds a delivery: past one whole attempt, so that only a dispatcher
    /// that died (or hung) loses its deliveries to another.
    fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(1)
    }
}

/// Why the dispatcher could not start.
#[derive(Debug, thiserror::Error)]
pub enum DispatcherError {
    /// The HTTP client could not be built.
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Told when the dispatcher disables an endpoint for failing, with the reason; it must not
/// block (the dashboard's hook queues an email to the administrators).
pub type EndpointDisabledHook = Arc<dyn Fn(&WebhookEndpoint, &str) + Send + Sync>;

/// The webhook dispatcher, ready to run.
pub struct Dispatcher {
    shared: Arc<Shared>,
}

struct Shared {
    store: Store,
    wake: Arc<Notify>,
    config: DispatcherConfig,
    clock: Clock,
    owner: String,
    sender: Sender,
    on_endpoint_disabled: Option<EndpointDisabledHook>,
}

/// A running dispatcher.
pub struct DispatcherHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    owner: String,
}

impl Dispatcher {
    /// A dispatcher on `store`, woken by `wake` (signalled after every commit that wrote events).
    pub fn new(
        store: Store,
        wake: Arc<Notify>,
        config: DispatcherConfig,
        clock: Clock,
    ) -> Result<Self, DispatcherError> {
        let sender = Sender::new(config.timeout, config.allow_private)?;
        Ok(Dispatcher {
            shared: Arc::new(Shared {
                store,
                wake,
                config,
                clock,
                owner: format!("dispatcher_{}", ulid::Ulid::generate()),
                sender,
                on_endpoint_disabled: None,
            }),
        })
    }

    /// Calls `hook` whenever this dispatcher disables an endpoint.
    pub fn on_endpoint_disabled(mut self, hook: EndpointDisabledHook) -> Self {
        // Not yet spawned, so nothing else holds the shared state.
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.on_endpoint_disabled = Some(hook);
        }
        self
    }

    /// Starts the dispatcher on the current tokio runtime.
    pub fn spawn(self) -> DispatcherHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(deliver_loop(self.shared.clone(), stopped));
        tracing::info!(owner = %self.shared.owner, "webhook dispatcher started");
        DispatcherHandle {
            stop,
            task,
            owner: self.shared.owner.clone(),
        }
    }
}

impl DispatcherHandle {
    /// The name under which this dispatcher leases deliveries.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Stops claiming, lets attempts in flight finish (each is bounded by the timeout), and
    /// returns when everything has stopped.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the webhook dispatcher failed");
        }
    }
}

/// Runs blocking database work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|error| error.to_string()),
        Err(error) => Err(format!("database task failed: {error}")),
    }
}

/// The attempts in flight in this process, and how many per endpoint.
#[derive(Default)]
struct InFlight {
    tasks: JoinSet<()>,
    endpoint_of: HashMap<tokio::task::Id, String>,
    per_endpoint: HashMap<String, usize>,
}

impl InFlight {
    fn start(&mut self, endpoint: String, attempt: impl Future<Output = ()> + Send + 'static) {
        *self.per_endpoint.entry(endpoint.clone()).or_insert(0) += 1;
        let task = self.tasks.spawn(attempt);
        self.endpoint_of.insert(task.id(), endpoint);
    }

    fn count(&self, endpoint: &str) -> usize {
        self.per_endpoint.get(endpoint).copied().unwrap_or(0)
    }

    fn finished(&mut self, done: Result<(tokio::task::Id, ()), tokio::task::JoinError>) {
        let id = match done {
            Ok((id, ())) => id,
            Err(error) => {
                tracing::error!(%error, "a webhook delivery task failed");
                error.id()
            }
        };
        let Some(endpoint) = self.endpoint_of.remove(&id) else {
            return;
        };
        if let Some(count) = self.per_endpoint.get_mut(&endpoint) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_endpoint.remove(&endpoint);
            }
        }
    }

    fn reap(&mut self) {
        while let Some(done) = self.tasks.try_join_next_with_id() {
            self.finished(done);
        }
    }

    fn busy_endpoints(&self, limit: usize) -> Vec<String> {
        self.per_endpoint
            .iter()
            .filter(|(_, count)| **count >= limit)
            .map(|(endpoint, _)| endpoint.clone())
            .collect()
    }
}

async fn deliver_loop(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let mut in_flight = InFlight::default();
    let mut next_prune = shared.clock.now();
    loop {
        if *stopped.borrow() {
            break;
        }
        in_flight.reap();
        // By the dispatcher's clock, so that tests can make a month pass.
        if shared.clock.now() >= next_prune {
            prune(&shared).await;
            next_prune = after(shared.clock.now(), PRUNE_EVERY);
        }
        let wait = match cycle(&shared, &mut in_flight).await {
            Ok(next_due) => {
                let now = shared.clock.now();
                match next_due {
                    Some(due) if due > now => Duration::from_millis(
                        u64::try_from(due.as_millis() - now.as_millis()).unwrap_or(0),
                    )
                    .min(shared.config.poll_interval),
                    // Due but not claimed: waiting for a free slot (an attempt finishing wakes
                    // the loop) or held by another instance.
                    _ => shared.config.poll_interval,
                }
            }
            Err(error) => {
                tracing::warn!(%error, "webhook dispatch failed; retrying at the next poll");
                shared.config.poll_interval
            }
        };
        tokio::select! {
            _ = shared.wake.notified() => {}
            Some(done) = in_flight.tasks.join_next_with_id(), if !in_flight.tasks.is_empty() => {
                in_flight.finished(done);
            }
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => {}
        }
    }
    while let Some(done) = in_flight.tasks.join_next_with_id().await {
        in_flight.finished(done);
    }
}

/// Fans out the outbox, claims what is due and starts the attempts; returns when the next
/// delivery falls due.
async fn cycle(
    shared: &Arc<Shared>,
    in_flight: &mut InFlight,
) -> Result<Option<Timestamp>, String> {
    let config = &shared.config;
    let free = config.max_in_flight.saturating_sub(in_flight.tasks.len());
    let busy = in_flight.busy_endpoints(config.endpoint_concurrency);
    let (claimed, next_due) = {
        let shared = shared.clone();
        blocking(move || {
            let mut conn = shared.store.connection()?;
            let now = shared.clock.now();
            while deliveries::fan_out(&mut conn, FAN_OUT_BATCH, now)? == FAN_OUT_BATCH as usize {}
            let claimed = deliveries::claim_due(
                &mut conn,
                now,
                &shared.owner,
                after(now, shared.config.lease()),
                i64::try_from(free).unwrap_or(i64::MAX),
                &busy,
            )?;
            let next_due = deliveries::next_due(&mut conn)?;
            Ok((claimed, next_due))
        })
        .await?
    };
    let mut release: Vec<WebhookDeliveryId> = Vec::new();
    for claim in claimed {
        let endpoint = claim.endpoint.id.to_string();
        // One claim can bring more of an endpoint's deliveries than it has free slots.
        if in_flight.count(&endpoint) >= config.endpoint_concurrency {
            release.push(claim.delivery.id.clone());
            continue;
        }
        let shared = shared.clone();
        in_flight.start(endpoint, async move { attempt(&shared, claim).await });
    }
    if !release.is_empty() {
        let shared = shared.clone();
        blocking(move || {
            let mut conn = shared.store.connection()?;
            Ok(deliveries::release(&mut conn, &release, &shared.owner)?)
        })
        .await?;
    }
    Ok(next_due)
}

/// Makes one attempt and records it.
async fn attempt(shared: &Arc<Shared>, claimed: Claimed) {
    let result = shared.sender.attempt(&claimed, shared.clock.now()).await;
    let now = shared.clock.now();
    let outcome = outcome(&shared.config.retry_schedule, &claimed, &result, now);
    let endpoint = claimed.endpoint.id.to_string();
    metrics::counter!("roster_webhook_attempts_total", "endpoint" => endpoint.clone()).increment(1);
    if !result.succeeded() {
        metrics::counter!("roster_webhook_failures_total", "endpoint" => endpoint).increment(1);
    }
    if let Some(error) = &result.error {
        tracing::info!(delivery = %claimed.delivery.id, event = %claimed.event.id, endpoint = %claimed.endpoint.id, %error, ?outcome, "webhook attempt failed");
    } else if !result.succeeded() {
        tracing::info!(delivery = %claimed.delivery.id, event = %claimed.event.id, endpoint = %claimed.endpoint.id, status = ?result.status, ?outcome, "webhook attempt failed");
    }
    let report = AttemptReport {
        started_at: result.started_at,
        duration_ms: i64::try_from(result.duration.as_millis()).unwrap_or(i64::MAX),
        status_code: result.status.map(|status| i64::from(status.as_u16())),
        response_body: result.body,
        error: result.error,
        outcome,
    };
    let disable_after = shared.config.disable_after;
    let reason = format!(
        "every delivery attempt failed for {}",
        humanize(disable_after)
    );
    let recorded = {
        let shared = shared.clone();
        let claimed = claimed.clone();
        let reason = reason.clone();
        blocking(move || {
            let mut conn = shared.store.connection()?;
            Ok(deliveries::record_attempt(
                &mut conn,
                &claimed,
                &shared.owner,
                report,
                now,
                before(now, disable_after),
                &reason,
            )?)
        })
        .await
    };
    match recorded {
        Ok(recorded) if recorded.endpoint_disabled => {
            tracing::warn!(
                endpoint = %claimed.endpoint.id,
                url = %claimed.endpoint.url,
                "webhook endpoint disabled: every delivery attempt failed for {}; its pending deliveries wait until `roster webhook enable {}`",
                humanize(disable_after),
                claimed.endpoint.id,
            );
            if let Some(hook) = &shared.on_endpoint_disabled {
                hook(&claimed.endpoint, &reason);
            }
        }
        Ok(_) => {}
        // The lease runs out and the delivery is attempted again: at least once, never lost.
        Err(error) => {
            tracing::warn!(delivery = %claimed.delivery.id, %error, "cannot record a webhook attempt")
        }
    }
}

fn outcome(
    schedule: &RetrySchedule,
    claimed: &Claimed,
    result: &AttemptResult,
    now: Timestamp,
) -> Outcome {
    if result.succeeded() {
        return Outcome::Delivered;
    }
    let failed = claimed.delivery.round_attempts + 1;
    match (result.retry_after, schedule.delay_after(failed)) {
        (_, None) => Outcome::GiveUp,
        (Some(asked), Some(_)) => Outcome::RetryAt(after(now, asked)),
        (None, Some(delay)) => Outcome::RetryAt(after(now, delay)),
    }
}

fn humanize(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s >= 86400 && s % 86400 == 0 => format!("{} days", s / 86400),
        s if s >= 3600 && s % 3600 == 0 => format!("{} hours", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} minutes", s / 60),
        _ => format!("{} ms", duration.as_millis()),
    }
}

/// Deletes events past their retention, with their deliveries, a batch per transaction.
async fn prune(shared: &Arc<Shared>) {
    let pruned = {
        let shared = shared.clone();
        blocking(move || {
            let mut conn = shared.store.connection()?;
            let cutoff = before(shared.clock.now(), shared.config.event_retention);
            let mut total = 0;
            loop {
                let pruned = deliveries::prune_events(&mut conn, cutoff, PRUNE_BATCH)?;
                total += pruned;
                if pruned < PRUNE_BATCH as usize {
                    return Ok(total);
                }
            }
        })
        .await
    };
    match pruned {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "pruned events past their retention"),
        Err(error) => tracing::warn!(%error, "cannot prune old events"),
    }
}
