//! Closing after a flow: a remediation skipped because a succeeded action covers it (cool-down) counts as
//! succeeded; an alert whose remediations were all skipped otherwise stays open, saying so.

use std::sync::Arc;

use tokio::sync::broadcast;

use super::super::core::Engine;
use super::super::interface::{Event, RemediationState};
use super::harness::{Backend, FLOW, Harness, alert, backends};

/// An engine on `backend`'s journal whose scan flow closes the alert, holding alert `a1` and one remediation of
/// it in `state`; the harness is kept with it.
async fn engine_with(
    backend: Backend,
    state: RemediationState,
    covered: bool,
) -> (Harness, Engine, broadcast::Receiver<Event>) {
    let h = Harness::on(backend).await;
    let mut settings = (*h.ctx.settings).clone();
    settings
        .flows
        .get_mut(FLOW)
        .expect("the scan flow")
        .close_alert = true;
    let mut ctx = h.ctx.clone();
    ctx.settings = Arc::new(settings);
    let mut row = h.approved("m1").await;
    row.state = state;
    row.cover =
        covered.then(|| serde_json::json!({"kind": "cool_down", "action_id": "act-0"}).into());
    let (events, receiver) = broadcast::channel(64);
    let mut engine = Engine::new(ctx, events);
    engine.alerts.show("a1".into(), alert());
    engine.remediations.load(row);
    (h, engine, receiver)
}

fn notices(receiver: &mut broadcast::Receiver<Event>) -> Vec<String> {
    let mut texts = Vec::new();
    while let Ok(event) = receiver.try_recv() {
        if let Event::Notice { text, .. } = event {
            texts.push(text);
        }
    }
    texts
}

#[tokio::test]
async fn a_remediation_covered_by_a_recent_success_lets_the_alert_close() {
    for backend in backends() {
        let (_h, mut engine, mut receiver) =
            engine_with(backend, RemediationState::Skipped, true).await;
        engine.maybe_close_alert("a1");
        assert!(engine.closer.is_decided("a1"));
        assert!(
            !engine.closer.start_call("a1"),
            "the close call is under way"
        );
        let said = notices(&mut receiver);
        assert!(!said.iter().any(|n| n.contains("left open")), "{said:?}");
    }
}

#[tokio::test]
async fn an_alert_whose_remediations_were_all_skipped_stays_open_and_says_none_ran() {
    for backend in backends() {
        let (_h, mut engine, mut receiver) =
            engine_with(backend, RemediationState::Skipped, false).await;
        engine.maybe_close_alert("a1");
        assert!(engine.closer.is_decided("a1"));
        assert!(engine.closer.start_call("a1"), "not closed");
        let said = notices(&mut receiver);
        assert!(
            said.iter()
                .any(|n| n.contains("left open") && n.contains("none of its 1 remediations ran")),
            "{said:?}"
        );
    }
}
