//! A simulated week through the real binary: `remedy sim` raises an alert every 10 simulated seconds on the
//! demo tenant (both alert sources), and `remedy run --sim-clock` works them on the simulator's faster clock
//! (its quotas, intervals and retention scaled alike), the bound alerts (see `REMEDY_SOAK_BIND`) on a Full
//! scan on auto that closes the alert once its scans succeeded. At each simulated day it prints the process's RSS (from /proc), the
//! journal's size with retention on, the log's size, the work done, the CPU seconds `remedy run` used so far,
//! the machine's load average and what the engine holds (its sizes log line); at the end the RSS slope after the first day, whether the JSON stream kept up, and the audit chain
//! verified across the prunes.
//!
//! `REMEDY_SOAK_SCALE` (default 600), `REMEDY_SOAK_DAYS` (7), `REMEDY_SOAK_RETAIN_DAYS` (2),
//! `REMEDY_SOAK_MEMORY_HOURS` (24) change the pace, the length, `[journal] retain_days` and `memory_hours`;
//! `REMEDY_SOAK_SIM_HISTORY_HOURS` (48) the simulator's own retention (`history_hours`, 0 keeps everything),
//! `REMEDY_SOAK_ANALYSTS_HOURS` (24) when the tenant's analysts close what remedy left open (0: never);
//! `REMEDY_SOAK_BIND=all` binds every alert (default `demo`: the demo's four policies and Endpoint alerts; at
//! 600× every alert is about 100 remediations a real second, more than the journal writes on two shared cores);
//! `REMEDY_SOAK_KEEP=1` keeps the temporary folder (journal, archives, logs) for a look afterwards;
//! `REMEDY_SOAK_WRAP="heaptrack -o /tmp/soak"` starts `remedy run` under that command (a profiler): RSS is then
//! read from the `remedy` process below it, and SIGTERM goes to that process.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use remedy::sim::Scenario;
use remedy::store::Journal;

const DAY_SECS: f64 = 86_400.0;
const BIN: &str = env!("CARGO_BIN_EXE_remedy");

