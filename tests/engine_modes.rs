//! Two engines on one journal (a headless `remedy run` and a colleague's console): a policy switched
//! off in one is off in the other within a second, and alerts raised afterwards get no scan.

mod common;

use common::*;
use remedy::engine::{Command, Mode};

async fn raise_alert(sim: &remedy::sim::SimHandle) {
    let status = reqwest::Client::new()
        .post(format!("{}/_sim/arrive", sim.base_url()))
        .send()
        .await
        .expect("the simulator answers")
        .status();
    assert!(status.is_success(), "arrive: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_switched_off_in_another_process_stops_auto_remediation() {
    for profile in PROFILES {
        let mut scenario = quiet_scenario(600.0);
        scenario.arrivals.policies = vec![AUTO_POLICY.to_string()];
        let sim = start_sim_with(scenario, profile).await;
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("shared.sqlite");
        let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
        let mut headless = EngineRun::start(&config, fast_settings(&config), &journal);
        headless
            .until(60, "the auto policy's backlog settled", |r| {
                r.policy_settled(AUTO_POLICY)
            })
            .await;
        let console = EngineRun::start(&config, fast_settings(&config), &journal);
        console
            .handle
            .commands()
            .send(Command::SetMode {
                policy_id: AUTO_POLICY.into(),
                mode: Mode::Off,
            })
            .await
            .unwrap();
        headless
            .until(5, "the headless engine sees the policy off", |r| {
                r.modes.get(AUTO_POLICY) == Some(&Mode::Off)
            })
            .await;
        let before = posts(&sim).0;
        let known = headless.alerts.len();
        for _ in 0..3 {
            raise_alert(&sim).await;
        }
        headless
            .until(30, "the new alerts seen", |r| r.alerts.len() >= known + 3)
            .await;
        headless
            .until(10, "the new alerts noted as off", |r| {
                r.alerts_of(AUTO_POLICY)
                    .iter()
                    .filter(|a| a.note.as_deref().is_some_and(|n| n.contains("mode is off")))
                    .count()
                    >= 3
            })
            .await;
        assert_eq!(
            posts(&sim).0,
            before,
            "{profile:?}: no scan sent for alerts raised after the policy was switched off"
        );
        headless.handle.shutdown().await;
        console.handle.shutdown().await;
        sim.shutdown().await;
    }
}
