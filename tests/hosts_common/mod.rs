//! Several hosts on one PostgreSQL journal: each host a `remedy run` with its own data directory and host
//! name, the journal read back from the database, the simulator's record of what was sent.

#![allow(dead_code)]

pub mod cluster;

use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use remedy::api::models::defender::MachineAction;
use remedy::engine::RemediationState;
use remedy::sim::SimHandle;
use remedy::store::{Journal, JournalLocation, RemediationRow};

use crate::cli_common::{DEMO_TOKEN, sim_config};
use crate::common::AUTO_POLICY;
use crate::process_common::Run;

/// The lease in these tests: another host takes over at most this long after the leader stopped.
pub const LEASE_SECONDS: u64 = 3;

/// A host: its folder (data directory, config, stderr) and its `remedy run`.
pub struct Host {
    pub name: &'static str,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Host {
    /// A host named `name` whose config points at `sim` and the journal at `url`.
    pub fn new(name: &'static str, sim: &SimHandle, url: &str) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let run = format!(
            "[engine]\npoll_interval_secs = 2\ntrack_interval_secs = 1\nlookback_hours = 72\n\
             [journal]\nurl = \"{url}\"\nlease_seconds = {LEASE_SECONDS}\n\
             [guards]\nmax_machines_per_alert = 100\nmax_machines_per_hour = 100000\n\
             [policies.{AUTO_POLICY}]\nflow = \"antivirus-scan-full\"\nmode = \"auto\"\n"
        );
        let written = sim_config(dir.path(), &sim.base_url(), DEMO_TOKEN, &run);
        let config = dir.path().join("config.toml");
        std::fs::rename(&written, &config).unwrap();
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        Host { name, dir, config }
    }

    /// Starts this host's `remedy run`.
    pub fn run(&self) -> Run {
        Run::start_with(
            self.dir.path(),
            &self.config,
            &[("REMEDY_HOST_NAME", self.name)],
        )
    }

    /// `remedy audit verify` on the host's journal.
    pub fn audit_verifies(&self) -> bool {
        let out = Process::new(env!("CARGO_BIN_EXE_remedy"))
            .args(["--config", self.config.to_str().unwrap(), "audit", "verify"])
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        if !out.status.success() {
            eprintln!(
                "audit verify: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.status.success()
    }

    /// Everything the host's runs logged (the log files under its data directory).
    pub fn log_text(&self) -> String {
        let mut text = String::new();
        let mut dirs = vec![self.dir.path().join("data")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.parent().is_some_and(|p| p.ends_with("logs")) {
                    text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        text
    }

    /// Keeps the host's folder (config, logs, stderr) for diagnosis and returns its path.
    pub fn keep(self) -> PathBuf {
        self.dir.keep()
    }
}

/// The holder a leadership event names (`host:pid`).
pub fn holder(event: &serde_json::Value) -> String {
    event["holder"].as_str().unwrap_or_default().to_string()
}

/// The journal at `url`, opened from this test.
pub fn journal(url: &str) -> Journal {
    Journal::open_location(&JournalLocation::parse(url).unwrap()).unwrap()
}

/// Every remediation of the journal.
pub fn remediations(url: &str) -> Vec<RemediationRow> {
    journal(url)
        .recent_remediations(chrono::Utc::now() - chrono::Duration::days(30))
        .unwrap()
}

/// Remediations not yet final, other than proposals waiting for an analyst.
fn open_remediations(url: &str) -> Vec<(String, RemediationState)> {
    remediations(url)
        .into_iter()
        .filter(|r| !r.state.is_final() && r.state != RemediationState::Proposed)
        .map(|r| (r.id, r.state))
        .collect()
}

/// Waits until every remediation is final (or proposed), for at most `secs` without progress; returns those
/// still open then.
pub fn open_after(url: &str, secs: u64) -> Vec<(String, RemediationState)> {
    let stall = Duration::from_secs(secs);
    let mut last = Vec::new();
    let mut moved = Instant::now();
    loop {
        let open = open_remediations(url);
        if open.is_empty() && !remediations(url).is_empty() {
            return open;
        }
        if open != last {
            last = open;
            moved = Instant::now();
        } else if moved.elapsed() >= stall {
            return open;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Action POSTs the simulator received, duplicates among them, and quota refusals.
pub fn sim_counts(sim: &SimHandle) -> (u64, u64, u64) {
    let stats = sim.stats();
    (
        stats["action_posts_total"].as_u64().unwrap_or(0),
        stats["duplicate_submissions"].as_u64().unwrap_or(0),
        stats["throttled"].as_u64().unwrap_or(0),
    )
}

/// The idempotency keys of the actions the simulator holds that no journaled intent accounts for: each
/// action remedy sent must belong to a remediation whose intent (state past `queued`) was journaled.
pub fn sent_without_intent(sim: &SimHandle, url: &str) -> Vec<String> {
    let rows = remediations(url);
    sim.actions()
        .into_iter()
        .filter_map(|value| serde_json::from_value::<MachineAction>(value).ok())
        .filter_map(|action| action.idempotency_key().map(str::to_string))
        .filter(|key| {
            !rows.iter().any(|row| {
                &row.idempotency_key == key
                    && !matches!(
                        row.state,
                        RemediationState::Approved
                            | RemediationState::Queued
                            | RemediationState::Proposed
                    )
            })
        })
        .collect()
}

/// Waits until the simulator has received a POST, for at most `secs`.
pub fn until_sending(sim: &SimHandle, secs: u64) {
    let started = Instant::now();
    while sim_counts(sim).0 == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "the leader sends"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
