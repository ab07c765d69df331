//! The simulator's own clock: wall time since start-up multiplied by the scenario's time scale.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use std::time::Instant;

/// Simulated time. Everything that ages (actions, quotas, arrivals) reads this clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SimClock {
    started: Instant,
    origin: DateTime<Utc>,
    scale: f64,
}

impl SimClock {
    /// A clock that starts at the current UTC time and runs `scale` times faster than the wall.
    pub(crate) fn new(scale: f64) -> Self {
        Self {
            started: Instant::now(),
            origin: Utc::now(),
            scale,
        }
    }

    /// Simulated seconds since start-up.
    pub(crate) fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * self.scale
    }

    /// The simulated moment `sim_secs` after start-up.
    pub(crate) fn at(&self, sim_secs: f64) -> DateTime<Utc> {
        self.origin + Duration::microseconds((sim_secs * 1_000_000.0) as i64)
    }

    /// The current simulated moment.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.at(self.elapsed())
    }

    /// Wall-clock seconds that `sim_secs` of simulated time take.
    pub(crate) fn wall_secs(&self, sim_secs: f64) -> f64 {
        sim_secs / self.scale
    }
}

/// The ISO-8601 time in `value[field]` (a JSON alert's), if it is one.
pub(crate) fn json_time(value: &serde_json::Value, field: &str) -> Option<DateTime<Utc>> {
    value[field]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// ISO-8601 with seven fractional digits, as Defender writes its timestamps.
pub(crate) fn iso7(t: DateTime<Utc>) -> String {
    let (date, time) = (t.date_naive(), t.time());
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        date.year(),
        date.month(),
        date.day(),
        time.hour(),
        time.minute(),
        time.second(),
        t.timestamp_subsec_nanos() % 1_000_000_000 / 100
    )
}

/// ISO-8601 with milliseconds, as Cloud App Security and Graph write theirs.
pub(crate) fn iso_ms(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// ISO-8601 to the second.
pub(crate) fn iso_s(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso7_has_seven_digits() {
        let t = DateTime::parse_from_rfc3339("2024-07-25T08:05:11.2262283Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(iso7(t), "2024-07-25T08:05:11.2262283Z");
        let whole = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(iso7(whole), "2026-01-02T03:04:05.0000000Z");
    }

    #[test]
    fn scaled_clock_maps_sim_wall_secs() {
        let c = SimClock::new(30.0);
        assert!((c.wall_secs(60.0) - 2.0).abs() < 1e-9);
    }
}
