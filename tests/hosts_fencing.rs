//! A leader host frozen (SIGSTOP) past its lease: another host leads; woken (SIGCONT), the old leader cannot
//! write (the journal fences it: its lease's fence is gone) and steps down, and nothing is sent twice. Both
//! simulator profiles.

mod cli_common;
mod common;
mod hosts_common;
mod process_common;

use std::time::Duration;

use common::{Profile, pg::pg_database, quiet_scenario, start_sim_with};
use hosts_common::{
    Host, LEASE_SECONDS, holder, journal, open_after, sent_without_intent, sim_counts,
    until_sending,
};
use process_common::{follows, leads, signal};

fn frozen_leader(profile: Profile) {
    // The journal's PostgreSQL client blocks on a runtime of its own: the test is synchronous, the simulator
    // runs on this runtime.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(url) = pg_database("pghosts_fencing") else {
        return;
    };
    let sim = runtime.block_on(start_sim_with(quiet_scenario(300.0), profile));
    let (a, b) = (
        Host::new("host-a", &sim, &url),
        Host::new("host-b", &sim, &url),
    );
    let first = a.run();
    assert!(
        first.wait_for(30, leads).is_some(),
        "{profile:?}: host-a leads"
    );
    let second = b.run();
    assert!(
        second.wait_for(30, follows).is_some(),
        "{profile:?}: host-b follows"
    );
    until_sending(&sim, 30);
    let fence_a = journal(&url).lease().unwrap().expect("a lease row").fence;

    signal(&first, libc::SIGSTOP);
    let took_over = second
        .wait_for(LEASE_SECONDS + 5, leads)
        .unwrap_or_else(|| panic!("{profile:?}: host-b leads while host-a is frozen"));
    assert!(
        holder(&took_over).starts_with("host-b:"),
        "{profile:?}: {took_over}"
    );
    // Past the lease, and a while for host-b to act.
    std::thread::sleep(Duration::from_secs(2));
    let posts_before_wake = sim_counts(&sim).0;
    signal(&first, libc::SIGCONT);
    let stepped_down = first.wait_for(LEASE_SECONDS + 5, follows);
    let lease = journal(&url).lease().unwrap().expect("a lease row");
    eprintln!(
        "{profile:?}: fence {fence_a} -> {} held by {}; host-a woken {}",
        lease.fence,
        lease.holder,
        if stepped_down.is_some() {
            "follows"
        } else {
            "did not say it follows"
        }
    );
    let open = open_after(&url, 30);
    first.kill();
    second.kill();
    let (posts, duplicates, refusals) = sim_counts(&sim);
    let unaccounted = sent_without_intent(&sim, &url);
    let verified = b.audit_verifies();
    eprintln!(
        "{profile:?}: {posts} POSTs ({posts_before_wake} before host-a woke), {duplicates} duplicates, \
         {refusals} quota refusals"
    );
    let ok = stepped_down.is_some()
        && lease.fence > fence_a
        && lease.holder.starts_with("host-b:")
        && open.is_empty()
        && duplicates == 0
        && refusals == 0
        && unaccounted.is_empty()
        && verified;
    if !ok {
        let kept = (a.keep(), b.keep());
        panic!(
            "{profile:?}: host-a stepped down {}, lease {lease:?} (host-a had fence {fence_a}), open {open:?}, \
             {duplicates} duplicates, {refusals} refusals, sent without an intent {unaccounted:?}, audit \
             verified {verified}; kept {kept:?} (database {url})",
            stepped_down.is_some()
        );
    }
    runtime.block_on(sim.shutdown());
}

#[test]
fn a_frozen_leader_host_is_fenced_and_steps_down_lenient() {
    frozen_leader(Profile::Lenient);
}

#[test]
fn a_frozen_leader_host_is_fenced_and_steps_down_strict() {
    frozen_leader(Profile::Strict);
}
