//! Intake's watermark comes only from timestamps the alert service gave: a host clock ahead of the service
//! never hides alerts raised after an empty first poll.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{AUTO_POLICY, PROFILES, Profile, config_for, fast_settings, start_sim_with};
use remedy::api::Clients;
use remedy::engine::{Clock, Event, Mode};
use remedy::sim::Scenario;
use remedy::store::Journal;
use remedy::wiring;

/// The host's clock, `ahead` of the true time (and so of the simulator's).
struct AheadClock {
    ahead: chrono::Duration,
}

impl Clock for AheadClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now() + self.ahead
    }

    fn now_instant(&self) -> Instant {
        Instant::now()
    }
}

async fn an_alert_after_an_empty_first_poll_is_seen(profile: Profile) {
    let mut scenario = Scenario::quiet();
    scenario.alerts.clear();
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Approve)]);
    let mut settings = fast_settings(&config);
    settings.overlap = chrono::Duration::seconds(120);
    settings.lookback = chrono::Duration::hours(24);
    // Far more than twice the overlap, well inside the look-back.
    let clock = Arc::new(AheadClock {
        ahead: chrono::Duration::minutes(30),
    });
    let clients = Clients::new(wiring::api_settings(&config)).expect("clients");
    let journal = Journal::open(&dir.path().join("j.sqlite")).expect("journal opens");
    let handle = remedy::engine::start_with_clock(clients, journal, settings, clock);
    let mut events = handle.subscribe();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut empty_polls = 0;
    while empty_polls < 2 {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(Event::Poll { ok: true, .. })) => empty_polls += 1,
            Ok(Ok(Event::AlertSeen(a))) => {
                panic!("{profile:?}: the tenant has no alerts yet: {a:?}")
            }
            Ok(_) => {}
            Err(_) => panic!("{profile:?}: no two good polls"),
        }
    }
    sim.arrive();
    let seen = loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(Event::AlertSeen(a))) => break a,
            Ok(_) => {}
            Err(_) => panic!(
                "{profile:?}: an alert raised after empty polls was never seen (the watermark came from \
                 the host clock, 30 min ahead)"
            ),
        }
    };
    assert!(!seen.id.is_empty());
    handle.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_clock_ahead_of_the_service_misses_no_alert() {
    for profile in PROFILES {
        an_alert_after_an_empty_first_poll_is_seen(profile).await;
    }
}
