//! Service quotas on simulated time: sliding windows (CAS, Defender) and a token bucket (Graph).

use std::collections::{HashMap, VecDeque};

/// Sliding-window counters keyed by quota name.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    seen: HashMap<String, VecDeque<f64>>,
}

impl Windows {
    /// Admits one call at simulated time `now` if every `(limit, window)` pair has room.
    /// Otherwise returns the simulated seconds until a slot frees up; refused calls are not counted.
    pub(crate) fn admit(&mut self, key: &str, now: f64, limits: &[(u32, f64)]) -> Result<(), f64> {
        let longest = limits.iter().map(|(_, w)| *w).fold(0.0, f64::max);
        let q = self.seen.entry(key.to_string()).or_default();
        while q.front().is_some_and(|t| now - t >= longest) {
            q.pop_front();
        }
        let mut wait: f64 = 0.0;
        for &(limit, window) in limits {
            let inside: Vec<f64> = q.iter().copied().filter(|t| now - t < window).collect();
            if inside.len() >= limit as usize {
                let idx = inside.len() - limit as usize;
                wait = wait.max(inside[idx] + window - now);
            }
        }
        if wait > 0.0 {
            return Err(wait);
        }
        q.push_back(now);
        Ok(())
    }
}

/// A refilling token bucket (Graph resource units).
#[derive(Debug)]
pub(crate) struct Bucket {
    level: f64,
    last: f64,
}

impl Bucket {
    pub(crate) fn full(capacity: u32) -> Self {
        Self {
            level: f64::from(capacity),
            last: 0.0,
        }
    }

    /// Takes `cost` units at simulated time `now`, refilling `capacity` per `refill_secs`.
    /// Otherwise returns the simulated seconds until enough units are back.
    pub(crate) fn take(
        &mut self,
        now: f64,
        cost: f64,
        capacity: u32,
        refill_secs: f64,
    ) -> Result<(), f64> {
        let cap = f64::from(capacity);
        let rate = cap / refill_secs.max(f64::EPSILON);
        self.level = (self.level + (now - self.last).max(0.0) * rate).min(cap);
        self.last = now;
        if self.level >= cost {
            self.level -= cost;
            Ok(())
        } else {
            Err((cost - self.level) / rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_refuses_past_the_limit_and_recovers() {
        let mut w = Windows::default();
        for i in 0..3 {
            assert!(w.admit("k", f64::from(i), &[(3, 60.0)]).is_ok());
        }
        let wait = w.admit("k", 10.0, &[(3, 60.0)]).unwrap_err();
        assert!((wait - 50.0).abs() < 1e-9);
        assert!(w.admit("k", 60.5, &[(3, 60.0)]).is_ok());
    }

    #[test]
    fn hourly_limit_applies_alongside_minute_limit() {
        let mut w = Windows::default();
        let limits = [(100, 60.0), (2, 3600.0)];
        assert!(w.admit("k", 0.0, &limits).is_ok());
        assert!(w.admit("k", 100.0, &limits).is_ok());
        let wait = w.admit("k", 200.0, &limits).unwrap_err();
        assert!((wait - 3400.0).abs() < 1e-9);
    }

    #[test]
    fn bucket_drains_and_refills() {
        let mut b = Bucket::full(2);
        assert!(b.take(0.0, 1.0, 2, 10.0).is_ok());
        assert!(b.take(0.0, 1.0, 2, 10.0).is_ok());
        let wait = b.take(0.0, 1.0, 2, 10.0).unwrap_err();
        assert!((wait - 5.0).abs() < 1e-9);
        assert!(b.take(5.0, 1.0, 2, 10.0).is_ok());
    }
}
