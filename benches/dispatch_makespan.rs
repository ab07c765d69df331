//! Makespan of dispatching 1000 auto scans under Defender's quota (100/min, 1500/h), in scaled simulator
//! time, against the optimum the quota allows; prints makespan, optimum, ratio and the simulator's 429s.
//! The journal is a SQLite file, or a fresh PostgreSQL database per run on the server whose admin URL
//! `REMEDY_BENCH_PG_URL` gives (named by `REMEDY_BENCH_PG_DB`, dropped at the end).

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use remedy::api::{Clients, QuotaWindow};
use remedy::engine::Mode;
use remedy::sim::{Scenario, SimHandle, SimOptions};
use remedy::store::{Journal, JournalLocation};
use remedy::wiring;

/// Simulated seconds per wall-clock second, for the simulator and the client's quota windows alike.
/// 60 keeps remedy's own per-submission work (about 1 ms of CPU and a journal commit) small next to a
/// minute of quota, as it is at real speed; at 300 (`REMEDY_BENCH_SCALE=300`) a minute passes in 0.2 s
/// and that work alone adds about 15 % to the makespan.
fn scale() -> f64 {
    std::env::var("REMEDY_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60.0)
}

const MACHINES: usize = 1000;
const PER_MINUTE: u32 = 100;
const PER_HOUR: u32 = 1500;
const AUTO_POLICY: &str = "5f01dce13de79160fbec4151";
const ALERT: &str = "66a1f0c2e4b0a1b2c3d4eb00";

/// The quiet demo tenant plus one user signed in to 1000 machines and an auto alert about them.
fn fleet_scenario(scale: f64) -> Scenario {
    let mut s = Scenario::quiet();
    s.time_scale = scale;
    s.token_lifetime_secs = 86_400;
    s.quotas.mde_per_minute = PER_MINUTE;
    s.quotas.mde_per_hour = PER_HOUR;
    s.alerts.clear();
    s.add_fleet(MACHINES, AUTO_POLICY, ALERT);
    s
}

/// Earliest simulated second of the last of `n` POSTs under sliding windows of 100/min and 1500/h:
/// the first window's burst, then 100 more each minute (and 1500 each hour).
fn optimum_sim_secs(n: usize) -> f64 {
    let last = (n - 1) as f64;
    let by_minute = (last / f64::from(PER_MINUTE)).floor() * 60.0;
    let by_hour = (last / f64::from(PER_HOUR)).floor() * 3600.0;
    by_minute.max(by_hour)
}

/// Earliest simulated second of the last of `n` POSTs that remedy's own client budgets allow: each
/// sliding window lets `limit` go at once and remembers a spend for `per` plus a 1 % margin.
fn client_bound_sim_secs(n: usize) -> f64 {
    let last = (n - 1) as f64;
    [(PER_MINUTE, 60.0), (PER_HOUR, 3600.0)]
        .iter()
        .map(|&(limit, per)| (last / f64::from(limit)).floor() * per * 1.01)
        .fold(0.0, f64::max)
}

/// What one run measured, in simulated seconds.
struct Outcome {
    makespan: f64,
    throttled: u64,
    throttled_calls: String,
    defender_gets: u64,
}

/// The calls the simulator answered 429, with their counts.
fn throttled_calls(stats: &serde_json::Value) -> String {
    stats["requests"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(call, by_status)| {
                    let n = by_status["429"].as_u64()?;
                    Some(format!("{call} ×{n}"))
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn count(stats: &serde_json::Value, prefix: &str) -> u64 {
    stats["requests"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .flat_map(|(_, by_status)| {
                    by_status.as_object().into_iter().flat_map(|o| o.values())
                })
                .filter_map(|v| v.as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// The admin URL of the PostgreSQL server to journal in, if the bench is asked to.
const PG_URL_VAR: &str = "REMEDY_BENCH_PG_URL";
/// The database the bench creates there for each run (`REMEDY_BENCH_PG_DB`, default `remedy_bench_makespan`).
fn pg_database() -> String {
    std::env::var("REMEDY_BENCH_PG_DB").unwrap_or_else(|_| "remedy_bench_makespan".into())
}

/// Runs `statement` on the server `admin` names (each alone: PostgreSQL runs no CREATE or DROP DATABASE
/// inside a transaction, which a batch of them would be).
fn admin_statement(admin: &str, statement: &str) {
    let mut client = postgres::Client::connect(admin, postgres::NoTls).expect("PostgreSQL admin");
    client.batch_execute(statement).expect("an admin statement");
}

/// A fresh journal for one run: a SQLite file in `dir`, or the bench's database (dropped first) on the server
/// `REMEDY_BENCH_PG_URL` names. Called off the runtime: the blocking client wants that.
fn fresh_journal(dir: &std::path::Path) -> Journal {
    let Ok(admin) = std::env::var(PG_URL_VAR) else {
        return Journal::open(&dir.join("j.sqlite")).expect("journal");
    };
    let name = pg_database();
    admin_statement(
        &admin,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    );
    admin_statement(&admin, &format!("CREATE DATABASE \"{name}\""));
    let mut url = url::Url::parse(&admin).expect("admin URL");
    url.set_path(&format!("/{name}"));
    let location = JournalLocation::parse(url.as_str()).expect("PostgreSQL URL");
    Journal::open_location(&location).expect("PostgreSQL journal")
}

async fn one_run(scale: f64, journal: Journal) -> Outcome {
    let sim: SimHandle = remedy::sim::start(SimOptions {
        port: 0,
        scenario: fleet_scenario(scale),
    })
    .await
    .expect("simulator starts");
    let mut config = wiring::demo_config(&sim.base_url()).expect("demo config");
    config.policies.retain(|id, _| id == AUTO_POLICY);
    let binding = config.policies.get_mut(AUTO_POLICY).expect("auto policy");
    binding.mode = Mode::Auto.as_str().into();
    let mut api = wiring::api_settings(&config);
    let scaled = |limit: u32, per_secs: f64| {
        QuotaWindow::window(limit, Duration::from_secs_f64(per_secs / scale))
    };
    api.quotas.defender = vec![scaled(PER_MINUTE, 60.0), scaled(PER_HOUR, 3600.0)];
    api.quotas.cas = vec![scaled(30, 60.0)];
    api.quotas.graph = vec![QuotaWindow::bucket(
        3500,
        Duration::from_secs_f64(10.0 / scale),
    )];
    let mut settings = wiring::engine_settings(&config, false, true);
    settings.poll_interval = Duration::from_millis(300);
    settings.track_interval = Duration::from_secs_f64(10.0 / scale);
    let b = settings.bindings.get_mut(AUTO_POLICY).expect("binding");
    b.max_per_alert = 10 * MACHINES as u32;
    b.max_per_hour = 10 * MACHINES as u32;
    let clients = Clients::new(api).expect("clients");
    let handle = remedy::engine::start(clients, journal, settings);

    let posts = |sim: &SimHandle| sim.stats()["action_posts_total"].as_u64().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(600);
    while posts(&sim) == 0 {
        assert!(Instant::now() < deadline, "no POST within 10 minutes");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let first = Instant::now();
    while posts(&sim) < MACHINES as u64 {
        assert!(Instant::now() < deadline, "not every machine posted");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let makespan = first.elapsed().as_secs_f64() * scale;
    let stats = sim.stats();
    handle.shutdown().await;
    sim.shutdown().await;
    Outcome {
        makespan,
        throttled: stats["throttled"].as_u64().unwrap_or(0),
        throttled_calls: throttled_calls(&stats),
        defender_gets: count(&stats, "GET /mde/"),
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let scale = scale();
    let optimum = optimum_sim_secs(MACHINES);
    let client_bound = client_bound_sim_secs(MACHINES);
    let journal_kind = if std::env::var(PG_URL_VAR).is_ok() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mut group = c.benchmark_group("dispatch_makespan");
    group.sample_size(10);
    group.bench_function(format!("{MACHINES} scans at {scale}x, {journal_kind}"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().expect("temp dir");
                let journal = fresh_journal(dir.path());
                let out = rt.block_on(one_run(scale, journal));
                println!(
                    "makespan {:.0} s simulated ({:.2} s wall), optimum {:.0} s, ratio {:.2}, \
                     client-quota bound {:.0} s (ratio to it {:.2}), 429s {} ({}), Defender GETs {}",
                    out.makespan,
                    out.makespan / scale,
                    optimum,
                    out.makespan / optimum,
                    client_bound,
                    out.makespan / client_bound,
                    out.throttled,
                    out.throttled_calls,
                    out.defender_gets
                );
                total += Duration::from_secs_f64(out.makespan / scale);
            }
            total
        })
    });
    group.finish();
    if let Ok(admin) = std::env::var(PG_URL_VAR) {
        let name = pg_database();
        admin_statement(
            &admin,
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
