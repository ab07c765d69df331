//! Journal file behaviour: migrations, reopening, durability and WAL mode.

#[path = "common/pg.rs"]
mod pg;

use chrono::{TimeZone, Utc};
use remedy::lifecycle::{ActionKind, RemediationState as S};
use remedy::store::{AlertRecord, AuditEntry, Journal, NewRemediation, SCHEMA_VERSION, StoreError};
use rusqlite::Connection;
use serde_json::json;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
}

fn intent(key: &str) -> NewRemediation {
    NewRemediation {
        idempotency_key: key.into(),
        alert_id: "alert-1".into(),
        policy_id: "policy-1".into(),
        flow_id: "av-scan".into(),
        step: 0,
        machine_id: "m-1".into(),
        machine_name: "laptop-1".into(),
        action: ActionKind::AntivirusScan {
            scan_type: "Full".into(),
        },
        state: S::Proposed,
        reason: None,
        requested_by: "remedy".into(),
        proof: json!({"via": "graph"}),
        at: t0(),
    }
}

#[test]
fn migrations_apply_on_a_fresh_file_and_are_idempotent_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/journal.db");
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
    drop(j);
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
    let raw = Connection::open(&path).unwrap();
    let tables: i64 = raw
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'remediations'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1);
}

#[test]
fn a_journal_from_a_newer_remedy_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    drop(Journal::open(&path).unwrap());
    let raw = Connection::open(&path).unwrap();
    raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(raw);
    let err = Journal::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::SchemaTooNew { found, .. } if found == SCHEMA_VERSION + 1));
    assert!(err.to_string().contains("upgrade remedy"));
}

#[test]
fn wal_mode_and_full_sync_are_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let _j = Journal::open(&path).unwrap();
    let raw = Connection::open(&path).unwrap();
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    assert!(dir.path().join("journal.db-wal").exists());
}

#[test]
fn reopening_after_drop_keeps_everything() {
    for backend in pg::journals("pgstore_schema_reopen") {
        eprintln!("on {}", backend.backend());
        let mut j = backend.open();
        j.record_alert(&AlertRecord {
            id: "alert-1".into(),
            policy_id: "policy-1".into(),
            title: "Mass download".into(),
            user: "alice@contoso.com".into(),
            severity: 2,
            resolution: 0,
            timestamp_ms: 1_764_234_000_000,
            raw: json!({"_id": "alert-1"}),
            format: remedy::store::RawFormat::CasRest,
            seen_at: t0(),
        })
        .unwrap();
        let (row, _) = j.insert_remediation(&intent("k1")).unwrap();
        j.transition(&row.id, S::Approved, Some("looks bad"), t0())
            .unwrap();
        j.set_provider_action_id(&row.id, "mde-42", t0()).unwrap();
        j.set_mode("policy-1", "auto", "analyst", t0()).unwrap();
        let audit = j
            .append_audit(&AuditEntry {
                at: t0(),
                who: "analyst".into(),
                action: "approve".into(),
                target: row.id.clone(),
                why: "looks bad".into(),
                result: "ok".into(),
            })
            .unwrap();
        drop(j);

        let j = backend.open();
        assert_eq!(j.alert("alert-1").unwrap().unwrap().title, "Mass download");
        let again = j.remediation(&row.id).unwrap().unwrap();
        assert_eq!(again.state, S::Approved);
        assert_eq!(again.provider_action_id.as_deref(), Some("mde-42"));
        assert_eq!(again.action.kind(), Ok(&intent("k1").action));
        assert_eq!(j.transitions(&row.id).unwrap().len(), 2);
        assert_eq!(
            j.modes().unwrap().get("policy-1").map(String::as_str),
            Some("auto")
        );
        let report = j.verify_audit().unwrap();
        assert!(report.ok());
        assert_eq!(report.entries, 1);
        assert_eq!(report.last_hash, audit.hash);
    }
}

#[cfg(unix)]
#[test]
fn a_new_journal_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    drop(Journal::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
