//! The journal keeps the typed lifecycle: forbidden moves are refused, unknown stored words are never coerced.

#[path = "common/pg.rs"]
mod pg;

use chrono::{TimeZone, Utc};
use remedy::lifecycle::{ActionKind, RemediationState as S};
use remedy::store::{NewRemediation, StoreError};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
}

fn intent(key: &str) -> NewRemediation {
    NewRemediation {
        idempotency_key: key.into(),
        alert_id: "a1".into(),
        policy_id: "p1".into(),
        flow_id: "av-scan".into(),
        step: 1,
        machine_id: format!("machine-{key}"),
        machine_name: "laptop".into(),
        action: ActionKind::AntivirusScan {
            scan_type: "Quick".into(),
        },
        state: S::Proposed,
        reason: None,
        requested_by: "remedy".into(),
        proof: serde_json::json!({}),
        at: t0(),
    }
}

#[test]
fn a_move_the_table_forbids_is_refused_with_a_typed_error_and_nothing_changes() {
    for backend in pg::journals("pgstore_lifecycle") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let (r, _) = j.insert_remediation(&intent("k1")).unwrap();
        let err = j
            .transition_if(&r.id, S::Proposed, S::Succeeded, None, t0())
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::ForbiddenTransition {
                    from: S::Proposed,
                    to: S::Succeeded,
                    ..
                }
            ),
            "{err}"
        );
        assert!(j.transition(&r.id, S::Submitted, None, t0()).is_err());
        let row = j.remediation(&r.id).unwrap().unwrap();
        assert_eq!(row.state, S::Proposed);
        assert_eq!(j.transitions(&r.id).unwrap().len(), 1);
        j.transition_if(&r.id, S::Proposed, S::Rejected, None, t0())
            .unwrap()
            .expect("allowed");
        assert!(
            j.transition(&r.id, S::Approved, None, t0()).is_err(),
            "final"
        );
    }
}

#[test]
fn stored_words_round_trip_and_unknown_ones_are_refused_never_coerced() {
    for backend in pg::journals("pgstore_lifecycle") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let (known, _) = j.insert_remediation(&intent("k1")).unwrap();
        let (odd_state, _) = j.insert_remediation(&intent("k2")).unwrap();
        let (odd_action, _) = j.insert_remediation(&intent("k3")).unwrap();
        let raw = backend.raw();
        raw.execute(
            "UPDATE remediations SET state = 'half-sent' WHERE id = ?1",
            [&odd_state.id],
        )
        .unwrap();
        raw.execute(
            "UPDATE remediations SET params = '{\"kind\":\"wipe_disk\"}' WHERE id = ?1",
            [&odd_action.id],
        )
        .unwrap();
        let word: String = raw
            .query_row(
                "SELECT state FROM remediations WHERE id = ?1",
                [&known.id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(word, S::Proposed.as_str(), "the stored words stay the same");

        let row = j.remediation(&known.id).unwrap().unwrap();
        assert_eq!(row.action.kind().unwrap(), &intent("k1").action);

        let row = j.remediation(&odd_state.id).unwrap().unwrap();
        assert_eq!(row.state, S::Skipped, "shown as skipped");
        assert_eq!(row.unknown_state.as_deref(), Some("half-sent"));
        assert_eq!(
            row.reason.as_deref(),
            Some("stored state 'half-sent' is not a known state")
        );
        assert!(
            j.transition(&odd_state.id, S::Approved, None, t0())
                .is_err(),
            "an unknown state is never moved on as if it were another"
        );
        let why = row.reason.clone().unwrap();
        let skipped = j
            .skip_unknown_state(&odd_state.id, &why, t0())
            .unwrap()
            .unwrap();
        assert_eq!((skipped.state, skipped.unknown_state), (S::Skipped, None));
        assert_eq!(skipped.final_at, Some(t0()));
        let last = j.transitions(&odd_state.id).unwrap().pop().unwrap();
        assert_eq!(last.from_state.as_deref(), Some("half-sent"));
        assert!(
            j.skip_unknown_state(&odd_state.id, &why, t0())
                .unwrap()
                .is_none()
        );

        let row = j.remediation(&odd_action.id).unwrap().unwrap();
        assert_eq!(row.state, S::Proposed);
        assert_eq!(
            row.action.kind(),
            Err("stored action 'wipe_disk' is not a known action kind"),
            "never read as a scan"
        );
    }
}
