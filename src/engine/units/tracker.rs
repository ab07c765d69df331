//! The tracker's rules: final states reach the journal with Defender's reason; a refused list filter
//! switches to the documented reads; a failed read waits on the clock and never blocks the others.

use std::sync::Arc;
use std::time::Duration;

use super::super::forms::RichQuery;
use super::super::interface::RemediationState;
use super::super::job::Job;
use super::super::track::{Tracking, statuses, track};
use crate::api::models::defender::ActionStatus;

use super::fakes::{Kind, action};
use super::harness::{Harness, start};

#[tokio::test]
async fn actions_are_followed_to_their_final_states_with_the_reason() {
    let h = Harness::new().await;
    let ended = start() + chrono::Duration::minutes(5);
    let mut rows = Vec::new();
    for (i, status) in [
        ActionStatus::Succeeded,
        ActionStatus::Failed,
        ActionStatus::TimeOut,
        ActionStatus::Cancelled,
        ActionStatus::InProgress,
    ]
    .into_iter()
    .enumerate()
    {
        let (machine, id) = (format!("m{i}"), format!("act-{i}"));
        rows.push(h.sent(&machine, &id).await);
        h.provider
            .add(action(&id, &machine, status, start(), ended));
    }
    let tracking = Tracking::default();
    track(&h.ctx, &tracking, Arc::new(Job::default()), rows.clone())
        .await
        .expect("tracked");
    let mut states = Vec::new();
    for row in &rows {
        states.push(h.row(&row.id).await.state);
    }
    use RemediationState::*;
    assert_eq!(states, [Succeeded, Failed, TimeOut, Cancelled, InProgress]);
    let timed_out = h.row(&rows[2].id).await;
    assert!(
        timed_out
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("timed out")),
        "{:?}",
        timed_out.reason
    );
}

#[tokio::test]
async fn a_refused_id_batch_switches_to_one_by_one_reads_for_good() {
    let h = Harness::new().await;
    let mut rows = Vec::new();
    for i in 0..3 {
        let (machine, id) = (format!("m{i}"), format!("act-{i}"));
        rows.push(h.sent_as(&machine, &id, ActionStatus::Succeeded).await);
    }
    h.provider.refuse(Kind::ByIds);
    let tracking = Tracking::default();
    let found = statuses(&h.ctx, &tracking, &rows).await;
    assert_eq!(found.len(), 3, "every action read despite the refusal");
    assert!(!tracking.forms.allows(RichQuery::IdBatch));
    assert_eq!(h.provider.count(Kind::ById), 3);
    statuses(&h.ctx, &tracking, &rows).await;
    assert_eq!(
        h.provider.count(Kind::ByIds),
        1,
        "a refused form is not asked again"
    );
}

#[tokio::test]
async fn a_failed_read_waits_its_backoff_on_the_clock_and_blocks_no_other_action() {
    let h = Harness::new().await;
    let mut rows = Vec::new();
    for i in 0..3 {
        let (machine, id) = (format!("m{i}"), format!("act-{i}"));
        rows.push(h.sent_as(&machine, &id, ActionStatus::InProgress).await);
    }
    h.provider.refuse(Kind::ByIds);
    h.provider.unreadable.lock().unwrap().insert("act-1".into());
    let tracking = Tracking::default();
    let found = statuses(&h.ctx, &tracking, &rows).await;
    let mut ids: Vec<_> = found.keys().cloned().collect();
    ids.sort();
    assert_eq!(ids, ["act-0", "act-2"], "the others are read");
    let reads = h.provider.count(Kind::ById);
    statuses(&h.ctx, &tracking, &rows).await;
    assert_eq!(
        h.provider.count(Kind::ById) - reads,
        2,
        "act-1 waits for its backoff"
    );
    h.provider.unreadable.lock().unwrap().clear();
    h.clock.advance(Duration::from_secs(2));
    let reads = h.provider.count(Kind::ById);
    let found = statuses(&h.ctx, &tracking, &rows).await;
    assert_eq!(
        h.provider.count(Kind::ById) - reads,
        3,
        "act-1 is due again"
    );
    assert!(found.contains_key("act-1"));
}

#[tokio::test]
async fn many_open_actions_are_read_with_one_list_and_a_refused_list_falls_back() {
    let h = Harness::new().await;
    let mut rows = Vec::new();
    for i in 0..12 {
        let (machine, id) = (format!("m{i}"), format!("act-{i}"));
        let mut row = h.sent(&machine, &id).await;
        row.submitted_at = Some(start());
        rows.push(row);
        h.provider.add(action(
            &id,
            &machine,
            ActionStatus::Pending,
            start(),
            start(),
        ));
    }
    let tracking = Tracking::default();
    assert_eq!(statuses(&h.ctx, &tracking, &rows).await.len(), 12);
    assert_eq!(h.provider.count(Kind::CreatedSince), 1);
    assert_eq!(h.provider.count(Kind::ById), 0);

    let h = Harness::new().await;
    for (i, row) in rows.iter().enumerate() {
        let id = format!("act-{i}");
        h.provider.add(action(
            &id,
            &row.machine_id,
            ActionStatus::Pending,
            start(),
            start(),
        ));
    }
    h.provider.refuse(Kind::CreatedSince);
    h.provider.refuse(Kind::ByIds);
    let tracking = Tracking::default();
    assert_eq!(statuses(&h.ctx, &tracking, &rows).await.len(), 12);
    assert!(!tracking.forms.allows(RichQuery::CreatedSince));
    assert_eq!(
        h.provider.count(Kind::InStatus),
        2,
        "the documented open-status lists"
    );
    assert_eq!(h.provider.count(Kind::ById), 0);
}
