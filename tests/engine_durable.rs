//! Durable before it counts: while the journal refuses writes, polled alerts do not count (the poll
//! watermark holds), and once writes work again every alert is journaled and remediated. Both journal backends:
//! another connection holds the write lock (SQLite's `BEGIN EXCLUSIVE`, PostgreSQL's advisory write lock).

mod common;
mod resolve_common;

use common::*;
use remedy::engine::Mode;
use remedy::sim::Faults;
use resolve_common::*;

const OLD_ALERT: &str = "77a1f0c2e4b0a1b2c3d4e011";
const NEW_ALERT: &str = "77a1f0c2e4b0a1b2c3d4e012";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_write_failure_loses_nothing_once_writes_work_again() {
    for profile in PROFILES {
        for backend in pg::journals("pgtests_durable") {
            a_write_failure_loses_nothing(profile, &backend).await;
        }
    }
}

async fn a_write_failure_loses_nothing(profile: Profile, backend: &pg::TestJournal) {
    let on = backend.backend();
    let mut scenario = empty_tenant();
    add_user_with_devices(&mut scenario, "early.user@contoso.com", 1);
    add_user_with_devices(&mut scenario, "late.user@contoso.com", 1);
    // An hour apart: far more than the poll overlap, so a watermark moved past the early alert
    // would never read it again.
    add_alert(&mut scenario, OLD_ALERT, "early.user@contoso.com", 60.0);
    add_alert(&mut scenario, NEW_ALERT, "late.user@contoso.com", 1.0);
    let sim = start_sim_with(scenario, profile).await;
    // The first poll answers late, so the journal is locked before it is written.
    sim.set_faults(Faults {
        service: Some("cas".into()),
        latency_ms: 1500,
        ..Faults::default()
    });
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-quick", Mode::Auto)]);
    let mut run = EngineRun::start_on(&config, roomy_settings(&config), backend.open());
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
        "{profile:?} on {on}: nothing planned from alerts that are not durable"
    );
    assert!(
        !run.alerts.contains_key(OLD_ALERT) && !run.alerts.contains_key(NEW_ALERT),
        "{profile:?} on {on}: alerts count only once journaled"
    );
    blocker.release();
    run.until(60, "both alerts journaled and remediated", |r| {
        r.alert_settled(OLD_ALERT, 1) && r.alert_settled(NEW_ALERT, 1)
    })
    .await;
    let journal = backend.open();
    for id in [OLD_ALERT, NEW_ALERT] {
        assert!(
            journal.alert(id).expect("journal reads").is_some(),
            "{profile:?} on {on}: {id} is in the journal"
        );
    }
    assert_eq!(
        posts(&sim),
        (2, 0),
        "{profile:?} on {on}: one scan each, no duplicate"
    );
    run.handle.shutdown().await;
    sim.shutdown().await;
}
