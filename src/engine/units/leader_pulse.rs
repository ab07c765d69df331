//! The leader's pulse: a leader that cannot renew its lease for longer than the lease lasts names the step
//! its engine task is stuck in and stops acting; once it renews again it says so.

use std::time::Duration;

use tokio::sync::broadcast;

use super::super::clock::Clock;
use super::super::core::Engine;
use super::super::interface::Event;
use super::super::pulse::{stall_text, step_down_if_stalled};

use super::harness::Harness;

/// The harness's lease.
const TTL: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn a_leader_that_cannot_renew_names_where_it_is_stuck_and_stops_acting() {
    let h = Harness::new().await;
    let (events, mut told) = broadcast::channel(64);
    let mut engine = Engine::new(h.ctx.clone(), events);
    engine.heartbeat().await;
    engine.enter("applying journal rows");
    let lease = &h.ctx.lease;

    h.clock.advance(TTL / 2);
    assert_eq!(step_down_if_stalled(lease, h.clock.now_instant()), None);
    assert!(
        engine.leads(),
        "within its lease a silent leader still leads"
    );

    h.clock.advance(TTL / 2 + Duration::from_secs(5));
    let stall = step_down_if_stalled(lease, h.clock.now_instant()).expect("a stall past the lease");
    assert_eq!(stall.step, "applying journal rows");
    assert_eq!(stall.silent, TTL + Duration::from_secs(5));
    assert_eq!(stall.in_step, TTL + Duration::from_secs(5));
    assert!(!engine.leads(), "a stalled leader stops acting");
    let text = stall_text(&stall, Some(Duration::from_secs(30)));
    assert!(text.contains("stuck in applying journal rows"), "{text}");
    assert!(text.contains("inside one write for 30 s"), "{text}");
    assert_eq!(
        step_down_if_stalled(lease, h.clock.now_instant()),
        None,
        "told once per stall"
    );

    engine.heartbeat().await;
    assert!(
        !engine.leads(),
        "the next beat yields, so a process that waited for the lapse takes over first"
    );
    engine.heartbeat().await;
    assert!(engine.leads(), "nobody took the lapsed lease: led again");
    let mut back = false;
    while let Ok(event) = told.try_recv() {
        if let Event::Notice { text, .. } = event {
            back |= text.contains("renewed again after");
        }
    }
    assert!(back, "the end of the stall is told");
}

#[tokio::test]
async fn a_follower_or_a_leader_that_renews_is_never_a_stall() {
    let h = Harness::new().await;
    let mut engine = Engine::new(h.ctx.clone(), broadcast::channel(64).0);
    let lease = &h.ctx.lease;
    assert_eq!(
        step_down_if_stalled(lease, h.clock.now_instant()),
        None,
        "never renewed yet: nothing to judge"
    );
    for _ in 0..4 {
        engine.heartbeat().await;
        h.clock.advance(TTL / 2);
        assert_eq!(step_down_if_stalled(lease, h.clock.now_instant()), None);
    }
    lease.set_held(None);
    h.clock.advance(TTL * 2);
    assert_eq!(
        step_down_if_stalled(lease, h.clock.now_instant()),
        None,
        "a follower has no lease to renew"
    );
}

#[tokio::test]
async fn a_journal_writer_blocked_inside_a_write_is_seen_as_busy() {
    let h = Harness::new().await;
    let activity = h.ctx.journal.activity();
    assert_eq!(activity.busy_for(), None, "idle between calls");
    let (entered, inside) = std::sync::mpsc::channel();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let journal = h.ctx.journal.clone();
    let call = tokio::spawn(async move {
        journal
            .call(move |_| {
                let _ = entered.send(());
                let _ = held.recv();
                Ok(())
            })
            .await
    });
    tokio::task::spawn_blocking(move || inside.recv())
        .await
        .expect("joined")
        .expect("the write started");
    assert!(activity.busy_for().is_some(), "inside a write");
    release.send(()).expect("released");
    call.await.expect("joined").expect("answered");
    assert_eq!(activity.busy_for(), None, "done");
}
