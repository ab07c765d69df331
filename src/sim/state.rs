//! The simulator's single piece of mutable state (held in one Mutex; handlers never await while holding it).

use super::actions::Action;
use super::clock::SimClock;
use super::faults::Faults;
use super::graph_alert_json::{Origin, detector_of_policy, endpoint_alerts, from_cas};
use super::indexed::Indexed;
use super::migration::Migrated;
use super::quota::{Bucket, Windows};
use super::scenario::Scenario;
use super::seed;
use super::stats::Stats;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sha2::{Digest, Sha256};
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

/// The Cloud App Security alerts' indexed identity.
const CAS_KEYS: &[&str] = &["_id"];
/// The Graph alerts' indexed identities: their own, and the Cloud App Security alert each mirrors.
const GRAPH_KEYS: &[&str] = &["id", "providerAlertId"];
/// The machine actions' indexed identities, named as `$filter` names them.
const ACTION_KEYS: &[&str] = &["id", "machineId"];

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
    /// Separate stream for fault rolls, so injected faults do not shift ids, arrivals or outcomes.
    pub fault_rng: StdRng,
    pub scenario: Scenario,
    pub faults: Faults,
    /// Cloud App Security alerts, indexed on `_id`.
    pub alerts: Indexed<Value>,
    /// Graph `alerts_v2`: one per Cloud App Security alert, the endpoint alerts, migrated arrivals; indexed
    /// on `id` and `providerAlertId`.
    pub graph_alerts: Indexed<Value>,
    /// Policies migrated so far, with their successor detectors.
    pub migrated: Vec<Migrated>,
    /// Last Graph incident number handed out.
    pub next_incident: u64,
    pub machines: Vec<Value>,
    /// Machine actions, indexed on `id` and `machineId`.
    pub actions: Indexed<Action>,
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
        let alerts: Vec<Value> = scenario
            .alerts
            .iter()
            .filter_map(|a| {
                next_id_value += rng.random_range(1..9);
                seed::backlog_alert(&scenario, a, next_id_value, now, &mut rng)
            })
            .collect();
        let mut next_incident = 40_000;
        let mut graph_alerts: Vec<Value> = alerts
            .iter()
            .map(|cas| {
                next_incident += 1;
                let policy = cas["policy"]["id"].as_str().unwrap_or_default();
                let detector = detector_of_policy(policy);
                let origin = Origin {
                    detector: &detector,
                    incident: next_incident,
                };
                from_cas(&scenario, cas, origin)
            })
            .collect();
        graph_alerts.extend(endpoint_alerts(
            &scenario,
            scenario.graph_alerts.endpoint_alerts,
            now,
        ));
        Self {
            fault_rng: StdRng::seed_from_u64(scenario.seed ^ 0x5eed_fa17),
            clock,
            graph_bucket: Bucket::full(scenario.quotas.graph_bucket),
            faults: scenario.faults.clone(),
            scenario,
            rng,
            alerts: Indexed::new(CAS_KEYS, alerts),
            graph_alerts: Indexed::new(GRAPH_KEYS, graph_alerts),
            migrated: Vec::new(),
            next_incident,
            machines,
            actions: Indexed::new(ACTION_KEYS, Vec::new()),
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

    /// Three uniform draws in 0..1 fixed by the seed and `key` alone (not by how many requests came before).
    pub(crate) fn draws_for(&self, key: &str) -> [f64; 3] {
        let digest = Sha256::digest(format!("{}:{key}", self.scenario.seed).as_bytes());
        let unit = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&digest[i * 8..i * 8 + 8]);
            (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
        };
        [unit(0), unit(1), unit(2)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_draws_depend_only_on_seed_and_key() {
        let mut a = State::new(Scenario::quiet());
        let b = State::new(Scenario::quiet());
        a.guid();
        assert_eq!(
            a.draws_for("m:RunAntiVirusScan:0"),
            b.draws_for("m:RunAntiVirusScan:0")
        );
        assert_ne!(
            a.draws_for("m:RunAntiVirusScan:0"),
            a.draws_for("m:RunAntiVirusScan:1")
        );
        assert!(a.draws_for("x").iter().all(|u| (0.0..1.0).contains(u)));
    }
}
