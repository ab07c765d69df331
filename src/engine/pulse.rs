//! The leader's pulse: when it last renewed its lease and which step the engine task is in, watched from a
//! thread of its own, so a leader that cannot renew says where it is stuck and stops acting.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use super::clock::Clock;
use super::core::{Engine, Internal};
use super::interface::{Command, Event, Level};
use super::journal::WriterActivity;
use super::leader::LeaseState;

/// What the engine task last did, and when the lease was last renewed.
#[derive(Debug)]
struct Beat {
    /// The last take or renewal of the lease while leading.
    renewed_at: Option<Instant>,
    /// The last heartbeat whose renewal the journal refused or could not be reached for.
    refused_at: Option<Instant>,
    step: &'static str,
    step_since: Instant,
    /// The current stall has been told (once per stall).
    told: bool,
    /// The watchdog stepped this leader down: its next heartbeat yields (does not ask for the lease), so a
    /// process that waited for the lapse takes over first, as after any stall.
    yield_beat: bool,
}

/// The engine task's pulse, written by the task, read by the watchdog.
#[derive(Debug)]
pub(super) struct Pulse {
    beat: Mutex<Beat>,
}

/// A leader that has not renewed its lease for longer than the lease lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Stall {
    /// Since the last renewal.
    pub silent: Duration,
    /// The step the engine task is in, and for how long.
    pub step: &'static str,
    pub in_step: Duration,
    /// The engine task is not stuck: its heartbeats ran, and the journal refused them (or was unreachable).
    pub refused: bool,
}

impl Pulse {
    pub fn new(now: Instant) -> Pulse {
        Pulse {
            beat: Mutex::new(Beat {
                renewed_at: None,
                refused_at: None,
                step: "starting",
                step_since: now,
                told: false,
                yield_beat: false,
            }),
        }
    }

    fn beat(&self) -> std::sync::MutexGuard<'_, Beat> {
        self.beat.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The engine task enters `step` at `at`.
    pub fn step(&self, step: &'static str, at: Instant) {
        let mut beat = self.beat();
        beat.step = step;
        beat.step_since = at;
    }

    /// The lease was taken or renewed at `at`. Returns how long the leader was silent when a stall had
    /// been told, so its end is told too.
    pub fn renewed(&self, at: Instant) -> Option<Duration> {
        let mut beat = self.beat();
        let was = beat.renewed_at.replace(at);
        std::mem::take(&mut beat.told)
            .then(|| was.map(|w| at.saturating_duration_since(w)))
            .flatten()
    }

    /// A heartbeat at `at` asked for the lease and the journal refused it or could not be reached.
    pub fn refused(&self, at: Instant) {
        self.beat().refused_at = Some(at);
    }

    /// The stall of a leader whose last renewal is older than `ttl` at `now`, once per stall.
    pub fn check(&self, ttl: Duration, now: Instant) -> Option<Stall> {
        let mut beat = self.beat();
        let renewed_at = beat.renewed_at?;
        let silent = now.saturating_duration_since(renewed_at);
        if silent <= ttl || beat.told {
            return None;
        }
        beat.told = true;
        Some(Stall {
            silent,
            step: beat.step,
            in_step: now.saturating_duration_since(beat.step_since),
            refused: beat.refused_at.is_some_and(|at| at > renewed_at),
        })
    }

    /// Whether the heartbeat yields this beat (the watchdog stepped the leader down since the last one).
    pub fn take_yield(&self) -> bool {
        std::mem::take(&mut self.beat().yield_beat)
    }
}

/// When this process leads but has not renewed its lease for longer than the lease lasts: stops acting
/// (every write only the leader may make is refused from now on), makes its next heartbeat yield, and
/// returns the stall to tell.
pub(super) fn step_down_if_stalled(lease: &LeaseState, now: Instant) -> Option<Stall> {
    lease.held()?;
    let ttl = lease.ttl.to_std().unwrap_or(Duration::from_secs(10));
    let stall = lease.pulse.check(ttl, now)?;
    lease.pulse.beat().yield_beat = true;
    lease.set_held(None);
    Some(stall)
}

