//! Reading a journal row's state and action kind: what does not parse is refused with a reason, never coerced.

use crate::store::RemediationRow;

use super::interface::{ActionKind, RemediationState};

/// The row's action kind, or why it cannot be used: unknown kinds and kinds that contradict the stored
/// Defender action type are never sent.
pub fn stored_action(row: &RemediationRow) -> Result<ActionKind, String> {
    let shown = || {
        row.params
            .get("kind")
            .and_then(|k| k.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| row.params.to_string())
    };
    let kind: ActionKind = serde_json::from_value(row.params.clone()).map_err(|_| {
        format!(
            "stored action '{}' is not a known action kind",
            crate::text::sanitize(&shown())
        )
    })?;
    if kind.defender_type() != row.action {
        return Err(format!(
            "stored action '{}' does not match its parameters ({})",
            crate::text::sanitize(&row.action),
            kind.defender_type()
        ));
    }
    Ok(kind)
}

/// The row's state, or why it is not one remedy knows.
pub fn stored_state(row: &RemediationRow) -> Result<RemediationState, String> {
    RemediationState::parse(&row.state).ok_or_else(|| {
        format!(
            "stored state '{}' is not a known state",
            crate::text::sanitize(&row.state)
        )
    })
}

/// Why a row must be refused (moved to `skipped`) before anything acts on it; `None` when it is usable.
/// Rows already sent keep their state: Defender holds their action, and tracking needs no kind.
pub fn refusal(row: &RemediationRow) -> Option<String> {
    let state = match stored_state(row) {
        Ok(state) => state,
        Err(why) => return Some(why),
    };
    let unsent = matches!(
        state,
        RemediationState::Proposed | RemediationState::Approved | RemediationState::Queued
    );
    if !unsent {
        return None;
    }
    stored_action(row).err()
}

/// A journal row for unit tests.
#[cfg(test)]
pub(super) fn test_row(state: &str, action: &str, params: serde_json::Value) -> RemediationRow {
    let now = chrono::Utc::now();
    RemediationRow {
        id: "r1".into(),
        idempotency_key: "k".into(),
        alert_id: "a".into(),
        policy_id: "p".into(),
        flow_id: "f".into(),
        step: 1,
        machine_id: "m".into(),
        machine_name: "pc".into(),
        action: action.into(),
        params,
        state: state.into(),
        reason: None,
        provider_action_id: None,
        requested_by: "tester".into(),
        created_at: now,
        updated_at: now,
        submitted_at: None,
        final_at: None,
        claimed_by: None,
        claimed_at: None,
        proof: serde_json::json!({}),
        cover: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(state: &str, action: &str, params: serde_json::Value) -> RemediationRow {
        test_row(state, action, params)
    }

    #[test]
    fn unknown_kinds_and_states_are_refused_never_coerced() {
        let scan = json!({"kind": "antivirus_scan", "scan_type": "Quick"});
        let good = row("approved", "RunAntiVirusScan", scan.clone());
        assert_eq!(
            stored_action(&good),
            Ok(ActionKind::AntivirusScan {
                scan_type: "Quick".into()
            })
        );
        assert_eq!(refusal(&good), None);
        let wipe = row("approved", "RunAntiVirusScan", json!({"kind": "wipe_disk"}));
        assert_eq!(
            refusal(&wipe).as_deref(),
            Some("stored action 'wipe_disk' is not a known action kind")
        );
        let mismatch = row("proposed", "Isolate", scan.clone());
        assert!(refusal(&mismatch).unwrap().contains("does not match"));
        let strange = row("half-sent", "RunAntiVirusScan", scan.clone());
        assert_eq!(
            refusal(&strange).as_deref(),
            Some("stored state 'half-sent' is not a known state")
        );
        let sent = row(
            "InProgress",
            "RunAntiVirusScan",
            json!({"kind": "wipe_disk"}),
        );
        assert_eq!(
            refusal(&sent),
            None,
            "already at Defender: tracked, not refused"
        );
    }
}
