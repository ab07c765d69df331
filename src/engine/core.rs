//! The engine task: owns engine state, reacts to commands, timers and finished work, emits events.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use tokio::sync::{broadcast, mpsc};

use crate::api::ApiError;
use crate::store::RemediationRow;

use super::budgets::Budgets;
use super::clock::Clock;
use super::interface::{Event, Level, Mode, QuotaView, RemediationState, Resolution, Service};
use super::journal::JournalHandle;
use super::provider::ActionProvider;
use super::resolve::Resolved;
use super::settings::EngineSettings;
use super::source::AlertSource;

/// Alerts with waiting proposals are re-checked (closed in the portal?) on every this many polls.
pub(super) const RECHECK_EVERY: u64 = 6;

/// What spawned work reports back to the engine task.
pub(super) enum Internal {
    Polled(Result<super::intake::PollOutcome, ApiError>),
    Policies(Result<Vec<super::source::SourcePolicy>, ApiError>),
    Resolved {
        alert_id: String,
        subject: super::evidence::Subject,
        mode: Mode,
        result: Result<Resolved, ApiError>,
    },
    /// Journal rows after a change: the truth the engine mirrors.
    Rows(Vec<RemediationRow>),
    DispatchDone {
        machine_id: String,
    },
    TrackDone,
    AlertResolution {
        alert_id: String,
        resolution: Resolution,
    },
    AlertRead {
        alert_id: String,
    },
    /// A close call ended (its outcome came as a notice, and a resolution when it closed).
    CloseDone {
        alert_id: String,
    },
    Notice(Level, String),
}

/// What spawned tasks share: the seams (alert source, action provider, clock), the journal, settings
/// and the way back.
#[derive(Clone)]
pub(super) struct Ctx {
    pub source: Arc<dyn AlertSource>,
    pub provider: Arc<dyn ActionProvider>,
    pub clock: Arc<dyn Clock>,
    pub budgets: Arc<dyn Budgets>,
    pub journal: JournalHandle,
    pub settings: Arc<EngineSettings>,
    pub internal: mpsc::UnboundedSender<Internal>,
    /// This process's lease on the journal: only its holder acts.
    pub lease: Arc<super::leader::LeaseState>,
    /// Defender's list-actions budget, shared between tracking and dispatch.
    pub reads: Arc<super::read_share::ReadShare>,
}

impl Ctx {
    pub fn report(&self, message: Internal) {
        let _ = self.internal.send(message);
    }

    pub fn notice(&self, level: Level, text: impl Into<String>) {
        self.report(Internal::Notice(level, text.into()));
    }
}

/// Engine state, owned by the engine task alone.
pub(super) struct Engine {
    /// The seams, the journal, settings and the way back, shared with spawned work.
    pub(super) ctx: Ctx,
    /// The way to front ends.
    pub(super) events: broadcast::Sender<Event>,
    /// Alerts in memory, as shown.
    pub(super) alerts: super::alert_book::AlertBook,
    /// Alerts whose machines were resolved (or are being resolved) and planned.
    pub(super) planned: super::planned::Planned,
    /// Policies as shown (binding, mode, warning) and the modes set live.
    pub(super) policies: super::policies::Policies,
    /// Remediations in memory, mirroring the journal's rows.
    pub(super) remediations: super::mirror::Mirror,
    /// Intake: watermarks, the poll job and count, the journal hold, alerts to reconsider.
    pub(super) intake: super::intake_state::Intake,
    /// Resolving: each alert's exact subject, recent answers, resolve retries.
    pub(super) resolver: super::resolver::Resolver,
    /// Closing: alerts whose closing was decided, close calls under way.
    pub(super) closer: super::closer::Closer,
    /// The quotas last told to front ends.
    last_quota: Vec<QuotaView>,
    /// The journal's change counter when modes were last reloaded (see `watch_journal`).
    pub(super) journal_watch: super::modes::JournalWatch,
    /// Dispatch: machines being dispatched, their backoff, read form and reserved room.
    pub(super) dispatcher: super::dispatcher::Dispatcher,
    /// Tracking: rounds, crash recovery, retry waits and query forms.
    pub(super) tracker: super::tracker::Tracker,
    /// What each approved remediation waits for, as last told to front ends.
    pub(super) waits: super::wait::WaitBoard,
    /// Set on shutdown: nothing new is polled or sent; submissions in flight finish and are journaled.
    pub(super) draining: bool,
    /// How far a follower has caught up with the journal.
    pub(super) follow: super::follower::FollowState,
    /// Each alert in memory as last known across sources.
    pub(super) known: super::known_alerts::KnownAlerts,
    /// What polls taught about policies and detectors, for binding warnings.
    pub(super) succession: super::succession_watch::SuccessionState,
    /// Whether the journal's database can be reached (the work holds while it cannot).
    pub(super) reach: super::journal_reach::JournalReach,
    /// Whether front ends were told the journal's queue is full.
    pub(super) journal_behind: super::journal_queue::BehindNotice,
}

