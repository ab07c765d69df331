//! A simulated policy migration (the bound policy disabled, its alerts continuing in Graph under a new
//! detector) makes the engine warn, naming the successor detector, on both simulator profiles.

mod common;

use common::*;
use remedy::alert::SourceKind;
use remedy::engine::Mode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrated_policy_is_warned_about_with_its_successor_lenient() {
    migration_warns(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrated_policy_is_warned_about_with_its_successor_strict() {
    migration_warns(Profile::Strict).await;
}

async fn migration_warns(profile: Profile) {
    let mut scenario = quiet_scenario(600.0);
    scenario.arrivals.enabled = true;
    scenario.arrivals.policies = vec![APPROVE_POLICY.to_string()];
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(
        &sim,
        &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
    );
    config.alerts.sources = vec!["cas".into(), "graph".into()];
    let mut run = EngineRun::start(
        &config,
        fast_settings(&config),
        &dir.path().join("j.sqlite"),
    );
    run.until(60, "an alert of the policy seen by both sources", |r| {
        r.alerts_of(APPROVE_POLICY)
            .iter()
            .any(|a| a.seen_by == [SourceKind::Cas, SourceKind::Graph])
    })
    .await;
    assert!(
        !run.notices.iter().any(|n| n.contains("is disabled")),
        "no warning before the migration: {:?}",
        run.notices
    );
    let successor = sim
        .migrate(APPROVE_POLICY, None)
        .expect("the policy is known");
    run.until(60, "the warning naming the successor", |r| {
        r.notices.iter().any(|n| {
            n.contains(APPROVE_POLICY) && n.contains("is disabled") && n.contains(&successor)
        })
    })
    .await;
    let warning = run.notices.iter().find(|n| n.contains(&successor)).unwrap();
    assert!(warning.contains("bind it with detector_id"), "{warning}");
    run.handle.shutdown().await;
}
