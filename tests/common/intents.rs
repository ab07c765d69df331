//! The remediation intent store tests start from: a proposed Full scan of `machine-{key}` for alert `a1`.

use chrono::{DateTime, Utc};
use remedy::lifecycle::{ActionKind, RemediationState};
use remedy::store::NewRemediation;
use serde_json::json;

/// A proposed Full antivirus scan keyed `key`, for alert `a1` under policy `p1`, on machine `machine-{key}`,
/// proposed at `at`; tests change what they are about with struct update syntax.
pub fn scan_intent(key: &str, at: DateTime<Utc>) -> NewRemediation {
    NewRemediation {
        idempotency_key: key.into(),
        alert_id: "a1".into(),
        policy_id: "p1".into(),
        flow_id: "av-scan".into(),
        step: 0,
        machine_id: format!("machine-{key}"),
        machine_name: "laptop".into(),
        action: ActionKind::AntivirusScan {
            scan_type: "Full".into(),
        },
        state: RemediationState::Proposed,
        reason: None,
        requested_by: "remedy".into(),
        proof: json!({"graphDeviceId": "g-1", "aadDeviceId": "g-1"}),
        at,
    }
}
