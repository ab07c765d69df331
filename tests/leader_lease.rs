//! The journal's leader lease (take, renew, lapse, fence, release), command rows and the quota a new leader
//! rebuilds, with an injected clock: no sleeps; and the console's status bar naming who leads. The journal's
//! tests run on both backends (PostgreSQL when `REMEDY_TEST_PG_URL` is set, always in CI).

mod common;
mod tui_common;

use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use common::pg;
use remedy::api::{Call, Clients};
use remedy::store::{CommandState, Journal, LeaseHolder, LeaseOutcome, NewCommand, StoreError};
use serde_json::json;

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 10, 42, 0).unwrap()
}

fn holder(name: &str) -> LeaseHolder {
    LeaseHolder {
        name: name.into(),
        token: format!("token-of-{name}"),
    }
}

const TTL: Duration = Duration::seconds(10);

/// A fresh journal on each backend.
fn backends() -> Vec<pg::TestJournal> {
    pg::journals("pgtests_lease")
}

/// Two connections to `backend`'s journal, as two hosts have.
fn shared_journal(backend: &pg::TestJournal) -> (Journal, Journal) {
    (backend.open(), backend.open())
}

#[test]
fn the_first_taker_leads_and_the_other_follows_until_the_lease_lapses() {
    for backend in backends() {
        let (mut a, mut b) = shared_journal(&backend);
        let (ha, hb) = (holder("host:1"), holder("host:2"));
        let LeaseOutcome::Taken(first) = a.acquire_lease(&ha, t0(), TTL).unwrap() else {
            panic!("a free lease is taken");
        };
        assert_eq!(first.fence, 1);
        assert_eq!(first.since, t0());
        match b
            .acquire_lease(&hb, t0() + Duration::seconds(3), TTL)
            .unwrap()
        {
            LeaseOutcome::HeldBy(lease) => {
                assert_eq!(lease.holder, "host:1");
                assert_eq!(lease.expires_at, t0() + TTL);
            }
            other => panic!("held by a: {other:?}"),
        }
        // The heartbeat renews it: b still cannot take it past the first expiry.
        let renewed = a
            .acquire_lease(&ha, t0() + Duration::seconds(6), TTL)
            .unwrap();
        assert!(matches!(renewed, LeaseOutcome::Renewed(ref l) if l.fence == 1 && l.since == t0()));
        assert!(matches!(
            b.acquire_lease(&hb, t0() + Duration::seconds(12), TTL)
                .unwrap(),
            LeaseOutcome::HeldBy(_)
        ));
        // a stops beating: at the expiry b takes it with a higher fence.
        let lapse = t0() + Duration::seconds(16);
        let LeaseOutcome::Taken(second) = b.acquire_lease(&hb, lapse, TTL).unwrap() else {
            panic!("a lapsed lease is taken");
        };
        assert_eq!(second.fence, 2);
        assert_eq!(second.holder, "host:2");
        // a comes back: it follows.
        assert!(matches!(
            a.acquire_lease(&ha, lapse + Duration::seconds(1), TTL).unwrap(),
            LeaseOutcome::HeldBy(ref l) if l.holder == "host:2"
        ));
    }
}

#[test]
fn a_reused_pid_with_another_token_is_another_holder() {
    for backend in backends() {
        let mut j = backend.open();
        let before = holder("host:7");
        let after = LeaseHolder {
            name: "host:7".into(),
            token: "a new run".into(),
        };
        j.acquire_lease(&before, t0(), TTL).unwrap();
        assert!(matches!(
            j.acquire_lease(&after, t0() + Duration::seconds(1), TTL)
                .unwrap(),
            LeaseOutcome::HeldBy(_)
        ));
    }
}

#[test]
fn a_write_fenced_with_an_old_lease_is_refused() {
    for backend in backends() {
        let (mut a, mut b) = shared_journal(&backend);
        let (ha, hb) = (holder("host:1"), holder("host:2"));
        a.acquire_lease(&ha, t0(), TTL).unwrap();
        a.atomic(|tx| tx.require_lease(&ha, 1, t0() + Duration::seconds(1)))
            .expect("the holder may write");
        b.acquire_lease(&hb, t0() + Duration::seconds(11), TTL)
            .unwrap();
        let stale = a
            .atomic(|tx| tx.require_lease(&ha, 1, t0() + Duration::seconds(12)))
            .unwrap_err();
        assert!(
            matches!(stale, StoreError::LeaseLost { ref holder, fence: 2 } if holder == "host:2"),
            "{stale:?}"
        );
    }
    // Even its own lease, once lapsed, no longer covers a write.
    for backend in backends() {
        let ha = holder("host:1");
        let mut solo = backend.open();
        solo.acquire_lease(&ha, t0(), TTL).unwrap();
        assert!(
            solo.atomic(|tx| tx.require_lease(&ha, 1, t0() + TTL))
                .is_err(),
            "{}",
            backend.backend()
        );
    }
}

