//! Benchmark: request rate of a quota-bound loop against the simulator (must match the quota, never exceed it).

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use remedy::api::{ApiSettings, Clients, QuotaWindow, RetrySettings};
use remedy::config::Secret;
use remedy::sim::{Scenario, SimOptions, start};

/// Simulated seconds per wall second: Cloud App Security's 30 calls/min become 30 calls per wall second.
const TIME_SCALE: f64 = 60.0;
const LIMIT: u32 = 30;
const WINDOW: Duration = Duration::from_secs(1);

fn busiest_window(times: &[Instant]) -> usize {
    times
        .iter()
        .enumerate()
        .map(|(i, start)| {
            times[i..]
                .iter()
                .take_while(|t| t.duration_since(*start) < WINDOW)
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn quota_bound_loop(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut scenario = Scenario::quiet();
    scenario.time_scale = TIME_SCALE;
    let sim = runtime
        .block_on(start(SimOptions {
            port: 0,
            scenario: scenario.clone(),
        }))
        .expect("simulator");
    let mut settings = ApiSettings::new(
        sim.cas_url(),
        Secret::new(scenario.credentials.cas_token.clone()),
        scenario.tenant.clone(),
        scenario.credentials.client_id.clone(),
        Secret::new(scenario.credentials.client_secret.clone()),
    );
    settings.authority_url = sim.authority_url();
    settings.quotas.cas = vec![QuotaWindow::window(LIMIT, WINDOW)];
    settings.retry = RetrySettings {
        max_attempts: 1,
        ..RetrySettings::default()
    };
    let api = Clients::new(settings).expect("clients");
    let alert_id = scenario.alerts[0].id.clone();
    let mut times = Vec::new();

    let mut group = c.benchmark_group("api_quota");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("cas_get_alert_30_per_s", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    api.cas.get_alert(&alert_id).await.expect("alert");
                    times.push(Instant::now());
                }
                start.elapsed()
            })
        })
    });
    group.finish();

    let stats = sim.stats();
    println!(
        "quota {LIMIT}/{WINDOW:?}: {} requests, busiest {WINDOW:?} window held {}, simulator 429s: {}",
        times.len(),
        busiest_window(&times),
        stats["throttled"]
    );
    runtime.block_on(sim.shutdown());
}

criterion_group!(benches, quota_bound_loop);
criterion_main!(benches);