impl Engine {
    pub fn new(ctx: Ctx, events: broadcast::Sender<Event>) -> Engine {
        let started = ctx.clock.now_utc();
        Engine {
            resolver: super::resolver::Resolver::new(ctx.provider.lookup_form()),
            ctx,
            events,
            alerts: super::alert_book::AlertBook::default(),
            planned: super::planned::Planned::default(),
            policies: super::policies::Policies::default(),
            remediations: super::mirror::Mirror::default(),
            intake: super::intake_state::Intake::default(),
            closer: super::closer::Closer::default(),
            last_quota: Vec::new(),
            journal_watch: super::modes::JournalWatch::default(),
            dispatcher: super::dispatcher::Dispatcher::default(),
            tracker: super::tracker::Tracker::default(),
            waits: super::wait::WaitBoard::default(),
            draining: false,
            follow: super::follower::FollowState::new(started),
            known: Default::default(),
            succession: Default::default(),
            reach: Default::default(),
            journal_behind: Default::default(),
        }
    }

    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.ctx.clock.now_utc()
    }

    pub fn instant(&self) -> Instant {
        self.ctx.clock.now_instant()
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.ctx.settings
    }

    pub fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub fn notice(&self, level: Level, text: impl Into<String>) {
        let text = text.into();
        match level {
            Level::Error => tracing::error!("{text}"),
            Level::Warn => tracing::warn!("{text}"),
            Level::Info => tracing::info!("{text}"),
        }
        self.emit(Event::Notice { level, text });
    }

    /// The current mode of a policy: journal (set live) over config; `off` when unbound.
    pub fn mode_of(&self, policy_id: &str) -> Mode {
        self.policies.live_mode(policy_id).unwrap_or_else(|| {
            self.settings()
                .bindings
                .get(policy_id)
                .map(|b| b.mode)
                .unwrap_or(Mode::Off)
        })
    }

    pub fn snapshot(&self) -> Event {
        let now = self.now();
        let mut remediations: Vec<_> = self
            .remediations
            .rows()
            .map(|row| self.view_of(row, now))
            .collect();
        remediations.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.step.cmp(&b.step)));
        Event::Snapshot {
            alerts: self.alerts.views().cloned().collect(),
            policies: self.policies.views().cloned().collect(),
            remediations,
            read_only: self.settings().read_only,
            demo: self.settings().demo,
            operator: self.settings().operator.clone(),
        }
    }

    /// Mirrors journal rows and tells front ends; follows up on what a change makes possible.
    pub async fn apply_rows(&mut self, rows: Vec<RemediationRow>) {
        let now = self.now();
        let mut touched_alerts = HashSet::new();
        for row in rows {
            if !self.remediations.apply(&row) {
                continue;
            }
            touched_alerts.insert(row.alert_id.clone());
            self.waits.forget(&row.id);
            self.emit(Event::RemediationChanged(Box::new(self.view_of(&row, now))));
        }
        for alert_id in touched_alerts {
            self.maybe_close_alert(&alert_id);
        }
        self.pump_dispatch();
    }

    pub fn remediation_state(row: &RemediationRow) -> RemediationState {
        row.state
    }

    pub fn emit_quota(&mut self) {
        let quotas: Vec<QuotaView> = self
            .ctx
            .budgets
            .quotas()
            .into_iter()
            .map(|q| QuotaView {
                service: match q.service {
                    "cas" => Service::Cas,
                    "graph" => Service::Graph,
                    _ => Service::Defender,
                },
                remaining: q.remaining,
                limit: q.limit,
                per: q.per.to_string(),
            })
            .collect();
        if quotas != self.last_quota {
            self.last_quota = quotas.clone();
            self.emit(Event::Quota { quotas });
        }
    }
}
