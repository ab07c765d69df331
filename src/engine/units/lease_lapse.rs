//! A leader whose lease lapsed while it was stalled (frozen, suspended) stops acting and lets a process
//! that waited for the lapse take over first; it takes the lease back only if nobody did.

use std::time::Duration;

use tokio::sync::broadcast;

use super::super::core::Engine;
use crate::store::{LeaseHolder, LeaseOutcome};

use super::harness::{Harness, backends};

const HARNESS_TTL: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn a_stalled_leader_yields_its_lapsed_lease_for_one_heartbeat() {
    for backend in backends() {
        let h = Harness::on(backend).await;
        let mut engine = Engine::new(h.ctx.clone(), broadcast::channel(64).0);
        assert!(engine.leads());
        h.clock.advance(HARNESS_TTL + Duration::from_secs(1));
        engine.heartbeat().await;
        assert!(!engine.leads(), "stopped acting");
        let lease = h.ctx.journal.call(|j| j.lease()).await.expect("read");
        assert_eq!(lease.expect("row").fence, 1, "not taken back at once");

        let other = LeaseHolder {
            name: "host:2".into(),
            token: "other".into(),
        };
        let now = h.ctx.clock.now_utc();
        let ttl = chrono::Duration::from_std(HARNESS_TTL).expect("ttl");
        let taken = h
            .ctx
            .journal
            .call(move |j| j.acquire_lease(&other, now, ttl))
            .await
            .expect("asked");
        assert!(matches!(taken, LeaseOutcome::Taken(ref l) if l.fence == 2));
        engine.heartbeat().await;
        assert!(!engine.leads(), "the other process leads; this one follows");
    }
}

#[tokio::test]
async fn a_stalled_leader_takes_its_lease_back_when_nobody_did() {
    for backend in backends() {
        let h = Harness::on(backend).await;
        let mut engine = Engine::new(h.ctx.clone(), broadcast::channel(64).0);
        h.clock.advance(HARNESS_TTL + Duration::from_secs(1));
        engine.heartbeat().await;
        assert!(!engine.leads());
        engine.heartbeat().await;
        assert!(engine.leads(), "free at the next heartbeat: taken again");
    }
}
