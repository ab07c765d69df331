//! The engine's clock seam: wall time for the journal and views, a monotonic instant for waits.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// What the engine reads the time from; tests give it a [`FakeClock`] they move by hand.
pub trait Clock: Send + Sync {
    /// Wall-clock time (journal timestamps, views, Defender filters).
    fn now_utc(&self) -> DateTime<Utc>;
    /// Monotonic time (backoffs, pacing, retry waits).
    fn now_instant(&self) -> Instant;
}

/// The operating system's clocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn now_instant(&self) -> Instant {
        Instant::now()
    }
}

/// Wall time running `scale` times faster than the system's from `start` on (a simulator's time); the
/// monotonic clock is the system's, so waits and pacing stay in real time.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    start: (DateTime<Utc>, Instant),
    scale: f64,
}

impl ScaledClock {
    pub fn new(start: DateTime<Utc>, scale: f64) -> ScaledClock {
        ScaledClock {
            start: (start, Instant::now()),
            scale: scale.max(0.0),
        }
    }
}

impl Clock for ScaledClock {
    fn now_utc(&self) -> DateTime<Utc> {
        let real = self.start.1.elapsed().as_secs_f64() * self.scale;
        let scaled =
            chrono::Duration::milliseconds((real * 1000.0).min(i64::MAX as f64 / 2.0) as i64);
        self.start
            .0
            .checked_add_signed(scaled)
            .unwrap_or(self.start.0)
    }

    fn now_instant(&self) -> Instant {
        Instant::now()
    }
}

#[cfg(test)]
pub use fake::FakeClock;

#[cfg(test)]
mod fake {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use chrono::{DateTime, Utc};

    use super::Clock;

    /// A clock that stands still until [`FakeClock::advance`] moves both of its times together.
    #[derive(Debug)]
    pub struct FakeClock {
        start: (DateTime<Utc>, Instant),
        elapsed: Mutex<Duration>,
    }

    impl FakeClock {
        pub fn at(utc: DateTime<Utc>) -> FakeClock {
            FakeClock {
                start: (utc, Instant::now()),
                elapsed: Mutex::new(Duration::ZERO),
            }
        }

        pub fn advance(&self, by: Duration) {
            *self.elapsed.lock().unwrap_or_else(|p| p.into_inner()) += by;
        }

        fn elapsed(&self) -> Duration {
            *self.elapsed.lock().unwrap_or_else(|p| p.into_inner())
        }
    }

    impl Clock for FakeClock {
        fn now_utc(&self) -> DateTime<Utc> {
            let elapsed =
                chrono::Duration::from_std(self.elapsed()).unwrap_or(chrono::Duration::MAX);
            self.start.0 + elapsed
        }

        fn now_instant(&self) -> Instant {
            self.start.1 + self.elapsed()
        }
    }

    #[test]
    fn the_fake_clock_moves_only_when_told_and_both_times_together() {
        use chrono::TimeZone;
        let clock = FakeClock::at(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap());
        let (utc, instant) = (clock.now_utc(), clock.now_instant());
        assert_eq!(clock.now_utc(), utc);
        assert_eq!(clock.now_instant(), instant);
        clock.advance(Duration::from_secs(90));
        assert_eq!(clock.now_utc() - utc, chrono::Duration::seconds(90));
        assert_eq!(clock.now_instant() - instant, Duration::from_secs(90));
    }
}
