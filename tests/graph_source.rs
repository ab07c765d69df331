//! Graph security alerts as an alert source, end to end against the simulator (both profiles): a Cloud App
//! Security alert read through Graph is remediated and closed through Graph, a Defender for Endpoint alert is
//! remediated on the device it names without a user lookup, and both sources on give one alert.

mod common;

use common::*;
use remedy::alert::SourceKind;
use remedy::config::{BindingSection, Config};
use remedy::engine::{Mode, RemediationState, Resolution};
use remedy::sim::{Scenario, SimHandle};

const CLOUD_APPS: &str = "microsoftDefenderForCloudApps";
const ENDPOINT: &str = "microsoftDefenderForEndpoint";

/// A binding of `flow` in `mode` by service source or title.
fn binding(
    flow: &str,
    mode: Mode,
    service_source: Option<&str>,
    title: Option<&str>,
) -> BindingSection {
    BindingSection {
        flow: flow.into(),
        mode: mode.as_str().into(),
        max_machines_per_alert: None,
        max_machines_per_hour: None,
        policy_id: None,
        detector_id: None,
        service_source: service_source.map(Into::into),
        title: title.map(Into::into),
    }
}

/// The demo config against `sim` with no policy bound, polling `sources`.
fn graph_config(sim: &SimHandle, sources: &[&str], service_sources: &[&str]) -> Config {
    let mut config = config_for(sim, &[]);
    config.alerts.sources = sources.iter().map(|s| s.to_string()).collect();
    config.alerts.graph_service_sources = service_sources.iter().map(|s| s.to_string()).collect();
    config
}

/// Requests the simulator answered on routes containing `route`, with `status`.
fn answered(sim: &SimHandle, route: &str, status: &str) -> u64 {
    let stats = sim.stats();
    stats["requests"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.contains(route))
        .map(|(_, by_status)| by_status[status].as_u64().unwrap_or(0))
        .sum()
}

