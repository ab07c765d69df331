//! Retry backoff per key (an action id, a machine): failed work waits longer after each failure, never forever.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The first wait after a failure; each further failure doubles it up to [`MAX_DELAY`].
const BASE_DELAY: Duration = Duration::from_secs(2);
/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(300);

/// Failures and the next allowed attempt, per key. Times are passed in, so rules test without sleeping.
#[derive(Debug, Default)]
pub struct Backoff {
    waits: HashMap<String, (u32, Instant)>,
}

impl Backoff {
    /// Whether `key` may be tried at `now`.
    pub fn ready(&self, key: &str, now: Instant) -> bool {
        self.waits.get(key).is_none_or(|(_, next)| *next <= now)
    }

    /// When `key` may be tried next, if it is held back at all.
    pub fn next_attempt(&self, key: &str) -> Option<Instant> {
        self.waits.get(key).map(|(_, next)| *next)
    }

    /// Records a failure at `now`; returns how many in a row and how long `key` now waits.
    pub fn failed(&mut self, key: &str, now: Instant) -> (u32, Duration) {
        let failures = self.waits.get(key).map_or(0, |(n, _)| *n).saturating_add(1);
        let delay = delay_after(failures);
        let next = now.checked_add(delay).unwrap_or(now);
        self.waits.insert(key.to_string(), (failures, next));
        (failures, delay)
    }

    /// Holds `key` back for `delay` from `now` without counting a failure (pacing, not retrying).
    pub fn hold(&mut self, key: &str, now: Instant, delay: Duration) {
        let next = now.checked_add(delay).unwrap_or(now);
        self.waits.insert(key.to_string(), (0, next));
    }

    /// Forgets `key`'s failures after a success.
    pub fn succeeded(&mut self, key: &str) {
        self.waits.remove(key);
    }
}

/// The wait after `failures` failures in a row: 2 s, 4 s, 8 s, … at most 5 min.
pub fn delay_after(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    BASE_DELAY
        .checked_mul(1u32 << doublings)
        .unwrap_or(MAX_DELAY)
        .min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_clear_on_success() {
        assert_eq!(delay_after(1), Duration::from_secs(2));
        assert_eq!(delay_after(2), Duration::from_secs(4));
        assert_eq!(delay_after(9), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
        let start = Instant::now();
        let mut backoff = Backoff::default();
        assert!(backoff.ready("a", start));
        assert_eq!(backoff.failed("a", start), (1, Duration::from_secs(2)));
        assert!(!backoff.ready("a", start + Duration::from_secs(1)));
        assert!(backoff.ready("b", start));
        assert!(backoff.ready("a", start + Duration::from_secs(2)));
        assert_eq!(backoff.failed("a", start).0, 2);
        assert!(!backoff.ready("a", start + Duration::from_secs(3)));
        backoff.succeeded("a");
        assert!(backoff.ready("a", start));
        backoff.hold("a", start, Duration::from_secs(12));
        assert!(!backoff.ready("a", start + Duration::from_secs(11)));
        assert!(backoff.ready("a", start + Duration::from_secs(12)));
        assert_eq!(backoff.failed("a", start).0, 1, "a hold is not a failure");
    }
}
