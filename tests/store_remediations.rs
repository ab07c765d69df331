//! Remediation records: idempotent intents, state changes, compare-and-set across processes.

#[path = "common/intents.rs"]
mod intents;
#[path = "common/pg.rs"]
mod pg;

use chrono::{Duration, TimeZone, Utc};
use remedy::lifecycle::{ActionKind, RemediationState as S};
use remedy::store::{AlertRecord, Journal, NewRemediation, StoreError};
use serde_json::json;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
}

fn intent(key: &str, alert: &str, policy: &str) -> NewRemediation {
    NewRemediation {
        alert_id: alert.into(),
        policy_id: policy.into(),
        ..intents::scan_intent(key, t0())
    }
}

#[test]
fn the_same_idempotency_key_twice_makes_one_row() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let (first, created) = j.insert_remediation(&intent("k1", "a1", "p1")).unwrap();
        assert!(created);
        let mut retry = intent("k1", "a1", "p1");
        retry.at = t0() + Duration::minutes(5);
        let (second, created) = j.insert_remediation(&retry).unwrap();
        assert!(!created);
        assert_eq!(second, first);
        assert_eq!(j.remediations_for_alert("a1").unwrap().len(), 1);
        assert_eq!(j.transitions(&first.id).unwrap().len(), 1);
    }
}

#[test]
fn transitions_are_recorded_and_stamp_submitted_and_final_times() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let (r, _) = j.insert_remediation(&intent("k1", "a1", "p1")).unwrap();
        let t = |m| t0() + Duration::minutes(m);
        j.transition(&r.id, S::Approved, Some("ok by bob"), t(1))
            .unwrap();
        j.transition(&r.id, S::Queued, None, t(2)).unwrap();
        let sub = j.transition(&r.id, S::Submitted, None, t(3)).unwrap();
        assert_eq!(sub.submitted_at, Some(t(3)));
        assert_eq!(sub.final_at, None);
        assert_eq!(sub.reason, None);
        let done = j
            .transition(&r.id, S::Succeeded, Some("scan clean"), t(9))
            .unwrap();
        assert_eq!(done.submitted_at, Some(t(3)));
        assert_eq!(done.final_at, Some(t(9)));
        assert_eq!(done.updated_at, t(9));
        assert_eq!(done.reason.as_deref(), Some("scan clean"));

        let steps: Vec<_> = j
            .transitions(&r.id)
            .unwrap()
            .into_iter()
            .map(|s| (s.from_state, s.to_state))
            .collect();
        let own = |s: &str| Some(s.to_owned());
        assert_eq!(
            steps,
            vec![
                (None, "proposed".to_owned()),
                (own("proposed"), "approved".to_owned()),
                (own("approved"), "queued".to_owned()),
                (own("queued"), "submitted".to_owned()),
                (own("submitted"), "Succeeded".to_owned()),
            ]
        );
    }
}

#[test]
fn transition_if_only_moves_from_the_expected_state() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let (r, _) = j.insert_remediation(&intent("k1", "a1", "p1")).unwrap();
        assert!(
            j.transition_if(&r.id, S::Queued, S::Submitted, None, t0())
                .unwrap()
                .is_none()
        );
        let moved = j
            .transition_if(&r.id, S::Proposed, S::Approved, None, t0())
            .unwrap();
        assert_eq!(moved.unwrap().state, S::Approved);
        assert!(
            j.transition_if(&r.id, S::Proposed, S::Rejected, None, t0())
                .unwrap()
                .is_none()
        );
        assert_eq!(j.transitions(&r.id).unwrap().len(), 2);
    }
}

#[test]
fn unknown_ids_are_reported() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let err = j.transition("nope", S::Approved, None, t0()).unwrap_err();
        assert!(matches!(err, StoreError::NotFound { ref id } if id == "nope"));
        assert!(j.set_provider_action_id("nope", "x", t0()).is_err());
        assert!(
            j.record_approval("nope", "approve", "bob", None, t0())
                .is_err()
        );
        assert!(j.remediation("nope").unwrap().is_none());
    }
}

#[test]
fn two_processes_race_for_one_transition() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut a = backend.open();
        let mut b = backend.open();
        let (r, _) = a.insert_remediation(&intent("k1", "a1", "p1")).unwrap();
        let (seen_by_b, created) = b.insert_remediation(&intent("k1", "a1", "p1")).unwrap();
        assert!(!created);
        assert_eq!(seen_by_b.id, r.id);

        let won_a = a
            .transition_if(&r.id, S::Proposed, S::Approved, None, t0())
            .unwrap();
        let won_b = b
            .transition_if(&r.id, S::Proposed, S::Approved, None, t0())
            .unwrap();
        assert!(won_a.is_some());
        assert!(won_b.is_none());
    }
}

