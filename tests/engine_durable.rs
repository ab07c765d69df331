//! Durable before it counts: while the journal refuses writes, polled alerts do not count (the poll
//! watermark holds), and once writes work again every alert is journaled and remediated. Another connection
//! holds the write lock: SQLite's `BEGIN EXCLUSIVE` under both profiles, PostgreSQL's advisory write lock under
//! the strict one.

mod common;
mod resolve_common;

use common::*;
use remedy::engine::Mode;
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
    let sim = two_alerts_answered_late(profile, "cas", [OLD_ALERT, NEW_ALERT]).await;
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-quick", Mode::Auto)]);
    let run = EngineRun::start_on(&config, roomy_settings(&config), backend.open());
    let context = format!("{profile:?} on {}", backend.backend());
    durable::writes_refused_then_recovered(run, sim, backend, [OLD_ALERT, NEW_ALERT], &context)
        .await;
}
