//! How remediations end without an analyst: proposals expire or are withdrawn when the alert is closed in
//! the portal, and a flow with `close_alert` closes its alert as true positive only when every step succeeded.

mod common;

use common::*;
use remedy::engine::{Mode, RemediationState, Resolution};
use remedy::sim::Faults;
use remedy::store::Journal;

/// Impossible travel alerts (approve policy) and their users' live machine counts.
const ALICE: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e5f6", 2);
const KWAME: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e608", 3);
/// Ransomware activity alerts: seun has four machines, mateo two.
const RANSOMWARE_POLICY: &str = "5f01dce13de79160fbec4153";
const SEUN: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e5fd", 4);
const MATEO: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e60a", 2);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_proposals_expire_and_are_never_sent_lenient() {
    waiting_proposals_expire_and_are_never_sent(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_proposals_expire_and_are_never_sent_strict() {
    waiting_proposals_expire_and_are_never_sent(Profile::Strict).await;
}

async fn waiting_proposals_expire_and_are_never_sent(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let config = config_for(
        &sim,
        &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
    );
    let mut settings = fast_settings(&config);
    settings.proposal_ttl = chrono::Duration::seconds(1);
    let mut run = EngineRun::start(&config, settings, &journal);
    run.until(30, "alice's and kwame's proposals expired", |r| {
        [ALICE, KWAME].iter().all(|(alert, machines)| {
            let rems = r.of_alert(alert);
            rems.len() == *machines && rems.iter().all(|x| x.state == RemediationState::Expired)
        })
    })
    .await;
    run.handle.shutdown().await;

    assert_eq!(posts(&sim).0, 0, "an expired proposal is never sent");
    let j = Journal::open(&journal).unwrap();
    for (alert, _) in [ALICE, KWAME] {
        for row in j.remediations_for_alert(alert).unwrap() {
            assert!(
                row.reason
                    .as_deref()
                    .is_some_and(|r| r.contains("no decision within 1 s")),
                "{row:#?}"
            );
            let approvals = j.approvals(&row.id).unwrap();
            assert_eq!(approvals.len(), 1, "{approvals:#?}");
            assert_eq!(approvals[0].decision, "expire");
            assert_eq!(approvals[0].who, "remedy");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_alert_in_the_portal_withdraws_its_proposals_lenient() {
    closing_the_alert_in_the_portal_withdraws_its_proposals(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_alert_in_the_portal_withdraws_its_proposals_strict() {
    closing_the_alert_in_the_portal_withdraws_its_proposals(Profile::Strict).await;
}

async fn closing_the_alert_in_the_portal_withdraws_its_proposals(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let config = config_for(
        &sim,
        &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
    );
    let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
    run.until(30, "proposals for alice and kwame", |r| {
        [ALICE, KWAME].iter().all(|(alert, machines)| {
            let rems = r.of_alert(alert);
            rems.len() == *machines && rems.iter().all(|x| x.state == RemediationState::Proposed)
        })
    })
    .await;

    let closed = cas_call(
        &sim,
        reqwest::Method::POST,
        "alerts/close_false_positive/",
        Some(serde_json::json!({
            "filters": {"id": {"eq": [ALICE.0]}},
            "comment": "closed by an analyst in the portal",
            "reasonId": 0,
        })),
    )
    .await;
    assert_eq!(closed["closed_false_positive"], 1, "{closed}");

    run.until(30, "alice's proposals withdrawn", |r| {
        r.of_alert(ALICE.0)
            .iter()
            .all(|x| x.state == RemediationState::Rejected)
    })
    .await;
    for r in run.of_alert(ALICE.0) {
        assert_eq!(
            r.reason.as_deref(),
            Some("alert closed in Cloud App Security")
        );
    }
    assert!(
        run.of_alert(KWAME.0)
            .iter()
            .all(|x| x.state == RemediationState::Proposed),
        "the other alert still waits"
    );
    run.handle.shutdown().await;
    assert_eq!(posts(&sim).0, 0);
    let entries = audit_entries(&journal);
    assert_eq!(
        entries.iter().filter(|e| e["action"] == "withdraw").count(),
        ALICE.1,
        "each withdrawal is audited: {entries:#?}"
    );
    let j = Journal::open(&journal).unwrap();
    for row in j.remediations_for_alert(ALICE.0).unwrap() {
        let approvals = j.approvals(&row.id).unwrap();
        assert_eq!(approvals.len(), 1, "{approvals:#?}");
        assert_eq!(approvals[0].decision, "reject");
        assert_eq!(approvals[0].who, "remedy");
        assert_eq!(
            approvals[0].reason.as_deref(),
            Some("alert closed in Cloud App Security")
        );
    }
}

/// Per machine of `alert`: step 2 was queued only after step 1 had succeeded.
fn steps_ran_in_order(j: &Journal, alert: &str) {
    let rows = j.remediations_for_alert(alert).unwrap();
    let firsts: Vec<_> = rows.iter().filter(|r| r.step == 1).collect();
    assert!(!firsts.is_empty());
    for first in firsts {
        let second = rows
            .iter()
            .find(|r| r.step == 2 && r.machine_id == first.machine_id)
            .expect("a second step per machine");
        let succeeded = j
            .transitions(&first.id)
            .unwrap()
            .into_iter()
            .find(|t| t.to_state == "Succeeded")
            .expect("step 1 succeeded");
        let queued = j
            .transitions(&second.id)
            .unwrap()
            .into_iter()
            .find(|t| t.to_state == "queued")
            .expect("step 2 was queued");
        assert!(
            queued.seq > succeeded.seq && queued.at >= succeeded.at,
            "step 2 on {} left after step 1 succeeded: {succeeded:?} / {queued:?}",
            first.machine_name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_that_succeeds_everywhere_closes_its_alert_as_true_positive_lenient() {
    a_flow_that_succeeds_everywhere_closes_its_alert_as_true_positive(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_that_succeeds_everywhere_closes_its_alert_as_true_positive_strict() {
    a_flow_that_succeeds_everywhere_closes_its_alert_as_true_positive(Profile::Strict).await;
}

async fn a_flow_that_succeeds_everywhere_closes_its_alert_as_true_positive(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let config = config_for(
        &sim,
        &[(RANSOMWARE_POLICY, "scan-then-collect", Mode::Auto)],
    );
    let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
    run.until(60, "both ransomware alerts closed", |r| {
        [SEUN, MATEO].iter().all(|(alert, machines)| {
            r.alert_settled(alert, machines * 2)
                && r.alerts
                    .get(*alert)
                    .is_some_and(|a| a.resolution == Resolution::TruePositive)
        })
    })
    .await;

    let entries = audit_entries(&journal);
    let j = Journal::open(&journal).unwrap();
    for (alert, _) in [SEUN, MATEO] {
        assert!(
            run.of_alert(alert)
                .iter()
                .all(|r| r.state == RemediationState::Succeeded)
        );
        steps_ran_in_order(&j, alert);
        let fetched = cas_call(
            &sim,
            reqwest::Method::GET,
            &format!("alerts/{alert}/"),
            None,
        )
        .await;
        assert_eq!(fetched["resolutionStatusValue"], 5, "{fetched}");
        assert!(
            entries
                .iter()
                .any(|e| e["action"] == "close alert (true positive)"
                    && e["target"] == format!("alert {alert}")
                    && e["result"] == "closed"),
            "the close is audited: {entries:#?}"
        );
    }
    run.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_step_skips_the_second_and_leaves_the_alert_open_lenient() {
    a_failed_first_step_skips_the_second_and_leaves_the_alert_open(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_step_skips_the_second_and_leaves_the_alert_open_strict() {
    a_failed_first_step_skips_the_second_and_leaves_the_alert_open(Profile::Strict).await;
}

async fn a_failed_first_step_skips_the_second_and_leaves_the_alert_open(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    sim.set_faults(Faults {
        action_failure_share: Some(1.0),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j.sqlite");
    let config = config_for(
        &sim,
        &[(RANSOMWARE_POLICY, "scan-then-collect", Mode::Auto)],
    );
    let mut run = EngineRun::start(&config, fast_settings(&config), &journal);
    run.until(60, "both ransomware alerts settled", |r| {
        [SEUN, MATEO]
            .iter()
            .all(|(alert, machines)| r.alert_settled(alert, machines * 2))
    })
    .await;
    run.until(10, "the engine says the alerts stay open", |r| {
        r.notices.iter().filter(|n| n.contains("left open")).count() == 2
    })
    .await;
    for (alert, _) in [SEUN, MATEO] {
        let title = &run.alerts[alert].title;
        assert!(
            run.notices
                .iter()
                .any(|n| n.contains("left open") && n.contains(title.as_str())),
            "{profile:?}: the notice names the alert by its title ({title}), not its id: {:?}",
            run.notices
        );
        assert!(
            !run.notices
                .iter()
                .any(|n| n.contains("left open") && n.contains(alert)),
            "{profile:?}: no id in the notice: {:?}",
            run.notices
        );
    }

    assert_eq!(posts(&sim).0, 6, "only the first steps were sent");
    let entries = audit_entries(&journal);
    for (alert, _) in [SEUN, MATEO] {
        for r in run.of_alert(alert) {
            let expected = if r.step == 1 {
                RemediationState::Failed
            } else {
                RemediationState::Skipped
            };
            assert_eq!(r.state, expected, "{r:#?}");
        }
        let fetched = cas_call(
            &sim,
            reqwest::Method::GET,
            &format!("alerts/{alert}/"),
            None,
        )
        .await;
        assert_eq!(fetched["resolutionStatusValue"], 0, "{fetched}");
        assert!(
            !entries
                .iter()
                .any(|e| e["target"] == format!("alert {alert}")),
            "no close attempted"
        );
    }
    run.handle.shutdown().await;
}
