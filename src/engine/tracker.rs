//! The tracker component: owns what tracking keeps (its round, crash recovery, per-action retry waits and
//! query forms) and, asked for a round, follows the open remediations it is handed.

use std::sync::Arc;

use crate::store::RemediationRow;

use super::core::{Ctx, Internal};
use super::interface::Level;
use super::job::Job;
use super::track::{Tracking, track};

/// Tracking: one round at a time; recovery of unsure intents beside it, shared with the round's task.
#[derive(Default)]
pub(super) struct Tracker {
    round: Job,
    recovery: Arc<Job>,
    tracking: Arc<Tracking>,
}

impl Tracker {
    /// Starts a round over `unfinished` unless one runs or there is nothing to follow; true when it started.
    pub fn start_round(&mut self, ctx: &Ctx, unfinished: Vec<RemediationRow>) -> bool {
        if unfinished.is_empty() || !self.round.try_start() {
            return false;
        }
        let ctx = ctx.clone();
        let (tracking, recovery) = (self.tracking.clone(), self.recovery.clone());
        tokio::spawn(async move {
            if let Err(e) = track(&ctx, &tracking, recovery, unfinished).await {
                ctx.notice(Level::Warn, format!("tracking round incomplete: {e}"));
            }
            ctx.report(Internal::TrackDone);
        });
        true
    }

    /// The round ended.
    pub fn round_done(&mut self) {
        self.round.finish();
    }
}
