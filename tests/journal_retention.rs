//! Retention: a prune removes only finished history older than the cut-off, archives the audit entries first,
//! and the chain still verifies on the live journal alone (from its checkpoint) and with the archive, which
//! fails once edited.

#[path = "common/pg.rs"]
mod pg;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use remedy::lifecycle::{ActionKind, RemediationState};
use remedy::store::{
    AlertRecord, AuditEntry, AuditFault, ExpectedHead, Journal, NewRemediation, PruneBatch,
};

const RETAIN_DAYS: i64 = 180;

fn old() -> DateTime<Utc> {
    Utc::now() - Duration::days(200)
}

fn recent() -> DateTime<Utc> {
    Utc::now() - Duration::days(1)
}

fn cutoff() -> DateTime<Utc> {
    Utc::now() - Duration::days(RETAIN_DAYS)
}

fn alert(j: &mut Journal, id: &str, seen: DateTime<Utc>, raw_len: usize) {
    j.record_alert(&AlertRecord {
        id: id.into(),
        policy_id: "p1".into(),
        title: format!("alert {id}"),
        user: "victim@contoso.com".into(),
        severity: 2,
        resolution: 0,
        timestamp_ms: seen.timestamp_millis(),
        raw: serde_json::json!({ "_id": id, "padding": "x".repeat(raw_len) }),
        format: remedy::store::RawFormat::CasRest,
        seen_at: seen,
    })
    .unwrap();
}

fn remediation(j: &mut Journal, alert_id: &str, machine: &str, at: DateTime<Utc>) -> String {
    let (row, _) = j
        .insert_remediation(&NewRemediation {
            idempotency_key: format!("rmd-{alert_id}-{machine}"),
            alert_id: alert_id.into(),
            policy_id: "p1".into(),
            flow_id: "antivirus-scan-full".into(),
            step: 1,
            machine_id: machine.into(),
            machine_name: format!("{machine}.contoso.com"),
            action: ActionKind::AntivirusScan {
                scan_type: "Full".into(),
            },
            state: RemediationState::Proposed,
            reason: None,
            requested_by: "remedy".into(),
            proof: serde_json::json!({}),
            at,
        })
        .unwrap();
    row.id
}

fn audit(j: &mut Journal, at: DateTime<Utc>, target: &str) {
    j.append_audit(&AuditEntry {
        at,
        who: "alice".into(),
        action: "approve".into(),
        target: target.into(),
        why: "looks real".into(),
        result: "ok".into(),
    })
    .unwrap();
}

/// Ids of what the journal holds before a prune.
struct Seeded {
    backend: pg::TestJournal,
    old_done: String,
    old_waiting: String,
    recent_done: String,
}

impl Seeded {
    /// The SQLite file (for the commands).
    fn path(&self) -> PathBuf {
        self.backend.dir.path().join("journal.sqlite")
    }
}

/// Old finished work, old work still waiting, an old alert without work, recent finished work; five old
/// audit entries and three recent ones.
fn seeded(backend: pg::TestJournal) -> Seeded {
    let mut j = backend.open();
    alert(&mut j, "old-done", old(), 10);
    alert(&mut j, "old-waiting", old(), 10);
    alert(&mut j, "old-quiet", old(), 10);
    alert(&mut j, "recent", recent(), 10);
    let old_done = remediation(&mut j, "old-done", "m1", old());
    j.record_approval(&old_done, "reject", "alice", Some("benign"), old())
        .unwrap();
    j.transition(&old_done, RemediationState::Rejected, Some("benign"), old())
        .unwrap();
    let old_waiting = remediation(&mut j, "old-waiting", "m2", old());
    let recent_done = remediation(&mut j, "recent", "m3", recent());
    j.transition(&recent_done, RemediationState::Rejected, None, recent())
        .unwrap();
    for n in 0..5 {
        audit(&mut j, old() + Duration::minutes(n), &format!("old {n}"));
    }
    for n in 0..3 {
        audit(
            &mut j,
            recent() + Duration::minutes(n),
            &format!("recent {n}"),
        );
    }
    Seeded {
        backend,
        old_done,
        old_waiting,
        recent_done,
    }
}

