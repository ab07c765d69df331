//! The intake component: each source's watermark, the poll count, the journal hold and alerts to reconsider.

use std::collections::HashSet;
use std::time::Instant;

use crate::alert::SourceKind;

use super::job::{Asked, Job};
use super::retry::{JOURNAL_BACKOFF, Retry, jitter_draw};
use super::source::Marks;

/// What intake keeps between polls.
#[derive(Default)]
pub(super) struct Intake {
    /// Per source, the watermark: alerts before it (less the overlap) were journaled. Only the service's own
    /// timestamps set it (the newest alert a poll returned), never the host's clock.
    marks: Marks,
    /// Polls started so far.
    polls: u64,
    /// The poll under way, and whether an analyst's refresh waits for it to end.
    poll: Job,
    /// Set while polled alerts cannot be journaled: the next poll waits for it to be due.
    journal_retry: Option<Retry>,
    /// Alerts to consider again on the next poll (the journal failed while planning them).
    reconsider: HashSet<String>,
}

impl Intake {
    /// The source's watermark (milliseconds since the epoch), once one of its polls was journaled.
    pub fn watermark(&self, source: SourceKind) -> Option<i64> {
        self.marks.get(&source).copied()
    }

    /// A timer's poll: starts only when none runs (the next tick comes anyway); true when it starts now.
    pub fn try_start_poll(&self) -> bool {
        self.poll.try_start()
    }

    /// An analyst's refresh: starts now, or right after the poll under way (queued once, never dropped).
    pub fn request_poll(&self) -> Asked {
        self.poll.request()
    }

    /// The poll ended; true when a queued refresh must start now.
    pub fn finish_poll(&self) -> bool {
        self.poll.finish()
    }

    /// Counts a poll starting; returns how many polls started before it.
    pub fn begin_poll(&mut self) -> u64 {
        let before = self.polls;
        self.polls += 1;
        before
    }

    /// Whether intake waits at `now` for the journal (polled alerts it could not write).
    pub fn held(&self, now: Instant) -> bool {
        self.journal_retry.as_ref().is_some_and(|r| !r.is_due(now))
    }

    /// The journal refused a poll's alerts at `now`: intake holds, with a longer backoff each time.
    pub fn hold(&mut self, now: Instant) -> &Retry {
        let retry = Retry::after_failure(
            self.journal_retry.as_ref(),
            JOURNAL_BACKOFF,
            now,
            jitter_draw(),
            None,
            "the journal refused the write".into(),
        );
        self.journal_retry.insert(retry)
    }

    /// A poll's alerts are journaled: intake holds no more.
    pub fn journaled(&mut self) {
        self.journal_retry = None;
    }

    /// Moves the source's watermark forward to `newest` (never back).
    pub fn advance(&mut self, source: SourceKind, newest: i64) {
        let mark = self.marks.entry(source).or_insert(newest);
        *mark = (*mark).max(newest);
    }

    /// Considers the alert again after the next poll (the journal failed while planning it).
    pub fn reconsider_later(&mut self, alert_id: &str) {
        self.reconsider.insert(alert_id.to_string());
    }

    /// The alerts to consider again, leaving none.
    pub fn take_reconsider(&mut self) -> HashSet<String> {
        std::mem::take(&mut self.reconsider)
    }
}
