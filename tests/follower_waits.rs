//! A follower's console says who sends an approved action: the leader in another process, by name.
//! The leader is kept from sending (Defender answers every call with 429), so the approved row waits. Both
//! journal backends (PostgreSQL when `REMEDY_TEST_PG_URL` is set, always in CI).

mod common;

use std::time::Duration;

use common::{
    APPROVE_POLICY, EngineRun, Profile, config_for, fast_settings, pg, quiet_scenario,
    start_sim_with,
};
use remedy::engine::interface::WaitReason;
use remedy::engine::{Command, Mode, RemediationState};

async fn an_approved_row_in_a_follower_waits_for_the_leader(profile: Profile) {
    for backend in pg::journals("pgtests_follower_waits") {
        a_follower_waits_for_the_leader(profile, &backend).await;
    }
}

async fn a_follower_waits_for_the_leader(profile: Profile, backend: &pg::TestJournal) {
    let sim = start_sim_with(quiet_scenario(60.0), profile).await;
    let config = config_for(
        &sim,
        &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
    );
    let mut settings = fast_settings(&config);
    settings.lease_ttl = Duration::from_secs(30);
    let mut leader = EngineRun::start_on(&config, settings.clone(), backend.open());
    leader
        .until(30, "a proposal from the only (so leading) process", |r| {
            r.states(APPROVE_POLICY)
                .contains(&RemediationState::Proposed)
        })
        .await;
    settings.operator = "alice".into();
    let mut follower = EngineRun::start_on(&config, settings, backend.open());
    follower
        .until(10, "the proposal shown by the follower", |r| {
            r.states(APPROVE_POLICY)
                .contains(&RemediationState::Proposed)
        })
        .await;
    let chosen = follower
        .of_policy(APPROVE_POLICY)
        .into_iter()
        .find(|r| r.state == RemediationState::Proposed)
        .unwrap()
        .id
        .clone();
    let status = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.base_url()))
        .json(&serde_json::json!({"service": "mde", "throttle_share": 1.0}))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "faults: {status}");
    follower
        .handle
        .commands()
        .send(Command::Approve {
            remediation_ids: vec![chosen.clone()],
            reason: None,
        })
        .await
        .unwrap();
    let wanted = chosen.clone();
    follower
        .until(
            10,
            "the approved row waits for the named leader",
            move |r| {
                r.remediations.get(&wanted).is_some_and(|v| {
                    v.state == RemediationState::Approved
                        && matches!(&v.waiting, Some(WaitReason::Leader { holder: Some(_) }))
                })
            },
        )
        .await;
    let view = &follower.remediations[&chosen];
    let said = view.waiting.as_ref().unwrap().describe(chrono::Utc::now());
    assert!(
        said.starts_with("sent by the leader, "),
        "{profile:?} on {}: {said}",
        backend.backend()
    );
    leader
        .until(
            10,
            "the leader itself says Defender throttles it",
            move |r| {
                r.remediations.get(&chosen).is_some_and(|v| {
                    matches!(
                        &v.waiting,
                        Some(WaitReason::Throttled { .. } | WaitReason::Retrying { .. })
                    )
                })
            },
        )
        .await;
    follower.handle.shutdown().await;
    leader.handle.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_row_in_a_follower_waits_for_the_leader_lenient() {
    an_approved_row_in_a_follower_waits_for_the_leader(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_row_in_a_follower_waits_for_the_leader_strict() {
    an_approved_row_in_a_follower_waits_for_the_leader(Profile::Strict).await;
}
