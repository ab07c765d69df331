//! Several `remedy run` processes on one journal, against the simulator's own counters: one leads, the
//! others follow and forward their commands; killing the leader hands over within the lease plus 5 s, and
//! random kills and restarts never submit an action twice, never exceed Defender's quota, lose nothing.

mod cli_common;
mod common;
mod process_common;
mod stall_common;

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use cli_common::headless_config;
use common::{
    APPROVE_POLICY, AUTO_POLICY, EngineRun, PROFILES, Profile, config_for, fast_settings, posts,
    quiet_scenario, start_sim_with,
};
use process_common::{Run, follows, leads, signal};
use remedy::engine::{Command, Mode, RemediationState};
use remedy::sim::SimHandle;

/// The lease in these tests: a follower takes over at most this long after the leader died.
const LEASE_SECONDS: u64 = 3;

fn write_config(dir: &Path, sim: &SimHandle, approve_too: bool) -> PathBuf {
    let mut extra =
        "[guards]\nmax_machines_per_alert = 100\nmax_machines_per_hour = 100000\n".to_string();
    if approve_too {
        extra.push_str(&format!(
            "[policies.{APPROVE_POLICY}]\nflow = \"antivirus-scan-full\"\nmode = \"approve\"\n"
        ));
    }
    let journal = format!("lease_seconds = {LEASE_SECONDS}");
    headless_config(dir, &sim.base_url(), AUTO_POLICY, &journal, &extra)
}

fn journal(dir: &Path) -> PathBuf {
    dir.join("journal.sqlite")
}

/// Remediations of the journal not yet final, other than proposals waiting for an analyst (a guard, such as
/// a protected machine, keeps some auto remediations for approval).
fn open_remediations(dir: &Path) -> Vec<remedy::store::RemediationRow> {
    let journal = remedy::store::Journal::open(&journal(dir)).unwrap();
    let open: Vec<RemediationState> = RemediationState::ALL
        .into_iter()
        .filter(|s| !s.is_final() && *s != RemediationState::Proposed)
        .collect();
    journal.remediations_in_states(&open).unwrap()
}

fn total_remediations(dir: &Path) -> usize {
    let journal = remedy::store::Journal::open(&journal(dir)).unwrap();
    journal
        .recent_remediations(chrono::Utc::now() - chrono::Duration::days(30))
        .unwrap()
        .len()
}