#[test]
fn queries_find_by_state_recency_and_blast_radius() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let t = |m| t0() + Duration::minutes(m);
        let (r1, _) = j.insert_remediation(&intent("k1", "a1", "p1")).unwrap();
        let (r2, _) = j.insert_remediation(&intent("k2", "a1", "p1")).unwrap();
        let (r3, _) = j.insert_remediation(&intent("k3", "a2", "p2")).unwrap();
        for (r, to, at) in [
            (&r1, S::Submitted, 10),
            (&r2, S::Attached, 20),
            (&r3, S::Submitted, 20),
        ] {
            for step in [S::Approved, S::Queued, to] {
                j.transition(&r.id, step, None, t(at)).unwrap();
            }
        }

        assert_eq!(j.count_actions_since("p1", t(0)).unwrap(), 2);
        assert_eq!(j.count_actions_since("p1", t(15)).unwrap(), 1);
        assert_eq!(j.count_actions_since("p2", t(0)).unwrap(), 1);
        assert_eq!(j.count_actions_since("p3", t(0)).unwrap(), 0);

        let in_flight = j
            .remediations_in_states(&[S::Submitted, S::Attached])
            .unwrap();
        assert_eq!(in_flight.len(), 3);
        assert_eq!(
            j.remediations_in_states(&[S::Attached]).unwrap()[0].id,
            r2.id
        );
        assert!(j.remediations_in_states(&[]).unwrap().is_empty());

        let recent: Vec<_> = j
            .recent_remediations(t(15))
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(recent.len(), 2);
        assert!(recent.contains(&r2.id) && recent.contains(&r3.id));
        assert_eq!(j.remediations_for_alert("a2").unwrap()[0].id, r3.id);
    }
}

#[test]
fn an_approval_its_transition_and_its_audit_commit_together_or_not_at_all() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let (r, _) = j.insert_remediation(&intent("k1", "a1", "p1")).unwrap();
        let err = j
            .atomic(|tx| {
                tx.record_approval(&r.id, "approve", "bob", Some("confirmed"), t0())?;
                tx.transition_if(&r.id, S::Proposed, S::Approved, None, t0())?;
                tx.record_approval(&r.id, "maybe", "bob", None, t0())
            })
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::InvalidValue {
                field: "decision",
                ..
            }
        ));
        assert!(j.approvals(&r.id).unwrap().is_empty());
        assert_eq!(j.remediation(&r.id).unwrap().unwrap().state, S::Proposed);

        j.atomic(|tx| {
            tx.record_approval(&r.id, "reject", "bob", Some("false positive"), t0())?;
            tx.transition_if(
                &r.id,
                S::Proposed,
                S::Rejected,
                Some("false positive"),
                t0(),
            )
        })
        .unwrap();
        let approvals = j.approvals(&r.id).unwrap();
        assert_eq!(approvals.len(), 1);
        assert_eq!(approvals[0].decision, "reject");
        assert_eq!(approvals[0].reason.as_deref(), Some("false positive"));
        let row = j.remediation(&r.id).unwrap().unwrap();
        assert_eq!(row.state, S::Rejected);
        assert_eq!(row.final_at, Some(t0()));
    }
}

#[test]
fn modes_keep_the_current_value_and_every_change() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        j.set_mode("p1", "approve", "alice", t0()).unwrap();
        j.set_mode("p1", "auto", "bob", t0() + Duration::minutes(1))
            .unwrap();
        j.set_mode("p2", "off", "bob", t0()).unwrap();
        let modes = j.modes().unwrap();
        assert_eq!(modes.len(), 2);
        assert_eq!(modes["p1"], "auto");
        let history = j.mode_history("p1").unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].from_mode, None);
        assert_eq!(history[1].from_mode.as_deref(), Some("approve"));
        assert_eq!(history[1].to_mode, "auto");
        assert_eq!(history[1].changed_by, "bob");
    }
}

