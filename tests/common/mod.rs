//! Shared test harness: a quiet simulator, an engine wired to it, and waiting on engine events.
#![allow(dead_code)]

pub mod durable;
pub mod pg;
pub mod pty;
pub mod terminal;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use remedy::api::Clients;
use remedy::config::Config;
use remedy::engine::{
    AlertView, EngineHandle, EngineSettings, Event, Mode, RemediationState, RemediationView,
};
use remedy::sim::{Scenario, SimHandle, SimOptions};
use remedy::store::Journal;
use remedy::wiring;
use tokio::sync::broadcast;

pub const AUTO_POLICY: &str = "5f01dce13de79160fbec4151";
pub const APPROVE_POLICY: &str = "5f01dce13de79160fbec4150";

/// The demo tenant without new arrivals or failures, with time running `time_scale` times faster.
pub fn quiet_scenario(time_scale: f64) -> Scenario {
    let mut scenario = Scenario::demo();
    scenario.arrivals.enabled = false;
    scenario.actions.failure_share = 0.0;
    scenario.time_scale = time_scale;
    scenario
}

/// Which face of the simulator a test talks to: every end-to-end engine test runs against both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Accepts the richer queries remedy may use to save calls.
    Lenient,
    /// Accepts only the documented minimum of `shared/api/REFERENCE.md`.
    Strict,
}

pub const PROFILES: [Profile; 2] = [Profile::Lenient, Profile::Strict];

impl Profile {
    /// `scenario` served with this profile.
    pub fn apply(self, mut scenario: Scenario) -> Scenario {
        scenario.strict = self == Profile::Strict;
        scenario
    }
}

/// The journals a slow end-to-end test runs on under `profile`: SQLite under both profiles, PostgreSQL (when
/// given, always in CI) under the strict one only, since the journal's side does not depend on the API's face
/// and each run costs the suite a minute.
pub fn journals_for(profile: Profile, prefix: &str) -> Vec<pg::TestJournal> {
    let mut all = vec![pg::TestJournal::sqlite()];
    if profile == Profile::Strict {
        all.extend(pg::TestJournal::postgres(prefix));
    }
    all
}

/// `scenario` served with `profile`.
pub async fn start_sim_with(scenario: Scenario, profile: Profile) -> SimHandle {
    start_sim(profile.apply(scenario)).await
}

pub async fn start_sim(scenario: Scenario) -> SimHandle {
    remedy::sim::start(SimOptions { port: 0, scenario })
        .await
        .expect("simulator starts")
}

/// The demo config pointed at `sim`, with only `bound` policies bound (id, flow, mode).
pub fn config_for(sim: &SimHandle, bound: &[(&str, &str, Mode)]) -> Config {
    let mut config = wiring::demo_config(&sim.base_url()).expect("demo config is valid");
    config
        .policies
        .retain(|id, _| bound.iter().any(|(b, _, _)| b == id));
    for (id, flow, mode) in bound {
        let binding = config
            .policies
            .get_mut(*id)
            .expect("bound policies are in the demo config");
        binding.flow = flow.to_string();
        binding.mode = mode.as_str().to_string();
    }
    config
}

/// Engine settings for tests: fast polling and tracking.
pub fn fast_settings(config: &Config) -> EngineSettings {
    let mut settings = wiring::engine_settings(config, false, true);
    settings.poll_interval = Duration::from_millis(300);
    settings.track_interval = Duration::from_millis(200);
    settings.operator = "tester".into();
    settings
}

/// A running engine and what it has told us so far.
pub struct EngineRun {
    pub handle: EngineHandle,
    events: broadcast::Receiver<Event>,
    pub remediations: HashMap<String, RemediationView>,
    pub alerts: HashMap<String, AlertView>,
    /// Each policy's mode as the engine last told it.
    pub modes: HashMap<String, Mode>,
    pub notices: Vec<String>,
}

impl EngineRun {
    pub fn start(config: &Config, settings: EngineSettings, journal: &Path) -> EngineRun {
        let journal = Journal::open(journal).expect("journal opens");
        EngineRun::start_on(config, settings, journal)
    }

    /// An engine on an open journal (of either backend).
    pub fn start_on(config: &Config, settings: EngineSettings, journal: Journal) -> EngineRun {
        let clients = Clients::new(wiring::api_settings(config)).expect("clients");
        let handle = remedy::engine::start(clients, journal, settings);
        let events = handle.subscribe();
        EngineRun {
            handle,
            events,
            remediations: HashMap::new(),
            alerts: HashMap::new(),
            modes: HashMap::new(),
            notices: Vec::new(),
        }
    }

