//! Durable before it counts: while the journal refuses writes, polled alerts do not count (the poll
//! watermark holds), and once writes work again every alert is journaled and remediated. Another connection
//! holds the write lock: SQLite's `BEGIN EXCLUSIVE` under both profiles, PostgreSQL's advisory write lock under
//! the strict one.

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
        for backend in journals_for(profile, "pgtests_durable") {
            a_write_failure_loses_nothing(profile, &backend).await;
        }
    }
}

async fn a_write_failure_loses_nothing(profile: Profile, backend: &pg::TestJournal) {
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
    let run = EngineRun::start_on(&config, roomy_settings(&config), backend.open());
    let context = format!("{profile:?} on {}", backend.backend());
    durable::writes_refused_then_recovered(run, sim, backend, [OLD_ALERT, NEW_ALERT], &context)
        .await;
}
