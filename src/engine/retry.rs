//! When failed engine work is tried again (exponential backoff, capped, with jitter) and why it waits:
//! one retry for a single piece of work ([`Retry`]), and the same rule per key ([`KeyedRetries`]).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::api::{ApiError, Service};

/// Exponential backoff: `base` after the first failure, doubling after each further one, at most
/// `cap`; each wait is moved by up to a fifth either way so retries of many items spread out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

/// Failed resolves (Graph and Defender lookups of an alert's user).
pub const RESOLVE_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(2),
    cap: Duration::from_secs(60),
};

/// Dispatch per machine and tracking reads per action: 2 s, 4 s, 8 s, … at most 5 min.
pub const KEYED_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(2),
    cap: Duration::from_secs(300),
};

/// The draw that places a wait in the middle of its jitter: exactly the doubled base.
const NO_JITTER: f64 = 0.5;

/// Journal writes of polled alerts: intake holds at the last journaled alert meanwhile.
pub const JOURNAL_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(1),
    cap: Duration::from_secs(60),
};

impl Backoff {
    /// The wait after the `failures`-th failure in a row (1 for the first); `draw` is a random
    /// number in `[0, 1)` that places the wait within its jitter.
    pub fn delay(&self, failures: u32, draw: f64) -> Duration {
        let doubling = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
        let full = self.base.saturating_mul(doubling).min(self.cap);
        full.mul_f64(0.8 + 0.4 * draw.clamp(0.0, 1.0)).min(self.cap)
    }
}

/// Work that failed and waits to be tried again: how often it failed in a row, when it is due, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub failures: u32,
    pub due: Instant,
    pub why: String,
}

impl Retry {
    /// The retry after one more failure at `now` (following `previous`, if any). A wait the
    /// service asked for (`Retry-After`) is honoured when longer than the backoff's.
    pub fn after_failure(
        previous: Option<&Retry>,
        backoff: Backoff,
        now: Instant,
        draw: f64,
        asked: Option<Duration>,
        why: String,
    ) -> Retry {
        let failures = previous.map_or(0, |p| p.failures).saturating_add(1);
        let wait = backoff
            .delay(failures, draw)
            .max(asked.unwrap_or_default().min(backoff.cap));
        Retry {
            failures,
            due: now + wait,
            why,
        }
    }

    /// True once the retry may start.
    pub fn is_due(&self, now: Instant) -> bool {
        now >= self.due
    }

    /// How long until the retry, from `now`.
    pub fn wait(&self, now: Instant) -> Duration {
        self.due.saturating_duration_since(now)
    }

    /// "Defender throttled, retry in 8 s"
    pub fn describe(&self, now: Instant) -> String {
        format!(
            "{}, retry in {} s",
            self.why,
            self.wait(now).as_secs_f64().ceil()
        )
    }
}

/// Failures and the next allowed attempt per key (an action id, a machine), after [`KEYED_BACKOFF`]
/// without jitter. Times are passed in, so the rules test without sleeping.
#[derive(Debug, Default)]
pub struct KeyedRetries {
    waits: HashMap<String, (u32, Instant)>,
}

