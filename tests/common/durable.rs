//! Durable before it counts, the part every alert source shares: while another connection holds the journal's
//! write lock nothing polled counts, and once it is released every alert is journaled and remediated once.

use remedy::sim::{Faults, SimHandle};

use super::{EngineRun, pg, posts};

/// With the engine leading `backend`'s journal and `sim`'s first poll held back by a latency fault: takes the
/// write lock, lifts the fault, checks that nothing counts until the lock is released, then that both
/// `alerts` are journaled and remediated with one scan each. Shuts the engine and the simulator down.
pub async fn writes_refused_then_recovered(
    mut run: EngineRun,
    sim: SimHandle,
    backend: &pg::TestJournal,
    alerts: [&str; 2],
    context: &str,
) {
    // It leads before the lock is taken (taking the lease is a write).
    run.until(10, "the engine leads the journal", |r| {
        r.notices.iter().any(|n| n.contains("leading the journal"))
    })
    .await;
    // Another connection holds the write lock: every journal write of the engine fails
    // (SQLITE_BUSY once its busy timeout ends, PostgreSQL's lock timeout), reads still work.
    let blocker = backend.hold_write_lock();
    sim.set_faults(Faults::default());
    run.until(60, "the engine says alerts were not journaled", |r| {
        r.notices.iter().any(|n| n.contains("not journaled"))
    })
    .await;
    assert!(
        run.remediations.is_empty(),
        "{context}: nothing planned from alerts that are not durable"
    );
    assert!(
        alerts.iter().all(|id| !run.alerts.contains_key(*id)),
        "{context}: alerts count only once journaled"
    );
    blocker.release();
    run.until(60, "both alerts journaled and remediated", |r| {
        alerts.iter().all(|id| r.alert_settled(id, 1))
    })
    .await;
    let journal = backend.open();
    for id in alerts {
        assert!(
            journal.alert(id).expect("journal reads").is_some(),
            "{context}: {id} is in the journal"
        );
    }
    assert_eq!(
        posts(&sim),
        (2, 0),
        "{context}: one scan each, no duplicate"
    );
    run.handle.shutdown().await;
    sim.shutdown().await;
}
