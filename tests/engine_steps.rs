//! Multi-step flows: an approval covers exactly the steps named; a rejection also ends the later steps,
//! which can no longer run. Against both simulator profiles.

mod common;

use common::*;
use remedy::engine::{Command, Mode, RemediationState};

/// Kwame's open alert of the approve policy: three machines.
const KWAME: &str = "66a1f0c2e4b0a1b2c3d4e608";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_step_one_alone_leaves_step_two_proposed_and_a_rejection_ends_both() {
    for profile in PROFILES {
        let sim = start_sim_with(quiet_scenario(600.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(
            &sim,
            &[(APPROVE_POLICY, "scan-then-collect", Mode::Approve)],
        );
        let mut run = EngineRun::start(
            &config,
            fast_settings(&config),
            &dir.path().join("j.sqlite"),
        );
        run.until(30, "kwame's two-step proposals", |r| {
            r.of_alert(KWAME).len() == 6
        })
        .await;
        let mut rows: Vec<_> = run.of_alert(KWAME).into_iter().cloned().collect();
        rows.sort_by(|a, b| (&a.machine.id, a.step).cmp(&(&b.machine.id, b.step)));
        let (first, second) = (&rows[0], &rows[1]);
        assert_eq!((first.step, second.step), (1, 2), "{profile:?}");
        let (other_first, other_second) = (&rows[2], &rows[3]);
        let commands = run.handle.commands();
        commands
            .send(Command::Approve {
                remediation_ids: vec![first.id.clone()],
                reason: Some("scan only".into()),
            })
            .await
            .unwrap();
        commands
            .send(Command::Reject {
                remediation_ids: vec![other_first.id.clone()],
                reason: Some("not this one".into()),
            })
            .await
            .unwrap();
        let (first_id, second_id) = (first.id.clone(), second.id.clone());
        let (other_first_id, other_second_id) = (other_first.id.clone(), other_second.id.clone());
        run.until(30, "the decisions applied", |r| {
            let state = |id: &str| r.remediations.get(id).map(|v| v.state);
            state(&first_id).is_some_and(|s| s != RemediationState::Proposed)
                && state(&other_first_id) == Some(RemediationState::Rejected)
                && state(&other_second_id) == Some(RemediationState::Rejected)
        })
        .await;
        run.until(60, "the approved scan sent to Defender", |r| {
            r.remediations[&first_id].state.is_in_flight()
                || r.remediations[&first_id].state.is_final()
        })
        .await;
        let state = |id: &str| run.remediations[id].state;
        assert_eq!(
            state(&second_id),
            RemediationState::Proposed,
            "{profile:?}: approving step 1 did not approve step 2"
        );
        assert_eq!(state(&other_first_id), RemediationState::Rejected);
        assert_eq!(
            state(&other_second_id),
            RemediationState::Rejected,
            "{profile:?}: a rejected step 1 ends step 2"
        );
        run.handle.shutdown().await;
        sim.shutdown().await;
    }
}
