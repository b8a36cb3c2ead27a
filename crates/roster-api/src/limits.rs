//! Per-key rate limits: a token bucket for each API key, so that one client's loop cannot take
//! the server from everyone else. Over the limit the answer is 429 with `Retry-After`, which the
//! WorkOS SDKs honour before retrying.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::ApiError;

/// The limiter shared by every request; `None` when limits are off.
#[derive(Clone)]
pub struct ApiLimits {
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl ApiLimits {
    /// `per_second` requests a second per key, with bursts of twice that; 0 turns limits off.
    pub fn per_key(per_second: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        });
        ApiLimits { limiter }
    }

    /// Takes one request from `key`'s bucket.
    pub(crate) fn check(&self, key: &str) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Whole seconds, rounded up: Retry-After has no fractions.
            ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }
}
