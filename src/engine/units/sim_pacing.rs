//! On a simulator's faster clock, tracking's pacing runs on simulated time: an open action read on its own
//! is read again after its spacing divided by the time scale, the read shares count a minute of Defender's
//! time; in production (scale 1) both are as set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::core::Ctx;
use super::super::read_share::{ReadShare, Reader};
use super::super::track::{Tracking, statuses};
use crate::api::Room;
use crate::api::models::defender::ActionStatus;
use crate::store::RemediationRow;

use super::fakes::Kind;
use super::harness::Harness;

/// Twelve actions still in progress, readable only one by one (lists and id batches refused):
/// each read holds the action for 12 s of Defender's time (a second per tracked action).
async fn twelve_open_actions(h: &Harness) -> Vec<RemediationRow> {
    let mut rows = Vec::new();
    for i in 0..12 {
        let (machine, id) = (format!("m{i}"), format!("act-{i}"));
        rows.push(h.sent_as(&machine, &id, ActionStatus::InProgress).await);
    }
    h.provider.refuse(Kind::CreatedSince);
    h.provider.refuse(Kind::ByIds);
    h.provider.refuse(Kind::InStatus);
    rows
}

fn at_scale(ctx: &Ctx, time_scale: f64) -> Ctx {
    let mut settings = (*ctx.settings).clone();
    settings.time_scale = time_scale;
    Ctx {
        settings: Arc::new(settings),
        ..ctx.clone()
    }
}

/// One-by-one reads in a second round `after` the first, at `time_scale`.
async fn reads_again_after(time_scale: f64, after: Duration) -> usize {
    let h = Harness::new().await;
    let rows = twelve_open_actions(&h).await;
    let ctx = at_scale(&h.ctx, time_scale);
    let tracking = Tracking::default();
    assert_eq!(statuses(&ctx, &tracking, &rows).await.len(), 12);
    let first = h.provider.count(Kind::ById);
    assert_eq!(first, 12, "every action read by id");
    h.clock.advance(after);
    statuses(&ctx, &tracking, &rows).await;
    h.provider.count(Kind::ById) - first
}

#[tokio::test]
async fn at_600x_an_open_action_is_read_again_after_its_spacing_in_simulated_time() {
    // 12 s of Defender's time is 20 ms at 600×.
    assert_eq!(
        reads_again_after(600.0, Duration::from_millis(20)).await,
        12
    );
}

#[tokio::test]
async fn in_real_time_the_spacing_holds_as_set() {
    assert_eq!(reads_again_after(1.0, Duration::from_millis(20)).await, 0);
    assert_eq!(reads_again_after(1.0, Duration::from_secs(12)).await, 12);
}

/// Tracking reads until refused while dispatch wants the budget too, then asks again `after` (dispatch
/// still asking): whether it is granted then.
fn tracking_granted_again_after(share: &ReadShare, after: Duration) -> bool {
    let now = Instant::now();
    assert!(share.grant(Reader::Dispatch, room(0), now).is_err());
    let mut granted = 0;
    while share.grant(Reader::Tracking, room(9), now).is_ok() {
        granted += 1;
        assert!(granted < 100, "refused past its share");
    }
    let later = now + after;
    assert!(share.grant(Reader::Dispatch, room(0), later).is_err());
    share.grant(Reader::Tracking, room(9), later).is_ok()
}

fn room(now: u32) -> Option<Room> {
    Some(Room {
        now,
        next_in: Duration::from_millis(1),
    })
}

#[test]
fn at_600x_the_read_shares_count_a_minute_of_defenders_time() {
    // A minute of Defender's time is 100 ms at 600×: the reads before it no longer count.
    let after = Duration::from_millis(110);
    assert!(tracking_granted_again_after(
        &ReadShare::at_scale(600.0),
        after
    ));
    assert!(
        !tracking_granted_again_after(&ReadShare::default(), after),
        "in real time the same reads still count"
    );
}
