//! Gate: decides per machine whether a planned action waits for approval, goes at once, or is skipped.

use chrono::{DateTime, Utc};

use super::interface::{MachineView, Mode, RemediationState};
use super::settings::{Binding, EngineSettings};

/// The gate's verdict for one machine, with the reason shown to the analyst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub state: RemediationState,
    pub reason: Option<String>,
}

/// What the gate needs to know about the alert being planned.
pub struct GateInput<'a> {
    pub mode: Mode,
    pub binding: &'a Binding,
    /// Actions of this policy sent to Defender in the last hour, plus those approved and about to leave.
    pub acted_this_hour: u64,
    pub now: DateTime<Utc>,
}

/// Decides each machine in order; `auto` falls back to approval past the blast-radius limits or on
/// protected machines; machines Defender has not seen lately are skipped.
pub fn decide(
    input: &GateInput<'_>,
    machines: &[MachineView],
    settings: &EngineSettings,
) -> Vec<Verdict> {
    let mut auto_count: u64 = 0;
    machines
        .iter()
        .map(|machine| {
            if let Some(last_seen) = machine.last_seen
                && input.now - last_seen > settings.stale_after
            {
                return Verdict {
                    state: RemediationState::Skipped,
                    reason: Some(format!(
                        "stale: Defender last saw it {} days ago",
                        (input.now - last_seen).num_days()
                    )),
                };
            }
            if input.mode != Mode::Auto {
                return proposed(None);
            }
            if machine.protected {
                return proposed(Some(format!(
                    "protected machine ({}): always needs approval",
                    protection(machine, settings)
                )));
            }
            if auto_count >= u64::from(input.binding.max_per_alert) {
                return proposed(Some(format!(
                    "auto limit reached: {} machines per alert; needs approval",
                    input.binding.max_per_alert
                )));
            }
            if input.acted_this_hour + auto_count >= u64::from(input.binding.max_per_hour) {
                return proposed(Some(format!(
                    "auto limit reached: {} machines per hour for this policy; needs approval",
                    input.binding.max_per_hour
                )));
            }
            auto_count += 1;
            Verdict {
                state: RemediationState::Approved,
                reason: Some("policy mode auto".into()),
            }
        })
        .collect()
}

fn proposed(reason: Option<String>) -> Verdict {
    Verdict {
        state: RemediationState::Proposed,
        reason,
    }
}

fn protection(machine: &MachineView, settings: &EngineSettings) -> String {
    machine
        .tags
        .iter()
        .find(|t| {
            settings
                .protected_tags
                .iter()
                .any(|p| p.eq_ignore_ascii_case(t))
        })
        .map(|t| format!("tag {t}"))
        .or_else(|| machine.group.as_ref().map(|g| format!("group {g}")))
        .unwrap_or_else(|| "config".into())
}
