//! `remedy journal copy`: a journal moved SQLite → PostgreSQL → SQLite keeps every row, its ids and its audit
//! chain (`remedy audit verify` passes on the copy); a target that is not empty is refused. Without
//! `REMEDY_TEST_PG_URL` (outside CI) the middle hop is a second SQLite file.

#[path = "common/pg.rs"]
mod pg;

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, TimeZone, Utc};
use remedy::lifecycle::{ActionKind, RemediationState as S};
use remedy::store::{
    AlertRecord, AuditEntry, Journal, LeaseHolder, NewCommand, NewRemediation, RawFormat,
};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap()
}

/// A journal with a row in every table, and an audit chain that starts at a prune's checkpoint.
fn seed(j: &mut Journal) {
    for n in 0..3 {
        j.append_audit(&AuditEntry {
            at: t0() - Duration::days(400) + Duration::minutes(n),
            who: "alice".into(),
            action: "approve".into(),
            target: format!("old {n}"),
            why: "old".into(),
            result: "ok".into(),
        })
        .unwrap();
    }
    j.prune(t0() - Duration::days(200), "alice").unwrap();
    j.record_alert(&AlertRecord {
        id: "cas:a1".into(),
        policy_id: "p1".into(),
        title: "Mass download — ünïcödé".into(),
        user: "alice@contoso.com".into(),
        severity: 2,
        resolution: 0,
        timestamp_ms: 1_764_000_000_000,
        raw: serde_json::json!({"id": "a1", "seen_by": "cas"}),
        format: RawFormat::Neutral,
        seen_at: t0(),
    })
    .unwrap();
    let (r, _) = j
        .insert_remediation(&NewRemediation {
            idempotency_key: "k1".into(),
            alert_id: "cas:a1".into(),
            policy_id: "p1".into(),
            flow_id: "av-scan".into(),
            step: 1,
            machine_id: "m1".into(),
            machine_name: "laptop".into(),
            action: ActionKind::AntivirusScan {
                scan_type: "Quick".into(),
            },
            state: S::Proposed,
            reason: None,
            requested_by: "remedy".into(),
            proof: serde_json::json!({"seen": 1}),
            at: t0(),
        })
        .unwrap();
    j.atomic(|tx| {
        tx.record_approval(&r.id, "approve", "bob", Some("real"), t0())?;
        tx.transition(&r.id, S::Approved, None, t0())?;
        tx.set_mode("p1", "auto", "bob", t0())?;
        tx.append_audit(&AuditEntry {
            at: t0(),
            who: "bob".into(),
            action: "approve".into(),
            target: format!("remediation {}", r.id),
            why: "real".into(),
            result: "approved".into(),
        })?;
        Ok(())
    })
    .unwrap();
    j.request_command(&NewCommand {
        body: serde_json::json!({"approve": r.id}),
        who: "carol".into(),
        origin: "host:1".into(),
        summary: "approve".into(),
        at: t0(),
    })
    .unwrap();
    j.record_spend("machines/actions", t0(), t0() - Duration::hours(1))
        .unwrap();
    let holder = LeaseHolder {
        name: "host:1".into(),
        token: "t".into(),
    };
    j.acquire_lease(&holder, t0(), Duration::seconds(3))
        .unwrap();
}

fn remedy(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_remedy"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("REMEDY_AUDIT_KEY")
        .output()
        .unwrap()
}

fn location_arg(backend: &pg::TestJournal) -> String {
    match &backend.location {
        remedy::store::JournalLocation::Sqlite(path) => path.display().to_string(),
        remedy::store::JournalLocation::Postgres { .. } => std::env::var(pg::URL_VAR).map_or_else(
            |_| unreachable!(),
            |admin| {
                let name = backend_database(backend);
                pg::database_url(&admin, &name)
            },
        ),
    }
}

fn backend_database(backend: &pg::TestJournal) -> String {
    match &backend.location {
        remedy::store::JournalLocation::Postgres { config, .. } => {
            config.get_dbname().unwrap().to_owned()
        }
        remedy::store::JournalLocation::Sqlite(_) => unreachable!(),
    }
}

#[test]
fn a_journal_copied_to_postgres_and_back_keeps_every_row_and_its_chain() {
    let home = tempfile::tempdir().unwrap();
    let source = pg::TestJournal::sqlite();
    let middle = pg::TestJournal::postgres("pgstore_copy").unwrap_or_else(pg::TestJournal::sqlite);
    let back = home.path().join("back.sqlite");
    let mut seeded = source.open();
    seed(&mut seeded);
    let counts = seeded.table_counts().unwrap();
    assert!(counts.iter().all(|(_, rows)| *rows > 0), "{counts:?}");
    let head = seeded.audit_head().unwrap();
    drop(seeded);

    let source_arg = location_arg(&source);
    let middle_arg = location_arg(&middle);
    let there = remedy(
        &[
            "journal",
            "--journal",
            &source_arg,
            "copy",
            "--to",
            &middle_arg,
        ],
        home.path(),
    );
    let said = String::from_utf8_lossy(&there.stdout);
    assert!(there.status.success(), "{there:?}");
    assert!(said.contains("audit chain of the copy intact"), "{said}");
    assert!(
        said.contains("remediations") && said.contains("1 rows"),
        "{said}"
    );

    let in_middle = middle.open();
    assert_eq!(
        in_middle.table_counts().unwrap(),
        counts,
        "on {}",
        middle.backend()
    );
    assert_eq!(in_middle.audit_head().unwrap(), head);
    drop(in_middle);

    let again = remedy(
        &[
            "journal",
            "--journal",
            &source_arg,
            "copy",
            "--to",
            &middle_arg,
        ],
        home.path(),
    );
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{again:?}"
    );

    let back_arg = back.display().to_string();
    let home_again = remedy(
        &["journal", "copy", "--from", &middle_arg, "--to", &back_arg],
        home.path(),
    );
    assert!(home_again.status.success(), "{home_again:?}");
    let verified = remedy(&["audit", "--journal", &back_arg, "verify"], home.path());
    assert!(verified.status.success(), "{verified:?}");

    let returned = Journal::open(&back).unwrap();
    assert_eq!(returned.table_counts().unwrap(), counts);
    assert_eq!(returned.audit_head().unwrap(), head);
    let original = source.open();
    let ids = |j: &Journal| {
        j.remediations_for_alert("cas:a1")
            .unwrap()
            .into_iter()
            .map(|r| (j.transitions(&r.id).unwrap().len(), r.id, r.state))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&returned), ids(&original), "ids and transitions kept");
    assert_eq!(
        returned.alert("cas:a1").unwrap(),
        original.alert("cas:a1").unwrap()
    );

    let mut copied = middle.open();
    let next = copied
        .request_command(&NewCommand {
            body: serde_json::json!({}),
            who: "dave".into(),
            origin: "host:2".into(),
            summary: "refresh".into(),
            at: t0(),
        })
        .unwrap();
    assert_eq!(next, 2, "numbering goes on after the copied rows");
}
