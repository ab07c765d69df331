//! The real console in a pseudo-terminal: key → screen latency, bytes per update, idle CPU and wakeups.
//!
//! `cargo bench --bench console_latency` (release build). Prints figures; asserts nothing.
//! `REMEDY_BIN=/path/to/remedy` measures another build of the binary (to compare before and after).

mod console_probe;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use console_probe::Probe;

const COLS: u16 = 120;
const ROWS: u16 = 36;
/// Key presses measured (`PRESSES` in the environment overrides).
const PRESSES: usize = 300;
/// How long the quiet console is watched while idle.
const IDLE_WINDOW: Duration = Duration::from_secs(10);
/// The selection marker drawn in column 1 of the alerts pane.
const MARKER: &str = "▶";
/// Words of every remediation state, as the console draws them.
const STATES: [&str; 14] = [
    "proposed",
    "approved",
    "rejected",
    "expired",
    "queued",
    "submitted",
    "attached",
    "skipped",
    "Pending",
    "InProgress",
    "Succeeded",
    "Failed",
    "TimeOut",
    "Cancelled",
];
/// Words that mean something is still in flight.
const IN_FLIGHT: [&str; 6] = [
    "queued",
    "submitted",
    "attached",
    "Pending",
    "InProgress",
    "running",
];

fn main() {
    println!("console_latency: binary {}", program());
    println!("terminal {COLS}x{ROWS}\n");
    let demo_home = tempfile::tempdir().expect("a temp dir");
    let probe = start(demo_home.path(), &["demo"]);
    println!("== remedy demo (built-in scenario, arrivals on)");
    key_latency(&probe);
    drop(probe);

    let quiet_home = tempfile::tempdir().expect("a temp dir");
    let scenario = quiet_scenario(quiet_home.path());
    let probe = start(
        quiet_home.path(),
        &["demo", "--scenario", scenario.to_str().expect("utf-8 path")],
    );
    println!("\n== remedy demo --scenario <arrivals off, short actions>");
    let since = Instant::now();
    let settled = settle(&probe);
    print_frames("from alerts shown until settled", &probe, since, settled);
    idle(&probe);
    key_latency(&probe);
}

/// Starts `remedy args…` with its own data and config directories and waits for the alerts.
fn start(home: &Path, args: &[&str]) -> Probe {
    let data = home.join("data");
    let probe = Probe::spawn(
        &program(),
        args,
        &[
            ("XDG_DATA_HOME", data.to_str().expect("utf-8 path")),
            ("XDG_CONFIG_HOME", home.to_str().expect("utf-8 path")),
            ("USER", "bench"),
        ],
        COLS,
        ROWS,
    );
    probe
        .wait_until(Duration::from_secs(30), |s| {
            let text = s.contents();
            text.contains("Impossible") && text.contains("DEMO") && marker_row(s).is_some()
        })
        .expect("the demo shows alerts within 30 s");
    probe
}

/// The binary measured: `REMEDY_BIN`, or this package's release build.
fn program() -> String {
    std::env::var("REMEDY_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_remedy").to_string())
}

/// The demo tenant with arrivals off and actions that finish within seconds, written to `dir`.
fn quiet_scenario(dir: &Path) -> std::path::PathBuf {
    let source = include_str!("../config/demo-scenario.toml");
    let text: String = source
        .replace("[arrivals]\nenabled = true", "[arrivals]\nenabled = false")
        .lines()
        .map(|line| match line.split('=').next().map(str::trim) {
            Some("pending_secs") => "pending_secs = [30.0, 60.0]".to_string(),
            Some("in_progress_secs") => "in_progress_secs = [60.0, 120.0]".to_string(),
            Some("timeout_secs") => "timeout_secs = 150.0".to_string(),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("enabled = false"), "arrivals switched off");
    let path = dir.join("quiet-scenario.toml");
    std::fs::write(&path, text).expect("scenario written");
    path
}

/// The screen row of the alerts pane's selection marker (the first marker from the top).
fn marker_row(screen: &vt100::Screen) -> Option<u16> {
    (0..ROWS).find(|&r| screen.cell(r, 1).is_some_and(|c| c.contents() == MARKER))
}

/// Alternates `j`/`k` at human-like, irregular gaps and times each until the marker has moved.
fn key_latency(probe: &Probe) {
    let presses = std::env::var("PRESSES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(PRESSES);
    let top = probe.with_screen(marker_row).expect("a selected alert");
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut latencies = Vec::with_capacity(presses);
    let mut bytes = Vec::with_capacity(presses);
    let mut missed = 0;
    for _ in 0..presses {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(40 + rng % 100));
        let Some(before) = probe.with_screen(marker_row) else {
            missed += 1;
            continue;
        };
        let (key, expect) = if before <= top {
            ("j", before + 1)
        } else {
            ("k", before - 1)
        };
        let sent = probe.send(key);
        match probe.wait_until(Duration::from_secs(2), |s| marker_row(s) == Some(expect)) {
            Some(seen) => {
                latencies.push(seen - sent);
                std::thread::sleep(Duration::from_millis(10));
                if let Some(frame) = probe.frames_since(sent).first() {
                    bytes.push(frame.bytes);
                }
            }
            None => missed += 1,
        }
    }
    latencies.sort();
    bytes.sort();
    println!(
        "key -> screen: n={} missed={missed} p50={:.2} ms p90={:.2} ms p99={:.2} ms max={:.2} ms",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.90)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 1.0)),
    );
    println!(
        "bytes of the frame a j/k draws: median={} p90={} max={}",
        percentile(&bytes, 0.5),
        percentile(&bytes, 0.9),
        percentile(&bytes, 1.0),
    );
}

