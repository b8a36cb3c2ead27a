//! Roster's webhooks. Every SCIM change appends its `dsync.*` event to the events table in the
//! change's own transaction (the outbox, in `roster-store`); this crate delivers them: the
//! dispatcher fans events out into one delivery per matching endpoint, claims due deliveries
//! under a lease, POSTs each signed twice (WorkOS and Standard Webhooks), retries on a
//! schedule, and disables endpoints that keep failing. `admin` holds the operations behind
//! `roster webhook …`; `test_event` sends an example event to one endpoint on request.

pub mod address;
pub mod admin;
pub mod clock;
mod deliver;
pub mod dispatcher;
pub mod schedule;
pub mod signing;
pub mod test_event;

pub use clock::Clock;
pub use dispatcher::{Dispatcher, DispatcherConfig, DispatcherError, DispatcherHandle};
pub use test_event::{TestOutcome, TestSender};

/// Makes ring the process's TLS crypto provider. reqwest is built without one (so that no
/// C-built provider is compiled in), and every client built afterwards uses this one. Call it
/// once at start, before building any HTTP client; later calls do nothing.
pub fn install_crypto_provider() {
    // An error only means a provider is installed already, which is all that is needed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
