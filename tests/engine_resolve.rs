//! Resolve against both simulator profiles: every device of a user is found (the batched lookup may be
//! refused), hostile account names are never looked up, and fault storms lose no alert.

mod common;
mod resolve_common;

use common::*;
use remedy::engine::{Mode, RemediationState};
use remedy::sim::{Faults, Scenario};
use resolve_common::*;

const TRIO_ALERT: &str = "77a1f0c2e4b0a1b2c3d4e001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_with_three_devices_gets_exactly_three_scans() {
    for profile in PROFILES {
        let mut scenario = empty_tenant();
        let machines = add_user_with_devices(&mut scenario, "tri.device@contoso.com", 3);
        add_alert(&mut scenario, TRIO_ALERT, "tri.device@contoso.com", 5.0);
        let dir = tempfile::tempdir().unwrap();
        let (sim, mut run) = start_auto(scenario, profile, "antivirus-scan-full", dir.path()).await;
        run.until(60, "three scans of tri.device's machines final", |r| {
            r.alert_settled(TRIO_ALERT, 3)
        })
        .await;
        let rems = run.of_alert(TRIO_ALERT);
        assert_eq!(rems.len(), 3, "{profile:?}: one scan per device: {rems:#?}");
        assert!(
            rems.iter().all(|r| r.state == RemediationState::Succeeded),
            "{profile:?}: {rems:#?}"
        );
        let stats = sim.stats();
        for machine in &machines {
            assert_eq!(
                stats["action_posts"][machine]["RunAntiVirusScan"], 1,
                "{profile:?}: one scan POST on {machine}: {stats:#}"
            );
        }
        assert_eq!(posts(&sim), (3, 0), "{profile:?}: exactly three POSTs");
        run.handle.shutdown().await;
        sim.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_account_names_are_not_looked_up() {
    const ZERO_WIDTH: &str = "77a1f0c2e4b0a1b2c3d4e002";
    const ESCAPED: &str = "77a1f0c2e4b0a1b2c3d4e003";
    for profile in PROFILES {
        let mut scenario = empty_tenant();
        let laptop = add_user_with_devices(&mut scenario, "victim@contoso.com", 1);
        add_alert(&mut scenario, ZERO_WIDTH, "vic\u{200b}tim@contoso.com", 3.0);
        add_alert(&mut scenario, ESCAPED, "victim\u{1b}[0m@contoso.com", 2.0);
        let dir = tempfile::tempdir().unwrap();
        let (sim, mut run) = start_auto(scenario, profile, "isolate-machine", dir.path()).await;
        run.until(30, "both hostile alerts say why nothing is done", |r| {
            [ZERO_WIDTH, ESCAPED].iter().all(|id| {
                r.alerts.get(*id).and_then(|a| a.note.as_deref())
                    == Some("account name contains invisible characters: not looked up")
            })
        })
        .await;
        // Give the engine a few polls to do anything it would wrongly do.
        let polls_later = sim.stats()["requests_total"].as_u64().unwrap_or(0) + 6;
        run.until(30, "a few more polls", |_| {
            sim.stats()["requests_total"].as_u64().unwrap_or(0) >= polls_later
        })
        .await;
        for id in [ZERO_WIDTH, ESCAPED] {
            assert!(
                run.of_alert(id).is_empty(),
                "{profile:?}: {id} planned nothing"
            );
            let shown = run.alerts[id].user.clone().unwrap_or_default();
            assert_eq!(shown, "victim@contoso.com", "{profile:?}: shown cleaned");
        }
        let stats = sim.stats();
        assert_eq!(
            stats["action_posts"].get(&laptop[0]),
            None,
            "{profile:?}: victim's laptop untouched: {stats:#}"
        );
        assert_eq!(posts(&sim).0, 0, "{profile:?}: nothing sent");
        let graph_lookups: u64 = stats["requests"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(endpoint, _)| endpoint.contains("Devices"))
            .flat_map(|(_, by)| by.as_object().unwrap().values())
            .filter_map(|n| n.as_u64())
            .sum();
        assert_eq!(graph_lookups, 0, "{profile:?}: no device lookup: {stats:#}");
        run.handle.shutdown().await;
        sim.shutdown().await;
    }
}

/// Every alert of the demo tenant ends with remediations or a stated reason, none "resolving".
async fn no_alert_lost(faults: Faults, what: &str) {
    for profile in PROFILES {
        let scenario = quiet_scenario(600.0);
        let expected = open_alert_ids(&scenario);
        let sim = start_sim_with(scenario, profile).await;
        sim.set_faults(faults.clone());
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(
            &sim,
            &[
                (AUTO_POLICY, "antivirus-scan-quick", Mode::Auto),
                (APPROVE_POLICY, "antivirus-scan-full", Mode::Approve),
            ],
        );
        let mut run = EngineRun::start(
            &config,
            roomy_settings(&config),
            &dir.path().join("j.sqlite"),
        );
        run.until(150, &format!("{what}: every alert settled"), |r| {
            expected.iter().all(|id| alert_accounted(r, id))
        })
        .await;
        assert_eq!(posts(&sim).1, 0, "{profile:?}: no duplicate submission");
        run.handle.shutdown().await;
        sim.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_storm_loses_no_alert() {
    let faults = Faults {
        throttle_share: 0.5,
        ..Faults::default()
    };
    no_alert_lost(faults, "50 % 429 storm").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_reply_storm_loses_no_alert() {
    let faults = Faults {
        malformed_share: 0.3,
        ..Faults::default()
    };
    no_alert_lost(faults, "30 % malformed replies").await;
}

/// Ids of the scenario's open alerts (the ones intake must take).
fn open_alert_ids(scenario: &Scenario) -> Vec<String> {
    scenario
        .alerts
        .iter()
        .filter(|a| a.resolution_status == 0)
        .map(|a| a.id.clone())
        .collect()
}
