//! The planned-alerts component: which alerts had their machines resolved (or being resolved) and planned.

use std::collections::HashSet;

/// Alerts considered to the end (planned, or waiting for a resolve that will plan them).
#[derive(Default)]
pub(super) struct Planned {
    alerts: HashSet<String>,
}

impl Planned {
    /// Whether the alert was planned (it is not considered again unless it changes).
    pub fn contains(&self, alert_id: &str) -> bool {
        self.alerts.contains(alert_id)
    }

    /// The alert is planned, or its planning is under way.
    pub fn mark(&mut self, alert_id: &str) {
        self.alerts.insert(alert_id.to_string());
    }

    /// The alert is to be considered again (its plan was not journaled), or it left memory.
    pub fn forget(&mut self, alert_id: &str) {
        self.alerts.remove(alert_id);
    }
}
