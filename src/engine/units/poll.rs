//! The poll job: a timer tick never stacks polls, an analyst's refresh during a poll runs right after it.

use std::sync::atomic::Ordering;

use std::time::Duration;

use tokio::sync::broadcast;

use super::super::core::{Engine, Internal};
use super::harness::Harness;

const NO_POLL_AFTER: Duration = Duration::from_secs(10);

/// Waits for the next finished poll and hands it to the engine; a poll that never comes fails the test
/// (the timeout only bounds a failure: a passing run never waits for it).
async fn finish_poll(h: &mut Harness, engine: &mut Engine) {
    loop {
        let report = tokio::time::timeout(NO_POLL_AFTER, h.reports.recv()).await;
        match report.expect("a poll ran").expect("the poll reports") {
            polled @ Internal::Polled(_) => return engine.handle_internal(polled).await,
            other => engine.handle_internal(other).await,
        }
    }
}

#[tokio::test]
async fn a_refresh_during_a_poll_is_queued_once_and_runs_right_after_it() {
    let mut h = Harness::new().await;
    let mut engine = Engine::new(h.ctx.clone(), broadcast::channel(64).0);
    engine.start_poll();
    engine.refresh();
    engine.refresh();
    engine.start_poll();
    finish_poll(&mut h, &mut engine).await;
    finish_poll(&mut h, &mut engine).await;
    assert_eq!(
        h.source.polls.load(Ordering::SeqCst),
        2,
        "the poll and one re-run"
    );
    assert!(engine.intake.try_start_poll(), "nothing else queued");
}

#[tokio::test]
async fn a_tick_during_a_poll_is_skipped() {
    let mut h = Harness::new().await;
    let mut engine = Engine::new(h.ctx.clone(), broadcast::channel(64).0);
    engine.start_poll();
    engine.start_poll();
    finish_poll(&mut h, &mut engine).await;
    assert_eq!(h.source.polls.load(Ordering::SeqCst), 1);
    assert!(engine.intake.try_start_poll(), "no re-run queued by a tick");
}