#[test]
fn alerts_are_upserted_keeping_the_first_sighting() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let mut a = AlertRecord {
            id: "a1".into(),
            policy_id: "p1".into(),
            title: "Impossible travel".into(),
            user: "alice@contoso.com".into(),
            severity: 2,
            resolution: 0,
            timestamp_ms: 1_764_234_000_000,
            raw: json!({"_id": "a1", "title": "Impossible travel"}),
            format: remedy::store::RawFormat::CasRest,
            seen_at: t0(),
        };
        j.record_alert(&a).unwrap();
        a.resolution = 2;
        a.seen_at = t0() + Duration::minutes(3);
        j.record_alert(&a).unwrap();
        let row = j.alert("a1").unwrap().unwrap();
        assert_eq!(row.first_seen, t0());
        assert_eq!(row.last_seen, t0() + Duration::minutes(3));
        assert_eq!(row.resolution, 2);
        assert_eq!(row.raw["title"], "Impossible travel");
    }
}

#[test]
fn an_intent_born_skipped_is_final_with_its_reason() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let mut skipped = intent("k1", "a1", "p1");
        skipped.state = S::Skipped;
        skipped.reason = Some("machine not onboarded".into());
        let (r, created) = j.insert_remediation(&skipped).unwrap();
        assert!(created);
        assert_eq!(r.final_at, Some(t0()));
        assert_eq!(r.reason.as_deref(), Some("machine not onboarded"));
        let first = &j.transitions(&r.id).unwrap()[0];
        assert_eq!(first.note.as_deref(), Some("machine not onboarded"));
        assert!(j.remediations_in_states(&[S::Proposed]).unwrap().is_empty());
    }
}

#[test]
fn a_group_commits_its_callers_together_and_a_failed_caller_alone_rolls_back() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut writer = backend.open();
        let reader = backend.open();
        let (r1, _) = writer
            .insert_remediation(&intent("k1", "a1", "p1"))
            .unwrap();
        let (r2, _) = writer
            .insert_remediation(&intent("k2", "a1", "p1"))
            .unwrap();

        let (outcomes, committed) = writer.group(|j| {
            let approved = j.transition_if(&r1.id, S::Proposed, S::Approved, None, t0());
            let broken = j.atomic(|tx| {
                tx.transition_if(&r2.id, S::Proposed, S::Approved, None, t0())?;
                tx.record_approval(&r2.id, "maybe", "bob", None, t0())
            });
            let seen_outside = reader.remediation(&r1.id).unwrap().unwrap().state;
            (approved.is_ok(), broken.is_err(), seen_outside)
        });
        committed.unwrap();
        assert_eq!(
            outcomes,
            (true, true, S::Proposed),
            "nothing is visible to others before the group commits"
        );
        assert_eq!(
            reader.remediation(&r1.id).unwrap().unwrap().state,
            S::Approved
        );
        assert_eq!(
            reader.remediation(&r2.id).unwrap().unwrap().state,
            S::Proposed,
            "the failed caller's transition was rolled back with it"
        );
        assert!(reader.approvals(&r2.id).unwrap().is_empty());
    }
}

#[test]
fn containment_in_force_is_the_latest_succeeded_isolation_or_restriction_not_lifted() {
    for backend in pg::journals("pgstore_remediations") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let done = |j: &mut Journal, key: &str, machine: &str, action: ActionKind, days: i64| {
            let mut new = intent(key, "a1", "p1");
            new.machine_id = machine.into();
            new.action = action;
            new.state = S::Approved;
            let (r, _) = j.insert_remediation(&new).unwrap();
            let at = t0() + Duration::days(days);
            for to in [S::Queued, S::Submitted, S::Succeeded] {
                j.transition(&r.id, to, None, at).unwrap();
            }
            r.id
        };
        let isolate = || ActionKind::Isolate {
            isolation_type: "Full".into(),
        };
        let kept = done(&mut j, "iso-m1", "m1", isolate(), 0);
        done(&mut j, "iso-m2", "m2", isolate(), 0);
        done(&mut j, "rel-m2", "m2", ActionKind::Unisolate, 1);
        let restricted = done(&mut j, "res-m2", "m2", ActionKind::RestrictCodeExecution, 2);
        let mut failed = intent("iso-m3", "a1", "p1");
        failed.machine_id = "m3".into();
        failed.action = isolate();
        failed.state = S::Approved;
        let (f, _) = j.insert_remediation(&failed).unwrap();
        for to in [S::Queued, S::Submitted, S::Failed] {
            j.transition(&f.id, to, None, t0()).unwrap();
        }

        let mut ids: Vec<String> = j
            .containment_in_force()
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        ids.sort();
        let mut expected = vec![kept, restricted];
        expected.sort();
        assert_eq!(ids, expected);
    }
}
