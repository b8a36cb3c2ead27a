//! Runs a number of requests with a fixed number in flight and records each one's latency.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};

use crate::stats::Summary;

/// Runs `make(i)` for `i` in `0..count`, `concurrency` at a time. Each call returns the HTTP
/// status and whether it was the expected answer.
pub async fn run<F, Fut>(scenario: &str, count: usize, concurrency: usize, make: F) -> Summary
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = (u16, bool)>,
{
    let started = Instant::now();
    let samples: Vec<(Duration, u16, bool)> = stream::iter(0..count)
        .map(|index| {
            let request = make(index);
            async move {
                let sent = Instant::now();
                let (status, ok) = request.await;
                (sent.elapsed(), status, ok)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    Summary::new(scenario, concurrency, started.elapsed(), samples)
}

/// The status of a response, 0 when there was none.
pub fn status(result: &Result<reqwest::Response, reqwest::Error>) -> u16 {
    result
        .as_ref()
        .map_or(0, |response| response.status().as_u16())
}
