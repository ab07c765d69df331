//! Retry decisions: which answers are worth another attempt, and how long to wait before it.

use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::StatusCode;

/// Whether a call may be replayed when the first try may have reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Reads and other idempotent calls: retry on 408/429/5xx and transport errors.
    Safe,
    /// Machine actions, cancel, close: retry only when the service surely did not act
    /// (connection never made, 429 refused, 401 before renewal).
    Never,
}

/// Statuses that mean "try again later".
pub(crate) fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential backoff with jitter: a random delay in `[d/2, d]` where `d = base * 2^(attempt-1)`, capped.
pub(crate) fn backoff(base: Duration, attempt: u32, cap: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    let full = base.saturating_mul(factor).min(cap);
    let half = full / 2;
    let spread = (full - half).as_millis() as u64;
    half + Duration::from_millis(rand::rng().random_range(0..=spread))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(retry_after("37", now), Some(Duration::from_secs(37)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(12)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(12));
        assert_eq!(retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_within_jitter_and_cap() {
        let base = Duration::from_secs(2);
        for attempt in 1..=4 {
            let full = base * 2u32.pow(attempt - 1);
            let delay = backoff(base, attempt, Duration::from_secs(60));
            assert!(delay >= full / 2 && delay <= full, "{attempt}: {delay:?}");
        }
        assert!(backoff(base, 30, Duration::from_secs(60)) <= Duration::from_secs(60));
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable(StatusCode::from_u16(code).unwrap()));
        }
        for code in [400, 401, 403, 404, 501] {
            assert!(!is_retryable(StatusCode::from_u16(code).unwrap()));
        }
    }
}
