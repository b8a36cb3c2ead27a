//! Sign-in attempts are limited per email address and per client address, so that guessing a
//! password is slow whoever is guessed at and wherever the guesses come from.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Attempts per minute for one email address.
const PER_EMAIL_PER_MINUTE: u32 = 5;
/// Attempts per minute from one client address (several people behind one proxy).
const PER_CLIENT_PER_MINUTE: u32 = 30;
/// Keys remembered before forgetting those whose limit has refilled.
const MAX_KEYS: usize = 10_000;

#[derive(Clone)]
pub(crate) struct LoginLimit {
    per_email: Arc<DefaultKeyedRateLimiter<String>>,
    per_client: Arc<DefaultKeyedRateLimiter<String>>,
}

fn per_minute(count: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN))
}

impl LoginLimit {
    pub(crate) fn new() -> Self {
        LoginLimit {
            per_email: Arc::new(RateLimiter::keyed(per_minute(PER_EMAIL_PER_MINUTE))),
            per_client: Arc::new(RateLimiter::keyed(per_minute(PER_CLIENT_PER_MINUTE))),
        }
    }

    /// Whether another attempt for `email` from `client` may be made now (and counts it).
    pub(crate) fn allow(&self, email: &str, client: &str) -> bool {
        for limiter in [&self.per_email, &self.per_client] {
            if limiter.len() > MAX_KEYS {
                limiter.retain_recent();
            }
        }
        let email_ok = self.per_email.check_key(&email.to_lowercase()).is_ok();
        let client_ok = self.per_client.check_key(&client.to_owned()).is_ok();
        email_ok && client_ok
    }
}
