//! Token buckets keyed by tenant (a directory, an API key): each key gets `rate` requests a
//! second with bursts of twice that, so that one client's loop cannot take the server from
//! everyone else. In memory, per process: several instances behind a load balancer each allow
//! the rate.

use std::fmt;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// One token bucket per key; cloning shares the buckets. `None` inside when limits are off.
pub struct RateLimit<K: Hash + Eq + Clone> {
    limiter: Option<Arc<DefaultKeyedRateLimiter<K>>>,
    per_second: u32,
}

impl<K: Hash + Eq + Clone> Clone for RateLimit<K> {
    fn clone(&self) -> Self {
        RateLimit {
            limiter: self.limiter.clone(),
            per_second: self.per_second,
        }
    }
}

impl<K: Hash + Eq + Clone> fmt::Debug for RateLimit<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("per_second", &self.per_second)
            .finish()
    }
}

/// A request over its key's limit: how long until one more would be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// The wait, exactly.
    pub wait: Duration,
}

impl Limited {
    /// The wait in whole seconds, rounded up and at least 1, as `Retry-After` wants it.
    pub fn retry_after_seconds(&self) -> u64 {
        (self.wait.as_secs() + u64::from(self.wait.subsec_nanos() > 0)).max(1)
    }
}

impl<K: Hash + Eq + Clone> RateLimit<K> {
    /// `per_second` requests a second per key, with bursts of twice that; 0 turns the limit off.
    pub fn per_second(per_second: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        });
        RateLimit {
            limiter,
            per_second,
        }
    }

    /// The configured rate; 0 when off.
    pub fn rate(&self) -> u32 {
        self.per_second
    }

    /// Takes one request from `key`'s bucket.
    pub fn check(&self, key: &K) -> Result<(), Limited> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| Limited {
            wait: not_until.wait_time_from(DefaultClock::default().now()),
        })
    }

    /// Forgets buckets that are full again, so that keys seen once do not stay in memory.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_bucket_of_twice_the_rate() {
        let limit = RateLimit::per_second(5);
        for _ in 0..10 {
            assert!(limit.check(&"a").is_ok());
        }
        let refused = limit.check(&"a").unwrap_err();
        assert!(refused.wait <= Duration::from_millis(200), "{refused:?}");
        assert_eq!(refused.retry_after_seconds(), 1);
        assert!(limit.check(&"b").is_ok(), "another key is untouched");
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limit = RateLimit::per_second(0);
        for _ in 0..10_000 {
            assert!(limit.check(&1).is_ok());
        }
    }
}
