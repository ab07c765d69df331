//! Dispatch turns count on the room Defender's budget frees within the turn horizon, not only on what it
//! has at this instant: machines are read and decided ahead, and their POSTs leave as the room frees.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::api::{Call, QuotaStatus, Room};

use super::super::batch::{BatchShared, TURN_HORIZON, dispatch_batch};
use super::super::budgets::Budgets;
use super::super::interface::RemediationState;
use super::fakes::Kind;
use super::harness::{Harness, alert, scan};

/// Scans' budget spent to the last unit now, with `later` units ageing out within the horizon (reads are not
/// limited); records the horizons it was asked about.
struct SpentNow {
    later: u32,
    asked: Mutex<Vec<Duration>>,
}

impl Budgets for SpentNow {
    fn quotas(&self) -> Vec<QuotaStatus> {
        Vec::new()
    }

    fn defender_throttled_until(&self) -> Option<SystemTime> {
        None
    }

    fn replay_defender_spend(&self, _call: Call, _ages: &[Duration]) {}

    fn defender_room(&self, call: Call) -> Option<Room> {
        self.defender_room_within(call, Duration::ZERO)
    }

    fn defender_room_within(&self, call: Call, within: Duration) -> Option<Room> {
        if call != Call::RunAntivirusScan {
            return None;
        }
        self.asked.lock().unwrap().push(within);
        let now = if within >= TURN_HORIZON {
            self.later
        } else {
            0
        };
        Some(Room {
            now,
            next_in: Duration::from_secs(50),
        })
    }
}

#[tokio::test]
async fn a_turn_counts_on_the_room_freeing_within_the_horizon() {
    let mut h = Harness::new().await;
    let budget = Arc::new(SpentNow {
        later: 16,
        asked: Mutex::default(),
    });
    h.ctx.budgets = budget.clone();
    let mut picks = Vec::new();
    for machine in ["m1", "m2", "m3", "m4", "m5"] {
        picks.push((h.approved(machine).await, alert()));
    }
    let ids: Vec<String> = picks.iter().map(|(row, _)| row.id.clone()).collect();
    let done = tokio::time::timeout(
        Duration::from_secs(10),
        dispatch_batch(&h.ctx, &BatchShared::default(), scan(), picks),
    )
    .await;
    assert!(
        done.is_ok(),
        "the turn waited for room now although it frees within the horizon"
    );
    assert_eq!(
        h.provider.count(Kind::ActionsOn),
        1,
        "one turn, one read, for all five"
    );
    assert_eq!(h.provider.count(Kind::Submit), 5);
    for id in &ids {
        assert_eq!(h.row(id).await.state, RemediationState::Pending);
    }
    assert!(
        budget.asked.lock().unwrap().contains(&TURN_HORIZON),
        "the budget was asked what frees within the turn horizon"
    );
}

#[tokio::test]
async fn turns_never_reserve_more_than_frees_within_the_horizon() {
    let mut h = Harness::new().await;
    h.ctx.budgets = Arc::new(SpentNow {
        later: 3,
        asked: Mutex::default(),
    });
    let shared = BatchShared::default();
    let call = Call::RunAntivirusScan;
    assert_eq!(shared.reserve(&h.ctx, call, 16), Ok(3));
    assert!(
        shared.reserve(&h.ctx, call, 16).is_err(),
        "nothing more frees within the horizon"
    );
    shared.release(call);
    assert_eq!(shared.reserve(&h.ctx, call, 16), Ok(1));
}

#[tokio::test]
async fn a_shutdown_ends_turns_waiting_for_room_and_leaves_their_machines_approved() {
    let mut h = Harness::new().await;
    h.ctx.budgets = Arc::new(SpentNow {
        later: 0,
        asked: Mutex::default(),
    });
    let row = h.approved("m1").await;
    let shared = BatchShared::default();
    let batch = dispatch_batch(&h.ctx, &shared, scan(), vec![(row.clone(), alert())]);
    let drain = async {
        tokio::task::yield_now().await;
        shared.drain();
    };
    let (done, ()) = tokio::join!(tokio::time::timeout(Duration::from_secs(10), batch), drain);
    assert!(
        done.is_ok(),
        "a turn waiting a minute for room held the shutdown"
    );
    assert_eq!(h.row(&row.id).await.state, RemediationState::Approved);
    assert_eq!(h.provider.count(Kind::Submit), 0);
    assert!(
        matches!(
            h.reports.try_recv(),
            Ok(super::super::core::Internal::DispatchDone { .. })
        ),
        "the machine is free again"
    );
}

#[tokio::test]
async fn the_next_turn_is_read_while_the_last_turns_posts_are_still_out() {
    let h = Harness::new().await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    *h.provider.submit_gate.lock().unwrap() = Some(gate.clone());
    let mut picks = Vec::new();
    for n in 0..20 {
        picks.push((h.approved(&format!("m{n}")).await, alert()));
    }
    let shared = BatchShared::default();
    let batch = dispatch_batch(&h.ctx, &shared, scan(), picks);
    let watch = async {
        for _ in 0..10_000 {
            if h.provider.count(Kind::ActionsOn) == 2 {
                break;
            }
            tokio::task::yield_now().await;
        }
        let second_read_while_held = h.provider.count(Kind::ActionsOn) == 2;
        gate.add_permits(20);
        second_read_while_held
    };
    let (_, second_read_while_held) = tokio::join!(batch, watch);
    assert!(
        second_read_while_held,
        "the second turn (4 of 20 machines) was read while the first turn's 16 POSTs had no answer"
    );
    assert_eq!(h.provider.count(Kind::Submit), 20);
}
