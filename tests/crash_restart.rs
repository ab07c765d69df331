//! Kills `remedy run` (SIGKILL) at each point of dispatch, restarts it, and checks with the simulator's own
//! record that every remediation ends final with no action submitted twice and none lost. On SQLite under both
//! profiles, and on PostgreSQL (when `REMEDY_TEST_PG_URL` is set, always in CI) under the strict one.

mod cli_common;
mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_common::headless_config_at;
use common::{AUTO_POLICY, Profile, journals_for, pg, posts, quiet_scenario, start_sim_with};
use remedy::sim::SimHandle;

fn write_config(backend: &pg::TestJournal, sim: &SimHandle) -> std::path::PathBuf {
    let journal = format!("{}\nlease_seconds = 3", backend.config_line());
    headless_config_at(
        backend.dir.path(),
        &sim.base_url(),
        AUTO_POLICY,
        &journal,
        "",
    )
}

fn run(dir: &Path, config: &Path, crash_at: Option<&str>) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_remedy"));
    cmd.args(["--config", config.to_str().unwrap(), "run"])
        .env("XDG_DATA_HOME", dir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match crash_at {
        Some(point) => cmd.env("REMEDY_CRASH_AT", point),
        None => cmd.env_remove("REMEDY_CRASH_AT"),
    };
    cmd.spawn().unwrap()
}

/// The child's exit status once it exits, or `None` (and the child killed) after `secs` seconds.
fn exit_within(child: &mut Child, secs: u64) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Reads events until every remediation is final and nothing changed for two seconds.
fn settle(child: &mut Child, secs: u64) -> HashMap<String, String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let finals = [
        "rejected",
        "expired",
        "skipped",
        "Succeeded",
        "Failed",
        "TimeOut",
        "Cancelled",
    ];
    let mut states: HashMap<String, String> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut quiet_since = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let event: serde_json::Value = serde_json::from_str(&line).unwrap();
                let mut absorb = |r: &serde_json::Value| {
                    states.insert(
                        r["id"].as_str().unwrap().to_string(),
                        r["state"].as_str().unwrap().to_string(),
                    );
                };
                match event["type"].as_str() {
                    Some("remediation_changed") => absorb(&event),
                    Some("snapshot") => event["remediations"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .for_each(absorb),
                    _ => {}
                }
                quiet_since = Instant::now();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let all_final = !states.is_empty() && states.values().all(|s| finals.contains(&s.as_str()));
        if all_final && quiet_since.elapsed() > Duration::from_secs(2) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not settled in {secs} s: {states:?}"
        );
    }
    states
}

async fn crash_then_restart(point: &str, profile: Profile) {
    for backend in journals_for(profile, "pgtests_crash_restart") {
        crash_then_restart_on(point, profile, &backend).await;
    }
}

async fn crash_then_restart_on(point: &str, profile: Profile, backend: &pg::TestJournal) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = &backend.dir;
    let config = write_config(backend, &sim);
    let on = backend.backend();

    let point_owned = point.to_string();
    let dir_path = dir.path().to_path_buf();
    let config_path = config.clone();
    let crashed = tokio::task::spawn_blocking(move || {
        let mut child = run(&dir_path, &config_path, Some(&point_owned));
        exit_within(&mut child, 90)
    })
    .await
    .unwrap();
    let crashed = crashed.unwrap_or_else(|| {
        panic!("the first run never reached the crash point {point} in 90 s ({profile:?} on {on})")
    });
    assert!(!crashed.success(), "the first run died at {point}");
    let posts_at_crash = posts(&sim).0;

    let dir_path = dir.path().to_path_buf();
    let states = tokio::task::spawn_blocking(move || {
        let mut child = run(&dir_path, &config, None);
        let states = settle(&mut child, 90);
        let _ = child.kill();
        let _ = child.wait();
        states
    })
    .await
    .unwrap();

    let (total, duplicates) = posts(&sim);
    assert_eq!(
        duplicates, 0,
        "after a crash at {point} ({profile:?} on {on}), no action was submitted twice"
    );
    let sent: usize = states
        .values()
        .filter(|s| !matches!(s.as_str(), "rejected" | "expired" | "skipped"))
        .count();
    assert_eq!(
        total as usize, sent,
        "one POST per remediation that left ({point}, {profile:?} on {on}); {posts_at_crash} before the crash; {states:?}"
    );
    let journal = backend.open();
    let open = journal
        .remediations_in_states(
            &remedy::lifecycle::RemediationState::ALL
                .into_iter()
                .filter(|s| !s.is_final())
                .collect::<Vec<_>>(),
        )
        .unwrap();
    assert!(
        open.is_empty(),
        "every remediation is final in the journal ({profile:?} on {on}): {open:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_intent_before_the_post_lenient() {
    crash_then_restart("before_post", Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_intent_before_the_post_strict() {
    crash_then_restart("before_post", Profile::Strict).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_post_before_its_answer_is_journaled_lenient() {
    crash_then_restart("after_post", Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_the_post_before_its_answer_is_journaled_strict() {
    crash_then_restart("after_post", Profile::Strict).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_tracking_lenient() {
    crash_then_restart("tracking", Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_tracking_strict() {
    crash_then_restart("tracking", Profile::Strict).await;
}
