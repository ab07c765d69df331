//! Dispatch and tracking act only on what they verified, against both simulator profiles: attach only to an
//! action read as running, refuse unreadable stored rows, track through refused query forms, cool down,
//! and decide nothing in a read-only session.

mod common;

use std::time::Duration;

use common::*;
use remedy::api::{ActionRequest, ActionRequestKind, Clients, ScanType};
use remedy::engine::{Command, CoverKind, Mode, RemediationState};
use remedy::store::{Journal, NewRemediation};
use remedy::wiring;

const KWAME_ALERT: &str = "66a1f0c2e4b0a1b2c3d4e608";

fn external_scan() -> ActionRequest {
    ActionRequest {
        kind: ActionRequestKind::AntivirusScan {
            scan_type: ScanType::Full,
        },
        comment: "started from the portal".into(),
        external_id: None,
    }
}

/// Action POSTs of `kind` the simulator received for `machine_id`.
fn posts_on(sim: &remedy::sim::SimHandle, machine_id: &str, kind: &str) -> u64 {
    sim.stats()["action_posts"][machine_id][kind]
        .as_u64()
        .unwrap_or(0)
}

/// Proposals of the approve policy, one per machine, in a stable order.
fn proposals(run: &EngineRun) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = run
        .of_policy(APPROVE_POLICY)
        .iter()
        .filter(|r| r.state == RemediationState::Proposed)
        .map(|r| (r.id.clone(), r.machine.id.clone()))
        .collect();
    found.sort();
    let mut machines = std::collections::HashSet::new();
    found.retain(|(_, machine)| machines.insert(machine.clone()));
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_that_already_ended_is_never_attached_and_a_running_one_is_with_proof() {
    for profile in PROFILES {
        // Real time: an external scan stays Pending for a minute, long enough to attach to or cancel.
        let sim = start_sim_with(quiet_scenario(1.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(
            &sim,
            &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
        );
        let journal = dir.path().join("j.sqlite");
        let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
        run.until(30, "three proposals on distinct machines", |r| {
            proposals(r).len() >= 3
        })
        .await;
        let picked = proposals(&run);
        let (first, ended_on, running_on) = (&picked[0], &picked[1], &picked[2]);
        let defender = Clients::new(wiring::api_settings(&config))
            .unwrap()
            .defender;
        let ended = defender
            .run_action(&ended_on.1, &external_scan())
            .await
            .expect("external scan accepted");
        let running = defender
            .run_action(&running_on.1, &external_scan())
            .await
            .expect("external scan accepted");
        let commands = run.handle.commands();
        let approve = |id: &str| Command::Approve {
            remediation_ids: vec![id.to_string()],
            reason: None,
        };
        commands.send(approve(&first.0)).await.unwrap();
        run.until(30, "the first approved scan left", |r| {
            r.remediations[&first.0].provider_action_id.is_some()
        })
        .await;
        defender
            .cancel_action(&ended.id, "ended before remedy got to it")
            .await
            .expect("cancel accepted");
        commands.send(approve(&ended_on.0)).await.unwrap();
        commands.send(approve(&running_on.0)).await.unwrap();
        run.until(30, "both later approvals linked to an action", |r| {
            r.remediations[&ended_on.0].provider_action_id.is_some()
                && r.remediations[&running_on.0].provider_action_id.is_some()
        })
        .await;

        let after_end = &run.remediations[&ended_on.0];
        assert_ne!(
            after_end.provider_action_id.as_deref(),
            Some(ended.id.as_str()),
            "{profile:?}: attached to an action that had ended"
        );
        assert_eq!(after_end.covered_by, None, "{profile:?}");
        assert_eq!(
            posts_on(&sim, &ended_on.1, "RunAntiVirusScan"),
            2,
            "{profile:?}"
        );

        let attached = &run.remediations[&running_on.0];
        assert_eq!(attached.state, RemediationState::Attached, "{profile:?}");
        assert_eq!(
            attached.provider_action_id.as_deref(),
            Some(running.id.as_str())
        );
        let proof = attached.covered_by.clone().expect("attach proof");
        assert_eq!(proof.kind, CoverKind::Running);
        assert_eq!(proof.action_id, running.id);
        assert!(matches!(
            proof.status,
            RemediationState::Pending | RemediationState::InProgress
        ));
        assert_eq!(proof.created_at, running.creation_time);
        assert!(proof.requestor.is_some(), "{profile:?}: requestor recorded");
        assert_eq!(
            posts_on(&sim, &running_on.1, "RunAntiVirusScan"),
            1,
            "{profile:?}"
        );
        let audited = audit_entries(&journal).into_iter().any(|e| {
            e["action"] == "attach"
                && e["result"]
                    .as_str()
                    .is_some_and(|r| r.contains(&running.id))
        });
        assert!(audited, "{profile:?}: the attach and its proof are audited");
        run.handle.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_stored_action_or_state_is_skipped_with_the_reason_and_never_sent() {
    for profile in PROFILES {
        let sim = start_sim_with(quiet_scenario(600.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(
            &sim,
            &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
        );
        let journal = dir.path().join("j.sqlite");
        let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
        run.until(30, "two proposals", |r| proposals(r).len() >= 2)
            .await;
        let picked = proposals(&run);
        run.handle.shutdown().await;
        let raw = rusqlite::Connection::open(&journal).unwrap();
        raw.execute(
            "UPDATE remediations SET params = '{\"kind\":\"wipe_disk\"}', state = 'approved' WHERE id = ?1",
            [&picked[0].0],
        )
        .unwrap();
        raw.execute(
            "UPDATE remediations SET state = 'half-sent' WHERE id = ?1",
            [&picked[1].0],
        )
        .unwrap();
        drop(raw);

        let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
        run.until(30, "both refused", |r| {
            [&picked[0].0, &picked[1].0].iter().all(|id| {
                r.remediations
                    .get(*id)
                    .is_some_and(|x| x.state == RemediationState::Skipped)
            })
        })
        .await;
        assert_eq!(
            run.remediations[&picked[0].0].reason.as_deref(),
            Some("stored action 'wipe_disk' is not a known action kind")
        );
        assert_eq!(
            run.remediations[&picked[0].0].action, None,
            "{profile:?}: an unknown action is not shown as a scan"
        );
        assert_eq!(
            run.remediations[&picked[1].0].reason.as_deref(),
            Some("stored state 'half-sent' is not a known state")
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(posts(&sim).0, 0, "{profile:?}: nothing was sent");
        run.handle.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_open_actions_are_tracked_to_final_states() {
    for profile in PROFILES {
        let sim = start_sim_with(quiet_scenario(600.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(&sim, &[]);
        let journal_path = dir.path().join("j.sqlite");
        let defender = Clients::new(wiring::api_settings(&config))
            .unwrap()
            .defender;
        let machines = defender.machines(None).await.expect("machines listed");
        let mut journal = Journal::open(&journal_path).unwrap();
        let mut ids = Vec::new();
        for (n, machine) in machines.iter().take(12).enumerate() {
            let action = defender
                .run_action(&machine.id, &external_scan())
                .await
                .expect("scan accepted");
            let now = chrono::Utc::now();
            let (row, _) = journal
                .insert_remediation(&NewRemediation {
                    idempotency_key: format!("rmd-track-{n}"),
                    alert_id: format!("alert-{n}"),
                    policy_id: AUTO_POLICY.into(),
                    flow_id: "antivirus-scan-full".into(),
                    step: 1,
                    machine_id: machine.id.clone(),
                    machine_name: machine.id.clone(),
                    action: remedy::lifecycle::ActionKind::AntivirusScan {
                        scan_type: "Full".into(),
                    },
                    state: RemediationState::Approved,
                    reason: None,
                    requested_by: "tester".into(),
                    proof: serde_json::json!({}),
                    at: now,
                })
                .unwrap();
            for step in [RemediationState::Queued, RemediationState::Submitted] {
                journal.transition(&row.id, step, None, now).unwrap();
            }
            journal
                .set_provider_action_id(&row.id, &action.id, now)
                .unwrap();
            journal
                .transition(&row.id, RemediationState::Pending, None, now)
                .unwrap();
            ids.push(row.id);
        }
        drop(journal);
        assert_eq!(ids.len(), 12);
        let mut run = EngineRun::start(&config, fast_settings(&config), &journal_path);
        run.until(60, "all twelve final", |r| {
            ids.iter()
                .all(|id| r.remediations.get(id).is_some_and(|x| x.state.is_final()))
        })
        .await;
        let refused: u64 = sim.stats()["requests"]["GET /mde/api/machineactions"]["400"]
            .as_u64()
            .unwrap_or(0);
        assert!(
            refused <= 2,
            "{profile:?}: each refused form is tried once: {refused}"
        );
        run.handle.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_alert_within_the_cooldown_sends_no_second_scan_and_shows_the_proof() {
    for profile in PROFILES {
        let mut scenario = quiet_scenario(600.0);
        scenario.alerts.retain(|a| a.id == KWAME_ALERT);
        let mut again = scenario.alerts[0].clone();
        again.id = "66a1f0c2e4b0a1b2c3d4e6aa".into();
        again.minutes_ago = 1.0;
        scenario.alerts.push(again);
        let sim = start_sim_with(scenario, profile).await;
        let dir = tempfile::tempdir().unwrap();
        let config = config_for(&sim, &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Auto)]);
        let mut run = EngineRun::start(
            &config,
            fast_settings(&config),
            &dir.path().join("j.sqlite"),
        );
        run.until(90, "both alerts settled", |r| {
            r.of_policy(APPROVE_POLICY).len() >= 4 && r.policy_settled(APPROVE_POLICY)
        })
        .await;
        let on_dt2: Vec<_> = run
            .of_policy(APPROVE_POLICY)
            .into_iter()
            .filter(|r| r.machine.name.starts_with("kwame-mens-dt2"))
            .cloned()
            .collect();
        assert_eq!(on_dt2.len(), 2, "{profile:?}: one per alert");
        let scanned = on_dt2
            .iter()
            .find(|r| r.state == RemediationState::Succeeded && r.covered_by.is_none())
            .expect("the first scan succeeded");
        let covered = on_dt2
            .iter()
            .find(|r| r.id != scanned.id)
            .expect("the re-alert's remediation");
        // Planned while the first scan still runs, the re-alert joins it (attached, the scan's result);
        // planned after it succeeded, the cool-down skips it. Either way it shows the first scan as proof.
        let proof = covered
            .covered_by
            .clone()
            .expect("proof of the covering scan");
        assert_eq!(Some(proof.action_id.clone()), scanned.provider_action_id);
        match proof.kind {
            CoverKind::CoolDown => {
                assert_eq!(covered.state, RemediationState::Skipped, "{profile:?}");
                assert!(proof.succeeded_at.is_some());
            }
            CoverKind::Running => {
                assert_eq!(covered.state, RemediationState::Succeeded, "{profile:?}");
            }
        }
        assert_eq!(
            posts_on(&sim, &scanned.machine.id, "RunAntiVirusScan"),
            1,
            "{profile:?}: no second scan within the cool-down"
        );
        run.handle.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_journals_no_approvals_and_a_later_normal_run_sends_nothing_for_them() {
    for profile in PROFILES {
        let sim = start_sim_with(quiet_scenario(600.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.sqlite");
        let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
        let mut settings = fast_settings(&config);
        settings.read_only = true;
        let mut run = EngineRun::start(&config, settings, &journal);
        run.until(30, "what auto would do, shown", |r| {
            !r.of_policy(AUTO_POLICY).is_empty()
                && r.of_policy(AUTO_POLICY).iter().any(|x| {
                    x.reason.as_deref() == Some("auto would approve; not sent: read-only session")
                })
        })
        .await;
        assert!(
            run.of_policy(AUTO_POLICY)
                .iter()
                .all(|x| x.state != RemediationState::Approved),
            "{profile:?}: read-only approved something"
        );
        let ids: Vec<String> = run
            .of_policy(AUTO_POLICY)
            .iter()
            .map(|x| x.id.clone())
            .collect();
        run.handle.shutdown().await;
        let approvals = audit_entries(&journal)
            .into_iter()
            .filter(|e| e["action"] == "approve")
            .count();
        assert_eq!(approvals, 0, "{profile:?}: no approval audited");
        let check = Journal::open(&journal).unwrap();
        for id in &ids {
            assert!(
                check.approvals(id).unwrap().is_empty(),
                "{profile:?}: approval journaled"
            );
        }
        drop(check);

        let mut later = EngineRun::start(&config, fast_settings(&config), &journal);
        later
            .until(30, "the read-only proposals loaded", |r| {
                ids.iter().all(|id| r.remediations.contains_key(id))
            })
            .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for id in &ids {
            let row = &later.remediations[id];
            assert!(
                matches!(
                    row.state,
                    RemediationState::Proposed | RemediationState::Skipped
                ),
                "{profile:?}: {row:?}"
            );
            assert_eq!(
                row.provider_action_id, None,
                "{profile:?}: sent for the read-only run"
            );
            let machine = &row.machine.id;
            assert_eq!(
                posts_on(&sim, machine, "RunAntiVirusScan"),
                0,
                "{profile:?}: {machine}"
            );
        }
        later.handle.shutdown().await;
    }
}
