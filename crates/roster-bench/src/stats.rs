//! Latency percentiles, throughput and errors of one measured run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// Requests made.
    pub requests: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Wall time of the run.
    pub seconds: f64,
    /// Requests per second.
    pub rate: f64,
    /// Latency percentiles and maximum, in milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest request.
    pub max_ms: f64,
    /// Answers that were not the expected success, by status (0: no answer).
    pub errors: BTreeMap<u16, usize>,
}

impl Summary {
    /// Summarises per-request latencies and statuses.
    pub fn new(
        scenario: &str,
        concurrency: usize,
        wall: Duration,
        mut samples: Vec<(Duration, u16, bool)>,
    ) -> Self {
        samples.sort_by_key(|(latency, _, _)| *latency);
        let percentile = |fraction: f64| {
            if samples.is_empty() {
                return 0.0;
            }
            let index = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
            samples[index.min(samples.len() - 1)].0.as_secs_f64() * 1000.0
        };
        let mut errors = BTreeMap::new();
        for (_, status, ok) in &samples {
            if !ok {
                *errors.entry(*status).or_insert(0) += 1;
            }
        }
        Summary {
            scenario: scenario.to_owned(),
            requests: samples.len(),
            concurrency,
            seconds: wall.as_secs_f64(),
            rate: samples.len() as f64 / wall.as_secs_f64().max(f64::EPSILON),
            p50_ms: percentile(0.50),
            p90_ms: percentile(0.90),
            p99_ms: percentile(0.99),
            max_ms: percentile(1.0),
            errors,
        }
    }

    /// One row of the printed table.
    pub fn row(&self) -> String {
        let errors = if self.errors.is_empty() {
            "-".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(status, count)| format!("{status}:{count}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        format!(
            "| {:<40} | {:>7} | {:>4} | {:>9.0} | {:>7.2} | {:>7.2} | {:>7.2} | {:>8.2} | {} |",
            self.scenario,
            self.requests,
            self.concurrency,
            self.rate,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.max_ms,
            errors
        )
    }

    /// The table's header.
    pub fn header() -> String {
        format!(
            "| {:<40} | {:>7} | {:>4} | {:>9} | {:>7} | {:>7} | {:>7} | {:>8} | errors |\n|{}|{}|{}|{}|{}|{}|{}|{}|---|",
            "scenario",
            "requests",
            "conc",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "-".repeat(42),
            "-".repeat(9),
            "-".repeat(6),
            "-".repeat(11),
            "-".repeat(9),
            "-".repeat(9),
            "-".repeat(9),
            "-".repeat(10)
        )
    }
}
