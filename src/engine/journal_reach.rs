//! Whether the journal's database can be reached: every journal call reports it, the engine holds its work
//! while it cannot (nothing leaves without a durable intent), probes with backoff and resumes when it can.

use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::core::Engine;
use super::interface::{Event, Level};

/// The first probe follows a lost connection this soon; each failed probe doubles the wait…
const FIRST_PROBE: Duration = Duration::from_secs(1);
/// …up to this.
const LONGEST_PROBE: Duration = Duration::from_secs(30);

/// What the last journal call found: the database reachable, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Reach {
    #[default]
    Reachable,
    Unreachable(String),
}

/// Where journal calls report whether the database answered (shared by every handle to the writer).
#[derive(Debug, Clone)]
pub struct ReachReport(watch::Sender<Reach>);

impl Default for ReachReport {
    fn default() -> Self {
        ReachReport(watch::Sender::new(Reach::Reachable))
    }
}

impl ReachReport {
    /// A call was answered (or refused for a reason of its own): the database is there.
    pub fn answered(&self) {
        self.0.send_if_modified(|reach| {
            let changed = *reach != Reach::Reachable;
            *reach = Reach::Reachable;
            changed
        });
    }

    /// A call found the database unreachable, for `reason`.
    pub fn unreachable(&self, reason: &str) {
        self.0.send_if_modified(|reach| {
            let changed = matches!(reach, Reach::Reachable);
            if changed {
                *reach = Reach::Unreachable(reason.to_string());
            }
            changed
        });
    }

    /// Tells of every change from now on.
    pub fn subscribe(&self) -> watch::Receiver<Reach> {
        self.0.subscribe()
    }
}

/// An outage as the engine task sees it: since when, why, and when to probe next.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outage {
    since: Instant,
    reason: String,
    wait: Duration,
    next_probe: Instant,
}

/// The engine's view of the journal's reachability (time from the engine's clock).
#[derive(Debug, Default)]
pub(super) struct JournalReach {
    outage: Option<Outage>,
}

impl JournalReach {
    /// Whether the journal is unreachable (the engine holds its work).
    pub fn is_down(&self) -> bool {
        self.outage.is_some()
    }

    /// The database went away at `now`; true when this starts an outage (to be told).
    pub fn lost(&mut self, reason: &str, now: Instant) -> bool {
        if self.outage.is_some() {
            return false;
        }
        self.outage = Some(Outage {
            since: now,
            reason: reason.to_string(),
            wait: FIRST_PROBE,
            next_probe: now + FIRST_PROBE,
        });
        true
    }

    /// Whether a probe is due at `now`; if so, the next one waits twice as long (up to 30 s).
    pub fn probe_due(&mut self, now: Instant) -> bool {
        let Some(outage) = &mut self.outage else {
            return false;
        };
        if now < outage.next_probe {
            return false;
        }
        outage.wait = (outage.wait * 2).min(LONGEST_PROBE);
        outage.next_probe = now + outage.wait;
        true
    }

    /// The database answered at `now`: how long it was unreachable, when it was.
    pub fn back(&mut self, now: Instant) -> Option<Duration> {
        self.outage
            .take()
            .map(|outage| now.saturating_duration_since(outage.since))
    }

    /// Why the journal is unreachable, while it is.
    pub fn reason(&self) -> Option<&str> {
        self.outage.as_ref().map(|o| o.reason.as_str())
    }
}

impl Engine {
    /// A journal call found the database reachable or not: tells it once, holds or resumes the work.
    pub(super) async fn on_journal_reach(&mut self, reach: Reach) {
        self.enter("taking in the journal's reachability");
        let now = self.instant();
        match reach {
            Reach::Unreachable(reason) => {
                if self.reach.lost(&reason, now) {
                    self.emit(Event::JournalUnreachable {
                        reason: reason.clone(),
                        since: self.now(),
                    });
                    self.notice(
                        Level::Error,
                        format!(
                            "journal unreachable: {reason}; nothing is polled or sent until it is back \
                             (no intent can be written), retrying"
                        ),
                    );
                }
            }
            Reach::Reachable => {
                let Some(down) = self.reach.back(now) else {
                    return;
                };
                self.emit(Event::JournalReachable);
                self.notice(
                    Level::Info,
                    format!(
                        "journal reachable again after {} s: catching up and resuming",
                        down.as_secs()
                    ),
                );
                // Treat the outage as a change: whatever others journaled meanwhile is read now.
                if self.leads() {
                    self.catch_up().await;
                }
                self.on_journal_changed().await;
                self.pump_dispatch();
            }
        }
    }

    /// Whether this process leads and can reach the journal: it polls and tracks only then.
    pub(super) fn acts(&self) -> bool {
        self.leads() && !self.reach.is_down()
    }

    /// Every second: the change counter is read, or, while the journal is unreachable, it is probed.
    pub(super) async fn journal_tick(&mut self) {
        self.tell_journal_behind();
        if self.reach.is_down() {
            self.probe_journal().await;
        } else {
            self.watch_journal().await;
        }
    }

    /// Says when the journal's queue filled (callers wait for room) and when it emptied again.
    fn tell_journal_behind(&mut self) {
        let (behind, capacity) = self.ctx.journal.behind();
        if let Some(text) = self.journal_behind.on(behind, capacity) {
            let level = if behind >= capacity {
                Level::Warn
            } else {
                Level::Info
            };
            self.notice(level, text);
        }
    }

    /// While the journal is unreachable, asks it again when the backoff says so (the answer, either way,
    /// comes back through [`Engine::on_journal_reach`]).
    pub(super) async fn probe_journal(&mut self) {
        if !self.reach.probe_due(self.instant()) {
            return;
        }
        self.enter("probing the unreachable journal");
        if let Err(e) = self.ctx.journal.call(|j| j.data_version()).await {
            tracing::warn!(
                reason = self.reach.reason().unwrap_or_default(),
                "journal still unreachable: {e}"
            );
        }
    }
}
