//! An alert whose user's machines are being looked up says so, instead of showing nothing.

mod common;

use common::*;
use remedy::engine::{Event, Mode, RESOLVING_NOTE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_being_resolved_says_so_until_its_machines_are_known() {
    for profile in PROFILES {
        let (_sim, _dir, mut run) = bound_run(
            profile,
            60.0,
            &[(APPROVE_POLICY, "antivirus-scan-full", Mode::Approve)],
        )
        .await;
        let mut events = run.handle.subscribe();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        let resolving = loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(Event::AlertSeen(alert)))
                    if alert.note.as_deref() == Some(RESOLVING_NOTE) =>
                {
                    break alert;
                }
                Ok(_) => {}
                Err(_) => panic!("{profile:?}: no alert said it was being resolved"),
            }
        };
        let id = resolving.id.clone();
        run.until(30, "the resolved alert drops the note", |r| {
            r.alerts
                .get(&id)
                .is_some_and(|a| a.note.as_deref() != Some(RESOLVING_NOTE))
                && (!r.of_alert(&id).is_empty() || r.alerts[&id].note.is_some())
        })
        .await;
        run.handle.shutdown().await;
    }
}