    fn absorb(&mut self, event: Event) {
        match event {
            Event::Snapshot {
                alerts,
                remediations,
                policies,
                ..
            } => {
                for p in policies {
                    self.modes.insert(p.id, p.mode);
                }
                for a in alerts {
                    self.alerts.insert(a.id.clone(), a);
                }
                for r in remediations {
                    self.remediations.insert(r.id.clone(), r);
                }
            }
            Event::AlertSeen(a) => {
                self.alerts.insert(a.id.clone(), a);
            }
            Event::RemediationChanged(r) => {
                self.remediations.insert(r.id.clone(), *r);
            }
            Event::Notice { text, .. } => self.notices.push(text),
            Event::PolicyChanged(p) => {
                self.modes.insert(p.id, p.mode);
            }
            _ => {}
        }
    }

    /// Absorbs events until `done` holds; panics with what was seen after `secs` seconds.
    pub async fn until(&mut self, secs: u64, what: &str, done: impl Fn(&EngineRun) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !done(self) {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Ok(event)) => self.absorb(event),
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) => {
                    panic!("engine stopped before: {what}")
                }
                Err(_) => panic!(
                    "timed out waiting for: {what}\nremediations: {:#?}\nnotices: {:#?}",
                    self.remediations
                        .values()
                        .map(|r| (&r.alert_id, &r.machine.name, r.state, &r.reason))
                        .collect::<Vec<_>>(),
                    self.notices
                ),
            }
        }
    }

    /// Remediations of alerts raised by `policy`.
    pub fn of_policy(&self, policy: &str) -> Vec<&RemediationView> {
        self.remediations
            .values()
            .filter(|r| r.policy_id == policy)
            .collect()
    }

    pub fn alerts_of(&self, policy: &str) -> Vec<&AlertView> {
        self.alerts
            .values()
            .filter(|a| a.policy_id == policy)
            .collect()
    }

    /// True when every alert of `policy` with a user has been planned and all its remediations are final.
    pub fn policy_settled(&self, policy: &str) -> bool {
        let rems = self.of_policy(policy);
        !rems.is_empty() && rems.iter().all(|r| r.state.is_final())
    }

    pub fn states(&self, policy: &str) -> Vec<RemediationState> {
        self.of_policy(policy).iter().map(|r| r.state).collect()
    }

    /// Remediations of one alert.
    pub fn of_alert(&self, alert_id: &str) -> Vec<&RemediationView> {
        self.remediations
            .values()
            .filter(|r| r.alert_id == alert_id)
            .collect()
    }

    /// True when `alert_id` has at least `count` remediations and all are final.
    pub fn alert_settled(&self, alert_id: &str, count: usize) -> bool {
        let rems = self.of_alert(alert_id);
        rems.len() >= count && rems.iter().all(|r| r.state.is_final())
    }
}

/// Every audit entry of the journal at `path`, as the JSON export writes them.
pub fn audit_entries(path: &Path) -> Vec<serde_json::Value> {
    let journal = Journal::open(path).expect("journal opens");
    let mut out = Vec::new();
    journal
        .export_audit(remedy::store::ExportFormat::Json, None, &mut out)
        .expect("audit exports");
    serde_json::from_slice(&out).expect("export is JSON")
}

/// Calls the simulator's Cloud App Security API as an analyst would (the legacy token).
pub async fn cas_call(
    sim: &SimHandle,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let url = format!("{}/api/v1/{path}", sim.cas_url());
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("Authorization", "Token remedy-demo-token");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("simulator answers");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("JSON answer")
}

/// Total action POSTs the simulator received, and duplicates among them.
pub fn posts(sim: &SimHandle) -> (u64, u64) {
    let stats = sim.stats();
    (
        stats["action_posts_total"].as_u64().unwrap_or(0),
        stats["duplicate_submissions"].as_u64().unwrap_or(0),
    )
}

/// A simulator of `profile` at `time_scale`, a journal in a fresh directory, and an engine with only `bound`
/// policies bound: the set-up most end-to-end engine tests share. Keep the directory alive with the run.
pub async fn bound_run(
    profile: Profile,
    time_scale: f64,
    bound: &[(&str, &str, Mode)],
) -> (SimHandle, tempfile::TempDir, EngineRun) {
    let sim = start_sim_with(quiet_scenario(time_scale), profile).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = config_for(&sim, bound);
    let run = EngineRun::start(
        &config,
        fast_settings(&config),
        &dir.path().join("j.sqlite"),
    );
    (sim, dir, run)
}
