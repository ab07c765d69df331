//! Retry and release: a failed scan runs again as a new audited action with Defender's reason kept on the
//! failed one; a succeeded isolation is released through the same dispatch path; the alert's history names
//! both. Against both simulator profiles.

mod common;

use common::*;
use remedy::engine::{ActionKind, Command, Event, Mode, RemediationState};
use remedy::sim::Faults;

/// Kwame's open alert of the approve policy: three machines.
const KWAME: &str = "66a1f0c2e4b0a1b2c3d4e608";

async fn approve(run: &EngineRun, id: &str) {
    run.handle
        .commands()
        .send(Command::Approve {
            remediation_ids: vec![id.to_string()],
            reason: None,
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_scan_is_retried_as_a_new_audited_action() {
    for profile in PROFILES {
        let sim = start_sim_with(quiet_scenario(600.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.sqlite");
        let config = config_for(
            &sim,
            &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
        );
        let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
        run.until(30, "kwame's proposals", |r| r.of_alert(KWAME).len() == 3)
            .await;
        let failed_id = run.of_alert(KWAME)[0].id.clone();
        sim.set_faults(Faults {
            action_failure_share: Some(1.0),
            ..Faults::default()
        });
        approve(&run, &failed_id).await;
        run.until(60, "the scan failed", |r| {
            r.remediations[&failed_id].state == RemediationState::Failed
        })
        .await;
        let why = run.remediations[&failed_id]
            .reason
            .clone()
            .unwrap_or_default();
        assert!(
            why.starts_with("Defender: the action failed on the machine"),
            "{profile:?}: {why}"
        );
        sim.set_faults(Faults::default());
        let mut history = run.handle.subscribe();
        run.handle
            .commands()
            .send(Command::Retry {
                remediation_id: failed_id.clone(),
                reason: Some("machine back".into()),
            })
            .await
            .unwrap();
        let machine = run.remediations[&failed_id].machine.id.clone();
        run.until(60, "the retry succeeded", |r| {
            r.of_alert(KWAME).iter().any(|v| {
                v.id != failed_id
                    && v.machine.id == machine
                    && v.state == RemediationState::Succeeded
            })
        })
        .await;
        assert_eq!(
            run.remediations[&failed_id].state,
            RemediationState::Failed,
            "{profile:?}: the failed one stays failed"
        );
        run.handle
            .commands()
            .send(Command::History {
                alert_id: KWAME.into(),
            })
            .await
            .unwrap();
        let entries = loop {
            if let Event::History { alert_id, entries } = history.recv().await.unwrap() {
                assert_eq!(alert_id, KWAME);
                break entries;
            }
        };
        assert!(
            entries.iter().any(|e| e.what == "retry"
                && e.who.as_deref() == Some("tester")
                && e.why.as_deref() == Some("machine back")),
            "{profile:?}: {entries:#?}"
        );
        assert!(
            entries.iter().any(|e| e.what == "→ Failed"),
            "{profile:?}: {entries:#?}"
        );
        run.handle.shutdown().await;
        let audit = audit_entries(&journal);
        assert!(
            audit.iter().any(|e| e["action"] == "retry"),
            "{profile:?}: {audit:#?}"
        );
        sim.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_succeeded_isolation_is_released_through_dispatch() {
    for profile in PROFILES {
        let sim = start_sim_with(quiet_scenario(600.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.sqlite");
        let config = config_for(&sim, &[(APPROVE_POLICY, "isolate-machine", Mode::Approve)]);
        let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
        run.until(30, "kwame's proposals", |r| r.of_alert(KWAME).len() == 3)
            .await;
        let isolation = run.of_alert(KWAME)[0].id.clone();
        approve(&run, &isolation).await;
        run.until(60, "the isolation succeeded", |r| {
            r.remediations[&isolation].state == RemediationState::Succeeded
        })
        .await;
        run.handle
            .commands()
            .send(Command::Release {
                remediation_id: isolation.clone(),
                reason: Some("cleared".into()),
            })
            .await
            .unwrap();
        let machine = run.remediations[&isolation].machine.id.clone();
        run.until(60, "the release succeeded", |r| {
            r.of_alert(KWAME).iter().any(|v| {
                v.machine.id == machine
                    && v.action == Some(ActionKind::Unisolate)
                    && v.state == RemediationState::Succeeded
            })
        })
        .await;
        run.handle.shutdown().await;
        let audit = audit_entries(&journal);
        assert!(
            audit
                .iter()
                .any(|e| e["action"] == "release" && e["why"] == "cleared"),
            "{profile:?}: {audit:#?}"
        );
        sim.shutdown().await;
    }
}