/// Waits (polling the journal file) until every remediation is final or waits for an analyst, for at most
/// `secs` without progress (no open remediation changing state): a large backlog drains at Defender's quota
/// (each dispatch reads the machine's actions first), so only a stall fails. Returns those still open then.
fn open_after(dir: &Path, secs: u64) -> Vec<(String, RemediationState)> {
    let stall = Duration::from_secs(secs);
    let mut last: Vec<(String, RemediationState)> = Vec::new();
    let mut moved = Instant::now();
    loop {
        let open: Vec<_> = open_remediations(dir)
            .into_iter()
            .map(|r| (r.id, r.state))
            .collect();
        if total_remediations(dir) > 0 && open.is_empty() {
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

fn until_all_final(dir: &Path, secs: u64) {
    let open = open_after(dir, secs);
    assert!(
        open.is_empty(),
        "not every remediation final (or proposed), none moved for {secs} s: {open:?}"
    );
}

/// Keeps a failed run's directory (journal, logs) with the simulator's record of actions beside it
/// (`sim-actions.json`), and returns its path for the failure message.
fn keep_for_diagnosis(dir: tempfile::TempDir, sim: &SimHandle) -> PathBuf {
    let kept = dir.keep();
    let actions = serde_json::to_string_pretty(&sim.actions()).unwrap();
    std::fs::write(kept.join("sim-actions.json"), actions).unwrap();
    kept
}

fn audit_verifies(dir: &Path) -> bool {
    Process::new(env!("CARGO_BIN_EXE_remedy"))
        .args([
            "audit",
            "--journal",
            journal(dir).to_str().unwrap(),
            "verify",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

/// A console-like follower in this test process, on the same journal as the `remedy run` leader.
fn follower_engine(sim: &SimHandle, dir: &Path) -> EngineRun {
    let config = config_for(
        sim,
        &[
            (AUTO_POLICY, "antivirus-scan-full", Mode::Auto),
            (APPROVE_POLICY, "antivirus-scan-full", Mode::Approve),
        ],
    );
    let mut settings = fast_settings(&config);
    settings.lease_ttl = Duration::from_secs(LEASE_SECONDS);
    settings.operator = "alice".into();
    EngineRun::start(&config, settings, &journal(dir))
}

async fn raise_alert(sim: &SimHandle) {
    let status = reqwest::Client::new()
        .post(format!("{}/_sim/arrive", sim.base_url()))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "arrive: {status}");
}

/// A follower switches the auto policy off; the leader process sends nothing for alerts raised afterwards.
/// A follower's approval is dispatched by the leader within 2 s.
async fn commands_from_a_follower(profile: Profile) {
    let mut scenario = quiet_scenario(600.0);
    scenario.arrivals.policies = vec![AUTO_POLICY.to_string()];
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sim, true);
    let leader = Run::start(dir.path(), &config);
    let leader = tokio::task::spawn_blocking(move || {
        assert!(
            leader.wait_for(20, leads).is_some(),
            "{profile:?}: the first process leads"
        );
        leader
    })
    .await
    .unwrap();
    let mut follower = follower_engine(&sim, dir.path());
    follower
        .until(
            30,
            "a proposal of the approve policy shown by the follower",
            |r| {
                r.of_policy(APPROVE_POLICY)
                    .iter()
                    .any(|p| p.state == RemediationState::Proposed)
            },
        )
        .await;
    let chosen = follower
        .of_policy(APPROVE_POLICY)
        .into_iter()
        .find(|p| p.state == RemediationState::Proposed)
        .unwrap()
        .id
        .clone();
    let asked = Instant::now();
    follower
        .handle
        .commands()
        .send(Command::Approve {
            remediation_ids: vec![chosen.clone()],
            reason: Some("checked with the user".into()),
        })
        .await
        .unwrap();
    let wanted = chosen.clone();
    let (leader, dispatched) = tokio::task::spawn_blocking(move || {
        let sent = leader.wait_for(10, |e| {
            e["type"] == "remediation_changed"
                && e["id"] == wanted.as_str()
                && matches!(
                    e["state"].as_str(),
                    Some("submitted" | "attached" | "Pending")
                )
        });
        (leader, sent.map(|_| asked.elapsed()))
    })
    .await
    .unwrap();
    let dispatched = dispatched.expect("the leader dispatched the follower's approval");
    eprintln!("{profile:?}: approval in a follower → leader dispatched in {dispatched:?}");
    assert!(
        dispatched <= Duration::from_secs(2),
        "{profile:?}: dispatched {dispatched:?} after the follower's approval"
    );
    follower
        .until(5, "the follower shows the approved action moving", |r| {
            r.remediations
                .get(&chosen)
                .is_some_and(|p| p.state != RemediationState::Proposed)
        })
        .await;

    follower
        .handle
        .commands()
        .send(Command::SetMode {
            policy_id: AUTO_POLICY.into(),
            mode: Mode::Off,
        })
        .await
        .unwrap();
    let leader = tokio::task::spawn_blocking(move || {
        let off = leader.wait_for(5, |e| {
            e["type"] == "policy_changed" && e["id"] == AUTO_POLICY && e["mode"] == "off"
        });
        assert!(
            off.is_some(),
            "{profile:?}: the leader switched the policy off"
        );
        leader
    })
    .await
    .unwrap();
    // Whatever was already under way may still leave; then nothing more.
    let settled = Instant::now() + Duration::from_secs(30);
    while open_remediations(dir.path())
        .iter()
        .any(|r| r.policy_id == AUTO_POLICY)
    {
        assert!(
            Instant::now() < settled,
            "{profile:?}: auto backlog settles"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let before = posts(&sim).0;
    for _ in 0..3 {
        raise_alert(&sim).await;
    }
    let leader = tokio::task::spawn_blocking(move || {
        let mut seen = 0;
        while seen < 3 {
            let noted = leader.wait_for(20, |e| {
                e["type"] == "alert_seen"
                    && e["policy_id"] == AUTO_POLICY
                    && e["note"]
                        .as_str()
                        .is_some_and(|n| n.contains("mode is off"))
            });
            assert!(
                noted.is_some(),
                "{profile:?}: the raised alerts noted as off"
            );
            seen += 1;
        }
        leader
    })
    .await
    .unwrap();
    assert_eq!(
        posts(&sim).0,
        before,
        "{profile:?}: no POST for alerts raised after a follower switched the policy off"
    );
    assert_eq!(posts(&sim).1, 0, "{profile:?}: no duplicate submission");
    leader.kill();
    follower.handle.shutdown().await;
    assert!(
        audit_verifies(dir.path()),
        "{profile:?}: the audit chain verifies"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followers_commands_are_executed_by_the_leader_lenient() {
    commands_from_a_follower(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_followers_commands_are_executed_by_the_leader_strict() {
    commands_from_a_follower(Profile::Strict).await;
}

/// SIGKILL the leader mid-backlog: the follower leads within the lease plus 5 s and finishes the work,
/// with no action submitted twice; then freeze that leader (SIGSTOP): a third takes over, and the frozen
/// one, woken, follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_or_frozen_leader_is_replaced_within_the_lease_and_nothing_is_lost() {
    for profile in PROFILES {
        let sim = start_sim_with(quiet_scenario(300.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &sim, false);
        let (dir_path, sim_posts) = (dir.path().to_path_buf(), || posts(&sim).0);
        let first = Run::start(&dir_path, &config);
        assert!(
            first.wait_for(20, leads).is_some(),
            "{profile:?}: first leads"
        );
        let second = Run::start(&dir_path, &config);
        assert!(
            second.wait_for(20, follows).is_some(),
            "{profile:?}: second follows"
        );
        // Kill the leader once it has started sending.
        let started = Instant::now();
        while sim_posts() == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{profile:?}: the leader sends"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        first.kill();
        let killed = Instant::now();
        assert!(
            second.wait_for(LEASE_SECONDS + 5, leads).is_some(),
            "{profile:?}: the follower leads within the lease + 5 s"
        );
        eprintln!(
            "{profile:?}: failover took {:?} (lease {LEASE_SECONDS} s)",
            killed.elapsed()
        );
        // Freeze the new leader (a paused VM): a third process takes over; woken, the frozen one follows.
        let third = Run::start(&dir_path, &config);
        assert!(
            third.wait_for(20, follows).is_some(),
            "{profile:?}: third follows"
        );
        signal(&second, libc::SIGSTOP);
        // A process frozen inside a journal write keeps SQLite's write lock: nobody can take the lease until
        // it wakes (the README says so). Either way the woken leader must find its lease gone and follow.
        let third_led_while_frozen = third.wait_for(LEASE_SECONDS + 5, leads).is_some();
        signal(&second, libc::SIGCONT);
        if !third_led_while_frozen {
            eprintln!("{profile:?}: frozen inside a write; the third took the lease once it woke");
            assert!(
                third.wait_for(LEASE_SECONDS + 5, leads).is_some(),
                "{profile:?}: the third leads once the frozen leader's write lock is gone"
            );
        }
        assert!(
            second.wait_for(LEASE_SECONDS + 5, follows).is_some(),
            "{profile:?}: the woken leader sees its lease gone and follows"
        );
        until_all_final(&dir_path, 60);
        second.kill();
        third.kill();
        let (total, duplicates) = posts(&sim);
        assert_eq!(duplicates, 0, "{profile:?}: no action submitted twice");
        let journal = remedy::store::Journal::open(&journal(&dir_path)).unwrap();
        let sent = journal
            .recent_remediations(chrono::Utc::now() - chrono::Duration::days(30))
            .unwrap()
            .iter()
            .filter(|r| r.submitted_at.is_some() && r.provider_action_id.is_some())
            .count();
        assert!(
            total as usize <= sent,
            "{profile:?}: {total} POSTs for {sent} sent remediations"
        );
        assert!(
            audit_verifies(&dir_path),
            "{profile:?}: the audit chain verifies"
        );
        sim.shutdown().await;
    }
}

/// Three processes killed and restarted at random, then one run to the end. `REMEDY_CHAOS_PROFILE=lenient`
/// (or `strict`) runs one profile only, for measurement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_of_kills_and_restarts_submits_nothing_twice_and_loses_nothing() {
    let only = std::env::var("REMEDY_CHAOS_PROFILE").ok();
    let chosen = PROFILES.into_iter().filter(|p| {
        only.as_deref()
            .is_none_or(|o| format!("{p:?}").eq_ignore_ascii_case(o))
    });
    for profile in chosen {
        let mut scenario = quiet_scenario(120.0);
        scenario.arrivals.policies = vec![AUTO_POLICY.to_string()];
        let sim = start_sim_with(scenario, profile).await;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &sim, false);
        let dir_path = dir.path().to_path_buf();
        let mut runs: Vec<Option<Run>> = (0..3)
            .map(|_| Some(Run::start(&dir_path, &config)))
            .collect();
        let started = Instant::now();
        let mut kills = 0;
        // 12 s in the suite; `REMEDY_CHAOS_SECS=180` for the three-minute measurement.
        let chaos = std::env::var("REMEDY_CHAOS_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(12);
        while started.elapsed() < Duration::from_secs(chaos) {
            std::thread::sleep(Duration::from_millis(1500 + rand::random::<u64>() % 1500));
            for _ in 0..4 {
                sim.arrive();
            }
            let victim = rand::random::<u64>() as usize % runs.len();
            if let Some(run) = runs[victim].take() {
                run.kill();
                kills += 1;
            }
            for slot in runs.iter_mut().filter(|s| s.is_none()) {
                if rand::random::<bool>() {
                    *slot = Some(Run::start(&dir_path, &config));
                }
            }
        }
        runs.into_iter().flatten().for_each(Run::kill);
        let last = Run::start(&dir_path, &config);
        assert!(
            last.wait_for(LEASE_SECONDS + 10, leads).is_some(),
            "{profile:?}: the last run leads"
        );
        let draining = Instant::now();
        let open = open_after(&dir_path, 60);
        let drained = draining.elapsed();
        if !open.is_empty() {
            // Threads of the live process before it is killed: a stall must say where it waits.
            let mut last = last;
            let exited = last.child.try_wait().ok().flatten();
            let kept = keep_for_diagnosis(dir, &sim);
            let dumped = stall_common::dump_stall(&kept, &[last.child.id()]);
            last.kill();
            panic!(
                "{profile:?}: not every remediation final, none moved for 60 s: {open:?}; the last \
                 run {}; journal, logs and the simulator's actions kept in {} ({dumped})",
                exited.map_or("was still running".to_string(), |s| format!(
                    "had exited: {s}"
                )),
                kept.display()
            );
        }
        last.kill();
        let stats = sim.stats();
        let (total, duplicates) = posts(&sim);
        let refusals = stats["throttled"].as_u64().unwrap_or(0);
        let remediations = total_remediations(&dir_path);
        let proposed = remedy::store::Journal::open(&journal(&dir_path))
            .unwrap()
            .remediations_in_states(&[RemediationState::Proposed])
            .unwrap()
            .len();
        eprintln!(
            "{profile:?}: chaos with {kills} kills: {total} POSTs, {duplicates} duplicates, \
             {refusals} quota refusals, {remediations} remediations all final {drained:?} after the \
             last run led, but {proposed} proposed for an analyst"
        );
        assert_eq!(duplicates, 0, "{profile:?}: no action submitted twice");
        assert_eq!(refusals, 0, "{profile:?}: Defender never refused for quota");
        assert!(
            audit_verifies(&dir_path),
            "{profile:?}: the audit chain verifies"
        );
        sim.shutdown().await;
    }
}
