//! The simulator's single piece of mutable state (held in one Mutex; handlers never await while holding it).

use super::actions::Action;
use super::clock::SimClock;
use super::faults::Faults;
use super::quota::{Bucket, Windows};
use super::scenario::Scenario;
use super::seed;
use super::stats::Stats;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

/// The four services behind the one listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Service {
    Cas,
    Mde,
    Graph,
    Login,
}

impl Service {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Service::Cas => "cas",
            Service::Mde => "mde",
            Service::Graph => "graph",
            Service::Login => "login",
        }
    }
}

/// An issued bearer token.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub service: Service,
    pub roles: Vec<String>,
    pub expires: Instant,
    pub app: String,
}

/// Everything that changes while the simulator runs.
pub(crate) struct State {
    pub clock: SimClock,
    pub rng: StdRng,
    pub scenario: Scenario,
    pub faults: Faults,
    pub alerts: Vec<Value>,
    pub machines: Vec<Value>,
    pub actions: Vec<Action>,
    pub tokens: HashMap<String, Token>,
    pub windows: Windows,
    pub graph_bucket: Bucket,
    pub cas_throttles: u64,
    pub stats: Stats,
    pub next_id_value: u64,
}

impl State {
    pub(crate) fn new(scenario: Scenario) -> Self {
        let clock = SimClock::new(scenario.time_scale);
        let now = clock.now();
        let mut rng = StdRng::seed_from_u64(scenario.seed);
        let machines = scenario
            .machines
            .iter()
            .map(|m| seed::machine_json(m, now))
            .collect();
        let mut next_id_value = 15_795_000;
        let alerts = scenario
            .alerts
            .iter()
            .filter_map(|a| {
                next_id_value += rng.random_range(1..9);
                seed::backlog_alert(&scenario, a, next_id_value, now, &mut rng)
            })
            .collect();
        Self {
            clock,
            graph_bucket: Bucket::full(scenario.quotas.graph_bucket),
            faults: scenario.faults.clone(),
            scenario,
            rng,
            alerts,
            machines,
            actions: Vec::new(),
            tokens: HashMap::new(),
            windows: Windows::default(),
            cas_throttles: 0,
            stats: Stats::default(),
            next_id_value,
        }
    }

    /// A fresh GUID drawn from the seeded generator.
    pub(crate) fn guid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.random())
            .into_uuid()
            .to_string()
    }

    /// `n` random lowercase hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit(self.rng.random_range(0..16), 16).unwrap_or('0'))
            .collect()
    }

    /// A uniform draw in `[lo, hi]`.
    pub(crate) fn between(&mut self, [lo, hi]: [f64; 2]) -> f64 {
        if hi > lo {
            self.rng.random_range(lo..=hi)
        } else {
            lo
        }
    }
}

/// The shared handle to the state.
pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(scenario: Scenario) -> Self {
        Self {
            state: Mutex::new(State::new(scenario)),
        }
    }

    /// Locks the state; a poisoned lock is recovered (each handler leaves the state consistent).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
