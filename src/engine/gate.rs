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

/// What a read-only session says instead of approving: it decides nothing.
pub const READ_ONLY_WOULD_APPROVE: &str = "auto would approve; not sent: read-only session";

/// Decides each machine in order; `auto` falls back to approval past the blast-radius limits or on
/// protected machines; machines Defender has not seen lately are skipped. A read-only session approves
/// nothing: what auto would approve stays a proposal that says so.
pub fn decide(
    input: &GateInput<'_>,
    machines: &[MachineView],
    settings: &EngineSettings,
) -> Vec<Verdict> {
    let verdicts = decide_as_auto_would(input, machines, settings);
    if !settings.read_only {
        return verdicts;
    }
    verdicts
        .into_iter()
        .map(|v| match v.state {
            RemediationState::Approved => proposed(Some(READ_ONLY_WOULD_APPROVE.into())),
            _ => v,
        })
        .collect()
}

fn decide_as_auto_would(
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn machine(id: &str, now: DateTime<Utc>) -> MachineView {
        MachineView {
            id: id.into(),
            name: format!("{id}.contoso.com"),
            found_by: "test".into(),
            last_seen: Some(now),
            health: "Active".into(),
            group: None,
            tags: Vec::new(),
            os: None,
            protected: false,
        }
    }

    #[test]
    fn read_only_turns_what_auto_would_approve_into_a_proposal_that_says_so() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let config = crate::wiring::demo_config("http://127.0.0.1:9").expect("demo config");
        let binding = Binding {
            flow_id: "antivirus-scan-full".into(),
            mode: Mode::Auto,
            max_per_alert: 1,
            max_per_hour: 10,
            rules: Vec::new(),
        };
        let input = GateInput {
            mode: Mode::Auto,
            binding: &binding,
            acted_this_hour: 0,
            now,
        };
        let machines = [machine("m1", now), machine("m2", now)];
        let normal = decide(
            &input,
            &machines,
            &EngineSettings::from_config(&config, false, true),
        );
        assert_eq!(normal[0].state, RemediationState::Approved);
        let read_only = decide(
            &input,
            &machines,
            &EngineSettings::from_config(&config, true, true),
        );
        assert_eq!(read_only[0].state, RemediationState::Proposed);
        assert_eq!(
            read_only[0].reason.as_deref(),
            Some(READ_ONLY_WOULD_APPROVE)
        );
        assert_eq!(
            read_only[1], normal[1],
            "a limit that needs approval says so in both"
        );
        assert!(
            read_only
                .iter()
                .all(|v| v.state != RemediationState::Approved)
        );
    }
}