/// Graph user reads (the user → devices path) the simulator answered, whatever the status.
fn user_lookups(sim: &SimHandle) -> u64 {
    let stats = sim.stats();
    stats["requests"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| key.contains("/users/"))
        .flat_map(|(_, by_status)| by_status.as_object().into_iter().flatten())
        .map(|(_, n)| n.as_u64().unwrap_or(0))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_apps_alert_read_through_graph_is_remediated_and_closed_through_graph_lenient() {
    remediated_and_closed_through_graph(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_apps_alert_read_through_graph_is_remediated_and_closed_through_graph_strict() {
    remediated_and_closed_through_graph(Profile::Strict).await;
}

async fn remediated_and_closed_through_graph(profile: Profile) {
    let scenario = quiet_scenario(600.0);
    let title = scenario
        .alerts
        .iter()
        .find(|a| a.policy == AUTO_POLICY && a.user.is_some())
        .expect("the demo has an alert of the auto policy")
        .title
        .clone();
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = graph_config(&sim, &["graph"], &[CLOUD_APPS]);
    config
        .flows
        .get_mut("antivirus-scan-full")
        .expect("built-in flow")
        .close_alert = true;
    config.bindings.insert(
        "malware-title".into(),
        binding("antivirus-scan-full", Mode::Auto, None, Some(&title)),
    );
    let mut run = EngineRun::start(
        &config,
        fast_settings(&config),
        &dir.path().join("j.sqlite"),
    );
    run.until(60, "the Graph alert is remediated and closed", |r| {
        r.alerts.values().any(|a| {
            a.title == title && a.resolution != Resolution::Open && r.alert_settled(&a.id, 1)
        })
    })
    .await;
    let alert = run
        .alerts
        .values()
        .find(|a| {
            a.title == title && a.resolution != Resolution::Open && run.alert_settled(&a.id, 1)
        })
        .unwrap()
        .clone();
    assert_eq!(alert.seen_by, vec![SourceKind::Graph]);
    assert!(
        !alert.id.starts_with("graph:"),
        "keyed by its Cloud App Security id: {}",
        alert.id
    );
    assert!(alert.graph_id.is_some());
    assert_eq!(alert.resolution, Resolution::TruePositive);
    assert!(
        run.of_alert(&alert.id)
            .iter()
            .all(|r| r.state == RemediationState::Succeeded)
    );
    assert!(answered(&sim, "PATCH /graph/v1.0/security/alerts_v2", "200") >= 1);
    assert!(answered(&sim, "/comments", "200") >= 1);
    assert_eq!(
        answered(&sim, "close_true_positive", "200"),
        0,
        "closed through Graph only"
    );
    run.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_alert_is_remediated_on_the_device_it_names_without_a_user_lookup_lenient() {
    device_evidence_first(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_alert_is_remediated_on_the_device_it_names_without_a_user_lookup_strict() {
    device_evidence_first(Profile::Strict).await;
}

async fn device_evidence_first(profile: Profile) {
    let mut scenario: Scenario = quiet_scenario(600.0);
    scenario.graph_alerts.endpoint_alerts = 2;
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = graph_config(&sim, &["graph"], &[ENDPOINT]);
    config.bindings.insert(
        "endpoint".into(),
        binding("antivirus-scan-full", Mode::Auto, Some(ENDPOINT), None),
    );
    let mut run = EngineRun::start(
        &config,
        fast_settings(&config),
        &dir.path().join("j.sqlite"),
    );
    run.until(60, "both endpoint alerts remediated", |r| {
        let endpoint: Vec<_> = r
            .alerts
            .values()
            .filter(|a| a.policy_id == "endpoint")
            .collect();
        endpoint.len() == 2 && endpoint.iter().all(|a| r.alert_settled(&a.id, 1))
    })
    .await;
    for alert in run.alerts.values().filter(|a| a.policy_id == "endpoint") {
        assert!(alert.id.starts_with("graph:"), "{}", alert.id);
        assert_eq!(
            alert.matched_by.as_deref(),
            Some(&*format!("service source {ENDPOINT}"))
        );
        let rems = run.of_alert(&alert.id);
        assert_eq!(rems.len(), 1, "one device named, one scan");
        assert!(
            rems[0]
                .machine
                .found_by
                .starts_with("device named in the alert (mdeDeviceId "),
            "{}",
            rems[0].machine.found_by
        );
        assert!(
            rems[0].machine.found_by.contains(&rems[0].machine.id),
            "the machine is the one named: {}",
            rems[0].machine.found_by
        );
        assert_eq!(rems[0].state, RemediationState::Succeeded);
        let inactive_in_alert = alert
            .entities
            .iter()
            .any(|e| e.kind == "device" && e.label.contains("health inactive"));
        assert_eq!(
            rems[0]
                .machine
                .found_by
                .contains("alert says health inactive"),
            inactive_in_alert,
            "the alert's caveat is in the proof shown before approval: {}",
            rems[0].machine.found_by
        );
    }
    assert_eq!(user_lookups(&sim), 0, "no user was looked up");
    run.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sources_on_give_one_alert_not_two_lenient() {
    both_sources_one_alert(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sources_on_give_one_alert_not_two_strict() {
    both_sources_one_alert(Profile::Strict).await;
}

async fn both_sources_one_alert(profile: Profile) {
    let scenario = quiet_scenario(600.0);
    let open_cas: usize = scenario
        .alerts
        .iter()
        .filter(|a| a.resolution_status == 0)
        .count();
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = graph_config(&sim, &["cas", "graph"], &[CLOUD_APPS]);
    let bound = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
    config.policies = bound.policies;
    let mut run = EngineRun::start(
        &config,
        fast_settings(&config),
        &dir.path().join("j.sqlite"),
    );
    run.until(60, "the auto policy's alerts settle", |r| {
        r.alerts.values().filter(|a| a.seen_by.len() == 2).count() >= open_cas
            && r.policy_settled(AUTO_POLICY)
    })
    .await;
    assert!(
        run.alerts.keys().all(|id| !id.starts_with("graph:")),
        "no Cloud App Security alert twice: {:?}",
        run.alerts.keys().collect::<Vec<_>>()
    );
    for alert in run
        .alerts
        .values()
        .filter(|a| a.resolution == Resolution::Open)
    {
        assert_eq!(
            alert.seen_by,
            vec![SourceKind::Cas, SourceKind::Graph],
            "{}",
            alert.id
        );
    }
    for alert in run.alerts_of(AUTO_POLICY) {
        let machines: Vec<_> = run
            .of_alert(&alert.id)
            .iter()
            .map(|r| r.machine.id.clone())
            .collect();
        let mut unique = machines.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            machines.len(),
            unique.len(),
            "one remediation per machine of {}",
            alert.id
        );
    }
    run.handle.shutdown().await;
}