#[test]
fn a_dry_run_counts_what_would_go_and_changes_nothing() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let j = s.backend.open();
        let counts = j.prune_dry_run(cutoff()).unwrap();
        assert_eq!(
            counts.remediations, 1,
            "only the old finished one: {counts:?}"
        );
        assert_eq!(counts.transitions, 2, "its creation and its rejection");
        assert_eq!(counts.approvals, 1);
        assert_eq!(
            counts.alerts, 2,
            "old-done and old-quiet; old-waiting has work"
        );
        assert_eq!(counts.audit_entries, 5);
        assert_eq!(counts.audit_range, Some((1, 5)));
        assert_eq!(
            j.prune_dry_run(cutoff()).unwrap(),
            counts,
            "nothing changed"
        );
        assert!(j.remediation(&s.old_done).unwrap().is_some());
    }
}

#[test]
fn a_prune_keeps_waiting_work_and_the_chain_verifies_live_and_with_its_archive() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let mut j = s.backend.open();
        let outcome = j.prune(cutoff(), "alice").unwrap();
        assert_eq!(outcome.counts.remediations, 1);
        assert!(
            j.remediation(&s.old_done).unwrap().is_none(),
            "finished and old: gone"
        );
        assert!(j.transitions(&s.old_done).unwrap().is_empty());
        assert!(j.approvals(&s.old_done).unwrap().is_empty());
        assert!(
            j.remediation(&s.old_waiting).unwrap().is_some(),
            "never a non-final one"
        );
        assert!(
            j.alert("old-waiting").unwrap().is_some(),
            "never an alert with work"
        );
        assert!(j.remediation(&s.recent_done).unwrap().is_some());
        assert!(j.alert("old-quiet").unwrap().is_none());
        assert!(j.alert("recent").unwrap().is_some());

        assert_eq!(outcome.archives.len(), 1, "one batch");
        let archive = outcome.archives[0].clone();
        assert_eq!(
            archive.parent(),
            Some(s.backend.dir.path()),
            "next to the journal"
        );
        let name = archive.file_name().unwrap().to_string_lossy().into_owned();
        let base = if s.backend.is_postgres() {
            "journal"
        } else {
            "journal.sqlite"
        };
        assert!(
            name.starts_with(&format!("{base}.audit-")) && name.ends_with(".jsonl"),
            "{name}"
        );
        let lines = std::fs::read_to_string(&archive).unwrap();
        assert_eq!(lines.lines().count(), 5, "the five old entries: {lines}");

        let live = j.verify_audit().unwrap();
        assert!(
            live.ok(),
            "the live journal verifies from its checkpoint: {:?}",
            live.fault
        );
        assert_eq!(live.first_seq, 6);
        assert_eq!(live.entries, 4, "three recent entries and the checkpoint");
        let whole = j.verify_audit_with_archives(None, &[archive]).unwrap();
        assert!(whole.ok(), "{:?}", whole.fault);
        assert_eq!((whole.first_seq, whole.entries), (1, 9));
        assert_eq!(whole.last_hash, live.last_hash);
    }
}

#[test]
fn an_edited_archive_fails_verification() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let mut j = s.backend.open();
        let archive = j.prune(cutoff(), "alice").unwrap().archives.remove(0);
        let text = std::fs::read_to_string(&archive).unwrap();
        std::fs::write(&archive, text.replacen("looks real", "looks fake", 1)).unwrap();
        let report = j
            .verify_audit_with_archives(None, std::slice::from_ref(&archive))
            .unwrap();
        assert_eq!(report.fault, Some(AuditFault::Edited { seq: 1 }));

        let cut: Vec<&str> = text.lines().skip(1).collect();
        std::fs::write(&archive, cut.join("\n")).unwrap();
        let report = j.verify_audit_with_archives(None, &[archive]).unwrap();
        assert_eq!(
            report.fault.map(|f| f.seq()),
            Some(1),
            "an archive missing its first entry does not start the chain"
        );
    }
}

