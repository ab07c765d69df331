//! Cover rules: when an action remedy did not send for a remediation may stand for it (attach, cool-down).

use chrono::{DateTime, Utc};

use crate::api::models::defender::{ActionStatus, MachineAction};
use crate::store::RemediationRow;

use super::interface::{ActionKind, Cover, CoverKind, ProofRead, RemediationState};
use super::track::action_state;

/// Whether `action`, as just read from Defender, is running on `machine_id` as the same kind of action.
pub fn attachable(action: &MachineAction, machine_id: &str, kind: &ActionKind) -> bool {
    matches!(
        action.status,
        ActionStatus::Pending | ActionStatus::InProgress
    ) && same_target(action, machine_id, kind)
}

fn same_target(action: &MachineAction, machine_id: &str, kind: &ActionKind) -> bool {
    action.machine_id.as_deref() == Some(machine_id) && action.kind.as_str() == kind.defender_type()
}

/// The newest action of a fresh read (made at `read_at`) that a remediation may attach to, with the proof.
pub fn running_cover(
    actions: &[MachineAction],
    machine_id: &str,
    kind: &ActionKind,
    read_at: DateTime<Utc>,
    read: ProofRead,
) -> Option<(MachineAction, Cover)> {
    let action = actions
        .iter()
        .filter(|a| attachable(a, machine_id, kind))
        .max_by_key(|a| a.creation_time)?;
    let cover = Cover {
        kind: CoverKind::Running,
        action_id: action.id.clone(),
        created_at: action.creation_time,
        status: action_state(action),
        requestor: action.requestor.as_deref().map(crate::text::sanitize),
        succeeded_at: None,
        checked_at: read_at,
        read: Some(read),
    };
    Some((action.clone(), cover))
}

/// The newest action of a fresh read (made at `now`) that succeeded on the machine within `cooldown`.
pub fn cooldown_cover_from_defender(
    actions: &[MachineAction],
    machine_id: &str,
    kind: &ActionKind,
    cooldown: chrono::Duration,
    now: DateTime<Utc>,
    read: ProofRead,
) -> Option<Cover> {
    if cooldown <= chrono::Duration::zero() {
        return None;
    }
    let action = actions
        .iter()
        .filter(|a| a.status == ActionStatus::Succeeded && same_target(a, machine_id, kind))
        .filter(|a| a.last_update_time.is_some_and(|at| now - at < cooldown))
        .max_by_key(|a| a.last_update_time)?;
    Some(Cover {
        kind: CoverKind::CoolDown,
        action_id: action.id.clone(),
        created_at: action.creation_time,
        status: RemediationState::Succeeded,
        requestor: action.requestor.as_deref().map(crate::text::sanitize),
        succeeded_at: action.last_update_time,
        checked_at: now,
        read: Some(read),
    })
}

