//! A simulated week through the engine: the simulator (its own process, so its memory is not counted) raises
//! an alert every 10 simulated seconds on the demo tenant, every bound policy scans on auto and closes the
//! alert once its scans succeeded, and the engine runs on the simulator's faster clock with its quotas scaled
//! alike. Prints RSS, the journal's size and the
//! work done at each simulated day, and the RSS slope after the first two days (the memory window).
//!
//! `REMEDY_SOAK_SCALE` (default 600) and `REMEDY_SOAK_DAYS` (default 7) change the pace and the length;
//! `REMEDY_SOAK_KEEP=1` keeps the journal for a look afterwards.

use std::io::{BufRead, BufReader};
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use remedy::api::{Clients, QuotaWindow};
use remedy::engine::{Mode, ScaledClock};
use remedy::sim::Scenario;
use remedy::store::Journal;
use remedy::wiring;

const DAY_SECS: f64 = 86_400.0;
const SCAN_FLOW: &str = "antivirus-scan-full";

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The demo tenant with an alert every 10 simulated seconds, no bursts.
fn scenario(scale: f64) -> Scenario {
    let mut s = Scenario::demo();
    s.time_scale = scale;
    s.token_lifetime_secs = 86_400;
    s.arrivals.enabled = true;
    s.arrivals.interval_secs = [10.0, 10.0];
    s.arrivals.burst_share = 0.0;
    s
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn size_mb(path: &std::path::Path) -> f64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::metadata(name).ok()
        })
        .map(|m| m.len() as f64)
        .sum::<f64>()
        / 1_048_576.0
}

/// Least-squares slope of `points` (x in days, y in MB).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let num: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let den: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    if den == 0.0 { 0.0 } else { num / den }
}

fn main() {
    let scale = env_or("REMEDY_SOAK_SCALE", 600.0);
    let days = env_or("REMEDY_SOAK_DAYS", 7.0) as u32;
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario_path = dir.path().join("soak.toml");
    std::fs::write(
        &scenario_path,
        toml::to_string(&scenario(scale)).expect("scenario"),
    )
    .expect("scenario written");

    let mut sim = Process::new(env!("CARGO_BIN_EXE_remedy"))
        .args(["sim", "--port", "0", "--scenario"])
        .arg(&scenario_path)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("remedy sim starts");
    let mut first = String::new();
    BufReader::new(sim.stdout.take().expect("sim stdout"))
        .read_line(&mut first)
        .expect("sim prints its address");
    // The simulator's clock started (at its own start) before this one: the engine runs a little behind it,
    // never ahead (ahead, it would poll past alerts the simulator has not raised yet).
    let clock = ScaledClock::new(Utc::now(), scale);
    let base = first
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .to_string();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let journal_path = dir.path().join("journal.sqlite");
    runtime.block_on(async {
        let mut config = wiring::demo_config(&base).expect("demo config");
        for binding in config.policies.values_mut() {
            binding.mode = Mode::Auto.as_str().into();
            binding.flow = SCAN_FLOW.into();
        }
        let mut api = wiring::api_settings(&config);
        let scaled = |limit: u32, per_secs: f64| {
            QuotaWindow::window(limit, Duration::from_secs_f64(per_secs / scale))
        };
        api.quotas.defender = vec![scaled(100, 60.0), scaled(1500, 3600.0)];
        api.quotas.cas = vec![scaled(30, 60.0)];
        api.quotas.graph = vec![QuotaWindow::bucket(
            3500,
            Duration::from_secs_f64(10.0 / scale),
        )];
        let mut settings = wiring::engine_settings(&config, false, true);
        settings.poll_interval = Duration::from_secs_f64((300.0 / scale).max(0.2));
        settings.track_interval = Duration::from_secs_f64((60.0 / scale).max(0.2));
        settings.forget_every = Duration::from_secs_f64((600.0 / scale).max(0.5));
        // One process: the lease is taken at start and outlasts the run on the fast clock (its heartbeat
        // runs on real time, a third of the lease, so it does not beat again).
        settings.lease_ttl = Duration::from_secs_f64((f64::from(days) + 3.0) * DAY_SECS);
        for binding in settings.bindings.values_mut() {
            binding.max_per_alert = 50;
            binding.max_per_hour = 100_000;
        }
        // As a 24/7 auto-remediation runs: an alert whose scans all succeeded is closed, so it can leave
        // memory after the window (open alerts stay in memory by design).
        for flow in settings.flows.values_mut() {
            flow.close_alert = true;
        }
        let clients = Clients::new(api).expect("clients");
        let journal = Journal::open(&journal_path).expect("journal");
        let rss_before = rss_mb();
        let handle =
            remedy::engine::start_with_clock(clients, journal, settings, Arc::new(clock));
        println!(
            "soak: {days} simulated days at {scale}× (a day every {:.0} s), an alert every 10 simulated s",
            DAY_SECS / scale
        );
        println!("RSS before the engine started: {rss_before:.1} MB");
        println!("day  RSS MB  journal MB  alerts  remediations  final  scans");
        let started = Instant::now();
        let mut points = Vec::new();
        let stats = reqwest::Client::new();
        for day in 1..=days {
            let due = started + Duration::from_secs_f64(f64::from(day) * DAY_SECS / scale);
            tokio::time::sleep_until(due.into()).await;
            let counts = Journal::open(&journal_path)
                .and_then(|j| j.counts())
                .ok();
            let scans = stats
                .get(format!("{base}/_sim/stats"))
                .send()
                .await
                .ok();
            let scans = match scans {
                Some(r) => r.json::<serde_json::Value>().await.ok(),
                None => None,
            }
            .and_then(|s| s["action_posts_total"].as_u64())
            .unwrap_or(0);
            let rss = rss_mb();
            points.push((f64::from(day), rss));
            let (alerts, remediations, finals) = counts.unwrap_or_default();
            println!(
                "{day:>3}  {rss:>6.1}  {:>10.1}  {alerts:>6}  {remediations:>12}  {finals:>5}  {scans:>5}",
                size_mb(&journal_path)
            );
        }
        let settled: Vec<(f64, f64)> = points.iter().copied().filter(|(d, _)| *d > 2.0).collect();
        let peak = points.iter().map(|p| p.1).fold(0.0, f64::max);
        println!(
            "RSS slope after day 2: {:+.2} MB/day; peak {peak:.1} MB (goal: flat after the window, ≤ 64 MB)",
            slope(&settled)
        );
        handle.shutdown().await;
    });
    let _ = sim.kill();
    let _ = sim.wait();
    if std::env::var_os("REMEDY_SOAK_KEEP").is_some() {
        println!(
            "journal kept: {}",
            dir.keep().join("journal.sqlite").display()
        );
    }
}
