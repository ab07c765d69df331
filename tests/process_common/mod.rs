//! `remedy run` children for multi-process tests: their JSON events as they come, signals, leadership.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Every run's standard error (a panic's message lands there), appended to one file of the test directory.
pub fn stderr_log(dir: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("stderr.log"))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// A `remedy run` child and its JSON events as they come.
pub struct Run {
    pub child: Child,
    events: mpsc::Receiver<Value>,
}

impl Run {
    /// `remedy run` with `config`, its data directory in `dir`.
    pub fn start(dir: &Path, config: &Path) -> Run {
        Run::start_with(dir, config, &[])
    }

    /// [`Run::start`] with further environment variables (a host name standing in for another machine).
    pub fn start_with(dir: &Path, config: &Path, env: &[(&str, &str)]) -> Run {
        let mut child = Process::new(env!("CARGO_BIN_EXE_remedy"))
            .args(["--config", config.to_str().unwrap(), "run"])
            .env("XDG_DATA_HOME", dir.join("data"))
            .env_remove("REMEDY_CRASH_AT")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr_log(dir))
            .spawn()
            .unwrap();
        let (tx, events) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Ok(event) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if tx.send(event).is_err() {
                    return;
                }
            }
        });
        Run { child, events }
    }

    /// Waits up to `secs` for an event `wanted` accepts; `None` when none came.
    pub fn wait_for(&self, secs: u64, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        self.wait_for_duration(Duration::from_secs(secs), wanted)
    }

    /// [`Run::wait_for`] with a finer deadline.
    pub fn wait_for_duration(
        &self,
        within: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.events.recv_timeout(left) {
                Ok(event) if wanted(&event) => return Some(event),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn signal(run: &Run, signal: libc::c_int) {
    // SAFETY: sends a signal to a child this test started and has not reaped.
    let sent = unsafe { libc::kill(run.child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "signal {signal} sent");
}

pub fn leads(event: &Value) -> bool {
    event["type"] == "leadership" && event["role"] == "leader"
}

pub fn follows(event: &Value) -> bool {
    event["type"] == "leadership" && event["role"] == "follower"
}
