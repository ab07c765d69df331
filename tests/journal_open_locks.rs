//! Opening the journal again in a process that already has it open (the daily prune, the audit head at
//! shutdown) keeps the first connection's locks: another process closing its own connection must not take
//! itself for the last one and remove the write-ahead log from under the first.

use std::path::Path;
use std::process::Command;

use chrono::Utc;
use remedy::store::{AuditEntry, Journal};

fn entry(n: u32) -> AuditEntry {
    AuditEntry {
        at: Utc::now(),
        who: "tester".into(),
        action: "test".into(),
        target: format!("entry {n}"),
        why: String::new(),
        result: "ok".into(),
    }
}

/// What `remedy audit verify` says from another process (which opens and closes the journal).
fn verified_elsewhere(path: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_remedy"))
        .arg("audit")
        .arg("--journal")
        .arg(path)
        .arg("verify")
        .output()
        .expect("remedy audit verify runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_second_open_in_this_process_leaves_the_first_connection_working_for_every_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let mut first = Journal::open(&path).unwrap();
    first.append_audit(&entry(1)).unwrap();
    drop(Journal::open(&path).unwrap());
    let seen = verified_elsewhere(&path);
    assert!(seen.contains("intact: 1 entries"), "{seen}");
    first
        .append_audit(&entry(2))
        .expect("the first connection still writes");
    let seen = verified_elsewhere(&path);
    assert!(
        seen.contains("intact: 2 entries"),
        "another process sees what the first connection wrote after: {seen}"
    );
}