/// What the watchdog tells: where the engine task is stuck, and whether the journal writer is inside one
/// write all that time.
pub(super) fn stall_text(stall: &Stall, journal_busy: Option<Duration>) -> String {
    if stall.refused {
        return format!(
            "the lease was not renewed for {} s: the journal refused the renewal or could not be reached \
             (the log says why); this process stopped acting, and asks for the lease again a heartbeat after \
             the journal answers, so a process that waited takes over first",
            stall.silent.as_secs()
        );
    }
    let writer = journal_busy
        .filter(|busy| *busy >= Duration::from_secs(1))
        .map(|busy| {
            format!(
                "; the journal writer has been inside one write for {} s",
                busy.as_secs()
            )
        })
        .unwrap_or_default();
    format!(
        "the lease was not renewed for {} s: the engine is stuck in {} (for {} s){writer}; this process \
         stopped acting, and asks for the lease again a heartbeat after it is unstuck, so a process that \
         waited takes over first",
        stall.silent.as_secs(),
        stall.step,
        stall.in_step.as_secs(),
    )
}

/// Watches the pulse every heartbeat from a thread of its own (it works while the engine's runtime is
/// blocked), until the engine is gone. It holds nothing that keeps the engine or the journal alive.
pub(super) fn watch(
    lease: &Arc<LeaseState>,
    journal: WriterActivity,
    clock: Arc<dyn Clock>,
    events: broadcast::WeakSender<Event>,
) {
    let every = lease.heartbeat_every();
    let lease: Weak<LeaseState> = Arc::downgrade(lease);
    let started = std::thread::Builder::new()
        .name("remedy-pulse".into())
        .spawn(move || {
            loop {
                std::thread::sleep(every);
                let Some(lease) = lease.upgrade() else {
                    return;
                };
                if let Some(stall) = step_down_if_stalled(&lease, clock.now_instant()) {
                    let text = stall_text(&stall, journal.busy_for());
                    tracing::error!("{text}");
                    if let Some(events) = events.upgrade() {
                        let _ = events.send(Event::Notice {
                            level: Level::Error,
                            text,
                        });
                    }
                }
            }
        });
    if let Err(e) = started {
        tracing::warn!("the leader's pulse is not watched (no thread: {e})");
    }
}

/// The step a command puts the engine task in.
pub(super) fn command_step(command: &Command) -> &'static str {
    match command {
        Command::Approve { .. } => "an approval",
        Command::Reject { .. } => "a rejection",
        Command::SetMode { .. } => "a mode change",
        Command::Cancel { .. } => "a cancel",
        Command::CloseAlert { .. } => "closing an alert",
        Command::MarkRead { .. } => "marking an alert read",
        Command::Retry { .. } => "a retry",
        Command::Release { .. } => "a release",
        Command::History { .. } => "reading an alert's history",
        Command::OlderAlerts { .. } => "reading older alerts",
        Command::Refresh => "a refresh",
        Command::Resync => "a snapshot",
    }
}

/// The step a message from spawned work puts the engine task in.
pub(super) fn internal_step(message: &Internal) -> &'static str {
    match message {
        Internal::Polled(_) => "taking in a poll",
        Internal::Policies(_) => "taking in policies",
        Internal::Resolved { .. } => "planning resolved machines",
        Internal::Rows(_) => "applying journal rows",
        Internal::DispatchDone { .. } => "pumping dispatch after a machine's dispatch",
        Internal::TrackDone => "ending a tracking round",
        Internal::AlertResolution { .. } => "taking in an alert's resolution",
        Internal::AlertRead { .. } => "taking in an alert read",
        Internal::CloseDone { .. } => "ending a close call",
        Internal::Notice(..) => "telling a notice",
    }
}

impl Engine {
    /// The engine task enters `step` (what the watchdog names if the lease goes unrenewed).
    pub(super) fn enter(&self, step: &'static str) {
        self.ctx
            .lease
            .pulse
            .step(step, self.ctx.clock.now_instant());
    }

    /// The lease was taken or renewed just now; tells the end of a stall the watchdog told.
    pub(super) fn pulse_renewed(&self) {
        if let Some(silent) = self.ctx.lease.pulse.renewed(self.ctx.clock.now_instant()) {
            self.notice(
                Level::Warn,
                format!(
                    "the lease is renewed again after {} s without a renewal",
                    silent.as_secs()
                ),
            );
        }
    }
}
