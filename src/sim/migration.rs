//! A policy migration: a Cloud App Security policy is disabled and its alerts continue under a new
//! detector in Graph only, as Microsoft's replacement of legacy anomaly policies does.

use super::graph_alert_json::{Origin, detector_of_policy, from_cas};
use super::state::State;
use serde_json::Value;

/// A policy that has been migrated, and the detector its alerts now come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Migrated {
    pub policy: String,
    pub detector: String,
}

/// Migrates `policy` now: disables it in Cloud App Security and routes its later alerts to `detector`
/// (a stable successor GUID when `None`). `None` when the policy is unknown.
pub(crate) fn migrate(st: &mut State, policy: &str, detector: Option<String>) -> Option<Migrated> {
    let seed = st.scenario.policies.iter_mut().find(|p| p.id == policy)?;
    seed.enabled = false;
    let detector = detector.unwrap_or_else(|| detector_of_policy(&format!("{policy}:successor")));
    let migrated = Migrated {
        policy: policy.to_string(),
        detector,
    };
    if !st.migrated.iter().any(|m| m.policy == policy) {
        tracing::info!(policy, detector = %migrated.detector, "simulated policy migration");
        st.migrated.push(migrated.clone());
    }
    Some(migrated)
}

/// Plays the scenario's migration once its time has come.
pub(crate) fn play_due(st: &mut State) {
    let Some(seed) = st.scenario.graph_alerts.migration.clone() else {
        return;
    };
    let due = st.clock.elapsed() >= seed.after_minutes * 60.0;
    if due && !st.migrated.iter().any(|m| m.policy == seed.policy) {
        migrate(st, &seed.policy, seed.detector_id);
    }
}

/// The detector a new alert of `policy` comes from when the policy has been migrated.
pub(crate) fn successor_of(st: &State, policy: &str) -> Option<String> {
    st.migrated
        .iter()
        .find(|m| m.policy == policy)
        .map(|m| m.detector.clone())
}

/// Adds the Graph alert of a freshly built Cloud App Security alert: under the policy's detector, or
/// (migrated) under its successor with the Cloud App Security alert itself never raised.
pub(crate) fn raise(st: &mut State, cas: Value, policy: &str) {
    let successor = successor_of(st, policy);
    let detector = successor
        .clone()
        .unwrap_or_else(|| detector_of_policy(policy));
    st.next_incident += 1;
    let origin = Origin {
        detector: &detector,
        incident: st.next_incident,
    };
    let graph = from_cas(&st.scenario, &cas, origin);
    st.graph_alerts.push(graph);
    if successor.is_some() {
        st.stats.migrated_alert();
    } else {
        st.alerts.push(cas);
    }
}
