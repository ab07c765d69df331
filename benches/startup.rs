//! Start-up at size: a journal of 100k alerts, 300k remediations and 1M transitions (built once with bulk
//! inserts in a temp dir), then the time from `engine::start` to its first snapshot, and the RSS it adds.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use remedy::api::Clients;
use remedy::engine::Event;
use remedy::sim::{Scenario, SimOptions};
use remedy::store::Journal;
use remedy::wiring;
use rusqlite::{Connection, params};

const ALERTS: usize = 100_000;
const REMEDIATIONS: usize = 300_000;
const TRANSITIONS: usize = 1_000_000;
/// Remediations still open (not final), and those finished within the last day (inside the memory window).
const OPEN: usize = 500;
const RECENT: usize = 3_000;

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Fills a fresh journal with bulk inserts in one transaction (no per-row sync).
fn build_journal(path: &Path) {
    drop(Journal::open(path).expect("journal"));
    let mut conn = Connection::open(path).expect("raw connection");
    conn.execute_batch("PRAGMA synchronous = OFF;").unwrap();
    let tx = conn.transaction().unwrap();
    let now = chrono::Utc::now();
    {
        let mut alert = tx
            .prepare(
                "INSERT INTO alerts (id, policy_id, title, user, severity, resolution, timestamp_ms, \
                 raw, first_seen, last_seen) VALUES (?1, 'p1', ?2, ?3, 2, 2, ?4, ?5, ?6, ?6)",
            )
            .unwrap();
        for n in 0..ALERTS {
            let at = now - chrono::Duration::minutes((ALERTS - n) as i64 * 2);
            let id = format!("alert-{n:06}");
            let raw = serde_json::json!({
                "_id": id, "title": format!("Mass download by user {n}"),
                "description": "x".repeat(800), "timestamp": at.timestamp_millis(),
                "severityValue": 2, "resolutionStatusValue": 2,
                "entities": [{"type": "account", "id": format!("user{n}@contoso.com"), "label": "user"}],
            });
            alert
                .execute(params![
                    id,
                    format!("Mass download by user {n}"),
                    format!("user{n}@contoso.com"),
                    at.timestamp_millis(),
                    raw.to_string(),
                    ts(at)
                ])
                .unwrap();
        }
        let mut rem = tx
            .prepare(
                "INSERT INTO remediations (id, idempotency_key, alert_id, policy_id, flow_id, step, machine_id, \
                 machine_name, action, params, state, reason, provider_action_id, requested_by, created_at, \
                 updated_at, submitted_at, final_at, proof) VALUES (?1, ?1, ?2, 'p1', 'antivirus-scan-full', 1, \
                 ?3, ?3, 'RunAntiVirusScan', '{\"kind\":\"antivirus_scan\",\"scan_type\":\"Full\"}', ?4, NULL, ?5, \
                 'remedy', ?6, ?7, ?6, ?8, '{}')",
            )
            .unwrap();
        let mut tr = tx
            .prepare("INSERT INTO transitions (remediation_id, from_state, to_state, at) VALUES (?1, ?2, ?3, ?4)")
            .unwrap();
        let mut transitions = 0;
        for n in 0..REMEDIATIONS {
            let id = format!("rmd-{n:06}");
            let alert = format!("alert-{:06}", n % ALERTS);
            let (state, at) = if n < OPEN {
                ("submitted", now - chrono::Duration::minutes(5))
            } else if n < OPEN + RECENT {
                (
                    "Succeeded",
                    now - chrono::Duration::minutes(n as i64 % 1_400),
                )
            } else {
                (
                    "Succeeded",
                    now - chrono::Duration::hours(72 + (n as i64 % 3_000)),
                )
            };
            let final_at = (state == "Succeeded").then(|| ts(at));
            rem.execute(params![
                id,
                alert,
                format!("machine-{}", n % 20_000),
                state,
                format!("action-{n}"),
                ts(at),
                ts(at),
                final_at
            ])
            .unwrap();
            let steps: &[(Option<&str>, &str)] = &[
                (None, "approved"),
                (Some("approved"), "submitted"),
                (Some("submitted"), "Succeeded"),
            ];
            let take = if n % 3 == 0 { 4 } else { 3 };
            for k in 0..take.min(steps.len() + 1) {
                if transitions >= TRANSITIONS {
                    break;
                }
                let (from, to) = steps
                    .get(k)
                    .copied()
                    .unwrap_or((Some("Succeeded"), "Succeeded"));
                tr.execute(params![id, from, to, ts(at)]).unwrap();
                transitions += 1;
            }
        }
    }
    tx.commit().unwrap();
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Starts the engine on the journal and waits for its first snapshot; returns the time it took, and the
/// time until a console had drawn its first frame from that snapshot (120×36, in memory).
async fn first_snapshot(config: &remedy::config::Config, path: &Path) -> (Duration, Duration) {
    let clients = Clients::new(wiring::api_settings(config)).expect("clients");
    let started = Instant::now();
    let journal = Journal::open(path).expect("journal");
    let engine = remedy::engine::start(
        clients,
        journal,
        wiring::engine_settings(config, true, true),
    );
    let mut events = engine.subscribe();
    let took = loop {
        match events.recv().await {
            Ok(snapshot @ Event::Snapshot { .. }) => {
                let snapshot_took = started.elapsed();
                if let Event::Snapshot { remediations, .. } = &snapshot {
                    assert!(
                        remediations.len() >= OPEN + RECENT,
                        "the working set is loaded"
                    );
                }
                let mut app = remedy::tui::UiOptions::default()
                    .build_app(None)
                    .expect("console");
                app.set_now(chrono::Utc::now());
                app.apply(snapshot);
                let mut terminal =
                    ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 36))
                        .expect("terminal");
                terminal
                    .draw(|frame| remedy::tui::draw(frame, &mut app))
                    .expect("frame");
                break (snapshot_took, started.elapsed());
            }
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(e) => panic!("engine stopped: {e}"),
        }
    };
    engine.shutdown().await;
    took
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("journal.sqlite");
    let built = Instant::now();
    build_journal(&path);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "journal: {ALERTS} alerts, {REMEDIATIONS} remediations, {TRANSITIONS} transitions, {} MB, built in {:.1} s",
        size / 1_000_000,
        built.elapsed().as_secs_f64()
    );
    let sim = rt
        .block_on(remedy::sim::start(SimOptions {
            port: 0,
            scenario: Scenario::quiet(),
        }))
        .expect("simulator");
    let mut config = wiring::demo_config(&sim.base_url()).expect("demo config");
    config.policies.clear();
    let before = rss_kib();
    let (first, frame) = rt.block_on(first_snapshot(&config, &path));
    println!(
        "first snapshot in {:.1} ms, first console frame in {:.1} ms (cold); RSS {} MB before start, {} MB after",
        first.as_secs_f64() * 1000.0,
        frame.as_secs_f64() * 1000.0,
        before / 1024,
        rss_kib() / 1024
    );
    let mut group = c.benchmark_group("startup");
    group.sample_size(10);
    group.bench_function("first snapshot at 100k/300k/1M", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.block_on(first_snapshot(&config, &path)).0)
                .sum()
        })
    });
    group.bench_function("first console frame at 100k/300k/1M", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| rt.block_on(first_snapshot(&config, &path)).1)
                .sum()
        })
    });
    group.finish();
    rt.block_on(sim.shutdown());
}

criterion_group!(benches, bench);
criterion_main!(benches);
