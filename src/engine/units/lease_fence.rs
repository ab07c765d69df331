//! The last check before an action leaves: a leader whose lease ended (by its own clock) after it journaled
//! the intent, because it was frozen or cut off from the journal, does not send; the next leader reconciles.

use tokio::sync::broadcast;

use super::super::interface::RemediationState;
use super::super::leader::Held;

use super::fakes::Kind;
use super::harness::{Harness, backends, start};

#[tokio::test]
async fn a_leader_whose_lease_ended_after_the_intent_does_not_send() {
    for backend in backends() {
        let mut h = Harness::on(backend).await;
        let row = h.approved("m1").await;
        let mut engine = h.engine_with_alert(broadcast::channel(64).0).await;
        // The journal's lease still holds (so the intent is written), but this process's own clock says its lease
        // ended: as after a freeze between the intent and the POST.
        let held = h.ctx.lease.held().expect("leads");
        h.ctx.lease.set_held(Some(Held {
            expires_at: start() - chrono::Duration::seconds(1),
            ..held
        }));
        engine.pump_dispatch();
        h.settle(&mut engine).await;
        assert_eq!(
            h.provider.count(Kind::Submit),
            0,
            "nothing left after the lease ended"
        );
        let row = h.row(&row.id).await;
        assert_eq!(
            row.state,
            RemediationState::Submitted,
            "the intent stays, for the next leader to reconcile"
        );
        assert!(row.provider_action_id.is_none());
    }
}
