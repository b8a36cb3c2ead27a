//! The dispatcher's sense of time: when deliveries are due, when leases expire, when an
//! endpoint has failed long enough to be disabled, when events are old enough to prune.
//! Tests move it forward instead of waiting hours; `roster serve` never does.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use roster_core::Timestamp;

/// The system clock plus an offset that only tests change.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock::default()
    }

    /// The current time as the dispatcher sees it.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_millis(
            Timestamp::now()
                .as_millis()
                .saturating_add(self.offset_ms.load(Ordering::Relaxed)),
        )
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(millis, Ordering::Relaxed);
    }
}

/// `at` plus a duration, saturating.
pub(crate) fn after(at: Timestamp, by: Duration) -> Timestamp {
    Timestamp::from_millis(
        at.as_millis()
            .saturating_add(i64::try_from(by.as_millis()).unwrap_or(i64::MAX)),
    )
}

/// `at` minus a duration, saturating.
pub(crate) fn before(at: Timestamp, by: Duration) -> Timestamp {
    Timestamp::from_millis(
        at.as_millis()
            .saturating_sub(i64::try_from(by.as_millis()).unwrap_or(i64::MAX)),
    )
}
