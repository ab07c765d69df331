//! Plan: one remediation per machine and flow step, each with a stable idempotency key and comment.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::store::NewRemediation;

use super::gate::Verdict;
use super::interface::{AlertView, MachineView, RemediationState};
use super::settings::FlowPlan;

/// The key that makes a remediation unique: the same alert, flow, step and machine always give the same key.
pub fn idempotency_key(alert_id: &str, flow_id: &str, step: u32, machine_id: &str) -> String {
    let digest = Sha256::digest(format!("{alert_id}\n{flow_id}\n{step}\n{machine_id}"));
    format!("rmd-{}", &hex::encode(digest)[..20])
}

/// The comment sent with the action: the flow's template filled in (the API client appends the key).
pub fn render_comment(template: &str, alert: &AlertView, machine_name: &str) -> String {
    template
        .replace("{alert_id}", &alert.id)
        .replace("{alert_title}", &alert.title)
        .replace("{policy}", &alert.policy_name)
        .replace("{user}", alert.user.as_deref().unwrap_or("-"))
        .replace("{machine}", machine_name)
}

/// Remediations for every step of `flow` on every machine, in the gate's states.
/// Later steps start `proposed` or `approved` like the first and wait for it at dispatch.
pub fn plan(
    alert: &AlertView,
    flow: &FlowPlan,
    machines: &[MachineView],
    verdicts: &[Verdict],
    requested_by: &str,
    now: DateTime<Utc>,
) -> Vec<NewRemediation> {
    let mut planned = Vec::new();
    for (machine, verdict) in machines.iter().zip(verdicts) {
        for (index, action) in flow.steps.iter().enumerate() {
            let step = index as u32 + 1;
            let state = if verdict.state == RemediationState::Skipped && step > 1 {
                RemediationState::Skipped
            } else {
                verdict.state
            };
            planned.push(NewRemediation {
                idempotency_key: idempotency_key(&alert.id, &flow.id, step, &machine.id),
                alert_id: alert.id.clone(),
                policy_id: alert.policy_id.clone(),
                flow_id: flow.id.clone(),
                step: i64::from(step),
                machine_id: machine.id.clone(),
                machine_name: machine.name.clone(),
                action: action.clone(),
                state,
                reason: verdict.reason.clone(),
                requested_by: requested_by.into(),
                proof: serde_json::to_value(machine).unwrap_or_default(),
                at: now,
            });
        }
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_stable_and_distinguishes_every_part() {
        let k = idempotency_key("a1", "scan", 1, "m1");
        assert_eq!(k, idempotency_key("a1", "scan", 1, "m1"));
        assert_ne!(k, idempotency_key("a1", "scan", 2, "m1"));
        assert_ne!(k, idempotency_key("a1", "scan", 1, "m2"));
        assert_ne!(k, idempotency_key("a2", "scan", 1, "m1"));
        assert!(k.starts_with("rmd-") && k.len() == 24);
    }
}
