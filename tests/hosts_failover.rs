//! Two hosts on one PostgreSQL journal (separate data directories and host names): one leads; SIGKILL it
//! while it dispatches and the other leads within the lease + 5 s, with nothing sent twice, no quota refused,
//! every remediation final and the audit chain intact. Both simulator profiles.

mod cli_common;
mod common;
mod hosts_common;
mod process_common;

use std::time::{Duration, Instant};

use common::{PROFILES, Profile, pg::pg_database, quiet_scenario, start_sim_with};
use hosts_common::{
    Host, LEASE_SECONDS, holder, open_after, sent_without_intent, sim_counts, until_sending,
};
use process_common::{follows, leads};

fn failover(profile: Profile) {
    // The journal's PostgreSQL client blocks on a runtime of its own: the test is synchronous, the simulator
    // runs on this runtime.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = pg_database("pghosts_failover") else {
        return;
    };
    let sim = runtime.block_on(start_sim_with(quiet_scenario(300.0), profile));
    let (a, b) = (
        Host::new("host-a", &sim, &url),
        Host::new("host-b", &sim, &url),
    );
    let first = a.run();
    let led = first.wait_for(30, leads).expect("host-a leads");
    assert!(holder(&led).starts_with("host-a:"), "{profile:?}: {led}");
    let second = b.run();
    let followed = second.wait_for(30, follows).expect("host-b follows");
    assert!(
        holder(&followed).starts_with("host-a:"),
        "{profile:?}: host-b names its leader: {followed}"
    );

    until_sending(&sim, 30);
    let posts_at_kill = sim_counts(&sim).0;
    first.kill();
    let killed = Instant::now();
    let took_over = second
        .wait_for(LEASE_SECONDS + 5, leads)
        .unwrap_or_else(|| panic!("{profile:?}: host-b leads within the lease + 5 s"));
    let leading_after = killed.elapsed();
    assert!(
        holder(&took_over).starts_with("host-b:"),
        "{profile:?}: {took_over}"
    );
    // Acting: the new leader's first POST (when work was left).
    let mut acting_after = None;
    while killed.elapsed() < Duration::from_secs(LEASE_SECONDS + 15) {
        if sim_counts(&sim).0 > posts_at_kill {
            acting_after = Some(killed.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "{profile:?}: SIGKILL -> host-b leads after {leading_after:?}, first POST of its own after \
         {acting_after:?} (lease {LEASE_SECONDS} s)"
    );

    let open = open_after(&url, 30);
    second.kill();
    let (posts, duplicates, refusals) = sim_counts(&sim);
    let unaccounted = sent_without_intent(&sim, &url);
    let verified = b.audit_verifies();
    let log = b.log_text();
    assert!(
        log.contains("the journal's change feed listens on remedy_journal"),
        "{profile:?}: host-b follows the journal through LISTEN/NOTIFY"
    );
    eprintln!("{profile:?}: {posts} POSTs, {duplicates} duplicates, {refusals} quota refusals");
    if !(open.is_empty() && duplicates == 0 && refusals == 0 && unaccounted.is_empty() && verified)
    {
        let kept = (a.keep(), b.keep());
        panic!(
            "{profile:?}: open {open:?}, {duplicates} duplicates, {refusals} refusals, sent without an \
             intent {unaccounted:?}, audit verified {verified}; kept {kept:?} (database {url})"
        );
    }
    runtime.block_on(sim.shutdown());
}

#[test]
fn a_killed_leader_host_is_replaced_within_the_lease_lenient() {
    failover(PROFILES[0]);
}

#[test]
fn a_killed_leader_host_is_replaced_within_the_lease_strict() {
    failover(PROFILES[1]);
}
