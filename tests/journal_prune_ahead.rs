//! A prune whose cut-off is ahead of the wall clock (the daily retention of `remedy run --sim-clock`, whose
//! simulated time runs days ahead) ends: its checkpoint is never stamped before the cut-off, so the next
//! batch does not archive it and write another, one entry at a time, forever.

#[path = "common/pg.rs"]
mod pg;

use std::sync::mpsc;
use std::time::Duration;

use chrono::Utc;
use remedy::store::AuditEntry;

#[test]
fn a_prune_with_a_cutoff_ahead_of_the_wall_clock_archives_once_and_ends() {
    for backend in pg::journals("pgstore_prune_ahead") {
        eprintln!("on {}", backend.backend());
        let mut journal = backend.open();
        for n in 1..=3 {
            journal
                .append_audit(&AuditEntry {
                    at: Utc::now(),
                    who: "tester".into(),
                    action: "test".into(),
                    target: format!("entry {n}"),
                    why: String::new(),
                    result: "ok".into(),
                })
                .unwrap();
        }
        let cutoff = Utc::now() + chrono::Duration::days(1);
        let (done, outcome) = mpsc::channel();
        std::thread::spawn(move || {
            let pruned = journal.prune(cutoff, "tester").map(|o| o.archives.len());
            let _ = done.send(pruned);
        });
        let archives = outcome
            .recv_timeout(Duration::from_secs(60))
            .expect("the prune ends")
            .expect("the prune succeeds");
        assert_eq!(archives, 1, "the three entries, in one batch");
    }
}
