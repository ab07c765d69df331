//! After a restart, an alert Graph read is still closed through Graph (its Graph id comes from the journal), on
//! both simulator profiles.

mod common;

use common::*;
use remedy::alert::SourceKind;
use remedy::config::BindingSection;
use remedy::engine::{
    Closure, Command, GraphClassification, GraphDetermination, Mode, RemediationState, Resolution,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_alert_is_closed_through_graph_after_a_restart_lenient() {
    closed_after_restart(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_alert_is_closed_through_graph_after_a_restart_strict() {
    closed_after_restart(Profile::Strict).await;
}

async fn closed_after_restart(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let mut config = config_for(&sim, &[]);
    config.alerts.sources = vec!["graph".into()];
    config.bindings.insert(
        "cloud-apps".into(),
        BindingSection {
            flow: "antivirus-scan-full".into(),
            mode: Mode::Approve.as_str().into(),
            max_machines_per_alert: None,
            max_machines_per_hour: None,
            policy_id: None,
            detector_id: None,
            service_source: Some("microsoftDefenderForCloudApps".into()),
            title: None,
        },
    );
    let mut first = EngineRun::start(&config, fast_settings(&config), &journal);
    first
        .until(60, "a proposal waits", |r| {
            r.remediations
                .values()
                .any(|x| x.state == RemediationState::Proposed)
        })
        .await;
    let alert_id = first
        .remediations
        .values()
        .find(|x| x.state == RemediationState::Proposed)
        .unwrap()
        .alert_id
        .clone();
    assert_eq!(first.alerts[&alert_id].seen_by, vec![SourceKind::Graph]);
    first.handle.shutdown().await;

    // No look-back after the restart: the console's view of the alert (from the journal's columns) has no
    // Graph id; it comes from the journaled alert.
    let mut settings = fast_settings(&config);
    settings.lookback = chrono::Duration::zero();
    let mut second = EngineRun::start(&config, settings, &journal);
    second
        .until(30, "the waiting proposal is back", |r| {
            r.of_alert(&alert_id)
                .iter()
                .any(|x| x.state == RemediationState::Proposed)
        })
        .await;
    let closure = Closure::Graph {
        classification: GraphClassification::TruePositive,
        determination: GraphDetermination::CompromisedUser,
    };
    second
        .handle
        .commands()
        .send(Command::CloseAlert {
            alert_id: alert_id.clone(),
            closure,
            comment: "closed by the test".into(),
        })
        .await
        .unwrap();
    second
        .until(30, "the alert closed", |r| {
            r.alerts
                .get(&alert_id)
                .is_some_and(|a| a.resolution == Resolution::TruePositive)
        })
        .await;
    let stats = sim.stats();
    let patched: u64 = stats["requests"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.starts_with("PATCH /graph/v1.0/security/alerts_v2"))
        .map(|(_, v)| v["200"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(patched, 1, "closed through Graph: {stats}");
    second.handle.shutdown().await;
}
