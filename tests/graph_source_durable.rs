//! Durable before it counts, for Graph: while the journal refuses writes, the `lastUpdateDateTime` watermark
//! holds, and once writes work again every alert Graph listed is journaled and remediated (SQLite under both
//! profiles, PostgreSQL under the strict one).

mod common;
mod resolve_common;

use common::*;
use remedy::config::BindingSection;
use remedy::engine::Mode;
use resolve_common::*;

const OLD_ALERT: &str = "77a1f0c2e4b0a1b2c3d4e021";
const NEW_ALERT: &str = "77a1f0c2e4b0a1b2c3d4e022";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_write_failure_loses_no_graph_alert_once_writes_work_again() {
    for profile in PROFILES {
        for backend in journals_for(profile, "pgtests_graph_durable") {
            no_graph_alert_is_lost(profile, &backend).await;
        }
    }
}

async fn no_graph_alert_is_lost(profile: Profile, backend: &pg::TestJournal) {
    let sim = two_alerts_answered_late(profile, "graph", [OLD_ALERT, NEW_ALERT]).await;
    let mut config = config_for(&sim, &[]);
    config.alerts.sources = vec!["graph".into()];
    config.bindings.insert(
        "malware".into(),
        BindingSection {
            flow: "antivirus-scan-quick".into(),
            mode: Mode::Auto.as_str().into(),
            max_machines_per_alert: None,
            max_machines_per_hour: None,
            policy_id: None,
            detector_id: None,
            service_source: None,
            title: Some("Malware detected in a file owned by *".into()),
        },
    );
    let run = EngineRun::start_on(&config, roomy_settings(&config), backend.open());
    let context = format!("{profile:?} on {}", backend.backend());
    durable::writes_refused_then_recovered(run, sim, backend, [OLD_ALERT, NEW_ALERT], &context)
        .await;
}
