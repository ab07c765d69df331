//! Dispatch batches: one read for a turn's machines (one per machine after a refusal), turns sized by the
//! room Defender's budget has for the POSTs, and a read older than the proof may be read again first.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::api::models::defender::ActionStatus;
use crate::api::{Call, QuotaStatus, Room};

use super::super::batch::{BatchShared, Pick, dispatch_batch};
use super::super::budgets::Budgets;
use super::super::fresh::{FreshRead, MAX_PROOF_AGE};
use super::super::interface::{CoverKind, ProofRead, RemediationState};
use super::super::retry::KeyedRetries;
use super::super::submit::dispatch_read;
use super::fakes::{Kind, action};
use super::harness::{Harness, alert, scan, start};

async fn picks(h: &Harness, machines: &[&str]) -> Vec<Pick> {
    let mut picks = Vec::new();
    for machine in machines {
        picks.push((h.approved(machine).await, alert()));
    }
    picks
}

/// Defender's budget for every call has room for `room` POSTs at any moment.
struct RoomOf(u32);

impl Budgets for RoomOf {
    fn quotas(&self) -> Vec<QuotaStatus> {
        Vec::new()
    }

    fn defender_throttled_until(&self) -> Option<SystemTime> {
        None
    }

    fn replay_defender_spend(&self, _call: Call, _ages: &[Duration]) {}

    fn defender_room(&self, _call: Call) -> Option<Room> {
        Some(Room {
            now: self.0,
            next_in: Duration::ZERO,
        })
    }
}

#[tokio::test]
async fn one_read_covers_the_batch_and_each_machine_gets_its_own_decision_with_proof() {
    let h = Harness::new().await;
    let running = start() - chrono::Duration::minutes(3);
    h.provider.add(action(
        "act-run",
        "m1",
        ActionStatus::InProgress,
        running,
        running,
    ));
    let done = start() - chrono::Duration::minutes(10);
    h.provider.add(action(
        "act-done",
        "m3",
        ActionStatus::Succeeded,
        done,
        done,
    ));
    let batch = picks(&h, &["m1", "m2", "m3"]).await;
    let ids: Vec<String> = batch.iter().map(|(row, _)| row.id.clone()).collect();
    dispatch_batch(&h.ctx, &BatchShared::default(), scan(), batch).await;

    assert_eq!(
        h.provider.count(Kind::ActionsOn),
        1,
        "one read for three machines"
    );
    assert_eq!(h.provider.count(Kind::ActionsOf), 0);
    let attached = h.row(&ids[0]).await;
    assert_eq!(attached.state, RemediationState::Attached);
    let cover = attached.cover.expect("proof recorded").value();
    assert_eq!(cover["kind"], serde_json::json!(CoverKind::Running));
    assert_eq!(
        cover["read"],
        serde_json::json!(ProofRead::Batch { machines: 3 }),
        "the proof names the read it came from"
    );
    assert_eq!(cover["checked_at"], serde_json::json!(start()));
    assert_eq!(h.row(&ids[1]).await.state, RemediationState::Pending);
    let cooled = h.row(&ids[2]).await;
    assert_eq!(cooled.state, RemediationState::Skipped);
    assert_eq!(
        cooled.cover.expect("cool-down proof").value()["action_id"],
        "act-done"
    );
    assert_eq!(h.provider.count(Kind::Submit), 1, "only m2 was sent");
}

#[tokio::test]
async fn a_refused_batch_read_switches_to_one_read_per_machine_for_good() {
    let h = Harness::new().await;
    h.provider.refuse(Kind::ActionsOn);
    let shared = BatchShared::default();
    let first = picks(&h, &["m1", "m2"]).await;
    dispatch_batch(&h.ctx, &shared, scan(), first.clone()).await;
    assert_eq!(h.provider.count(Kind::ActionsOn), 1);
    assert_eq!(
        h.provider.count(Kind::ActionsOf),
        2,
        "the work is done anyway"
    );
    for (row, _) in &first {
        assert_eq!(h.row(&row.id).await.state, RemediationState::Pending);
    }
    let second = picks(&h, &["m3", "m4"]).await;
    dispatch_batch(&h.ctx, &shared, scan(), second).await;
    assert_eq!(h.provider.count(Kind::ActionsOn), 1, "never asked again");
    assert_eq!(h.provider.count(Kind::ActionsOf), 4);
    assert_eq!(h.provider.count(Kind::Submit), 4);
}

#[tokio::test]
async fn turns_are_sized_by_the_room_for_the_posts() {
    let mut h = Harness::new().await;
    h.ctx.budgets = Arc::new(RoomOf(2));
    let batch = picks(&h, &["m1", "m2", "m3", "m4", "m5"]).await;
    dispatch_batch(&h.ctx, &BatchShared::default(), scan(), batch).await;
    let reads = h.provider.count(Kind::ActionsOn) + h.provider.count(Kind::ActionsOf);
    assert!(
        reads >= 3,
        "turns of at most 2 (the next turn may start as soon as one POST of the last is answered): {reads} reads"
    );
    assert_eq!(h.provider.count(Kind::Submit), 5);
}

#[tokio::test]
async fn concurrent_turns_never_count_on_the_same_room_twice() {
    let mut h = Harness::new().await;
    h.ctx.budgets = Arc::new(RoomOf(3));
    let shared = BatchShared::default();
    let call = Call::RunAntivirusScan;
    assert_eq!(shared.reserve(&h.ctx, call, 5), Ok(3));
    assert!(shared.reserve(&h.ctx, call, 5).is_err(), "all 3 reserved");
    assert_eq!(
        shared.reserve(&h.ctx, Call::Isolate, 1),
        Ok(1),
        "another API has its own room"
    );
    shared.release(call);
    assert_eq!(shared.reserve(&h.ctx, call, 5), Ok(1));
}

#[tokio::test]
async fn a_read_older_than_the_proof_may_be_is_read_again_before_anything_is_decided() {
    let h = Harness::new().await;
    let row = h.approved("m1").await;
    let created = start() - chrono::Duration::minutes(3);
    let seen_running = action("act-1", "m1", ActionStatus::InProgress, created, created);
    h.provider.add(action(
        "act-1",
        "m1",
        ActionStatus::TimeOut,
        created,
        start(),
    ));
    let stale = FreshRead {
        actions: vec![seen_running],
        at: start() - MAX_PROOF_AGE - chrono::Duration::seconds(1),
        read: ProofRead::Batch { machines: 16 },
    };
    let backoff = Mutex::new(KeyedRetries::default());
    dispatch_read(&h.ctx, &backoff, row.clone(), scan(), alert(), Ok(stale)).await;
    assert_eq!(h.provider.count(Kind::ActionsOf), 1, "read again alone");
    let row = h.row(&row.id).await;
    assert_ne!(
        row.state,
        RemediationState::Attached,
        "never attached to an action that ended since the old read"
    );
    assert_eq!(row.state, RemediationState::Pending);
    assert_eq!(h.provider.count(Kind::Submit), 1);
}
