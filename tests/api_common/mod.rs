//! Shared helpers of the API wire tests: a simulator per test and clients pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use remedy::api::{ApiSettings, Clients, QuotaSettings, QuotaWindow, RetrySettings};
use remedy::config::Secret;
use remedy::sim::{Faults, Scenario, SimHandle, SimOptions, start};
use serde_json::Value;

/// The quiet demo tenant (no arrivals, no failures) with simulated time running `time_scale` times faster.
pub fn scenario(time_scale: f64) -> Scenario {
    let mut scenario = Scenario::quiet();
    scenario.time_scale = time_scale;
    scenario
}

pub async fn sim(scenario: Scenario) -> SimHandle {
    start(SimOptions { port: 0, scenario })
        .await
        .expect("simulator starts")
}

/// Client budgets equal to the scenario's service quotas, with windows on the simulator's clock.
pub fn quotas_of(scenario: &Scenario) -> QuotaSettings {
    let q = &scenario.quotas;
    let wall = |sim_secs: f64| Duration::from_secs_f64(sim_secs / scenario.time_scale);
    QuotaSettings {
        cas: vec![QuotaWindow::window(q.cas_per_minute, wall(60.0))],
        defender: vec![
            QuotaWindow::window(q.mde_per_minute, wall(60.0)),
            QuotaWindow::window(q.mde_per_hour, wall(3600.0)),
        ],
        graph: vec![QuotaWindow::bucket(
            q.graph_bucket,
            wall(q.graph_refill_secs),
        )],
    }
}

/// Settings for the simulator with the scenario's credentials, matching quotas and quick retries.
pub fn settings(sim: &SimHandle, scenario: &Scenario) -> ApiSettings {
    let mut settings = ApiSettings::new(
        sim.cas_url(),
        Secret::new(scenario.credentials.cas_token.clone()),
        scenario.tenant.clone(),
        scenario.credentials.client_id.clone(),
        Secret::new(scenario.credentials.client_secret.clone()),
    );
    settings.defender_url = sim.defender_url();
    settings.graph_url = sim.graph_url();
    settings.authority_url = sim.authority_url();
    settings.timeout = Duration::from_secs(10);
    settings.quotas = quotas_of(scenario);
    settings.retry = RetrySettings {
        max_attempts: 8,
        base_delay: Duration::from_millis(20),
        cas_throttle_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(10),
    };
    settings
}

pub fn clients(sim: &SimHandle, scenario: &Scenario) -> Clients {
    Clients::new(settings(sim, scenario)).expect("clients build")
}

/// Faults for one service only (`cas`, `mde`, `graph`, `login`).
pub fn faults_for(service: &str) -> Faults {
    Faults {
        service: Some(service.to_string()),
        ..Faults::default()
    }
}

/// A counter from the simulator's stats (0 when absent).
pub fn stat(sim: &SimHandle, pointer: &str) -> u64 {
    sim.stats()
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or(0)
}