impl KeyedRetries {
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
        let delay = KEYED_BACKOFF.delay(failures, NO_JITTER);
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

/// A random draw for [`Backoff::delay`].
pub fn jitter_draw() -> f64 {
    rand::random::<f64>()
}

/// What a failed call waits for, in words: "Defender throttled", "Graph unavailable (503)".
pub fn waiting_for(error: &ApiError) -> String {
    let service = match error.call().map(|c| c.service()) {
        Some(Service::Cas) => "Cloud App Security",
        Some(Service::Defender) => "Defender",
        Some(Service::Graph) => "Graph",
        None => "the API client",
    };
    match error {
        ApiError::Throttled { .. } => format!("{service} throttled"),
        ApiError::Server { status, .. } => format!("{service} unavailable ({status})"),
        ApiError::Transport { .. } => format!("{service} unreachable"),
        ApiError::Decode { .. } => format!("{service} sent an unreadable reply"),
        ApiError::BadRequest { status, .. } => format!("{service} refused the query ({status})"),
        ApiError::Unauthorized { .. } | ApiError::Token { .. } => {
            format!("{service} refused the credentials")
        }
        ApiError::Forbidden { .. } => format!("{service} needs a permission"),
        ApiError::NotFound { .. } => format!("{service} did not find it"),
        ApiError::ActionAlreadyInProgress { .. } => format!("{service} is busy with an action"),
        ApiError::Settings(_) => "the API settings to be fixed".to_string(),
    }
}

/// The wait a throttled service asked for.
pub fn asked_wait(error: &ApiError) -> Option<Duration> {
    match error {
        ApiError::Throttled { retry_after, .. } => *retry_after,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Call;

    const BACKOFF: Backoff = Backoff {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(60),
    };

    #[test]
    fn waits_double_from_the_base_up_to_the_cap() {
        let middle: Vec<u64> = (1..=7)
            .map(|failures| BACKOFF.delay(failures, 0.5).as_secs())
            .collect();
        assert_eq!(middle, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(BACKOFF.delay(u32::MAX, 0.99), Duration::from_secs(60));
    }

    #[test]
    fn jitter_moves_a_wait_by_at_most_a_fifth() {
        assert_eq!(BACKOFF.delay(3, 0.0), Duration::from_millis(6400));
        assert_eq!(BACKOFF.delay(3, 1.0), Duration::from_millis(9600));
        assert_eq!(BACKOFF.delay(3, 7.0), Duration::from_millis(9600));
        assert!(BACKOFF.delay(6, 1.0) <= BACKOFF.cap);
    }

    #[test]
    fn each_failure_in_a_row_pushes_the_retry_further() {
        let now = Instant::now();
        let first =
            Retry::after_failure(None, BACKOFF, now, 0.5, None, "Defender throttled".into());
        assert_eq!(first.failures, 1);
        assert_eq!(first.due, now + Duration::from_secs(2));
        assert!(!first.is_due(now));
        assert!(first.is_due(now + Duration::from_secs(2)));
        let later = now + Duration::from_secs(2);
        let second = Retry::after_failure(Some(&first), BACKOFF, later, 0.5, None, "x".into());
        let third = Retry::after_failure(Some(&second), BACKOFF, later, 0.5, None, "x".into());
        assert_eq!(third.failures, 3);
        assert_eq!(third.wait(later), Duration::from_secs(8));
        assert_eq!(third.describe(later), "x, retry in 8 s");
    }

    #[test]
    fn a_longer_wait_asked_by_the_service_wins_up_to_the_cap() {
        let now = Instant::now();
        let asked = Some(Duration::from_secs(30));
        let retry = Retry::after_failure(None, BACKOFF, now, 0.5, asked, "t".into());
        assert_eq!(retry.wait(now), Duration::from_secs(30));
        let huge = Some(Duration::from_secs(86_400));
        let retry = Retry::after_failure(None, BACKOFF, now, 0.5, huge, "t".into());
        assert_eq!(retry.wait(now), BACKOFF.cap);
    }

    #[test]
    fn keyed_waits_double_up_to_five_minutes_and_clear_on_success() {
        let delays: Vec<u64> = (1..=10)
            .map(|n| KEYED_BACKOFF.delay(n, NO_JITTER).as_secs())
            .collect();
        assert_eq!(delays, [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(KEYED_BACKOFF.delay(u32::MAX, NO_JITTER), KEYED_BACKOFF.cap);
        let start = Instant::now();
        let mut retries = KeyedRetries::default();
        assert!(retries.ready("a", start));
        assert_eq!(retries.failed("a", start), (1, Duration::from_secs(2)));
        assert!(!retries.ready("a", start + Duration::from_secs(1)));
        assert!(retries.ready("b", start));
        assert!(retries.ready("a", start + Duration::from_secs(2)));
        assert_eq!(retries.failed("a", start).0, 2);
        assert!(!retries.ready("a", start + Duration::from_secs(3)));
        retries.succeeded("a");
        assert!(retries.ready("a", start));
        retries.hold("a", start, Duration::from_secs(12));
        assert!(!retries.ready("a", start + Duration::from_secs(11)));
        assert!(retries.ready("a", start + Duration::from_secs(12)));
        assert_eq!(retries.failed("a", start).0, 1, "a hold is not a failure");
    }

    #[test]
    fn the_reason_names_the_service_and_what_went_wrong() {
        let throttled = ApiError::Throttled {
            call: Call::ListMachines,
            attempts: 4,
            retry_after: Some(Duration::from_secs(5)),
        };
        assert_eq!(waiting_for(&throttled), "Defender throttled");
        assert_eq!(asked_wait(&throttled), Some(Duration::from_secs(5)));
        let unreadable = ApiError::Decode {
            call: Call::RegisteredDevices,
            reason: "eof".into(),
            snippet: String::new(),
        };
        assert_eq!(waiting_for(&unreadable), "Graph sent an unreadable reply");
    }
}
