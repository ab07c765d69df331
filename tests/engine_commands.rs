//! Analyst commands against the simulator: a mode change is journaled and only ever proposes for the
//! backlog; a cancel reaches Defender and the remediation ends Cancelled.

mod common;

use common::*;
use remedy::engine::{Command, Mode, RemediationState};
use remedy::sim::Faults;
use remedy::store::Journal;

/// Open alerts of the approve policy (alice, kwame) and the auto policy (bob, priya) with machine counts.
const ALICE: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e5f6", 2);
const KWAME: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e608", 3);
const BOB: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e5f7", 2);
const PRIYA: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e5f9", 3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_a_policy_on_proposes_for_its_backlog_and_runs_none_of_it_lenient() {
    turning_a_policy_on_proposes_for_its_backlog_and_runs_none_of_it(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_a_policy_on_proposes_for_its_backlog_and_runs_none_of_it_strict() {
    turning_a_policy_on_proposes_for_its_backlog_and_runs_none_of_it(Profile::Strict).await;
}

async fn turning_a_policy_on_proposes_for_its_backlog_and_runs_none_of_it(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let config = config_for(
        &sim,
        &[
            (APPROVE_POLICY, "antivirus-scan-full", Mode::Off),
            (AUTO_POLICY, "antivirus-scan-full", Mode::Off),
        ],
    );
    let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
    run.until(30, "the backlog seen while the policies are off", |r| {
        [ALICE, BOB].iter().all(|(alert, _)| {
            r.alerts
                .get(*alert)
                .and_then(|a| a.note.as_deref())
                .is_some_and(|n| n.contains("mode is off"))
        })
    })
    .await;
    assert!(run.remediations.is_empty(), "off proposes nothing");

    let commands = run.handle.commands();
    for (policy, mode) in [(APPROVE_POLICY, Mode::Approve), (AUTO_POLICY, Mode::Auto)] {
        commands
            .send(Command::SetMode {
                policy_id: policy.into(),
                mode,
            })
            .await
            .unwrap();
    }
    run.until(30, "the backlog of both policies planned", |r| {
        [ALICE, KWAME, BOB, PRIYA]
            .iter()
            .all(|(alert, machines)| r.of_alert(alert).len() == *machines)
    })
    .await;
    for r in run.remediations.values() {
        assert!(
            matches!(
                r.state,
                RemediationState::Proposed | RemediationState::Skipped
            ),
            "the backlog is proposed, never run: {r:#?}"
        );
    }
    run.handle.shutdown().await;
    assert_eq!(posts(&sim).0, 0);

    let j = Journal::open(&journal).unwrap();
    for (policy, mode) in [(APPROVE_POLICY, "approve"), (AUTO_POLICY, "auto")] {
        let history = j.mode_history(policy).unwrap();
        let last = history.last().expect("the change is journaled");
        assert_eq!(last.to_mode, mode);
        assert_eq!(last.changed_by, "tester");
        assert!(chrono::Utc::now() - last.changed_at < chrono::Duration::minutes(5));
    }
    let entries = audit_entries(&journal);
    for (policy, why) in [
        (APPROVE_POLICY, "off → approve"),
        (AUTO_POLICY, "off → auto"),
    ] {
        assert!(
            entries.iter().any(|e| e["action"] == "set mode"
                && e["who"] == "tester"
                && e["target"] == format!("policy {policy}")
                && e["why"] == why),
            "the change is audited: {entries:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_pending_action_ends_it_cancelled_lenient() {
    cancelling_a_pending_action_ends_it_cancelled(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_pending_action_ends_it_cancelled_strict() {
    cancelling_a_pending_action_ends_it_cancelled(Profile::Strict).await;
}

async fn cancelling_a_pending_action_ends_it_cancelled(profile: Profile) {
    let mut scenario = quiet_scenario(600.0);
    scenario.actions.timeout_secs = 1.0e7;
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let config = config_for(
        &sim,
        &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
    );
    let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
    run.until(30, "alice's proposals", |r| {
        r.of_alert(ALICE.0).len() == ALICE.1
    })
    .await;
    let chosen = run.of_alert(ALICE.0)[0].clone();
    sim.set_faults(Faults {
        offline_machines: vec![chosen.machine.id.clone()],
        ..Faults::default()
    });
    let commands = run.handle.commands();
    commands
        .send(Command::Approve {
            remediation_ids: vec![chosen.id.clone()],
            reason: None,
        })
        .await
        .unwrap();
    run.until(30, "the scan waits on the offline machine", |r| {
        let x = &r.remediations[&chosen.id];
        x.state == RemediationState::Pending && x.provider_action_id.is_some()
    })
    .await;
    commands
        .send(Command::Cancel {
            remediation_id: chosen.id.clone(),
            comment: "machine is being reimaged".into(),
        })
        .await
        .unwrap();
    run.until(30, "the scan cancelled", |r| {
        r.remediations[&chosen.id].state == RemediationState::Cancelled
    })
    .await;
    run.handle.shutdown().await;

    let entries = audit_entries(&journal);
    assert!(
        entries.iter().any(|e| e["action"] == "cancel"
            && e["who"] == "tester"
            && e["why"] == "machine is being reimaged"
            && e["target"]
                .as_str()
                .is_some_and(|t| t.contains(&chosen.machine.id))),
        "the cancel is audited: {entries:#?}"
    );
}
