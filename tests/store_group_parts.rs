//! Group commit's callers on both backends: each caller's part stays or goes alone, however and wherever it
//! failed (before writing, after writing, in the database itself); a caller alone leaves nothing when it fails.

#[path = "common/intents.rs"]
mod intents;
#[path = "common/pg.rs"]
mod pg;

use chrono::{TimeZone, Utc};
use remedy::lifecycle::RemediationState as S;
use remedy::store::{AuditEntry, Journal, NewRemediation, StoreError};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()
}

fn proposed(key: &str) -> NewRemediation {
    intents::scan_intent(key, t0())
}

fn entry(why: &str) -> AuditEntry {
    AuditEntry {
        at: t0(),
        who: "bob".into(),
        action: "approve".into(),
        target: "machine laptop".into(),
        why: why.into(),
        result: "approved".into(),
    }
}

fn refused() -> StoreError {
    StoreError::NotFound {
        id: "the caller gave up".into(),
    }
}

fn ids(j: &mut Journal, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            j.insert_remediation(&proposed(&format!("k{i}")))
                .unwrap()
                .0
                .id
        })
        .collect()
}

#[test]
fn a_failed_caller_between_others_rolls_back_alone_however_it_failed() {
    for backend in pg::journals("pggroup_parts") {
        eprintln!("on {}", backend.backend());
        let mut writer = backend.open();
        let reader = backend.open();
        let r = ids(&mut writer, 7);
        let approve = |j: &mut Journal, id: &str| {
            j.transition_if(id, S::Proposed, S::Approved, None, t0())
                .map(|row| row.is_some())
        };
        let (outcomes, committed) = writer.group(|j| {
            vec![
                approve(j, &r[0]),
                // Gives up before writing anything.
                j.atomic(|_| Err::<bool, _>(refused())),
                approve(j, &r[1]),
                // Gives up after a write.
                j.atomic(|tx| {
                    tx.transition_if(&r[2], S::Proposed, S::Approved, None, t0())?;
                    tx.append_audit(&entry("half done"))?;
                    Err(refused())
                }),
                approve(j, &r[3]),
                // PostgreSQL itself refuses the note (a NUL byte) after a write; SQLite takes it, and then the
                // caller gives up all the same.
                j.atomic(|tx| {
                    tx.transition_if(&r[4], S::Proposed, S::Approved, None, t0())?;
                    tx.transition_if(&r[4], S::Approved, S::Queued, Some("nul \0 byte"), t0())?;
                    Err(refused())
                }),
                approve(j, &r[5]),
                j.atomic(|tx| {
                    tx.append_audit(&entry("kept"))?;
                    tx.transition_if(&r[6], S::Proposed, S::Approved, None, t0())
                        .map(|row| row.is_some())
                }),
            ]
        });
        committed.unwrap();
        let ok: Vec<bool> = outcomes.iter().map(Result::is_ok).collect();
        assert_eq!(
            ok,
            [true, false, true, false, true, false, true, true],
            "{outcomes:?}"
        );
        for (i, expected) in [
            (0, S::Approved),
            (1, S::Approved),
            (2, S::Proposed),
            (3, S::Approved),
            (4, S::Proposed),
            (5, S::Approved),
            (6, S::Approved),
        ] {
            let row = reader.remediation(&r[i]).unwrap().unwrap();
            assert_eq!(row.state, expected, "remediation {i}");
            let moves = reader.transitions(&r[i]).unwrap().len();
            assert_eq!(
                moves,
                1 + usize::from(expected == S::Approved),
                "remediation {i}"
            );
        }
        let (seq, _) = reader.audit_head().unwrap();
        assert_eq!(seq, 1, "only the kept caller's audit entry stays");
        assert!(reader.verify_audit().unwrap().ok(), "the chain is whole");
    }
}

#[test]
fn a_caller_alone_that_fails_halfway_leaves_nothing_and_the_next_write_works() {
    for backend in pg::journals("pggroup_parts") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let r = ids(&mut j, 1);
        let failed = j.atomic(|tx| {
            tx.transition_if(&r[0], S::Proposed, S::Approved, Some("ok"), t0())?;
            tx.append_audit(&entry("never kept"))?;
            Err::<(), _>(refused())
        });
        assert!(failed.is_err());
        assert_eq!(j.remediation(&r[0]).unwrap().unwrap().state, S::Proposed);
        assert_eq!(j.transitions(&r[0]).unwrap().len(), 1);
        assert_eq!(j.audit_head().unwrap().0, 0);

        let moved = j
            .transition_if(&r[0], S::Proposed, S::Approved, Some("ok"), t0())
            .unwrap()
            .expect("the row was proposed");
        assert_eq!(
            (moved.state, moved.reason.as_deref()),
            (S::Approved, Some("ok"))
        );
        let last = j.transitions(&r[0]).unwrap().pop().unwrap();
        assert_eq!(
            (last.from_state.as_deref(), last.to_state.as_str()),
            (Some("proposed"), "approved")
        );
    }
}

#[test]
fn compare_and_set_moves_only_from_the_expected_state() {
    for backend in pg::journals("pggroup_parts") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        let r = ids(&mut j, 1);
        let not_there = j.transition_if(&r[0], S::Approved, S::Queued, None, t0());
        assert!(matches!(not_there, Ok(None)), "{not_there:?}");
        assert_eq!(j.transitions(&r[0]).unwrap().len(), 1);
        let missing = j.transition_if("no-such-id", S::Proposed, S::Approved, None, t0());
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{missing:?}"
        );
        let forbidden = j.transition_if(&r[0], S::Proposed, S::Submitted, None, t0());
        assert!(
            matches!(forbidden, Err(StoreError::ForbiddenTransition { .. })),
            "{forbidden:?}"
        );
        assert_eq!(j.remediation(&r[0]).unwrap().unwrap().state, S::Proposed);
    }
}
