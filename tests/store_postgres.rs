//! What only the PostgreSQL journal has: its schema version table, the change counter and its NOTIFY, the
//! write lock that serialises writers, the audit guard against TRUNCATE, and a lost connection reported as
//! unavailable (nothing half-written) and reopened on the next call.

#[path = "common/pg.rs"]
mod pg;

use chrono::{TimeZone, Utc};
use postgres::fallible_iterator::FallibleIterator;
use remedy::lifecycle::{ActionKind, RemediationState as S};
use remedy::store::db::CHANGE_CHANNEL;
use remedy::store::{AuditEntry, Journal, NewRemediation, SCHEMA_VERSION, StoreError};

fn postgres(prefix: &str) -> Option<pg::TestJournal> {
    pg::TestJournal::postgres(prefix)
}

fn entry(n: i64) -> AuditEntry {
    AuditEntry {
        at: Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap() + chrono::Duration::minutes(n),
        who: "alice".into(),
        action: "approve".into(),
        target: format!("remediation-{n}"),
        why: "looks real".into(),
        result: "ok".into(),
    }
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
        at: Utc::now(),
    }
}

#[test]
fn the_schema_migrates_once_and_a_newer_one_is_refused() {
    let Some(backend) = postgres("pgstore_schema") else {
        return;
    };
    let j = backend.open();
    assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
    drop(j);
    let again = backend.open();
    assert_eq!(
        again.schema_version().unwrap(),
        SCHEMA_VERSION,
        "reopening changes nothing"
    );
    let raw = backend.raw();
    raw.execute(
        "UPDATE remedy_schema SET version = ?1",
        [SCHEMA_VERSION + 1],
    )
    .unwrap();
    let refused = remedy::store::Journal::open_location(&backend.location).unwrap_err();
    assert!(
        matches!(refused, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1),
        "{refused}"
    );
}

#[test]
fn data_version_moves_for_others_commits_only_and_each_commit_notifies() {
    let Some(backend) = postgres("pgstore_counter") else {
        return;
    };
    let mut mine = backend.open();
    let mut other = backend.open();
    let mut listener = match &backend.location {
        remedy::store::JournalLocation::Postgres { config, .. } => {
            config.connect(postgres::NoTls).unwrap()
        }
        _ => unreachable!(),
    };
    listener
        .batch_execute(&format!("LISTEN {CHANGE_CHANNEL}"))
        .unwrap();
    let start = mine.data_version().unwrap();
    mine.append_audit(&entry(1)).unwrap();
    assert_eq!(mine.data_version().unwrap(), start, "its own commit");
    other.append_audit(&entry(2)).unwrap();
    let after = mine.data_version().unwrap();
    assert_ne!(after, start, "another connection's commit");
    let mut payloads = Vec::new();
    let mut notifications = listener.notifications();
    let mut waiting = notifications.timeout_iter(std::time::Duration::from_secs(5));
    while payloads.len() < 2 {
        let note = waiting.next().unwrap().expect("a notification");
        assert_eq!(note.channel(), CHANGE_CHANNEL);
        payloads.push(note.payload().parse::<i64>().unwrap());
    }
    assert_eq!(
        payloads[1],
        payloads[0] + 1,
        "the counter, once per commit: {payloads:?}"
    );
    let failed = other.atomic(|tx| {
        tx.append_audit(&entry(3))?;
        tx.record_approval("no-such-remediation", "approve", "bob", None, Utc::now())
    });
    assert!(failed.is_err());
    assert_eq!(
        mine.data_version().unwrap(),
        after,
        "a rolled-back transaction bumps nothing"
    );
}

#[test]
fn a_session_waits_for_the_lock_as_long_as_sqlite_and_loses_a_stalled_transaction() {
    let Some(backend) = postgres("pgstore_limits") else {
        return;
    };
    let raw = backend.raw();
    let show = |name: &str| -> String {
        raw.query_row(&format!("SHOW {name}"), (), |r| r.get(0))
            .unwrap()
    };
    assert_eq!(show("lock_timeout"), "10s");
    assert_eq!(show("idle_in_transaction_session_timeout"), "5s");
}

