//! Watching bindings that may stop firing: what the polls teach about policies and detectors, turned into
//! warnings (with the likely successor) on the Policies pane, in notices and in the JSON stream.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::alert::{
    BindingRule, BoundPolicy, PolicyState, SeenDetector, SourceAlert, Succession, successions,
};

use super::core::Engine;
use super::interface::Level;

/// Titles kept per detector: enough to recognise a successor.
const TITLES_PER_DETECTOR: usize = 5;

/// What the engine has learnt about policies and detectors.
#[derive(Debug, Default)]
pub(super) struct SuccessionState {
    detectors: HashMap<String, SeenDetector>,
    /// Policy id → its name as its alerts gave it.
    names: HashMap<String, String>,
    /// Policy id → its newest alert.
    last_alert: HashMap<String, DateTime<Utc>>,
    /// Cloud App Security's policy list as last read (`None` until read, or when it is not polled).
    listed: Option<Vec<PolicyState>>,
}

impl SuccessionState {
    /// Learns from one alert: its policy's name and newest alert, its detector's titles.
    pub fn learn(&mut self, alert: &SourceAlert) {
        let detection = &alert.detection;
        if let Some(policy) = &detection.policy_id {
            if let Some(name) = &detection.policy_name {
                self.names.entry(policy.clone()).or_insert(name.clone());
            }
            let last = self
                .last_alert
                .entry(policy.clone())
                .or_insert(alert.raised_at);
            *last = (*last).max(alert.raised_at);
        }
        if let Some(detector) = &detection.detector_id {
            let seen = self
                .detectors
                .entry(detector.clone())
                .or_insert_with(|| SeenDetector {
                    detector_id: detector.clone(),
                    policy_id: None,
                    titles: Vec::new(),
                    first_seen: alert.raised_at,
                });
            seen.first_seen = seen.first_seen.min(alert.raised_at);
            if seen.policy_id.is_none() {
                seen.policy_id = detection.policy_id.clone();
            }
            if seen.titles.len() < TITLES_PER_DETECTOR && !seen.titles.contains(&alert.title) {
                seen.titles.push(alert.title.clone());
            }
        }
    }

    /// Keeps Cloud App Security's current policy list.
    pub fn listed(&mut self, policies: Vec<PolicyState>) {
        self.listed = Some(policies);
    }
}

impl Engine {
    /// Recomputes the warnings of bindings by policy id; a warning is shown on its policy and said once.
    pub(super) fn check_successions(&mut self) {
        let bound: Vec<BoundPolicy> = self
            .settings()
            .bindings
            .values()
            .flat_map(|b| &b.rules)
            .filter_map(|rule| match rule {
                BindingRule::PolicyId(id) => Some(BoundPolicy {
                    id: id.clone(),
                    known_name: self.succession.names.get(id).cloned(),
                    last_alert: self.succession.last_alert.get(id).copied(),
                }),
                _ => None,
            })
            .collect();
        let detectors: Vec<SeenDetector> = self.succession.detectors.values().cloned().collect();
        let warnings = successions(
            &bound,
            self.succession.listed.as_deref(),
            &detectors,
            self.now(),
            self.settings().detector_quiet,
        );
        for policy in bound {
            let text = warnings
                .iter()
                .filter(|w| warned_policy(w) == policy.id)
                .map(ToString::to_string)
                .collect::<Vec<_>>();
            let warning = (!text.is_empty()).then(|| text.join("; "));
            let Some(view) = self.policies.get(&policy.id) else {
                continue;
            };
            if view.warning == warning {
                continue;
            }
            let mut view = view.clone();
            view.warning = warning.clone();
            if let Some(text) = warning {
                tracing::warn!("{text}");
                self.notice(Level::Warn, text);
            }
            self.set_policy(view);
        }
    }
}

fn warned_policy(warning: &Succession) -> &str {
    match warning {
        Succession::Gone { policy_id, .. }
        | Succession::Disabled { policy_id, .. }
        | Succession::Renamed { policy_id, .. }
        | Succession::Quiet { policy_id, .. } => policy_id,
    }
}
