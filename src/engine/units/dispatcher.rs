//! The dispatcher's rules: attach only to a running action (with proof), cool-down with proof, otherwise
//! send; a refused read backs the machine off on the clock.

use std::sync::Mutex;
use std::time::Duration;

use super::super::fresh::read_machine;
use super::super::interface::ActionKind;
use super::super::interface::{AlertView, CoverKind, RemediationState};
use super::super::retry::KeyedRetries;
use super::super::submit::dispatch_read;
use crate::api::models::defender::ActionStatus;
use crate::store::RemediationRow;

use super::fakes::{Kind, action};
use super::harness::{Harness, alert, scan, start};

/// Dispatches one remediation on a read of its machine alone.
async fn dispatch_one(
    h: &super::super::core::Ctx,
    backoff: &Mutex<KeyedRetries>,
    row: RemediationRow,
    kind: ActionKind,
    alert: AlertView,
) {
    let read = read_machine(h, &row.machine_id, &kind).await;
    dispatch_read(h, backoff, row, kind, alert, read).await;
}

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

#[tokio::test]
async fn a_running_action_of_the_machine_is_attached_with_its_proof_and_nothing_is_sent() {
    let h = Harness::new().await;
    let row = h.approved("m1").await;
    let created = start() - minutes(3);
    h.provider.add(action(
        "act-run",
        "m1",
        ActionStatus::InProgress,
        created,
        created,
    ));
    h.provider.add(action(
        "other-machine",
        "m2",
        ActionStatus::Pending,
        start(),
        start(),
    ));
    dispatch_one(&h.ctx, &Mutex::default(), row.clone(), scan(), alert()).await;
    let row = h.row(&row.id).await;
    assert_eq!(row.state, RemediationState::Attached);
    assert_eq!(row.provider_action_id.as_deref(), Some("act-run"));
    let cover = row.cover.expect("proof recorded").value();
    assert_eq!(cover["kind"], serde_json::json!(CoverKind::Running));
    assert_eq!(cover["action_id"], "act-run");
    assert_eq!(h.provider.count(Kind::Submit), 0);
}

#[tokio::test]
async fn an_ended_action_is_never_attached_a_new_one_is_sent() {
    let h = Harness::new().await;
    let row = h.approved("m1").await;
    let long_ago = start() - minutes(24 * 60);
    for (id, status) in [
        ("ok", ActionStatus::Succeeded),
        ("ko", ActionStatus::Failed),
        ("late", ActionStatus::TimeOut),
    ] {
        h.provider.add(action(id, "m1", status, long_ago, long_ago));
    }
    dispatch_one(&h.ctx, &Mutex::default(), row.clone(), scan(), alert()).await;
    let row = h.row(&row.id).await;
    assert_eq!(h.provider.count(Kind::Submit), 1);
    assert_eq!(row.provider_action_id.as_deref(), Some("sent-1"));
    assert_eq!(row.state, RemediationState::Pending);
    assert!(row.cover.is_none());
}

#[tokio::test]
async fn a_success_within_the_cooldown_covers_it_with_proof_and_one_after_does_not() {
    let h = Harness::new().await;
    let row = h.approved("m1").await;
    let recent = start() - minutes(10);
    h.provider.add(action(
        "recent",
        "m1",
        ActionStatus::Succeeded,
        recent,
        recent,
    ));
    dispatch_one(&h.ctx, &Mutex::default(), row.clone(), scan(), alert()).await;
    let covered = h.row(&row.id).await;
    assert_eq!(covered.state, RemediationState::Skipped);
    let cover = covered.cover.expect("proof recorded").value();
    assert_eq!(cover["kind"], serde_json::json!(CoverKind::CoolDown));
    assert_eq!(cover["action_id"], "recent");
    assert_eq!(h.provider.count(Kind::Submit), 0);

    // The demo flow's cool-down is an hour: past it, the same success no longer holds a scan back.
    h.clock.advance(Duration::from_secs(51 * 60));
    let again = h.approved("m2").await;
    h.provider.add(action(
        "m2-old",
        "m2",
        ActionStatus::Succeeded,
        recent,
        recent,
    ));
    dispatch_one(&h.ctx, &Mutex::default(), again.clone(), scan(), alert()).await;
    assert_eq!(h.row(&again.id).await.state, RemediationState::Pending);
    assert_eq!(h.provider.count(Kind::Submit), 1);
}

#[tokio::test]
async fn a_failed_read_backs_the_machine_off_until_the_clock_moves() {
    let h = Harness::new().await;
    let row = h.approved("m1").await;
    h.provider.fail(Kind::ActionsOf);
    let backoff = Mutex::new(KeyedRetries::default());
    dispatch_one(&h.ctx, &backoff, row.clone(), scan(), alert()).await;
    assert_eq!(h.row(&row.id).await.state, RemediationState::Approved);
    assert_eq!(h.provider.count(Kind::Submit), 0);
    let clock = &h.clock;
    let ready = |b: &Mutex<KeyedRetries>| {
        b.lock().unwrap().ready(
            "m1",
            super::super::clock::Clock::now_instant(clock.as_ref()),
        )
    };
    assert!(!ready(&backoff), "held back right after the failure");
    h.clock.advance(Duration::from_secs(1));
    assert!(!ready(&backoff));
    h.clock.advance(Duration::from_secs(1));
    assert!(ready(&backoff), "tried again after the first backoff (2 s)");
}

#[tokio::test]
async fn a_submission_defender_refuses_ends_failed_with_the_reason_and_is_not_resent() {
    let h = Harness::new().await;
    let row = h.approved("m1").await;
    h.provider.refuse(Kind::Submit);
    let backoff = Mutex::new(KeyedRetries::default());
    dispatch_one(&h.ctx, &backoff, row.clone(), scan(), alert()).await;
    let failed = h.row(&row.id).await;
    assert_eq!(failed.state, RemediationState::Failed);
    assert!(
        failed.reason.as_deref().is_some_and(|r| r.contains("400")),
        "{:?}",
        failed.reason
    );
    dispatch_one(&h.ctx, &backoff, failed, scan(), alert()).await;
    assert_eq!(
        h.provider.count(Kind::Submit),
        1,
        "a final row is never sent again"
    );
}
