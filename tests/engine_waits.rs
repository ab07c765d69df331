//! An approved action that has not left says why: Defender throttling under a 429 storm, then nothing once
//! it is sent. Against both simulator profiles.

mod common;

use common::*;
use remedy::engine::{Command, Mode, WaitReason};
use remedy::sim::Faults;

/// Kwame's open alert of the approve policy: three machines.
const KWAME: &str = "66a1f0c2e4b0a1b2c3d4e608";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_approved_under_a_429_storm_says_defender_throttles_then_leaves() {
    for profile in PROFILES {
        let (sim, _dir, mut run) = bound_run(
            profile,
            600.0,
            &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
        )
        .await;
        run.until(30, "kwame's proposals", |r| r.of_alert(KWAME).len() == 3)
            .await;
        let id = run.of_alert(KWAME)[0].id.clone();
        sim.set_faults(Faults {
            service: Some("mde".into()),
            throttle_share: 1.0,
            ..Faults::default()
        });
        run.handle
            .commands()
            .send(Command::Approve {
                remediation_ids: vec![id.clone()],
                reason: None,
            })
            .await
            .unwrap();
        run.until(30, "the approved scan says Defender throttles", |r| {
            matches!(
                r.remediations[&id].waiting,
                Some(WaitReason::Throttled { .. })
            )
        })
        .await;
        let said = run.remediations[&id]
            .waiting
            .as_ref()
            .unwrap()
            .describe(chrono::Utc::now());
        assert!(
            said.starts_with("Defender throttling, retry in "),
            "{profile:?}: {said}"
        );
        sim.set_faults(Faults::default());
        run.until(60, "the scan sent once the storm ends", |r| {
            let view = &r.remediations[&id];
            (view.state.is_in_flight() || view.state.is_final()) && view.waiting.is_none()
        })
        .await;
        run.handle.shutdown().await;
        sim.shutdown().await;
    }
}