fn env_or(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The demo tenant with an alert every 10 simulated seconds, no bursts; its analysts close what stays open
/// `analysts_hours` in the portal, and the simulator forgets what ended more than `history_hours` ago.
fn scenario(scale: f64, analysts_hours: f64, history_hours: f64) -> Scenario {
    let mut s = Scenario::demo();
    s.time_scale = scale;
    s.analysts_close_after_hours = analysts_hours;
    s.history_hours = history_hours;
    s.token_lifetime_secs = 86_400;
    s.arrivals.enabled = true;
    s.arrivals.interval_secs = [10.0, 10.0];
    s.arrivals.burst_share = 0.0;
    s
}

/// The config `remedy run` gets: the simulator's tenant, both sources, the bound alerts scanned on auto and
/// closed once their scans succeeded, no protected machines, retention and the memory window as asked.
fn config(
    base: &str,
    journal: &Path,
    (retain_days, memory_hours): (u64, u64),
    bindings: &str,
) -> String {
    format!(
        r#"[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "remedy-demo-secret"

[cas]
url = "{base}/cas"
token = "remedy-demo-token"

[defender]
url = "{base}/mde"

[graph]
url = "{base}/graph"

[auth]
authority = "{base}/login"

[alerts]
sources = ["cas", "graph"]
graph_service_sources = ["microsoftDefenderForCloudApps", "microsoftDefenderForEndpoint"]

[engine]
poll_interval_secs = 300
track_interval_secs = 60

[journal]
path = "{journal}"
retain_days = {retain_days}
memory_hours = {memory_hours}

[guards]
max_machines_per_alert = 50
max_machines_per_hour = 100000
protected_tags = []
protected_groups = []

[log]
rotate = "daily"

[flows.soak-scan]
name = "Soak: Full scan, then close"
comment = "Soak scan for alert {{alert_id}}"
close_alert = true
steps = [{{ action = "antivirus_scan", scan_type = "Full" }}]

{bindings}"#,
        journal = journal.display()
    )
}

/// Every alert bound (`all`), or as the demo binds them (`demo`: its four policies and Endpoint alerts).
fn bindings(which: &str) -> String {
    const AUTO: &str = "flow = \"soak-scan\"\nmode = \"auto\"\n";
    if which == "all" {
        return format!("\n[bindings.everything]\ntitle = \"*\"\n{AUTO}");
    }
    let mut text = String::new();
    for policy in DEMO_POLICIES {
        text.push_str(&format!("\n[policies.{policy}]\n{AUTO}"));
    }
    text.push_str(&format!(
        "\n[bindings.endpoint-alerts]\nservice_source = \"microsoftDefenderForEndpoint\"\n{AUTO}"
    ));
    text
}

/// The policies config/demo.toml binds.
const DEMO_POLICIES: [&str; 4] = [
    "5f01dce13de79160fbec4150",
    "5f01dce13de79160fbec4151",
    "5f01dce13de79160fbec4152",
    "5f01dce13de79160fbec4153",
];

/// A child process killed when dropped, so a failed bench leaves nothing behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `pid` itself when it runs the remedy binary, else its first descendant that does (under a profiler), once
/// it has started.
fn remedy_pid(pid: u32) -> u32 {
    let bin = std::fs::canonicalize(BIN).unwrap_or_else(|_| BIN.into());
    let runs_remedy =
        |p: u32| std::fs::read_link(format!("/proc/{p}/exe")).is_ok_and(|exe| exe == bin);
    let children = |p: u32| -> Vec<u32> {
        std::fs::read_to_string(format!("/proc/{p}/task/{p}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|c| c.parse().ok())
            .collect()
    };
    for _ in 0..600 {
        let mut open = vec![pid];
        while let Some(p) = open.pop() {
            if runs_remedy(p) {
                return p;
            }
            open.extend(children(p));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    pid
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU seconds (user and system) the process has used, from /proc.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th of them.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf only reads a configuration value.
    let per_sec = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / per_sec.max(1.0)
}

/// The 1-minute load average, from /proc.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_default()
}

/// Total size in MB of the files in `dir` whose names start with `prefix`.
fn files_mb(dir: &Path, prefix: &str) -> (usize, f64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (0, 0.0);
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
        .filter_map(|e| e.metadata().ok())
        .fold((0, 0.0), |(n, mb), m| {
            (n + 1, mb + m.len() as f64 / 1_048_576.0)
        })
}

/// Least-squares slope of `points` (x in days, y in MB); `None` below two points or when every x is the same.
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if n < 2.0 {
        return None;
    }
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let num: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let den: f64 = points.iter().map(|(x, _)| (x - mx).powi(2)).sum();
    (den != 0.0).then(|| num / den)
}

/// The newest `engine sizes` line of the logs, reduced to its fields (`alerts=… open_alerts=…`).
fn last_sizes(logs: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(logs)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .rev()
        .find_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            let line = text.lines().rev().find(|l| l.contains("engine sizes"))?;
            Some(
                line[line.find("engine sizes")? + "engine sizes".len()..]
                    .trim()
                    .to_string(),
            )
        })
        .unwrap_or_else(|| "(no sizes line yet)".into())
}

/// What the JSON stream carried: lines, snapshots (more than one: it fell behind and asked for a resync) and
/// whether it said time is simulated.
#[derive(Default)]
struct Stream {
    lines: AtomicU64,
    simulated_said: AtomicU64,
    by_type: Mutex<BTreeMap<String, u64>>,
}

impl Stream {
    fn count(&self, kind: &str) -> u64 {
        let by_type = self.by_type.lock().unwrap_or_else(|p| p.into_inner());
        by_type.get(kind).copied().unwrap_or(0)
    }
}

fn read_stream(out: std::process::ChildStdout, stream: Arc<Stream>) {
    const TYPE: &str = r#"{"type":""#;
    for line in BufReader::new(out).lines() {
        let Ok(line) = line else { break };
        stream.lines.fetch_add(1, Ordering::Relaxed);
        let kind = line
            .strip_prefix(TYPE)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("?");
        *stream
            .by_type
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(kind.to_string())
            .or_default() += 1;
        if kind == "notice" && line.contains("time is simulated") {
            stream.simulated_said.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn sim_stats(base: &str) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        match reqwest::get(format!("{base}/_sim/stats")).await {
            Ok(reply) => reply.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        }
    })
}

fn main() {
    let scale = env_or("REMEDY_SOAK_SCALE", 600.0);
    let days = env_or("REMEDY_SOAK_DAYS", 7.0) as u32;
    let retain_days = env_or("REMEDY_SOAK_RETAIN_DAYS", 2.0) as u64;
    let memory_hours = env_or("REMEDY_SOAK_MEMORY_HOURS", 24.0) as u64;
    let sim_history_hours = env_or("REMEDY_SOAK_SIM_HISTORY_HOURS", 48.0);
    let analysts_hours = env_or("REMEDY_SOAK_ANALYSTS_HOURS", 24.0);
    let binding = std::env::var("REMEDY_SOAK_BIND").unwrap_or_else(|_| "demo".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let logs = data.join("remedy").join("logs");
    let scenario_path = dir.path().join("soak.toml");
    std::fs::write(
        &scenario_path,
        toml::to_string(&scenario(scale, analysts_hours, sim_history_hours)).expect("scenario"),
    )
    .expect("scenario written");

    let mut sim = Killed(
        Process::new(BIN)
            .args(["sim", "--port", "0", "--scenario"])
            .arg(&scenario_path)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", &data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("remedy sim starts"),
    );
    let mut first = String::new();
    let mut banner = BufReader::new(sim.0.stdout.take().expect("sim stdout"));
    banner
        .read_line(&mut first)
        .expect("sim prints its address");
    // The rest of its output is read to the end, so it never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut banner, &mut std::io::sink()));
    let base = first
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .to_string();

    let journal_path = dir.path().join("journal.sqlite");
    let config_path = dir.path().join("config.toml");
    std::fs::write(
        &config_path,
        config(
            &base,
            &journal_path,
            (retain_days, memory_hours),
            &bindings(&binding),
        ),
    )
    .expect("config written");
    let wrapper = std::env::var("REMEDY_SOAK_WRAP").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut command = match words.next() {
        Some(profiler) => {
            let mut command = Process::new(profiler);
            command.args(words).arg(BIN);
            command
        }
        None => Process::new(BIN),
    };
    let mut run = Killed(
        command
            .arg("--config")
            .arg(&config_path)
            .args(["run", "--sim-clock"])
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", &data)
            .env("REMEDY_LOG", "info,remedy::sizes=debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("remedy run starts"),
    );
    let started = Instant::now();
    let pid = remedy_pid(run.0.id());
    let stream = Arc::new(Stream::default());
    let reader = {
        let out = run.0.stdout.take().expect("run stdout");
        let stream = stream.clone();
        std::thread::spawn(move || read_stream(out, stream))
    };

    println!(
        "soak: `remedy run --sim-clock` for {days} simulated days at {scale}× (a day every {:.0} s), an alert \
         every 10 simulated s, both sources, {binding} alerts bound, retain_days = {retain_days}, memory_hours = {memory_hours}; analysts \
         close what stays open {analysts_hours} h, the simulator forgets after {sim_history_hours} h",
        DAY_SECS / scale
    );
    println!(
        "day  RSS MB  journal MB  archives  log MB  alerts  remediations  final  arrived  scans  stream lines  CPU s  load"
    );
    let mut points = Vec::new();
    for day in 1..=days {
        let due = started + Duration::from_secs_f64(f64::from(day) * DAY_SECS / scale);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let rss = rss_mb(pid);
        let (alerts, remediations, finals) = Journal::open(&journal_path)
            .and_then(|j| j.counts())
            .unwrap_or_default();
        let stats = sim_stats(&base);
        let (_, journal_mb) = files_mb(dir.path(), "journal.sqlite");
        let (archives, _) = files_mb(dir.path(), "journal.sqlite.audit-");
        let (_, log_mb) = files_mb(&logs, "remedy");
        points.push((f64::from(day), rss));
        println!(
            "{day:>3}  {rss:>6.1}  {journal_mb:>10.1}  {archives:>8}  {log_mb:>6.1}  {alerts:>6}  {remediations:>12}  \
             {finals:>5}  {:>7}  {:>5}  {:>12}  {:>5.0}  {}",
            stats["alerts_arrived"].as_u64().unwrap_or(0),
            stats["action_posts_total"].as_u64().unwrap_or(0),
            stream.lines.load(Ordering::Relaxed),
            cpu_secs(pid),
            load_average(),
        );
        println!("     engine holds: {}", last_sizes(&logs));
    }
    let settled: Vec<(f64, f64)> = points.iter().copied().filter(|(d, _)| *d > 1.0).collect();
    let peak = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let slope = slope(&settled).map_or_else(
        || "n/a (fewer than two days after the first)".to_string(),
        |mb| format!("{mb:+.2} MB/day"),
    );
    println!(
        "RSS slope after day 1: {slope}; peak {peak:.1} MB (goal: flat after the first day, ≤ 64 MB)"
    );

    let _ = Process::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let code = run.0.wait().map(|s| s.code());
    let _ = reader.join();
    let (log_files, log_mb) = files_mb(&logs, "remedy");
    println!(
        "log: {log_files} files (one per simulated day, `rotate = \"daily\"`), {log_mb:.1} MB"
    );
    println!(
        "remedy run after SIGTERM: exit {code:?}; JSON stream: {} lines, {} snapshots (1 = never fell behind), \
         time-is-simulated notice {}; lines by type: {:?}",
        stream.lines.load(Ordering::Relaxed),
        stream.count("snapshot"),
        if stream.simulated_said.load(Ordering::Relaxed) > 0 {
            "printed"
        } else {
            "MISSING"
        },
        stream.by_type.lock().unwrap_or_else(|p| p.into_inner())
    );
    let mut archives: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    archives.retain(|p| p.to_string_lossy().contains(".audit-"));
    archives.sort();
    let mut verify = Process::new(BIN);
    verify
        .arg("audit")
        .arg("--journal")
        .arg(&journal_path)
        .arg("verify");
    if !archives.is_empty() {
        verify.arg("--archive").args(&archives);
    }
    let verified = verify.output().expect("remedy audit verify runs");
    println!(
        "audit verify over {} archives and the journal: {}",
        archives.len(),
        String::from_utf8_lossy(&verified.stdout).trim()
    );
    drop(sim);
    if std::env::var_os("REMEDY_SOAK_KEEP").is_some() {
        println!("kept: {}", dir.keep().display());
    }
}
