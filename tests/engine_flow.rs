//! The engine end to end against the simulator over HTTP: auto runs, approve waits, reject never leaves,
//! restarts and a second process never submit twice.

mod common;

use common::*;
use remedy::api::{ActionRequest, ActionRequestKind, Clients, ScanType};
use remedy::engine::{Command, Mode, RemediationState};
use remedy::wiring;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_policy_scans_the_users_live_machines_to_a_final_state_lenient() {
    auto_policy_scans_the_users_live_machines_to_a_final_state(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_policy_scans_the_users_live_machines_to_a_final_state_strict() {
    auto_policy_scans_the_users_live_machines_to_a_final_state(Profile::Strict).await;
}

async fn auto_policy_scans_the_users_live_machines_to_a_final_state(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
    let mut run = EngineRun::start(
        &config,
        fast_settings(&config),
        &dir.path().join("j.sqlite"),
    );
    run.until(60, "every auto remediation final", |r| {
        r.policy_settled(AUTO_POLICY)
    })
    .await;
    let states = run.states(AUTO_POLICY);
    assert!(
        states.contains(&RemediationState::Succeeded),
        "scans succeed: {states:?}"
    );
    let (total, duplicates) = posts(&sim);
    let submitted = run
        .of_policy(AUTO_POLICY)
        .iter()
        .filter(|r| r.provider_action_id.is_some())
        .count() as u64;
    assert_eq!(duplicates, 0);
    assert!(
        total >= 1 && total <= submitted,
        "one POST per remediation at most: {total} POSTs, {submitted} tracked"
    );
    run.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_policy_waits_then_runs_what_was_approved_and_never_what_was_rejected_lenient() {
    approve_policy_waits_then_runs_what_was_approved_and_never_what_was_rejected(Profile::Lenient)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_policy_waits_then_runs_what_was_approved_and_never_what_was_rejected_strict() {
    approve_policy_waits_then_runs_what_was_approved_and_never_what_was_rejected(Profile::Strict)
        .await;
}

async fn approve_policy_waits_then_runs_what_was_approved_and_never_what_was_rejected(
    profile: Profile,
) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(
        &sim,
        &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
    );
    let mut run = EngineRun::start(
        &config,
        fast_settings(&config),
        &dir.path().join("j.sqlite"),
    );
    // kwame-mens-dt2 is online in the demo tenant (offline machines would end TimeOut, not Succeeded).
    let online = "kwame-mens-dt2";
    run.until(30, "proposals on the approve policy", |r| {
        r.of_policy(APPROVE_POLICY)
            .iter()
            .any(|x| x.machine.name.starts_with(online))
            && r.of_policy(APPROVE_POLICY).len() >= 2
            && r.of_policy(APPROVE_POLICY).iter().all(|x| {
                x.state == RemediationState::Proposed || x.state == RemediationState::Skipped
            })
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(posts(&sim).0, 0, "nothing leaves before approval");

    let proposed: Vec<_> = run
        .of_policy(APPROVE_POLICY)
        .into_iter()
        .filter(|r| r.state == RemediationState::Proposed)
        .collect();
    let approved = proposed
        .iter()
        .find(|r| r.machine.name.starts_with(online))
        .map(|r| r.id.clone())
        .expect("a proposal on the online machine");
    let rejected = proposed
        .iter()
        .find(|r| r.id != approved)
        .map(|r| r.id.clone())
        .expect("a second proposal");
    let commands = run.handle.commands();
    commands
        .send(Command::Approve {
            remediation_ids: vec![approved.clone()],
            reason: Some("user confirmed travel is fake".into()),
        })
        .await
        .unwrap();
    commands
        .send(Command::Reject {
            remediation_ids: vec![rejected.clone()],
            reason: Some("server, handled by ops".into()),
        })
        .await
        .unwrap();
    run.until(60, "the approved scan final", |r| {
        r.remediations[&approved].state.is_final()
    })
    .await;
    assert_eq!(
        run.remediations[&approved].state,
        RemediationState::Succeeded
    );
    assert_eq!(
        run.remediations[&rejected].state,
        RemediationState::Rejected
    );
    assert_eq!(posts(&sim), (1, 0), "exactly the approved scan was sent");
    run.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_and_a_second_process_never_submit_twice_lenient() {
    restarting_and_a_second_process_never_submit_twice(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_and_a_second_process_never_submit_twice_strict() {
    restarting_and_a_second_process_never_submit_twice(Profile::Strict).await;
}

async fn restarting_and_a_second_process_never_submit_twice(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("shared.sqlite");
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
    let mut first = EngineRun::start(&config, fast_settings(&config), &journal);
    let mut second_settings = fast_settings(&config);
    second_settings.owner = "other-host:1".into();
    let mut second = EngineRun::start(&config, second_settings, &journal);
    first
        .until(60, "first process sees everything final", |r| {
            r.policy_settled(AUTO_POLICY)
        })
        .await;
    second
        .until(60, "second process sees everything final", |r| {
            r.policy_settled(AUTO_POLICY)
        })
        .await;
    let (total_before, duplicates) = posts(&sim);
    assert_eq!(
        duplicates, 0,
        "two processes on one journal never both dispatch"
    );
    first.handle.shutdown().await;
    second.handle.shutdown().await;

    let mut again = EngineRun::start(&config, fast_settings(&config), &journal);
    again
        .until(30, "restart reloads the finished remediations", |r| {
            r.policy_settled(AUTO_POLICY)
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        posts(&sim),
        (total_before, 0),
        "seeing the same alerts again sends nothing"
    );
    again.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_is_tracked_with_list_calls_not_one_call_per_action_lenient() {
    a_fleet_is_tracked_with_list_calls_not_one_call_per_action(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_is_tracked_with_list_calls_not_one_call_per_action_strict() {
    a_fleet_is_tracked_with_list_calls_not_one_call_per_action(Profile::Strict).await;
}

async fn a_fleet_is_tracked_with_list_calls_not_one_call_per_action(profile: Profile) {
    const FLEET: usize = 30;
    let mut scenario = quiet_scenario(600.0);
    scenario.alerts.clear();
    scenario.add_fleet(FLEET, AUTO_POLICY, "66a1f0c2e4b0a1b2c3d4eb00");
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
    let mut settings = fast_settings(&config);
    let binding = settings.bindings.get_mut(AUTO_POLICY).expect("binding");
    binding.max_per_alert = 100;
    binding.max_per_hour = 100;
    let mut run = EngineRun::start(&config, settings, &dir.path().join("j.sqlite"));
    run.until(60, "every fleet scan succeeded", |r| {
        let states = r.states(AUTO_POLICY);
        states.len() == FLEET && states.iter().all(|s| *s == RemediationState::Succeeded)
    })
    .await;
    assert_eq!(posts(&sim), (FLEET as u64, 0), "one POST per machine");
    let stats = sim.stats();
    let one_by_one = &stats["requests"]["GET /mde/api/machineactions/{id}"];
    match profile {
        Profile::Lenient => assert!(
            one_by_one.is_null(),
            "no action was read on its own: {one_by_one}"
        ),
        // No id filter there: many open actions come from status lists and each is read on its own once it
        // ended (while ten or fewer are open, those few are read by id every round).
        Profile::Strict => assert!(
            one_by_one["200"].as_u64().unwrap_or(0) <= 2 * FLEET as u64,
            "about one read by id per action, not one per round: {one_by_one}"
        ),
    }
    assert!(
        stats["requests"]["GET /mde/api/machineactions"]["200"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "statuses came from list calls"
    );
    run.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_already_running_on_a_machine_is_followed_not_sent_again_lenient() {
    an_action_already_running_on_a_machine_is_followed_not_sent_again(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_already_running_on_a_machine_is_followed_not_sent_again_strict() {
    an_action_already_running_on_a_machine_is_followed_not_sent_again(Profile::Strict).await;
}

async fn an_action_already_running_on_a_machine_is_followed_not_sent_again(profile: Profile) {
    let mut scenario = quiet_scenario(1.0);
    scenario.alerts.clear();
    scenario.add_fleet(3, AUTO_POLICY, "66a1f0c2e4b0a1b2c3d4eb01");
    let busy_machine = scenario.machines.last().expect("fleet machines").id.clone();
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
    let running = Clients::new(wiring::api_settings(&config))
        .unwrap()
        .defender
        .run_action(
            &busy_machine,
            &ActionRequest {
                kind: ActionRequestKind::AntivirusScan {
                    scan_type: ScanType::Full,
                },
                comment: "started from the portal".into(),
                external_id: None,
            },
        )
        .await
        .unwrap();

    let journal = dir.path().join("j.sqlite");
    let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
    run.until(30, "every fleet machine linked to a Defender action", |r| {
        let rows = r.of_policy(AUTO_POLICY);
        rows.len() == 3 && rows.iter().all(|x| x.provider_action_id.is_some())
    })
    .await;
    let followed = run
        .of_policy(AUTO_POLICY)
        .into_iter()
        .find(|r| r.machine.id == busy_machine)
        .expect("a remediation on the busy machine")
        .clone();
    assert_eq!(
        followed.provider_action_id.as_deref(),
        Some(running.id.as_str())
    );
    assert_eq!(
        posts(&sim),
        (3, 0),
        "the portal's scan and remedy's two others; none twice"
    );
    run.handle.shutdown().await;
    let attached: Vec<_> = audit_entries(&journal)
        .into_iter()
        .filter(|e| e["action"] == "attach")
        .collect();
    assert_eq!(attached.len(), 1, "the attach is audited: {attached:?}");
    assert!(
        attached[0]["why"]
            .as_str()
            .is_some_and(|why| why.starts_with("covered by the scan started")),
        "{attached:?}"
    );
}
