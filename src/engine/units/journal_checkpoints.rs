//! The journal writer never checkpoints the WAL itself (a checkpoint on a busy disk held the writer, and
//! with it the lease heartbeat, for a minute): a connection of its own copies the WAL into the file.

use chrono::{TimeZone, Utc};

use crate::store::{Journal, WAL_KEEP_BYTES, WalCheckpointer};

use super::super::journal::JournalHandle;

/// WAL pages past SQLite's default checkpoint threshold (1000 pages), written in one commit.
fn write_past_the_threshold(journal: &mut Journal) {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let long_call = "x".repeat(2000);
    let (_, committed) = journal.group(|j| {
        for _ in 0..2400 {
            j.record_spend(&long_call, at, at - chrono::Duration::days(1))
                .expect("recorded");
        }
    });
    committed.expect("one commit");
}

fn file_len(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[tokio::test]
async fn a_journal_file_leaves_its_checkpoints_to_a_connection_of_their_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::open(&dir.path().join("journal.sqlite")).expect("journal");
    let handle = JournalHandle::spawn(journal);
    let pages = handle
        .call(|j| j.autocheckpoint_pages())
        .await
        .expect("read");
    assert_eq!(pages, 0, "the writer never checkpoints after its commits");

    let memory = JournalHandle::spawn(Journal::open_in_memory().expect("journal"));
    let pages = memory
        .call(|j| j.autocheckpoint_pages())
        .await
        .expect("read");
    assert_ne!(pages, 0, "a journal in memory has no WAL to hand over");
}

#[test]
fn commits_leave_the_wal_to_the_checkpointer_which_copies_it_into_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("journal.sqlite");
    let mut journal = Journal::open(&path).expect("journal");
    journal.leave_checkpoints().expect("left");
    let before = file_len(&path);
    write_past_the_threshold(&mut journal);
    assert_eq!(
        file_len(&path),
        before,
        "the commit did not copy the WAL into the journal file"
    );
    let done = WalCheckpointer::open(&path)
        .expect("connection")
        .run()
        .expect("checkpointed");
    assert!(done.wal_pages > 1000, "{done:?}");
    assert_eq!(done.copied, done.wal_pages, "all copied: {done:?}");
    assert!(
        file_len(&path) > before + 4_000_000,
        "the file holds them now"
    );
}

#[test]
fn the_wal_file_shrinks_back_once_a_large_backlog_is_checkpointed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("journal.sqlite");
    let wal = dir.path().join("journal.sqlite-wal");
    let mut journal = Journal::open(&path).expect("journal");
    journal.leave_checkpoints().expect("left");
    while file_len(&wal) <= WAL_KEEP_BYTES as u64 {
        write_past_the_threshold(&mut journal);
    }
    let grown = file_len(&wal);
    let done = WalCheckpointer::open(&path)
        .expect("connection")
        .run()
        .expect("checkpointed");
    assert_eq!(done.copied, done.wal_pages, "all copied: {done:?}");
    write_past_the_threshold(&mut journal);
    assert!(
        file_len(&wal) <= WAL_KEEP_BYTES as u64,
        "the WAL restarted and was cut back from {grown} to at most {WAL_KEEP_BYTES} bytes, not {}",
        file_len(&wal)
    );
}
