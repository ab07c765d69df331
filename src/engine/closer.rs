//! The closer component: the alerts whose closing was decided, and the close call under way per alert.

use std::collections::HashSet;

use super::job::KeyedJobs;

/// What closing keeps between calls.
#[derive(Default)]
pub(super) struct Closer {
    /// Alerts whose closing was decided (closed, or left open because a remediation did not succeed).
    decided: HashSet<String>,
    /// Alerts with a close call under way.
    calls: KeyedJobs<String>,
}

impl Closer {
    /// Whether closing the alert was decided already.
    pub fn is_decided(&self, alert_id: &str) -> bool {
        self.decided.contains(alert_id)
    }

    /// Closing the alert is decided: it is not looked at again.
    pub fn decide(&mut self, alert_id: &str) {
        self.decided.insert(alert_id.to_string());
    }

    /// Starts a close call for the alert unless one is under way; true when the caller sends it now.
    pub fn start_call(&self, alert_id: &str) -> bool {
        self.calls.try_start(&alert_id.to_string())
    }

    /// The alert's close call ended (its outcome came as a notice).
    pub fn call_done(&self, alert_id: &str) {
        self.calls.finish(&alert_id.to_string());
    }

    /// The alert left memory: nothing is kept about it.
    pub fn forget(&mut self, alert_id: &str) {
        self.decided.remove(alert_id);
    }
}
