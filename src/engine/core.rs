//! The engine task: owns engine state, reacts to commands, timers and finished work, emits events.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use tokio::sync::{broadcast, mpsc};

use crate::api::ApiError;
use crate::store::RemediationRow;

use super::budgets::Budgets;
use super::clock::Clock;
use super::interface::{
    AlertView, Event, Level, Mode, PolicyView, QuotaView, RemediationState, Resolution, Service,
};
use super::job::{Job, KeyedJobs};
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

/// The engine's single-flight jobs.
#[derive(Default)]
pub(super) struct Jobs {
    pub poll: Job,
    /// Alerts with a close call under way.
    pub close: KeyedJobs<String>,
}

/// Engine state, owned by the engine task alone.
pub(super) struct Engine {
    /// The seams, the journal, settings and the way back, shared with spawned work.
    pub(super) ctx: Ctx,
    /// The way to front ends.
    pub(super) events: broadcast::Sender<Event>,
    /// Alerts in memory, as shown.
    pub(super) alerts: BTreeMap<String, AlertView>,
    /// Alerts whose machines were resolved (or are being resolved) and planned.
    pub(super) planned: HashSet<String>,
    /// Policies as shown, with their binding and mode.
    pub(super) policies: BTreeMap<String, PolicyView>,
    /// Policy modes set live (journal), over the config's.
    pub(super) modes: HashMap<String, Mode>,
    /// Remediations in memory, mirroring the journal's rows.
    pub(super) remediations: HashMap<String, RemediationRow>,
    /// Work that runs at most once at a time (polls, closes; dispatch and tracking keep their own).
    pub(super) jobs: Jobs,
    /// Intake: watermarks, poll count, the journal hold, alerts to reconsider.
    pub(super) intake: super::intake_state::Intake,
    /// Resolving: each alert's exact subject, recent answers, resolve retries.
    pub(super) resolver: super::resolver::Resolver,
    /// Alerts whose closing was decided (closed, or left open because a remediation did not succeed).
    pub(super) close_decided: HashSet<String>,
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
}

impl Engine {
    pub fn new(ctx: Ctx, events: broadcast::Sender<Event>) -> Engine {
        let started = ctx.clock.now_utc();
        Engine {
            resolver: super::resolver::Resolver::new(ctx.provider.lookup_form()),
            ctx,
            events,
            alerts: BTreeMap::new(),
            planned: HashSet::new(),
            policies: BTreeMap::new(),
            modes: HashMap::new(),
            remediations: HashMap::new(),
            jobs: Jobs::default(),
            intake: super::intake_state::Intake::default(),
            close_decided: HashSet::new(),
            last_quota: Vec::new(),
            journal_watch: super::modes::JournalWatch::default(),
            dispatcher: super::dispatcher::Dispatcher::default(),
            tracker: super::tracker::Tracker::default(),
            waits: super::wait::WaitBoard::default(),
            draining: false,
            follow: super::follower::FollowState::new(started),
            known: HashMap::new(),
            succession: Default::default(),
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
        self.modes.get(policy_id).copied().unwrap_or_else(|| {
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
            .values()
            .map(|row| self.view_of(row, now))
            .collect();
        remediations.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.step.cmp(&b.step)));
        Event::Snapshot {
            alerts: self.alerts.values().cloned().collect(),
            policies: self.policies.values().cloned().collect(),
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
            let changed = self.remediations.get(&row.id).is_none_or(|old| {
                old.state != row.state
                    || old.updated_at != row.updated_at
                    || old.provider_action_id != row.provider_action_id
            });
            if !changed {
                continue;
            }
            touched_alerts.insert(row.alert_id.clone());
            self.remediations.insert(row.id.clone(), row.clone());
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