/// Waits until work has been in flight on screen and then nothing has been for 5 s (at most 120 s); returns when.
fn settle(probe: &Probe) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen_busy = false;
    let mut calm_since: Option<Instant> = None;
    while Instant::now() < deadline {
        let busy = probe.with_screen(|s| {
            let text = s.contents();
            IN_FLIGHT.iter().any(|w| text.contains(w))
        });
        seen_busy |= busy;
        match (busy || !seen_busy, calm_since) {
            (true, _) => calm_since = None,
            (false, None) => calm_since = Some(Instant::now()),
            (false, Some(t)) if t.elapsed() >= Duration::from_secs(5) => return t,
            (false, Some(_)) => {}
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("(not settled after 120 s; idle figures include in-flight work)");
    Instant::now()
}

/// CPU time, context switches and per-thread switches of `pid`, from `/proc`.
struct Usage {
    cpu_ns: u64,
    switches: u64,
    by_thread: BTreeMap<String, u64>,
}

fn usage(pid: u32) -> Usage {
    let mut total = Usage {
        cpu_ns: 0,
        switches: 0,
        by_thread: BTreeMap::new(),
    };
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc is readable");
    for task in tasks.flatten() {
        let dir = task.path();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        total.cpu_ns += read("schedstat")
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        let switches: u64 = read("status")
            .lines()
            .filter(|l| l.contains("ctxt_switches"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        total.switches += switches;
        *total
            .by_thread
            .entry(read("comm").trim().to_string())
            .or_default() += switches;
    }
    total
}

/// Watches the settled console for `IDLE_WINDOW`: CPU, wakeups and what was drawn.
fn idle(probe: &Probe) {
    let pid = probe.pid();
    let before = usage(pid);
    let since = Instant::now();
    std::thread::sleep(IDLE_WINDOW);
    let after = usage(pid);
    let secs = since.elapsed().as_secs_f64();
    println!(
        "idle {secs:.1} s: cpu {:.2} ms/s, context switches {:.1}/s",
        (after.cpu_ns - before.cpu_ns) as f64 / 1e6 / secs,
        (after.switches - before.switches) as f64 / secs,
    );
    let mut threads: Vec<(String, f64)> = after
        .by_thread
        .iter()
        .map(|(name, n)| {
            let was = before.by_thread.get(name).copied().unwrap_or(0);
            (name.clone(), n.saturating_sub(was) as f64 / secs)
        })
        .filter(|(_, rate)| *rate > 0.0)
        .collect();
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (name, rate) in threads {
        println!("  thread {name:<16} {rate:.1} switches/s");
    }
    print_frames("idle", probe, since, Instant::now());
}

/// Groups the output between `from` and `to` into frames and reports them by what they changed.
fn print_frames(label: &str, probe: &Probe, from: Instant, to: Instant) {
    let frames: Vec<_> = probe
        .frames_since(from)
        .into_iter()
        .filter(|f| f.start < to)
        .collect();
    let mut upto = Vec::with_capacity(frames.len() * 2);
    for frame in &frames {
        upto.push(frame.first_chunk.saturating_sub(1));
        upto.push(frame.last_chunk);
    }
    let screens = probe.replay(&upto);
    let mut classes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (n, frame) in frames.iter().enumerate() {
        let class = classify(&screens[2 * n], &screens[2 * n + 1]);
        classes.entry(class).or_default().push(frame.bytes);
    }
    let secs = to.duration_since(from).as_secs_f64();
    println!(
        "{label}: {} frames in {secs:.1} s ({:.2}/s), {} bytes",
        frames.len(),
        frames.len() as f64 / secs,
        frames.iter().map(|f| f.bytes).sum::<usize>(),
    );
    for (class, mut sizes) in classes {
        sizes.sort();
        println!(
            "  {class:<34} n={:<4} bytes median={} max={}",
            sizes.len(),
            percentile(&sizes, 0.5),
            percentile(&sizes, 1.0),
        );
    }
}

/// What a frame changed on screen.
fn classify(before: &[String], after: &[String]) -> &'static str {
    let changed: Vec<usize> = (0..before.len().min(after.len()))
        .filter(|&r| before[r] != after[r])
        .collect();
    if changed.is_empty() {
        "no visible change"
    } else if state_words(before, &changed) != state_words(after, &changed) {
        "remediation state change"
    } else if changed == [before.len() - 1] {
        "status line only (poll age)"
    } else {
        "ages/spinners only"
    }
}

/// The remediation state words in `rows` at the indices `changed`, sorted.
fn state_words<'a>(rows: &'a [String], changed: &[usize]) -> Vec<&'a str> {
    let mut words: Vec<&str> = changed
        .iter()
        .flat_map(|&r| rows[r].split_whitespace())
        .filter(|w| STATES.contains(w))
        .collect();
    words.sort();
    words
}

fn percentile<T: Copy + Default>(sorted: &[T], q: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