#[test]
fn a_released_lease_is_taken_at_once() {
    for backend in backends() {
        let (mut a, mut b) = shared_journal(&backend);
        let (ha, hb) = (holder("host:1"), holder("host:2"));
        a.acquire_lease(&ha, t0(), TTL).unwrap();
        assert!(!b.release_lease(&hb, t0()).unwrap(), "not b's to release");
        assert!(a.release_lease(&ha, t0() + Duration::seconds(1)).unwrap());
        let taken = b
            .acquire_lease(&hb, t0() + Duration::seconds(2), TTL)
            .unwrap();
        assert!(matches!(taken, LeaseOutcome::Taken(ref l) if l.fence == 2));
        assert_eq!(b.lease().unwrap().unwrap().holder, "host:2");
    }
}

#[test]
fn only_one_of_four_racing_processes_takes_the_lease() {
    for backend in backends() {
        drop(backend.open());
        let takers: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|n| {
                    let backend = &backend;
                    s.spawn(move || {
                        let mut j = backend.open();
                        let me = holder(&format!("host:{n}"));
                        usize::from(matches!(
                            j.acquire_lease(&me, t0(), TTL).unwrap(),
                            LeaseOutcome::Taken(_)
                        ))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(takers, 1);
    }
}

#[test]
fn command_rows_are_executed_in_order_and_keep_their_outcome() {
    for backend in backends() {
        let (mut follower, mut leader) = shared_journal(&backend);
        let request = |n: i64, what: &str| NewCommand {
            body: json!({"type": "refresh"}),
            who: "alice".into(),
            origin: "host:2".into(),
            summary: what.into(),
            at: t0() + Duration::seconds(n),
        };
        let first = follower.request_command(&request(1, "approve r1")).unwrap();
        let second = follower.request_command(&request(2, "set mode")).unwrap();
        assert!(second > first);
        let pending = leader.pending_commands().unwrap();
        assert_eq!(
            pending.iter().map(|c| c.seq).collect::<Vec<_>>(),
            vec![first, second]
        );
        assert_eq!(pending[0].who, "alice");
        assert_eq!(pending[0].state, CommandState::Pending);
        let at = t0() + Duration::seconds(3);
        leader
            .atomic(|tx| tx.finish_command(first, CommandState::Done, "approved 1", "host:1", at))
            .unwrap();
        leader
            .atomic(|tx| {
                tx.finish_command(
                    second,
                    CommandState::Refused,
                    "read-only: remedy was started with --read-only",
                    "host:1",
                    at,
                )
            })
            .unwrap();
        assert!(
            !leader
                .atomic(|tx| tx.finish_command(first, CommandState::Refused, "again", "host:1", at))
                .unwrap(),
            "a finished command is never finished twice"
        );
        assert!(leader.pending_commands().unwrap().is_empty());
        let finished = follower.finished_commands_after(0).unwrap();
        assert_eq!(finished.len(), 2);
        assert_eq!(finished[0].outcome.as_deref(), Some("approved 1"));
        assert_eq!(finished[1].state, CommandState::Refused);
        assert_eq!(finished[1].done_by.as_deref(), Some("host:1"));
        assert_eq!(follower.last_command_seq().unwrap(), second);
    }
}

#[test]
fn a_new_leader_counts_the_submissions_of_the_last_hour_against_its_quota() {
    let settings = remedy::api::ApiSettings::new(
        "https://contoso.us2.portal.cloudappsecurity.com/",
        remedy::config::Secret::new("t"),
        "contoso",
        "id",
        remedy::config::Secret::new("s"),
    );
    let clients = Clients::new(settings).unwrap();
    let defender = |clients: &Clients| -> Vec<(u32, &'static str)> {
        clients
            .quotas()
            .into_iter()
            .filter(|q| q.service == "defender")
            .map(|q| (q.remaining, q.per))
            .collect()
    };
    assert_eq!(defender(&clients), vec![(100, "min"), (1500, "hour")]);
    // 70 scans in the last minute, 30 more earlier in the hour, one older than the hour.
    let mut ages: Vec<StdDuration> = (0..70).map(|i| StdDuration::from_millis(500 * i)).collect();
    ages.extend((0..30).map(|i| StdDuration::from_secs(120 + 60 * i)));
    ages.push(StdDuration::from_secs(2 * 3600));
    clients.replay_defender_spend(Call::RunAntivirusScan, &ages);
    assert_eq!(defender(&clients), vec![(30, "min"), (1400, "hour")]);
}

#[test]
fn the_status_bar_says_who_leads() {
    use remedy::engine::interface::{Event, Role};
    let mut app = tui_common::app();
    app.apply(tui_common::snapshot());
    app.apply(Event::Leadership {
        role: Role::Follower,
        holder: "soc-box:4242".into(),
        since: t0(),
    });
    let follower = tui_common::screen_text(&mut app, 120, 36);
    assert!(
        follower.contains("follower of soc-box:4242 since"),
        "{follower}"
    );
    // A snapshot (after a resync) keeps it.
    app.apply(tui_common::snapshot());
    assert!(tui_common::screen_text(&mut app, 120, 36).contains("follower of soc-box:4242"));
    app.apply(Event::Leadership {
        role: Role::Leader,
        holder: "this-box:1".into(),
        since: t0(),
    });
    let leader = tui_common::screen_text(&mut app, 120, 36);
    assert!(leader.contains("leader since"), "{leader}");
    assert!(!leader.contains("follower of"), "{leader}");
}
