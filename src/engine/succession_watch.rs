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
    /// Detector id → its newest alert.
    detector_last: HashMap<String, DateTime<Utc>>,
    /// Cloud App Security's policy list as last read (`None` until read, or when it is not polled).
    listed: Option<Vec<PolicyState>>,
}

impl SuccessionState {
    /// How many detectors it has seen.
    pub fn detectors(&self) -> usize {
        self.detectors.len()
    }

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
            let last = self
                .detector_last
                .entry(detector.clone())
                .or_insert(alert.raised_at);
            *last = (*last).max(alert.raised_at);
            if seen.policy_id.is_none() {
                seen.policy_id = detection.policy_id.clone();
            }
            if seen.titles.len() < TITLES_PER_DETECTOR && !seen.titles.contains(&alert.title) {
                seen.titles.push(alert.title.clone());
            }
        }
    }

    /// The warning for a binding by detector: silent for `quiet_after` while alerts whose title starts like its
    /// own come from another detector (its successor, named).
    pub fn detector_warning(
        &self,
        detector_id: &str,
        now: DateTime<Utc>,
        quiet_after: chrono::Duration,
    ) -> Option<String> {
        let own = self.detectors.get(detector_id)?;
        let name = common_prefix(&own.titles);
        let bound = BoundPolicy {
            id: detector_id.to_string(),
            known_name: Some(name.clone()),
            last_alert: self.detector_last.get(detector_id).copied(),
        };
        let others: Vec<SeenDetector> = self
            .detectors
            .values()
            .filter(|d| d.detector_id != detector_id)
            .cloned()
            .collect();
        successions(&[bound], None, &others, now, quiet_after)
            .into_iter()
            .find_map(|w| match w {
                Succession::Quiet {
                    since, successor, ..
                } => Some(format!(
                    "bound detector {detector_id} ({name:?}) has raised nothing since {}; its alerts now \
                     likely come from detector {} ({:?}): bind it with detector_id",
                    since.format("%Y-%m-%d %H:%M UTC"),
                    successor.detector_id,
                    successor.title
                )),
                _ => None,
            })
    }

    /// Keeps Cloud App Security's current policy list.
    pub fn listed(&mut self, policies: Vec<PolicyState>) {
        self.listed = Some(policies);
    }
}

impl Engine {
    /// Recomputes the warnings of every binding (by policy id: gone, disabled, renamed, quiet; by detector:
    /// quiet); a warning is shown on its binding and said once.
    pub(super) fn check_successions(&mut self) {
        let now = self.now();
        let quiet_after = self.settings().detector_quiet;
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
            now,
            quiet_after,
        );
        let mut per_binding: Vec<(String, Option<String>)> = Vec::new();
        for (name, binding) in &self.settings().bindings {
            let text: Vec<String> = binding
                .rules
                .iter()
                .flat_map(|rule| match rule {
                    BindingRule::PolicyId(id) => warnings
                        .iter()
                        .filter(|w| warned_policy(w) == id)
                        .map(ToString::to_string)
                        .collect(),
                    BindingRule::DetectorId(id) => self
                        .succession
                        .detector_warning(id, now, quiet_after)
                        .into_iter()
                        .collect(),
                    _ => Vec::new(),
                })
                .collect();
            per_binding.push((name.clone(), (!text.is_empty()).then(|| text.join("; "))));
        }
        for (name, warning) in per_binding {
            let Some(view) = self.policies.view(&name) else {
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

/// The start all `titles` share, cut at a word boundary ("Impossible travel activity" of
/// "Impossible travel activity: Ana" and "Impossible travel activity").
fn common_prefix(titles: &[String]) -> String {
    let Some(first) = titles.first() else {
        return String::new();
    };
    let mut end = first.len();
    for title in &titles[1..] {
        end = first
            .char_indices()
            .zip(title.chars())
            .find(|((_, a), b)| !a.eq_ignore_ascii_case(b))
            .map_or(end.min(title.len()), |((i, _), _)| i.min(end));
    }
    let prefix = &first[..end];
    let cut = if end == first.len() {
        prefix
    } else {
        prefix.rfind(' ').map_or(prefix, |space| &prefix[..space])
    };
    cut.trim_end_matches([':', ' ', '-']).to_string()
}

fn warned_policy(warning: &Succession) -> &str {
    match warning {
        Succession::Gone { policy_id, .. }
        | Succession::Disabled { policy_id, .. }
        | Succession::Renamed { policy_id, .. }
        | Succession::Quiet { policy_id, .. } => policy_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKey, Detection, SourceKind};
    use crate::engine::interface::{Resolution, Severity};
    use chrono::Duration;

    fn alert(detector: &str, title: &str, at: DateTime<Utc>) -> SourceAlert {
        SourceAlert {
            key: AlertKey::Graph(format!("{detector}-{at}")),
            seen_by: vec![SourceKind::Graph],
            graph_id: None,
            title: title.into(),
            description: String::new(),
            severity: Severity::High,
            resolution: Resolution::Open,
            raised_at: at,
            updated_at: None,
            detection: Detection {
                detector_id: Some(detector.into()),
                ..Detection::default()
            },
            user_principal: None,
            devices: Vec::new(),
            url: None,
            entities: Vec::new(),
            read: false,
        }
    }

    #[test]
    fn a_quiet_bound_detector_names_the_one_its_titles_now_come_from() {
        let t0 = DateTime::<Utc>::default() + Duration::days(1000);
        let mut state = SuccessionState::default();
        state.learn(&alert("old", "Impossible travel activity", t0));
        state.learn(&alert("old", "Impossible travel activity: Ana", t0));
        let quiet = Duration::hours(24);
        assert_eq!(
            state.detector_warning("old", t0 + Duration::hours(30), quiet),
            None
        );
        state.learn(&alert(
            "new",
            "Impossible travel activity: Bo",
            t0 + Duration::hours(2),
        ));
        let warning = state
            .detector_warning("old", t0 + Duration::hours(30), quiet)
            .expect("warned");
        assert!(
            warning.contains("bound detector old") && warning.contains("detector new"),
            "{warning}"
        );
        assert_eq!(
            state.detector_warning("old", t0 + Duration::hours(3), quiet),
            None,
            "not quiet yet"
        );
    }

    #[test]
    fn the_common_start_of_titles_is_cut_at_a_word() {
        let titles = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            common_prefix(&titles(&[
                "Impossible travel activity",
                "Impossible travel activity: Ana"
            ])),
            "Impossible travel activity"
        );
        assert_eq!(
            common_prefix(&titles(&["Mass download by Ana", "Mass download by Bo"])),
            "Mass download by"
        );
    }
}
