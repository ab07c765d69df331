//! The memory window: a starting engine holds unfinished work and what finished within `[journal]
//! memory_hours`, not older history; that history is still shown on demand (the detail's `History`), and an
//! alert's description comes from its stored JSON when its detail opens. Both simulator profiles, both journal
//! backends (PostgreSQL when `REMEDY_TEST_PG_URL` is set, always in CI).

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::{
    EngineRun, PROFILES, Profile, config_for, fast_settings, pg, quiet_scenario, start_sim_with,
};
use remedy::engine::{Command, Event, HistoryEntry};
use remedy::filter::Filter;
use remedy::lifecycle::{ActionKind, RemediationState};
use remedy::store::{AlertRecord, AuditEntry, Journal, NewRemediation};
use tokio::sync::broadcast;

fn alert(j: &mut Journal, id: &str, seen: DateTime<Utc>) {
    j.record_alert(&AlertRecord {
        id: id.into(),
        policy_id: "p-window".into(),
        title: format!("title of {id}"),
        user: "victim@contoso.com".into(),
        severity: 2,
        resolution: 1,
        timestamp_ms: seen.timestamp_millis(),
        raw: serde_json::json!({
            "_id": id,
            "title": format!("title of {id}"),
            "description": format!("description of {id}"),
            "timestamp": seen.timestamp_millis(),
            "severityValue": 2,
            "resolutionStatusValue": 1,
        }),
        format: remedy::store::RawFormat::CasRest,
        seen_at: seen,
    })
    .unwrap();
}

fn remediation(
    j: &mut Journal,
    alert_id: &str,
    at: DateTime<Utc>,
    end: Option<RemediationState>,
) -> String {
    let (row, _) = j
        .insert_remediation(&NewRemediation {
            idempotency_key: format!("rmd-window-{alert_id}"),
            alert_id: alert_id.into(),
            policy_id: "p-window".into(),
            flow_id: "antivirus-scan-full".into(),
            step: 1,
            machine_id: format!("machine-{alert_id}"),
            machine_name: format!("{alert_id}-laptop"),
            action: ActionKind::AntivirusScan {
                scan_type: "Full".into(),
            },
            state: RemediationState::Proposed,
            reason: None,
            requested_by: "remedy".into(),
            proof: serde_json::json!({}),
            at,
        })
        .unwrap();
    if let Some(end) = end {
        j.transition(&row.id, end, Some("not this one"), at)
            .unwrap();
        j.append_audit(&AuditEntry {
            at,
            who: "alice".into(),
            action: "reject".into(),
            target: format!("alert {alert_id} machine {alert_id}-laptop"),
            why: "not this one".into(),
            result: "ok".into(),
        })
        .unwrap();
    }
    row.id
}

async fn next_history(
    events: &mut broadcast::Receiver<Event>,
    alert_id: &str,
) -> Vec<HistoryEntry> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(Event::History {
                alert_id: id,
                entries,
            })) if id == alert_id => return entries,
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("no history for {alert_id}: {other:?}"),
        }
    }
}

async fn next_older(
    events: &mut broadcast::Receiver<Event>,
) -> (
    Vec<remedy::engine::AlertView>,
    Vec<remedy::engine::RemediationView>,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(Event::OlderAlerts {
                alerts,
                remediations,
                ..
            })) => return (alerts, remediations),
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("no page of older alerts: {other:?}"),
        }
    }
}

async fn history_older_than_the_window_is_read_on_demand(
    profile: Profile,
    backend: &pg::TestJournal,
) {
    let sim = start_sim_with(quiet_scenario(60.0), profile).await;
    let on = backend.backend();
    let days_ago = Utc::now() - chrono::Duration::days(3);
    let hour_ago = Utc::now() - chrono::Duration::hours(1);
    let (old, waiting, recent) = {
        let mut j = backend.open();
        alert(&mut j, "old-alert", days_ago);
        alert(&mut j, "waiting-alert", days_ago);
        alert(&mut j, "recent-alert", hour_ago);
        (
            remediation(
                &mut j,
                "old-alert",
                days_ago,
                Some(RemediationState::Rejected),
            ),
            remediation(&mut j, "waiting-alert", days_ago, None),
            remediation(
                &mut j,
                "recent-alert",
                hour_ago,
                Some(RemediationState::Rejected),
            ),
        )
    };
    let config = config_for(&sim, &[]);
    let settings = fast_settings(&config);
    assert_eq!(
        settings.memory_window,
        chrono::Duration::hours(48),
        "the default window"
    );
    let mut run = EngineRun::start_on(&config, settings, backend.open());
    run.until(20, "the start-up snapshot", |r| {
        r.remediations.contains_key(&recent)
    })
    .await;
    assert!(
        run.remediations.contains_key(&waiting),
        "unfinished work is in memory however old ({profile:?}, {on})"
    );
    assert!(
        !run.remediations.contains_key(&old) && !run.alerts.contains_key("old-alert"),
        "finished work older than the window is not loaded ({profile:?}, {on})"
    );
    let summary = &run.alerts["recent-alert"];
    assert_eq!(summary.title, "title of recent-alert");
    assert!(
        summary.description.is_empty(),
        "raw JSON is not parsed at start"
    );

    let mut events = run.handle.subscribe();
    let commands = run.handle.commands();
    commands
        .send(Command::History {
            alert_id: "old-alert".into(),
        })
        .await
        .unwrap();
    let entries = next_history(&mut events, "old-alert").await;
    assert!(
        entries
            .iter()
            .any(|e| e.what == "reject" && e.who.as_deref() == Some("alice")),
        "the old rejection is shown on demand ({profile:?}, {on}): {entries:?}"
    );
    assert!(
        entries.iter().any(|e| e.what.contains("rejected")),
        "and the state it reached ({profile:?}, {on}): {entries:?}"
    );

    commands
        .send(Command::History {
            alert_id: "recent-alert".into(),
        })
        .await
        .unwrap();
    run.until(20, "the full alert once its detail opens", |r| {
        r.alerts["recent-alert"].description == "description of recent-alert"
    })
    .await;

    commands
        .send(Command::OlderAlerts {
            after: None,
            filter: Filter::default(),
        })
        .await
        .unwrap();
    let (alerts, remediations) = next_older(&mut events).await;
    let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
    assert!(
        ids.contains(&"old-alert"),
        "an alert older than the window is paged in ({profile:?}, {on}): {ids:?}"
    );
    assert!(
        !ids.contains(&"recent-alert") && !ids.contains(&"waiting-alert"),
        "alerts the engine holds are not sent again ({profile:?}, {on}): {ids:?}"
    );
    assert!(
        remediations
            .iter()
            .any(|r| r.id == old && r.state == RemediationState::Rejected),
        "with its remediations ({profile:?}, {on})"
    );
    assert!(
        !run.alerts.contains_key("old-alert"),
        "paging does not grow the engine's memory"
    );
    // The `/` filter searches the same history, its `state:` terms against the journal's remediations.
    for (filter, expected) in [
        ("state:rejected", vec!["old-alert"]),
        ("state:done", vec![]),
    ] {
        commands
            .send(Command::OlderAlerts {
                after: None,
                filter: Filter::parse(filter),
            })
            .await
            .unwrap();
        let (alerts, _) = next_older(&mut events).await;
        let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, expected, "{filter} over history ({profile:?}, {on})");
    }
    run.handle.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_older_than_the_memory_window_is_still_shown_on_demand() {
    for profile in PROFILES {
        for backend in pg::journals("pgtests_window") {
            history_older_than_the_window_is_read_on_demand(profile, &backend).await;
        }
    }
}
