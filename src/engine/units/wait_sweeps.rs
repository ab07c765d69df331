//! Wait reasons only on change: 5,000 approved remediations waiting cost nothing while nothing changes, a
//! burst of pumps is one sweep, and a quota that moves re-sends only the exact queue places.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::broadcast;

use super::super::budgets::Budgets;
use super::super::core::Engine;
use super::super::interface::Event;
use super::super::wait::SLOW_SWEEP;
use super::harness::{Harness, alert, start};
use crate::api::{Call, QuotaStatus, Room};

const WAITING: usize = 5_000;

/// Defender's per-minute budget with a headroom the test moves.
#[derive(Default)]
struct MovingQuota {
    remaining: AtomicU32,
}

impl Budgets for MovingQuota {
    fn quotas(&self) -> Vec<QuotaStatus> {
        vec![QuotaStatus {
            service: "defender",
            remaining: self.remaining.load(Ordering::SeqCst),
            limit: 100,
            per: "min",
        }]
    }

    fn defender_throttled_until(&self) -> Option<SystemTime> {
        None
    }

    fn replay_defender_spend(&self, _call: Call, _ages: &[Duration]) {}

    fn defender_room(&self, _call: Call) -> Option<Room> {
        None
    }
}

/// A leading engine (the test drives only the wait beat) holding
/// `WAITING` approved scans, each on its own machine, oldest first.
async fn engine_with_queue() -> (
    Harness,
    Engine,
    Arc<MovingQuota>,
    broadcast::Receiver<Event>,
) {
    let h = Harness::new().await;
    let quota = Arc::new(MovingQuota::default());
    quota.remaining.store(100, Ordering::SeqCst);
    let mut ctx = h.ctx.clone();
    ctx.budgets = quota.clone();
    let template = h.approved("m0").await;
    let (events, receiver) = broadcast::channel(4 * WAITING);
    let mut engine = Engine::new(ctx, events);
    engine.alerts.show("a1".into(), alert());
    for i in 0..WAITING {
        let mut row = template.clone();
        row.id = format!("rmd-{i}");
        row.idempotency_key = format!("key-{i}");
        row.machine_id = format!("m{i}");
        row.created_at = start() + chrono::Duration::seconds(i as i64);
        engine.remediations.load(row);
    }
    (h, engine, quota, receiver)
}

/// The remediation rows sent since the last call.
fn sent(receiver: &mut broadcast::Receiver<Event>) -> usize {
    let mut rows = 0;
    while let Ok(event) = receiver.try_recv() {
        if matches!(event, Event::RemediationChanged(_)) {
            rows += 1;
        }
    }
    rows
}

#[tokio::test]
async fn five_thousand_waiting_and_nothing_changing_are_neither_worked_out_again_nor_sent() {
    let (h, mut engine, _quota, mut receiver) = engine_with_queue().await;
    engine.refresh_waits_if_due();
    assert_eq!(
        sent(&mut receiver),
        WAITING,
        "the first sweep tells every reason"
    );
    assert_eq!(engine.waits.sweeps(), 1);
    for _ in 0..SLOW_SWEEP.as_secs() - 1 {
        h.clock.advance(Duration::from_secs(1));
        engine.refresh_waits_if_due();
    }
    assert_eq!(
        engine.waits.sweeps(),
        1,
        "no sweep while nothing changed within the slow sweep"
    );
    assert_eq!(sent(&mut receiver), 0, "nothing sent while nothing changed");
    h.clock.advance(Duration::from_secs(1));
    engine.refresh_waits_if_due();
    assert_eq!(engine.waits.sweeps(), 2, "the slow sweep");
    assert_eq!(
        sent(&mut receiver),
        0,
        "the slow sweep found no reason changed"
    );
}

#[tokio::test]
async fn a_burst_of_pumps_is_one_sweep_on_the_next_beat() {
    let (h, mut engine, _quota, mut receiver) = engine_with_queue().await;
    engine.refresh_waits_if_due();
    sent(&mut receiver);
    // Draining: the pumps start no dispatch, so only what they ask of the wait board counts.
    engine.draining = true;
    for _ in 0..200 {
        engine.pump_dispatch();
    }
    assert_eq!(
        engine.waits.sweeps(),
        1,
        "pumps only mark the reasons stale"
    );
    h.clock.advance(Duration::from_secs(1));
    engine.refresh_waits_if_due();
    assert_eq!(engine.waits.sweeps(), 2, "one sweep for the whole burst");
}

#[tokio::test]
async fn a_moving_quota_re_sends_only_the_exact_queue_places() {
    let (h, mut engine, quota, mut receiver) = engine_with_queue().await;
    engine.refresh_waits_if_due();
    sent(&mut receiver);
    let mut resent = 0;
    for remaining in (0..100).rev() {
        quota.remaining.store(remaining, Ordering::SeqCst);
        h.clock.advance(SLOW_SWEEP);
        engine.refresh_waits_if_due();
        resent += sent(&mut receiver);
    }
    assert!(
        resent <= 100 * 20,
        "only the 20 exact places may change with the minute's headroom; {resent} rows re-sent"
    );
}
