//! A journal whose database is unreachable: nothing is sent without a durable intent, the outage is told
//! once, probed with backoff, and the work resumes when the database answers; a leader that cannot renew
//! its lease steps down.

use std::time::Duration;

use tokio::sync::{broadcast, watch};

use super::super::clock::Clock;
use super::super::core::Engine;
use super::super::interface::{Event, RemediationState};
use super::super::journal_reach::{JournalReach, Reach};
use super::super::pulse::{stall_text, step_down_if_stalled};

use super::fakes::Kind;
use super::harness::{Harness, backends};

const REASON: &str = "connection refused (the test's database is down)";

/// Hands the engine what the journal calls found, as the engine task does.
async fn deliver(engine: &mut Engine, reach: &mut watch::Receiver<Reach>) {
    if reach.has_changed().unwrap_or(false) {
        let now = reach.borrow_and_update().clone();
        engine.on_journal_reach(now).await;
    }
}

/// The notices told since the last look; the typed reachability events among them as `<unreachable: …>`
/// and `<reachable>`.
fn notices(told: &mut broadcast::Receiver<Event>) -> Vec<String> {
    let mut texts = Vec::new();
    while let Ok(event) = told.try_recv() {
        match event {
            Event::Notice { text, .. } => texts.push(text),
            Event::JournalUnreachable { reason, .. } => {
                texts.push(format!("<unreachable: {reason}>"))
            }
            Event::JournalReachable => texts.push("<reachable>".into()),
            _ => {}
        }
    }
    texts
}

#[tokio::test]
async fn nothing_leaves_while_the_journal_is_unreachable_and_the_work_resumes_when_it_answers() {
    for backend in backends() {
        let mut h = Harness::on(backend).await;
        let row = h.approved("m1").await;
        let (events, mut told) = broadcast::channel(256);
        let mut engine = h.engine_with_alert(events).await;
        let mut reach = h.ctx.journal.reach();

        // The database goes away after the dispatch started: its intent cannot be written, so no POST.
        h.ctx.journal.set_unreachable(Some(REASON));
        engine.pump_dispatch();
        assert_eq!(engine.dispatcher.in_flight(), 1, "the dispatch started");
        h.settle(&mut engine).await;
        assert_eq!(h.provider.count(Kind::Submit), 0, "no intent, no POST");
        deliver(&mut engine, &mut reach).await;
        assert!(engine.reach.is_down());
        let told_now = notices(&mut told);
        let unreachable: Vec<_> = told_now
            .iter()
            .filter(|t| t.starts_with("journal unreachable"))
            .collect();
        assert_eq!(unreachable.len(), 1, "told once: {told_now:?}");
        assert!(
            unreachable[0].contains(REASON),
            "with the reason: {told_now:?}"
        );
        assert!(
            told_now.contains(&format!("<unreachable: {REASON}>")),
            "the typed event for the status bar: {told_now:?}"
        );

        // While it is down nothing is dispatched, polled or tracked.
        engine.pump_dispatch();
        assert_eq!(engine.dispatcher.in_flight(), 0);
        assert!(!engine.acts(), "a leader without its journal does not act");
        h.clock.advance(Duration::from_secs(1));
        engine.journal_tick().await;
        deliver(&mut engine, &mut reach).await;
        assert!(engine.reach.is_down(), "the probe failed: still down");
        assert!(
            notices(&mut told)
                .iter()
                .all(|t| !t.starts_with("journal unreachable")),
            "a failed probe is not told again"
        );

        // It answers again: told, caught up, and the approved row leaves (once).
        h.ctx.journal.set_unreachable(None);
        h.clock.advance(Duration::from_secs(2));
        engine.journal_tick().await;
        deliver(&mut engine, &mut reach).await;
        assert!(!engine.reach.is_down());
        let told_now = notices(&mut told);
        assert!(
            told_now
                .iter()
                .any(|t| t.starts_with("journal reachable again after 3 s")),
            "the return is told: {told_now:?}"
        );
        assert!(
            told_now.contains(&"<reachable>".to_string()),
            "{told_now:?}"
        );
        assert_eq!(engine.dispatcher.in_flight(), 1, "dispatch resumed");
        h.settle(&mut engine).await;
        assert_eq!(h.provider.count(Kind::Submit), 1);
        assert_ne!(h.row(&row.id).await.state, RemediationState::Approved);
    }
}

#[test]
fn an_unreachable_journal_is_probed_with_a_doubling_backoff_up_to_30_seconds() {
    let t0 = std::time::Instant::now();
    let at = |secs: u64| t0 + Duration::from_secs(secs);
    let mut reach = JournalReach::default();
    assert!(!reach.probe_due(at(0)), "nothing to probe while reachable");
    assert!(reach.lost(REASON, at(0)));
    assert!(!reach.lost("again", at(0)), "one outage, told once");
    let due: Vec<u64> = (0..=120).filter(|&s| reach.probe_due(at(s))).collect();
    assert_eq!(due, vec![1, 3, 7, 15, 31, 61, 91]);
    assert_eq!(reach.back(at(100)), Some(Duration::from_secs(100)));
    assert!(!reach.is_down());
}

#[tokio::test]
async fn a_leader_that_cannot_reach_the_journal_to_renew_steps_down_when_its_lease_ends() {
    for backend in backends() {
        let h = Harness::on(backend).await;
        let (events, mut told) = broadcast::channel(64);
        let mut engine = h.engine_with_alert(events).await;
        engine.heartbeat().await;
        let ttl = h.ctx.lease.ttl.to_std().expect("ttl");
        h.ctx.journal.set_unreachable(Some(REASON));

        h.clock.advance(ttl / 3);
        engine.heartbeat().await;
        assert!(engine.leads(), "within its lease it still leads");

        h.clock.advance(ttl);
        engine.heartbeat().await;
        assert!(!engine.leads(), "the lease ended unrenewed: stepped down");
        let told_now = notices(&mut told);
        assert!(
            told_now
                .iter()
                .any(|t| t.contains("stopped acting") && t.contains(REASON)),
            "{told_now:?}"
        );
    }
}

#[tokio::test]
async fn the_watchdog_says_the_journal_refused_the_renewal_rather_than_a_stuck_engine() {
    for backend in backends() {
        let h = Harness::on(backend).await;
        let mut engine = h.engine_with_alert(broadcast::channel(64).0).await;
        engine.heartbeat().await;
        let ttl = h.ctx.lease.ttl.to_std().expect("ttl");
        h.ctx.journal.set_unreachable(Some(REASON));
        h.clock.advance(ttl / 3);
        engine.heartbeat().await;
        h.clock.advance(ttl);
        let stall = step_down_if_stalled(&h.ctx.lease, h.clock.now_instant())
            .expect("unrenewed past the lease");
        assert!(stall.refused);
        let text = stall_text(&stall, None);
        assert!(
            text.contains("the journal refused the renewal or could not be reached"),
            "{text}"
        );
        assert!(!text.contains("stuck"), "{text}");
        assert!(!engine.leads());
    }
}
