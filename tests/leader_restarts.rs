//! Restart storms: one `remedy run` SIGKILLed at random points and restarted at once, 20 times, under a
//! stream of auto alerts. Each new leader counts the Defender calls its predecessors journaled (reads as well
//! as submissions), so Defender never refuses one for quota and no action is submitted twice.

mod cli_common;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use cli_common::headless_config;
use common::{AUTO_POLICY, PROFILES, posts, quiet_scenario, start_sim_with};
use remedy::sim::SimHandle;

const RESTARTS: usize = 20;
/// Simulated time runs this much faster: the simulator's hour of Defender quota lasts 60 s.
const TIME_SCALE: f64 = 60.0;
/// Calls per Defender API the simulator allows per simulated hour (a wall minute), and the client-side
/// budget per minute remedy is configured with: a leader that forgot its predecessors' calls would exceed it.
const CALLS_PER_WINDOW: u32 = 30;

fn write_config(dir: &Path, sim: &SimHandle) -> PathBuf {
    let extra = "[guards]\nmax_machines_per_alert = 100\nmax_machines_per_hour = 100000\n";
    let path = headless_config(
        dir,
        &sim.base_url(),
        AUTO_POLICY,
        "lease_seconds = 3",
        extra,
    );
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "[defender]\n",
        &format!("[defender]\ncalls_per_minute = {CALLS_PER_WINDOW}\n"),
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn start(dir: &Path, config: &Path) -> Child {
    Process::new(env!("CARGO_BIN_EXE_remedy"))
        .args(["--config", config.to_str().unwrap(), "run"])
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("REMEDY_CRASH_AT")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_restarts_of_the_leader_under_load_never_exceed_defenders_quota() {
    for profile in PROFILES {
        let mut scenario = quiet_scenario(TIME_SCALE);
        scenario.arrivals.policies = vec![AUTO_POLICY.to_string()];
        scenario.quotas.mde_per_hour = CALLS_PER_WINDOW;
        let sim = start_sim_with(scenario, profile).await;
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &sim);
        let started = Instant::now();
        let mut run = start(dir.path(), &config);
        for _ in 0..RESTARTS {
            // Random points: during start-up, while waiting for the killed one's lease, or while leading.
            std::thread::sleep(Duration::from_millis(200 + rand::random::<u64>() % 1800));
            sim.arrive();
            sim.arrive();
            kill(run);
            run = start(dir.path(), &config);
        }
        std::thread::sleep(Duration::from_secs(4));
        kill(run);
        let stats = sim.stats();
        let (total, duplicates) = posts(&sim);
        let refusals = stats["throttled"].as_u64().unwrap_or(0);
        let journal = remedy::store::Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let takes = journal.lease().unwrap().map_or(0, |lease| lease.fence);
        eprintln!(
            "{profile:?}: {RESTARTS} restarts in {:?}, {takes} leaderships: {total} POSTs, {duplicates} \
             duplicates, {refusals} quota refusals ({:?})",
            started.elapsed(),
            stats["throttled_by_service"]
        );
        assert!(total > 0, "{profile:?}: the leaders sent actions");
        assert!(takes >= 3, "{profile:?}: several leaders took over");
        assert_eq!(duplicates, 0, "{profile:?}: no action submitted twice");
        assert_eq!(
            refusals, 0,
            "{profile:?}: Defender never refused a call for quota"
        );
        sim.shutdown().await;
    }
}

/// The journal keeps each Defender call's time and key for the next leader, and forgets calls older than
/// any quota window when it records a new one.
#[test]
fn the_journal_keeps_the_spend_of_the_last_window_for_the_next_leader() {
    use chrono::{Duration as Span, TimeZone, Utc};
    use remedy::api::Call;
    let mut journal = remedy::store::Journal::open_in_memory().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
    let forget = |at| at - Span::minutes(61);
    let list = Call::ListMachineActions.key();
    journal.record_spend(&list, t0, forget(t0)).unwrap();
    let scan = Call::RunAntivirusScan.key();
    let later = t0 + Span::minutes(30);
    journal.record_spend(&scan, later, forget(later)).unwrap();
    let spent = journal.spend_since(t0 - Span::hours(1)).unwrap();
    assert_eq!(spent, [(t0, list.clone()), (later, scan.clone())]);
    assert_eq!(
        Call::defender_from_key(&spent[0].1),
        Some(Call::ListMachineActions)
    );
    assert_eq!(
        Call::defender_from_key("ListAlerts"),
        None,
        "not Defender's"
    );
    let much_later = t0 + Span::minutes(62);
    journal
        .record_spend(&list, much_later, forget(much_later))
        .unwrap();
    let spent = journal.spend_since(t0 - Span::hours(1)).unwrap();
    assert_eq!(
        spent,
        [(later, scan), (much_later, list)],
        "the oldest forgotten"
    );
}
