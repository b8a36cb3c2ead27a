//! Timestamps are stored as Unix milliseconds (portable across SQLite and PostgreSQL) and
//! shown as RFC 3339 UTC with milliseconds and `Z`, which WorkOS's SDKs parse.

use chrono::{DateTime, SecondsFormat, Utc};

/// A point in time, to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Timestamp(Utc::now().timestamp_millis())
    }

    /// From stored Unix milliseconds.
    pub fn from_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// Unix milliseconds, as stored.
    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// `2026-11-24T10:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.0)
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Parses an RFC 3339 timestamp with any offset.
    pub fn parse_rfc3339(value: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(value)
            .ok()
            .map(|parsed| Timestamp(parsed.timestamp_millis()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        let stamp = Timestamp::from_millis(1_795_000_000_123);
        assert_eq!(stamp.to_rfc3339(), "2026-11-18T11:06:40.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&stamp.to_rfc3339()), Some(stamp));
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-18T12:06:40.123+01:00"),
            Some(stamp)
        );
    }
}
