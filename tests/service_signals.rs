//! SIGTERM on a real `remedy run`: submissions in flight are answered and journaled, then it exits 0 within
//! a few seconds; `--log stderr` writes the log to standard error (for journald).

mod cli_common;
mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cli_common::headless_config;
use common::{AUTO_POLICY, PROFILES, Profile, quiet_scenario, start_sim_with};
use remedy::lifecycle::RemediationState;
use remedy::sim::SimHandle;

/// Every Defender answer takes this long, so submissions are in flight when SIGTERM arrives.
const DEFENDER_LATENCY_MS: u64 = 1_200;

fn write_config(dir: &Path, sim: &SimHandle) -> PathBuf {
    headless_config(
        dir,
        &sim.base_url(),
        AUTO_POLICY,
        "",
        "[log]\nformat = \"json\"\n",
    )
}

fn spawn_run(dir: &Path, config: &Path) -> Child {
    spawn_run_with(dir, config, &[])
}

fn spawn_run_with(dir: &Path, config: &Path, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_remedy"))
        .envs(env.iter().copied())
        .args([
            "--config",
            config.to_str().unwrap(),
            "--log",
            "stderr",
            "run",
        ])
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("REMEDY_CRASH_AT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Lines of a child's pipe, read on a thread.
fn lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits for the first remediation whose intent is journaled and whose POST is on its way.
fn until_a_submission_is_in_flight(events: &mpsc::Receiver<String>) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Ok(line) = events.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let event: serde_json::Value = serde_json::from_str(&line).unwrap();
        if event["type"] == "remediation_changed" && event["state"] == "queued" {
            return event["id"].as_str().unwrap().to_string();
        }
    }
    panic!("no submission started in 60 s");
}

fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

async fn sigterm_drains_in_flight_submissions(profile: Profile) {
    let mut scenario = quiet_scenario(60.0);
    scenario.faults.service = Some("mde".into());
    scenario.faults.latency_ms = DEFENDER_LATENCY_MS;
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim);
    let dir_path = dir.path().to_path_buf();
    let (in_flight, status, took, log, printed) = tokio::task::spawn_blocking(move || {
        let mut child = spawn_run(&dir_path, &config);
        let events = lines(child.stdout.take().unwrap());
        let log = lines(child.stderr.take().unwrap());
        let in_flight = until_a_submission_is_in_flight(&events);
        let asked = Instant::now();
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        let status = exit_within(&mut child, Duration::from_secs(15));
        let took = asked.elapsed();
        let log: Vec<String> = log.try_iter().collect();
        let printed: Vec<String> = events.try_iter().collect();
        (in_flight, status, took, log, printed)
    })
    .await
    .unwrap();
    let status = status.expect("remedy run exits after SIGTERM");
    assert_eq!(
        status.code(),
        Some(0),
        "a drained shutdown exits 0 ({profile:?})"
    );
    assert!(
        took < Duration::from_secs(8),
        "drained within a few seconds, took {took:?} ({profile:?})"
    );
    let journal = remedy::store::Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let row = journal
        .remediation(&in_flight)
        .unwrap()
        .expect("the remediation is journaled");
    assert_ne!(
        row.state,
        RemediationState::Queued,
        "the submission in flight at SIGTERM was answered and journaled ({profile:?}): {row:?}"
    );
    assert!(
        row.provider_action_id.is_some(),
        "Defender's action id is journaled ({profile:?}): {row:?}"
    );
    let queued = journal
        .remediations_in_states(&[RemediationState::Queued])
        .unwrap();
    assert!(
        queued.is_empty(),
        "nothing left half-sent ({profile:?}): {queued:?}"
    );
    assert!(
        printed.iter().any(|l| {
            let event: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            event["id"] == in_flight.as_str() && event["state"] != "queued"
        }),
        "the answer that came while draining is printed on stdout ({profile:?}): {printed:?}"
    );
    assert!(
        log.iter().any(|l| l.contains("draining before shutdown")),
        "the log on stderr says it drains ({profile:?}): {log:?}"
    );
    assert!(
        log.iter()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "[log] format = json writes JSON lines ({profile:?}): {log:?}"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_in_flight_submissions_then_exits_0() {
    for profile in PROFILES {
        sigterm_drains_in_flight_submissions(profile).await;
    }
}

/// `remedy run` prunes on its own (here right after start instead of a minute later): the old alert and audit
/// entries leave the journal, their archive is next to it, and the chain still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remedy_run_prunes_the_journal_on_its_own() {
    let sim = start_sim_with(quiet_scenario(60.0), Profile::Strict).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim);
    let journal_path = dir.path().join("journal.sqlite");
    let old = chrono::Utc::now() - chrono::Duration::days(400);
    {
        let mut j = remedy::store::Journal::open(&journal_path).unwrap();
        j.record_alert(&remedy::store::AlertRecord {
            id: "ancient".into(),
            policy_id: "p".into(),
            title: "ancient".into(),
            user: String::new(),
            severity: 0,
            resolution: 2,
            timestamp_ms: old.timestamp_millis(),
            raw: serde_json::json!({ "_id": "ancient" }),
            format: remedy::store::RawFormat::CasRest,
            seen_at: old,
        })
        .unwrap();
        for n in 0..3 {
            j.append_audit(&remedy::store::AuditEntry {
                at: old,
                who: "alice".into(),
                action: "set mode".into(),
                target: format!("policy p{n}"),
                why: String::new(),
                result: "ok".into(),
            })
            .unwrap();
        }
    }
    let dir_path = dir.path().to_path_buf();
    let pruned = tokio::task::spawn_blocking(move || {
        let mut child = spawn_run_with(
            &dir_path,
            &config,
            &[("REMEDY_FIRST_PRUNE_AFTER_MS", "200")],
        );
        let log = lines(child.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut pruned = None;
        while pruned.is_none() && Instant::now() < deadline {
            if let Ok(line) = log.recv_timeout(Duration::from_millis(200))
                && line.contains("retention pruned")
            {
                pruned = Some(line);
            }
        }
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
        exit_within(&mut child, Duration::from_secs(15));
        pruned
    })
    .await
    .unwrap();
    let pruned = pruned.expect("remedy run logs its prune within 30 s");
    assert!(
        pruned.contains("1 alerts") && pruned.contains("3 audit entries"),
        "{pruned}"
    );
    let journal = remedy::store::Journal::open(&journal_path).unwrap();
    assert!(journal.alert("ancient").unwrap().is_none());
    let archive = remedy::store::archive_path(&journal_path, 1, 3);
    assert!(
        archive.exists(),
        "the audit entries are archived next to the journal"
    );
    let live = journal.verify_audit().unwrap();
    assert!(live.ok() && live.first_seq == 4, "{live:?}");
    let whole = journal
        .verify_audit_with_archives(None, &[archive])
        .unwrap();
    assert!(whole.ok(), "{whole:?}");
    sim.shutdown().await;
}