/// A journal remediation that succeeded within `cooldown` before `now` as cool-down proof.
pub fn cooldown_cover_from_journal(
    earlier: &RemediationRow,
    cooldown: chrono::Duration,
    now: DateTime<Utc>,
) -> Option<Cover> {
    let succeeded_at = earlier.final_at?;
    let fits = cooldown > chrono::Duration::zero()
        && now - succeeded_at < cooldown
        && earlier.state == RemediationState::Succeeded;
    if !fits {
        return None;
    }
    Some(Cover {
        kind: CoverKind::CoolDown,
        action_id: earlier.provider_action_id.clone()?,
        created_at: earlier.submitted_at,
        status: RemediationState::Succeeded,
        requestor: Some(crate::text::sanitize(&earlier.requested_by)),
        succeeded_at: Some(succeeded_at),
        checked_at: now,
        read: Some(ProofRead::Journal),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn scan() -> ActionKind {
        ActionKind::AntivirusScan {
            scan_type: "Full".into(),
        }
    }

    fn action(
        id: &str,
        machine: &str,
        kind: &str,
        status: ActionStatus,
        minutes_ago: i64,
    ) -> MachineAction {
        let at = now() - chrono::Duration::minutes(minutes_ago);
        serde_json::from_value(serde_json::json!({
            "id": id,
            "type": kind,
            "status": status.as_str(),
            "machineId": machine,
            "requestor": "alice@contoso.com",
            "creationDateTimeUtc": at - chrono::Duration::minutes(5),
            "lastUpdateDateTimeUtc": at,
        }))
        .expect("action parses")
    }

    #[test]
    fn attaches_only_to_a_running_action_of_the_same_machine_and_kind() {
        let kind = scan();
        assert!(attachable(
            &action("a", "m1", "RunAntiVirusScan", ActionStatus::Pending, 1),
            "m1",
            &kind
        ));
        assert!(attachable(
            &action("a", "m1", "RunAntiVirusScan", ActionStatus::InProgress, 1),
            "m1",
            &kind
        ));
        for status in [
            ActionStatus::Succeeded,
            ActionStatus::Failed,
            ActionStatus::TimeOut,
            ActionStatus::Cancelled,
            ActionStatus::Unknown("Weird".into()),
        ] {
            let ended = action("a", "m1", "RunAntiVirusScan", status.clone(), 1);
            assert!(!attachable(&ended, "m1", &kind), "{status:?}");
        }
        assert!(!attachable(
            &action("a", "m2", "RunAntiVirusScan", ActionStatus::Pending, 1),
            "m1",
            &kind
        ));
        assert!(!attachable(
            &action("a", "m1", "Isolate", ActionStatus::Pending, 1),
            "m1",
            &kind
        ));
        assert!(!attachable(
            &action("a", "M1", "RunAntiVirusScan", ActionStatus::Pending, 1),
            "m1",
            &kind
        ));
    }

    #[test]
    fn running_cover_records_the_newest_running_action_as_proof() {
        let actions = [
            action(
                "old",
                "m1",
                "RunAntiVirusScan",
                ActionStatus::InProgress,
                30,
            ),
            action(
                "ended",
                "m1",
                "RunAntiVirusScan",
                ActionStatus::Succeeded,
                0,
            ),
            action("new", "m1", "RunAntiVirusScan", ActionStatus::Pending, 2),
        ];
        let (found, cover) =
            running_cover(&actions, "m1", &scan(), now(), ProofRead::Machine).expect("covered");
        assert_eq!(found.id, "new");
        assert_eq!(cover.action_id, "new");
        assert_eq!(cover.kind, CoverKind::Running);
        assert_eq!(cover.status, RemediationState::Pending);
        assert_eq!(cover.requestor.as_deref(), Some("alice@contoso.com"));
        assert_eq!(cover.created_at, found.creation_time);
        assert_eq!(cover.checked_at, now());
        let ended = [action(
            "x",
            "m1",
            "RunAntiVirusScan",
            ActionStatus::TimeOut,
            0,
        )];
        assert!(running_cover(&ended, "m1", &scan(), now(), ProofRead::Machine).is_none());
    }

    #[test]
    fn cooldown_covers_a_recent_success_only() {
        let hour = chrono::Duration::minutes(60);
        let recent = [action(
            "s",
            "m1",
            "RunAntiVirusScan",
            ActionStatus::Succeeded,
            59,
        )];
        let cover =
            cooldown_cover_from_defender(&recent, "m1", &scan(), hour, now(), ProofRead::Machine)
                .expect("cooled");
        assert_eq!(cover.kind, CoverKind::CoolDown);
        assert_eq!(
            cover.succeeded_at,
            Some(now() - chrono::Duration::minutes(59))
        );
        let old = [action(
            "s",
            "m1",
            "RunAntiVirusScan",
            ActionStatus::Succeeded,
            61,
        )];
        assert!(
            cooldown_cover_from_defender(&old, "m1", &scan(), hour, now(), ProofRead::Machine)
                .is_none()
        );
        let failed = [action(
            "s",
            "m1",
            "RunAntiVirusScan",
            ActionStatus::TimeOut,
            1,
        )];
        assert!(
            cooldown_cover_from_defender(&failed, "m1", &scan(), hour, now(), ProofRead::Machine)
                .is_none()
        );
        let other = [action(
            "s",
            "m2",
            "RunAntiVirusScan",
            ActionStatus::Succeeded,
            1,
        )];
        assert!(
            cooldown_cover_from_defender(&other, "m1", &scan(), hour, now(), ProofRead::Machine)
                .is_none()
        );
        let off = chrono::Duration::zero();
        assert!(
            cooldown_cover_from_defender(&recent, "m1", &scan(), off, now(), ProofRead::Machine)
                .is_none()
        );
    }

    #[test]
    fn the_journal_covers_with_its_own_recent_success() {
        let hour = chrono::Duration::minutes(60);
        let mut earlier = succeeded_scan();
        earlier.provider_action_id = Some("act-1".into());
        earlier.final_at = Some(now() - chrono::Duration::minutes(10));
        let cover = cooldown_cover_from_journal(&earlier, hour, now()).expect("cooled");
        assert_eq!(cover.action_id, "act-1");
        assert_eq!(cover.succeeded_at, earlier.final_at);
        assert_eq!(cover.requestor.as_deref(), Some("tester"));
        assert!(cooldown_cover_from_journal(&earlier, chrono::Duration::zero(), now()).is_none());
        earlier.final_at = Some(now() - chrono::Duration::minutes(61));
        assert!(cooldown_cover_from_journal(&earlier, hour, now()).is_none());
        earlier.final_at = Some(now() - chrono::Duration::minutes(10));
        earlier.state = RemediationState::TimeOut;
        assert!(cooldown_cover_from_journal(&earlier, hour, now()).is_none());
    }

    fn succeeded_scan() -> RemediationRow {
        let now = now();
        RemediationRow {
            id: "r1".into(),
            idempotency_key: "k".into(),
            alert_id: "a".into(),
            policy_id: "p".into(),
            flow_id: "f".into(),
            step: 1,
            machine_id: "m".into(),
            machine_name: "pc".into(),
            action: crate::store::StoredAction::Known(scan()),
            state: RemediationState::Succeeded,
            unknown_state: None,
            reason: None,
            provider_action_id: None,
            requested_by: "tester".into(),
            created_at: now,
            updated_at: now,
            submitted_at: None,
            final_at: None,
            proof: serde_json::json!({}).into(),
            cover: None,
        }
    }
}
