//! When to try a failed delivery again: a configurable schedule of delays with jitter, and a
//! receiver's own `Retry-After` when it asks for one.

use std::time::Duration;

use roster_core::Timestamp;

/// The longest `Retry-After` honoured; a receiver asking for more gets this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Reads `500ms`, `5s`, `5m`, `2h` or `3d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (expected e.g. 500ms, 5s, 5m, 2h, 3d)"))?;
    let seconds = |factor: u64| Duration::from_secs(number.saturating_mul(factor));
    match unit {
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(seconds(1)),
        "m" => Ok(seconds(60)),
        "h" => Ok(seconds(3600)),
        "d" => Ok(seconds(86400)),
        _ => Err(format!(
            "`{text}` has no known unit (expected ms, s, m, h or d, e.g. 5s)"
        )),
    }
}

/// The delays between a delivery's attempts. After the first attempt fails, the first delay
/// applies; once every delay is used up, the delivery is given up as failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 28 hours.
    fn default() -> Self {
        RetrySchedule(
            [5, 300, 1800, 7200, 18000, 36000, 36000]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        )
    }
}

impl RetrySchedule {
    /// Reads a comma-separated list of durations, e.g. `5s,5m,30m`. An empty list means no
    /// retries.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(parse_duration)
            .collect::<Result<Vec<_>, _>>()
            .map(RetrySchedule)
    }

    /// The delays, in order.
    pub fn delays(&self) -> &[Duration] {
        &self.0
    }

    /// The delay after the `failed`-th failed attempt of a round (1 for the first), with
    /// ±20 % jitter so that deliveries that failed together don't all return together; `None`
    /// when the schedule is used up.
    pub fn delay_after(&self, failed: i64) -> Option<Duration> {
        let index = usize::try_from(failed.checked_sub(1)?).ok()?;
        let base = *self.0.get(index)?;
        Some(base.mul_f64(rand::random_range(0.8..=1.2)))
    }
}

/// A `Retry-After` value: delay seconds or an HTTP date, relative to `now`.
pub fn retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    let delay = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            let millis = at.timestamp_millis().saturating_sub(now.as_millis());
            Duration::from_millis(u64::try_from(millis).unwrap_or(0))
        }
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("3d"), Ok(Duration::from_secs(259_200)));
        assert!(parse_duration("5").unwrap_err().contains("unit"));
        assert!(parse_duration("five s").is_err());
    }

    #[test]
    fn the_default_schedule_is_the_documented_one() {
        let default = RetrySchedule::default();
        assert_eq!(
            RetrySchedule::parse("5s,5m,30m,2h,5h,10h,10h").unwrap(),
            default
        );
        let first = default.delay_after(1).unwrap();
        assert!(first >= Duration::from_secs(4) && first <= Duration::from_secs(6));
        assert!(default.delay_after(7).is_some());
        assert_eq!(default.delay_after(8), None);
        assert_eq!(default.delay_after(0), None);
        assert_eq!(RetrySchedule::parse("").unwrap().delay_after(1), None);
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        let now = Timestamp::parse_rfc3339("2026-11-24T10:00:00Z").unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Tue, 24 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Tue, 24 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("99999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(retry_after("soon", now), None);
    }
}
