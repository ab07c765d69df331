//! The journal's database stops for 20 s while the leader dispatches (a private cluster, stopped fast): the
//! leader says "journal unreachable", sends nothing without a durable intent, and once the database is back
//! everything completes, nothing twice. Both simulator profiles.

mod cli_common;
mod common;
mod hosts_common;
mod process_common;

use std::time::{Duration, Instant};

use common::{Profile, quiet_scenario, start_sim_with};
use hosts_common::cluster::Cluster;
use hosts_common::{
    Host, LEASE_SECONDS, open_after, sent_without_intent, sim_counts, until_sending,
};
use process_common::leads;

/// How long the database stays down.
const OUTAGE: Duration = Duration::from_secs(20);

fn notice_says(event: &serde_json::Value, words: &str) -> bool {
    event["type"] == "notice" && event["text"].as_str().is_some_and(|t| t.contains(words))
}

fn outage(profile: Profile) {
    // The journal's PostgreSQL client blocks on a runtime of its own: the test is synchronous, the simulator
    // runs on this runtime.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.url();
    let sim = runtime.block_on(start_sim_with(quiet_scenario(300.0), profile));
    let host = Host::new("host-a", &sim, &url);
    let run = host.run();
    assert!(
        run.wait_for(30, leads).is_some(),
        "{profile:?}: host-a leads"
    );
    until_sending(&sim, 30);

    cluster.stop();
    let stopped = Instant::now();
    let told = run
        .wait_for(10, |e| notice_says(e, "journal unreachable"))
        .unwrap_or_else(|| panic!("{profile:?}: the JSON stream says the journal is unreachable"));
    eprintln!(
        "{profile:?}: told after {:?}: {}",
        stopped.elapsed(),
        told["text"]
    );
    // POSTs whose intents were durable before the stop may still leave while their lease lasts; after that
    // nothing leaves until the database is back.
    std::thread::sleep(Duration::from_secs(LEASE_SECONDS + 3));
    let posts_settled = sim_counts(&sim).0;
    std::thread::sleep(OUTAGE.saturating_sub(stopped.elapsed()));
    let posts_before_return = sim_counts(&sim).0;
    cluster.restart();
    let back = Instant::now();
    let resumed = run.wait_for(30, |e| notice_says(e, "journal reachable again"));
    eprintln!(
        "{profile:?}: database down {:?}; POSTs {posts_settled} -> {posts_before_return} while down; \
         reachable again told after {:?}",
        back.duration_since(stopped),
        resumed.as_ref().map(|_| back.elapsed())
    );
    let open = open_after(&url, 30);
    run.kill();
    let (posts, duplicates, refusals) = sim_counts(&sim);
    let unaccounted = sent_without_intent(&sim, &url);
    let verified = host.audit_verifies();
    eprintln!("{profile:?}: {posts} POSTs, {duplicates} duplicates, {refusals} quota refusals");
    let ok = posts_before_return == posts_settled
        && resumed.is_some()
        && open.is_empty()
        && duplicates == 0
        && unaccounted.is_empty()
        && verified;
    if !ok {
        let kept = host.keep();
        let cluster_dir = cluster.dir().display().to_string();
        std::mem::forget(cluster);
        panic!(
            "{profile:?}: POSTs while down {posts_settled} -> {posts_before_return}, resumed {}, open \
             {open:?}, {duplicates} duplicates, sent without an intent {unaccounted:?}, audit verified \
             {verified}; kept {kept:?} and the cluster in {cluster_dir}",
            resumed.is_some()
        );
    }
    runtime.block_on(sim.shutdown());
}

#[test]
fn a_database_down_for_20_s_holds_dispatch_and_everything_completes_after_lenient() {
    outage(Profile::Lenient);
}

#[test]
fn a_database_down_for_20_s_holds_dispatch_and_everything_completes_after_strict() {
    outage(Profile::Strict);
}