#[test]
fn entries_removed_behind_the_checkpoint_are_still_caught() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let mut j = s.backend.open();
        j.prune(cutoff(), "alice").unwrap();
        let raw = s.backend.raw();
        raw.execute_batch(if s.backend.is_postgres() {
            "ALTER TABLE audit DISABLE TRIGGER USER; DELETE FROM audit WHERE seq = 6;"
        } else {
            "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 6;"
        })
        .unwrap();
        let report = j.verify_audit().unwrap();
        assert_eq!(
            report.fault,
            Some(AuditFault::Missing { seq: 1, found: 7 }),
            "no checkpoint carries entry 6's predecessor"
        );
    }
}

#[test]
fn a_second_prune_chains_on_and_archives_verify_in_any_order() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let mut j = s.backend.open();
        let first = j.prune(cutoff(), "alice").unwrap().archives.remove(0);
        let second = j
            .prune(Utc::now() - Duration::hours(1), "alice")
            .unwrap()
            .archives
            .remove(0);
        assert!(j.verify_audit().unwrap().ok());
        let both = j
            .verify_audit_with_archives(None, &[second.clone(), first])
            .unwrap();
        assert!(both.ok(), "{:?}", both.fault);
        assert_eq!((both.first_seq, both.entries), (1, 10));
        let newest_only = j.verify_audit_with_archives(None, &[second]).unwrap();
        assert!(newest_only.ok(), "{:?}", newest_only.fault);
        assert_eq!(newest_only.first_seq, 6);
    }
}

#[test]
fn an_expected_head_that_was_pruned_points_at_the_archive() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let mut j = s.backend.open();
        let mut exported = Vec::new();
        j.export_audit(remedy::store::ExportFormat::Json, None, &mut exported)
            .unwrap();
        let entries: Vec<serde_json::Value> = serde_json::from_slice(&exported).unwrap();
        let expected = ExpectedHead {
            seq: 3,
            hash: entries[2]["hash"].as_str().unwrap().to_string(),
        };
        assert!(j.verify_audit_against(Some(&expected)).unwrap().ok());
        let archive = j.prune(cutoff(), "alice").unwrap().archives.remove(0);
        let live = j.verify_audit_against(Some(&expected)).unwrap();
        assert_eq!(
            live.fault,
            Some(AuditFault::ExpectedHeadArchived { seq: 3 })
        );
        let whole = j
            .verify_audit_with_archives(Some(&expected), &[archive])
            .unwrap();
        assert!(whole.ok(), "{:?}", whole.fault);
    }
}

#[test]
fn a_prune_that_frees_a_quarter_of_the_file_vacuums_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut j = Journal::open(&path).unwrap();
    for n in 0..200 {
        alert(&mut j, &format!("old-{n}"), old(), 8_000);
    }
    alert(&mut j, "recent", recent(), 10);
    let before = std::fs::metadata(&path).unwrap().len();
    let outcome = j.prune(cutoff(), "alice").unwrap();
    assert_eq!(outcome.counts.alerts, 200);
    assert!(outcome.vacuumed);
    let after = std::fs::metadata(&path).unwrap().len();
    assert!(after * 4 < before, "the file shrank: {before} -> {after}");
    let again = j.prune(cutoff(), "alice").unwrap();
    assert!(
        again.counts.is_empty() && !again.vacuumed,
        "nothing left to prune"
    );
}

fn remedy(args: &[&str], home: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_remedy"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("REMEDY_AUDIT_KEY")
        .output()
        .unwrap()
}

