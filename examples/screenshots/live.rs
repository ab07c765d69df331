//! Runs the demo for real (simulator and engine over loopback HTTP, as `remedy demo` does) and records the
//! events the console would receive, so the screenshots show what a user of the demo sees.

use std::time::{Duration, Instant};

use remedy::api::Clients;
use remedy::engine::{Command, Event, RemediationState, RemediationView};
use remedy::sim::{Scenario, SimOptions};
use remedy::store::Journal;
use remedy::wiring;
use tokio::sync::broadcast::error::RecvError;

/// The policy whose step-1 scans the recorded analyst approves ("Impossible travel", one step).
const APPROVED_POLICY: &str = "5f01dce13de79160fbec4150";

/// Simulated seconds per real second: four times the demo's, so an offline machine's scan times out
/// (after 30 minutes of Defender time) within about 15 s.
const TIME_SCALE: f64 = 120.0;

/// Longest wait for the demo to reach what the scenes show.
const PATIENCE: Duration = Duration::from_secs(90);

/// Which demo session a scene is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Session {
    /// `remedy demo`: proposals waiting, scans running, one failed with Defender's reason.
    Normal,
    /// `remedy demo --read-only`: the same tenant, nothing decided or sent.
    ReadOnly,
}

/// The events of one demo session, in the order the console received them.
pub struct Recording {
    pub events: Vec<Event>,
    /// The console's clock for the scenes: the simulator's (it runs ahead of the wall clock at the demo's
    /// time scale, and alerts carry its time).
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What a session must show before its scenes are drawn.
fn ready(session: Session, remediations: &[RemediationView]) -> bool {
    let multi_step_waiting = remediations
        .iter()
        .any(|r| r.step > 1 && r.state == RemediationState::Proposed);
    let failed_with_reason = remediations.iter().any(|r| {
        matches!(
            r.state,
            RemediationState::Failed | RemediationState::TimeOut
        ) && r.reason.is_some()
    });
    match session {
        Session::Normal => multi_step_waiting && failed_with_reason,
        Session::ReadOnly => remediations.len() >= 20,
    }
}

/// Runs the demo session until it is ready (or fails saying what it waited for).
pub fn record(session: Session) -> Result<Recording, String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(record_async(session))
}

async fn record_async(session: Session) -> Result<Recording, String> {
    // As `remedy demo` runs: both alert sources, an Endpoint binding and the policy migration.
    let mut scenario = Scenario {
        time_scale: TIME_SCALE,
        ..Scenario::demo()
    };
    let mut config = wiring::demo_config("http://127.0.0.1:9").map_err(|e| e.to_string())?;
    wiring::demo_both_sources(&mut config, &mut scenario);
    let sim = remedy::sim::start(SimOptions { port: 0, scenario })
        .await
        .map_err(|e| format!("the simulator did not start: {e}"))?;
    wiring::point_at_sim(&mut config, &sim.base_url());
    let clients = Clients::new(wiring::api_settings(&config)).map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let journal = Journal::open(&dir.path().join("journal.sqlite")).map_err(|e| e.to_string())?;
    let settings = wiring::engine_settings(&config, session == Session::ReadOnly, true);
    let engine = remedy::engine::start(clients, journal, settings);
    let mut receiver = engine.subscribe();
    let commands = engine.commands();
    let mut approved = false;
    let mut events = Vec::new();
    let mut remediations: Vec<RemediationView> = Vec::new();
    let started = Instant::now();
    while !ready(session, &remediations) {
        let left = PATIENCE.saturating_sub(started.elapsed());
        let event = match tokio::time::timeout(left, receiver.recv()).await {
            Ok(Ok(event)) => event,
            Ok(Err(RecvError::Lagged(_))) => continue,
            Ok(Err(RecvError::Closed)) => return Err("the engine stopped".into()),
            Err(_) => {
                let states: Vec<_> = remediations.iter().map(|r| (r.step, r.state)).collect();
                return Err(format!(
                    "the {session:?} demo did not reach its scenes within {} s ({} events; remediations: {states:?})",
                    PATIENCE.as_secs(),
                    events.len()
                ));
            }
        };
        match &event {
            Event::Snapshot {
                remediations: all, ..
            } => remediations = all.clone(),
            Event::RemediationChanged(changed) => {
                remediations.retain(|r| r.id != changed.id);
                remediations.push((**changed).clone());
            }
            _ => {}
        }
        events.push(event);
        // The analyst of the recording approves the scans of one policy, as a demo user would.
        let waiting: Vec<String> = remediations
            .iter()
            .filter(|r| r.policy_id == APPROVED_POLICY && r.state == RemediationState::Proposed)
            .map(|r| r.id.clone())
            .collect();
        if session == Session::Normal && !approved && waiting.len() >= 3 {
            approved = true;
            let approve = Command::Approve {
                remediation_ids: waiting,
                reason: Some("screenshots: approved by the recorded analyst".into()),
            };
            commands
                .send(approve)
                .await
                .map_err(|_| "the engine stopped".to_string())?;
        }
    }
    engine.shutdown().await;
    let at = remediations
        .iter()
        .map(|r| r.updated_at)
        .chain(std::iter::once(chrono::Utc::now()))
        .max()
        .unwrap_or_else(chrono::Utc::now);
    Ok(Recording { events, at })
}
