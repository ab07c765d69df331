//! The scenario's `[graph_alerts]` section: what Graph `alerts_v2` serves besides the Cloud App Security alerts.

use serde::{Deserialize, Serialize};

/// Graph security alerts of the scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphAlertsSeed {
    /// Defender for Endpoint alerts with device evidence, on the first machines someone logs on to.
    pub endpoint_alerts: usize,
    /// Largest page of the lenient profile (the strict profile pages at 2 whatever `$top` asks).
    pub page_size: usize,
    /// A policy migration played while the simulator runs.
    pub migration: Option<MigrationSeed>,
}

impl GraphAlertsSeed {
    /// What makes the section unusable with these policy ids, if anything.
    pub(crate) fn problem<'a>(
        &self,
        mut policy_ids: impl Iterator<Item = &'a str>,
    ) -> Option<String> {
        if self.page_size == 0 {
            return Some("graph_alerts.page_size must be at least 1".to_string());
        }
        let m = self.migration.as_ref()?;
        if !policy_ids.any(|id| id == m.policy) {
            return Some(format!(
                "graph_alerts.migration names unknown policy {}",
                m.policy
            ));
        }
        if !(m.after_minutes.is_finite() && m.after_minutes >= 0.0) {
            return Some("graph_alerts.migration.after_minutes must be 0 or more".to_string());
        }
        None
    }
}

impl Default for GraphAlertsSeed {
    fn default() -> Self {
        Self {
            endpoint_alerts: 3,
            page_size: 50,
            migration: None,
        }
    }
}

/// A Cloud App Security policy replaced by a Microsoft-maintained detection: at `after_minutes` the
/// policy is disabled, and its later alerts reach Graph only, from `detector_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationSeed {
    /// The policy id that is disabled.
    pub policy: String,
    /// Simulated minutes after start-up.
    #[serde(default)]
    pub after_minutes: f64,
    /// The successor's detector id; a stable GUID derived from the policy when absent.
    #[serde(default)]
    pub detector_id: Option<String>,
}