#[test]
fn writers_serialise_on_the_write_lock() {
    let Some(backend) = postgres("pgstore_lock") else {
        return;
    };
    let mut first = backend.open();
    let mut second = backend.open();
    let (r, _) = first.insert_remediation(&intent("k1")).unwrap();
    let (entered, wait) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let r = &r;
        let waiter = s.spawn(move || {
            wait.recv().unwrap();
            let started = std::time::Instant::now();
            let won = second
                .transition_if(&r.id, S::Proposed, S::Approved, None, Utc::now())
                .unwrap();
            (started.elapsed(), won.is_some())
        });
        let won = first
            .atomic(|tx| {
                let won = tx.transition_if(&r.id, S::Proposed, S::Rejected, None, Utc::now())?;
                entered.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok(won.is_some())
            })
            .unwrap();
        let (waited, second_won) = waiter.join().unwrap();
        assert!(won);
        assert!(!second_won, "the second writer saw the first one's commit");
        assert!(
            waited >= std::time::Duration::from_millis(200),
            "it waited for the lock: {waited:?}"
        );
    });
}

#[test]
fn the_audit_table_refuses_truncate_and_delete_outside_a_prune() {
    let Some(backend) = postgres("pgstore_guard") else {
        return;
    };
    let mut j = backend.open();
    j.append_audit(&entry(1)).unwrap();
    let raw = backend.raw();
    for sql in [
        "TRUNCATE audit",
        "DELETE FROM audit",
        "UPDATE audit SET why = 'x'",
    ] {
        let refused = raw.execute_batch(sql).unwrap_err().to_string();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    let pretend =
        raw.execute_batch("BEGIN; SET LOCAL remedy.audit_prune = 'off'; DELETE FROM audit; COMMIT");
    assert!(pretend.is_err());
    let _ = raw.execute_batch("ROLLBACK");
    assert!(j.verify_audit().unwrap().ok());
}

#[test]
fn a_lost_connection_is_unavailable_then_reconnects_with_nothing_half_written() {
    let Some(backend) = postgres("pgstore_loss") else {
        return;
    };
    let mut j = backend.open();
    j.append_audit(&entry(1)).unwrap();
    let raw = backend.raw();
    let kill = || {
        raw.execute_batch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .unwrap();
    };
    kill();
    let lost = j.append_audit(&entry(2)).unwrap_err();
    assert!(lost.is_unavailable(), "{lost}");
    assert!(!lost.to_string().contains("password"), "{lost}");
    let again = j.append_audit(&entry(2)).unwrap();
    assert_eq!(again.seq, 2, "the next call reconnected");

    let half = j.atomic(|tx| {
        tx.append_audit(&entry(3))?;
        kill();
        tx.append_audit(&entry(4))
    });
    assert!(half.unwrap_err().is_unavailable());
    let report = j.verify_audit().unwrap();
    assert!(report.ok(), "{:?}", report.fault);
    assert_eq!(report.last_seq, 2, "entry 3 went with the lost transaction");
}

#[test]
fn a_journal_that_cannot_be_reached_says_so_without_its_password() {
    let location = remedy::store::JournalLocation::parse(
        "postgres://remedy:hunter2-secret@127.0.0.1:1/none?connect_timeout=2&sslmode=disable",
    )
    .unwrap();
    let error = Journal::open_location(&location).unwrap_err();
    assert!(error.is_unavailable(), "{error}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_journal_opened_used_and_dropped_in_async_code_works() {
    let Some(backend) = postgres("pgstore_async") else {
        return;
    };
    let mut j = backend.open();
    j.append_audit(&entry(1)).unwrap();
    assert_eq!(j.audit_head().unwrap().0, 1);
    drop(j);
}
