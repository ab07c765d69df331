//! A machine's queue: remediations of the same action as one running on the machine join it instead of
//! waiting for its end (a machine that never checks in would otherwise take one time-out per alert);
//! another action, or a send whose outcome is unsure, is still waited for.

use tokio::sync::broadcast;

use super::super::core::Engine;
use super::super::interface::{ActionKind, RemediationState};
use crate::api::models::defender::ActionStatus;
use crate::store::{NewRemediation, RemediationRow};

use super::fakes::Kind;
use super::harness::{FLOW, Harness, backends, scan, start};

/// Journals an approved `kind` on `machine` for alert `a1` under idempotency key `key`.
async fn approved(h: &Harness, key: &str, machine: &str, kind: ActionKind) -> RemediationRow {
    let new = NewRemediation {
        idempotency_key: key.into(),
        alert_id: "a1".into(),
        policy_id: "p1".into(),
        flow_id: FLOW.into(),
        step: 1,
        machine_id: machine.into(),
        machine_name: format!("{machine}.contoso.com"),
        action: kind,
        state: RemediationState::Approved,
        reason: None,
        requested_by: "tester".into(),
        proof: serde_json::json!({}),
        at: start(),
    };
    let (row, _) = h
        .ctx
        .journal
        .call(move |j| j.insert_remediation(&new))
        .await
        .expect("journaled");
    row
}

/// Pumps the dispatcher and hands it what the dispatches report until none runs.
async fn dispatch_all(h: &mut Harness, engine: &mut Engine) {
    engine.pump_dispatch();
    h.settle(engine).await;
}

#[tokio::test]
async fn scans_for_a_machine_whose_scan_is_pending_join_it_instead_of_waiting_for_its_time_out() {
    for backend in backends() {
        let mut h = Harness::on(backend).await;
        let first = h.sent_as("m1", "act-1", ActionStatus::Pending).await;
        let second = approved(&h, "key-2", "m1", scan()).await;
        let third = approved(&h, "key-3", "m1", scan()).await;
        let mut engine = h.engine_with_alert(broadcast::channel(64).0).await;
        dispatch_all(&mut h, &mut engine).await;
        for row in [&second, &third] {
            let row = h.row(&row.id).await;
            assert_eq!(row.state, RemediationState::Attached, "{}", row.id);
            assert_eq!(row.provider_action_id.as_deref(), Some("act-1"));
        }
        assert_eq!(h.row(&first.id).await.state, RemediationState::Pending);
        assert_eq!(h.provider.count(Kind::Submit), 0, "nothing sent again");
    }
}

#[tokio::test]
async fn another_action_or_a_send_whose_outcome_is_unsure_is_still_waited_for() {
    for backend in backends() {
        let mut h = Harness::on(backend).await;
        h.sent_as("m1", "act-1", ActionStatus::Pending).await;
        let isolate = ActionKind::Isolate {
            isolation_type: "Selective".into(),
        };
        let other_kind = approved(&h, "key-iso", "m1", isolate).await;
        let unsure = approved(&h, "key-unsure", "m2", scan()).await;
        let id = unsure.id.clone();
        h.ctx
            .journal
            .call(move |j| {
                use RemediationState::*;
                j.transition_if(&id, Approved, Queued, None, start())?;
                j.transition_if(&id, Queued, Submitted, Some("intent"), start())
            })
            .await
            .expect("journaled");
        let behind_unsure = approved(&h, "key-behind", "m2", scan()).await;
        let mut engine = h.engine_with_alert(broadcast::channel(64).0).await;
        dispatch_all(&mut h, &mut engine).await;
        for row in [&other_kind, &behind_unsure] {
            assert_eq!(
                h.row(&row.id).await.state,
                RemediationState::Approved,
                "{} waits",
                row.id
            );
        }
        assert_eq!(h.provider.count(Kind::Submit), 0);
        assert_eq!(h.provider.count(Kind::ActionsOf), 0, "not even read");
    }
}