#[test]
fn the_commands_prune_dry_run_prune_and_verify_with_the_archive() {
    let s = seeded(pg::TestJournal::sqlite());
    let journal = s.path();
    let journal = journal.to_str().unwrap();
    let home = s.backend.dir.path();
    let dry = remedy(
        &["journal", "--journal", journal, "prune", "--dry-run"],
        home,
    );
    let out = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success(), "{dry:?}");
    assert!(
        out.contains("1 finished remediations") && out.contains("5 audit entries (1–5)"),
        "{out}"
    );
    let pruned = remedy(&["journal", "--journal", journal, "prune"], home);
    assert!(pruned.status.success(), "{pruned:?}");
    let archive = archive_of(s.backend.dir.path());
    let live = remedy(&["audit", "--journal", journal, "verify"], home);
    assert!(live.status.success(), "{live:?}");
    let archive_arg = archive.to_str().unwrap();
    let whole = remedy(
        &[
            "audit",
            "--journal",
            journal,
            "verify",
            "--archive",
            archive_arg,
        ],
        home,
    );
    assert!(whole.status.success(), "{whole:?}");
    assert!(
        String::from_utf8_lossy(&whole.stdout).contains("9 entries"),
        "{whole:?}"
    );
    let text = std::fs::read_to_string(&archive).unwrap();
    std::fs::write(&archive, text.replacen("alice", "mallory", 1)).unwrap();
    let edited = remedy(
        &[
            "audit",
            "--journal",
            journal,
            "verify",
            "--archive",
            archive_arg,
        ],
        home,
    );
    assert_eq!(edited.status.code(), Some(1), "{edited:?}");
    assert!(String::from_utf8_lossy(&edited.stderr).contains("entry 1 does not match its hash"));
}

fn archive_of(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".jsonl"))
        .expect("an archive next to the journal")
}

#[test]
fn a_large_prune_runs_in_batches_each_archived_and_checkpointed() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let mut j = s.backend.open();
        let batch = PruneBatch {
            remediations: 1,
            audit_entries: 2,
        };
        let outcome = j.prune_in_batches(cutoff(), "alice", batch).unwrap();
        assert_eq!(outcome.counts.audit_entries, 5);
        assert_eq!(outcome.counts.audit_range, Some((1, 5)));
        assert_eq!(
            outcome.archives.len(),
            3,
            "entries 1-2, 3-4 and 5 (with its checkpoints in between)"
        );
        assert!(j.remediation(&s.old_done).unwrap().is_none());
        let live = j.verify_audit().unwrap();
        assert!(live.ok(), "{:?}", live.fault);
        let whole = j
            .verify_audit_with_archives(None, &outcome.archives)
            .unwrap();
        assert!(whole.ok(), "{:?}", whole.fault);
        assert_eq!(whole.first_seq, 1);
    }
}

#[test]
fn an_archive_line_that_is_not_an_entry_is_an_error_naming_the_file_and_line() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let mut j = s.backend.open();
        let archive = j.prune(cutoff(), "alice").unwrap().archives.remove(0);
        let text = std::fs::read_to_string(&archive).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1] = "{\"seq\": 2, \"note\": \"not an entry\"}";
        std::fs::write(&archive, lines.join("\n")).unwrap();
        let err = j
            .verify_audit_with_archives(None, std::slice::from_ref(&archive))
            .expect_err("an unreadable archive cannot be verified");
        let message = err.to_string();
        assert!(message.contains("line 2"), "{message}");
        assert!(
            message.contains(&archive.display().to_string()),
            "{message}"
        );
    }
}

#[test]
fn finished_command_rows_older_than_the_cut_off_go_but_never_the_newest_or_a_pending_one() {
    for backend in pg::journals("pgstore_retention") {
        eprintln!("on {}", backend.backend());
        let s = seeded(backend);
        let mut j = s.backend.open();
        let command = |j: &mut Journal, n: i64| {
            j.request_command(&remedy::store::NewCommand {
                body: serde_json::json!({ "n": n }),
                who: "alice".into(),
                origin: "host:1".into(),
                summary: format!("command {n}"),
                at: old(),
            })
            .unwrap()
        };
        let done_old = command(&mut j, 1);
        let pending_old = command(&mut j, 2);
        let newest_done_old = command(&mut j, 3);
        for seq in [done_old, newest_done_old] {
            j.atomic(|tx| {
                tx.finish_command(
                    seq,
                    remedy::store::CommandState::Done,
                    "ok",
                    "leader",
                    old(),
                )
            })
            .unwrap();
        }
        let outcome = j.prune(cutoff(), "alice").unwrap();
        assert_eq!(
            outcome.counts.commands, 1,
            "only the old finished one that is not the newest"
        );
        let pending: Vec<i64> = j
            .pending_commands()
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        assert_eq!(pending, vec![pending_old]);
        assert_eq!(
            j.last_command_seq().unwrap(),
            newest_done_old,
            "sequence numbers are never reused"
        );
    }
}
