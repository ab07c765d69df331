//! Starts the engine task and gives front ends a handle: commands in, events out.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::{AbortHandle, JoinError, JoinHandle};
use tokio::time::{MissedTickBehavior, interval};

use crate::api::Clients;
use crate::store::Journal;

use super::cas_source::CasSource;
use super::change_feed::{self, Wake};
use super::clock::{Clock, SystemClock};
use super::core::{Ctx, Engine, Internal};
use super::graph_source::GraphSource;
use super::interface::{Command, Event, Level};
use super::journal::JournalHandle;
use super::provider::DefenderProvider;
use super::pulse;
use super::settings::EngineSettings;
use super::source::AlertSource;
use super::sources::Sources;
use super::spend::JournalSpend;
use crate::alert::SourceKind;
use crate::api::models::security::ServiceSource;

/// Events buffered per front end before it is told it fell behind (it then asks for a resync).
const EVENT_BUFFER: usize = 4096;
/// How often the journal's change counter is read, so other processes' changes show within a second.
const JOURNAL_WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How often the audit head is reported (event and log line).
const AUDIT_HEAD_EVERY: std::time::Duration = std::time::Duration::from_secs(300);
/// What approved remediations wait for is re-checked this often (throttling ends, the queue moves).
const WAITS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A running engine: send it commands, subscribe to its events.
pub struct EngineHandle {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
    engine: AbortHandle,
    supervisor: JoinHandle<()>,
    drain: watch::Sender<bool>,
    /// Becomes true once the engine task has ended, however it ended.
    ended: watch::Receiver<bool>,
    /// Kept to give the lease up on shutdown.
    journal: JournalHandle,
    lease: Arc<super::leader::LeaseState>,
    clock: Arc<dyn Clock>,
}

impl EngineHandle {
    /// Whether this process leads the journal now; the answer is shared, so a task can keep asking it.
    pub fn leadership(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let lease = self.lease.clone();
        move || lease.held().is_some()
    }

    /// Where front ends send commands.
    pub fn commands(&self) -> mpsc::Sender<Command> {
        self.commands.clone()
    }

    /// A new event stream; a snapshot follows shortly.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        let receiver = self.events.subscribe();
        let _ = self.commands.try_send(Command::Resync);
        receiver
    }

    /// Stops the engine (work in flight is abandoned; the journal keeps what was written).
    pub async fn shutdown(self) {
        drop(self.commands);
        self.engine.abort();
        let _ = self.supervisor.await;
        super::leader::resign(&self.journal, &self.lease, self.clock.now_utc()).await;
    }

    /// Asks the engine to drain: nothing new is polled or sent; it ends once the submissions in flight are
    /// answered and journaled (events keep flowing meanwhile). See [`EngineHandle::drain`].
    pub fn begin_drain(&self) {
        let _ = self.drain.send(true);
    }

    /// Resolves once the engine task has ended.
    pub async fn ended(&self) {
        let mut ended = self.ended.clone();
        let _ = ended.wait_for(|ended| *ended).await;
    }

    /// Stops the engine gracefully: nothing new is polled or sent, submissions in flight finish and their
    /// answers are journaled, for at most `grace`; whatever is still in flight then is abandoned (its intent is
    /// journaled, so the next start reconciles it with Defender). A drain begun earlier with
    /// [`EngineHandle::begin_drain`] has had its grace: the engine is stopped now unless it already ended.
    /// True when everything finished in time.
    pub async fn drain(self, grace: std::time::Duration) -> bool {
        let begun = *self.drain.borrow();
        self.begin_drain();
        let grace = if begun {
            std::time::Duration::ZERO
        } else {
            grace
        };
        let finished = tokio::time::timeout(grace, self.ended()).await.is_ok();
        if finished {
            super::leader::resign(&self.journal, &self.lease, self.clock.now_utc()).await;
        } else {
            tracing::warn!(
                "submissions still in flight after {} s: abandoned, the next start reconciles them",
                grace.as_secs()
            );
            self.shutdown().await;
        }
        finished
    }
}

/// The alert source `[alerts] sources` asks for: one source, or both as one.
fn alert_source(clients: &Clients, settings: &EngineSettings) -> Arc<dyn AlertSource> {
    let mut sources: Vec<Box<dyn AlertSource>> = Vec::new();
    for kind in &settings.alert_sources {
        match kind {
            SourceKind::Cas => sources.push(Box::new(CasSource(clients.cas.clone()))),
            SourceKind::Graph => sources.push(Box::new(GraphSource {
                client: clients.graph_alerts.clone(),
                service_sources: settings
                    .graph_service_sources
                    .iter()
                    .map(|s| ServiceSource::parse(s))
                    .collect(),
            })),
        }
    }
    match sources.len() {
        0 => Arc::new(CasSource(clients.cas.clone())),
        1 => Arc::from(sources.remove(0)),
        _ => Arc::new(Sources(sources)),
    }
}

/// Starts the engine on the current tokio runtime.
pub fn start(clients: Clients, journal: Journal, settings: EngineSettings) -> EngineHandle {
    start_with_clock(clients, journal, settings, Arc::new(SystemClock))
}

/// [`start`] with another clock: a soak benchmark runs the engine on the simulator's faster time.
pub fn start_with_clock(
    clients: Clients,
    journal: Journal,
    settings: EngineSettings,
    clock: Arc<dyn Clock>,
) -> EngineHandle {
    let (commands, command_rx) = mpsc::channel(256);
    let (events, _) = broadcast::channel(EVENT_BUFFER);
    let (internal, internal_rx) = mpsc::unbounded_channel();
    let (settings_owner, settings_lease_ttl) = (settings.owner.clone(), settings.lease_ttl);
    let reads = Arc::new(super::read_share::ReadShare::at_scale(settings.time_scale));
    let journal = JournalHandle::spawn(journal);
    clients.keep_defender_spend(Arc::new(JournalSpend {
        journal: journal.clone(),
        clock: clock.clone(),
    }));
    let ctx = Ctx {
        source: alert_source(&clients, &settings),
        provider: Arc::new(DefenderProvider {
            defender: clients.defender.clone(),
            graph: clients.graph.clone(),
        }),
        clock,
        budgets: Arc::new(clients),
        journal,
        settings: Arc::new(settings),
        internal,
        lease: Arc::new(super::leader::LeaseState::new(
            &settings_owner,
            settings_lease_ttl,
        )),
        reads,
    };
    let (journal, lease, clock) = (ctx.journal.clone(), ctx.lease.clone(), ctx.clock.clone());
    pulse::watch(
        &lease,
        journal.activity(),
        clock.clone(),
        events.downgrade(),
    );
    let engine = Engine::new(ctx, events.clone());
    let events_for_supervisor = events.clone();
    let (drain, drain_rx) = watch::channel(false);
    let (ended_tx, ended) = watch::channel(false);
    let task = tokio::spawn(run(engine, command_rx, internal_rx, drain_rx));
    let engine = task.abort_handle();
    let supervisor = tokio::spawn(async move {
        supervise(task, events_for_supervisor).await;
        let _ = ended_tx.send(true);
    });
    EngineHandle {
        commands,
        events,
        engine,
        supervisor,
        drain,
        ended,
        journal,
        lease,
        clock,
    }
}

/// Waits for the engine task; if it dies (a panic), says why to every front end, which then end the
/// process with a non-zero exit instead of idling with a dead engine.
async fn supervise(task: JoinHandle<()>, events: broadcast::Sender<Event>) {
    let Err(failure) = task.await else {
        return;
    };
    if failure.is_cancelled() {
        return;
    }
    let reason = panic_reason(failure);
    tracing::error!("the engine stopped: {reason}");
    let _ = events.send(Event::EngineStopped { reason });
}

/// The panic message of a dead task, cleaned for display.
fn panic_reason(failure: JoinError) -> String {
    let Ok(payload) = failure.try_into_panic() else {
        return "the engine task was stopped".to_string();
    };
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    format!(
        "internal error (panic: {}); see the log file",
        crate::text::sanitize(&message)
    )
}

async fn run(
    mut engine: Engine,
    mut commands: mpsc::Receiver<Command>,
    mut internal: mpsc::UnboundedReceiver<Internal>,
    mut drain: watch::Receiver<bool>,
) {
    engine.startup().await;
    let mut poll = interval(engine.settings().poll_interval);
    poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut track = interval(engine.settings().track_interval);
    track.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut journal_watch = interval(JOURNAL_WATCH_EVERY);
    journal_watch.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut audit_head = interval(AUDIT_HEAD_EVERY);
    audit_head.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut window = interval(engine.settings().forget_every);
    window.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut waits = interval(WAITS_EVERY);
    waits.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut heartbeat = interval(
        engine
            .ctx
            .lease
            .heartbeat_every()
            .div_f64(engine.settings().time_scale),
    );
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut reach = engine.ctx.journal.reach();
    let (_no_feed, mut feed) = watch::channel(Wake::Idle);
    if let Some(target) = engine.settings().journal_feed.clone() {
        feed = change_feed::start(target);
    }
    loop {
        if engine.draining && engine.dispatcher.in_flight() == 0 {
            tracing::info!("drained: no submission in flight");
            break;
        }
        engine.enter("waiting for work");
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => {
                    engine.enter(pulse::command_step(&command));
                    engine.route_command(command).await
                }
                None => break,
            },
            Some(message) = internal.recv() => engine.handle_internal(message).await,
            Ok(()) = drain.changed(), if !engine.draining => {
                engine.draining = true;
                engine.dispatcher.drain();
                tracing::info!(in_flight = engine.dispatcher.in_flight(), "draining before shutdown");
            }
            _ = heartbeat.tick() => engine.heartbeat().await,
            Ok(()) = reach.changed() => {
                let now = reach.borrow_and_update().clone();
                engine.on_journal_reach(now).await
            }
            Ok(()) = feed.changed() => {
                let wake = *feed.borrow_and_update();
                engine.on_feed(wake).await
            }
            _ = poll.tick(), if engine.acts() && !engine.draining => engine.start_poll(),
            _ = audit_head.tick() => engine.report_audit_head().await,
            _ = waits.tick(), if engine.leads() => engine.refresh_waits_if_due(),
            _ = window.tick() => engine.forget_outside_window(engine.now()),
            _ = journal_watch.tick() => engine.journal_tick().await,
            _ = track.tick(), if engine.acts() => {
                engine.enter("starting tracking and dispatch");
                engine.start_track();
                engine.pump_dispatch();
            }
        }
    }
    engine.resign().await;
}

impl Engine {
    /// Tells front ends and the log the audit chain's head, so it is kept outside the journal.
    async fn report_audit_head(&self) {
        self.enter("reporting the audit head");
        match self.ctx.journal.call(|j| j.audit_head()).await {
            Ok((seq, hash)) => {
                tracing::info!(seq, %hash, "audit head");
                self.emit(Event::AuditHead { seq, hash });
            }
            Err(e) => self.notice(Level::Warn, format!("audit head not read: {e}")),
        }
    }

    pub(super) async fn handle_internal(&mut self, message: Internal) {
        self.enter(pulse::internal_step(&message));
        match message {
            Internal::Polled(result) => {
                self.on_polled(result).await;
                self.poll_finished();
            }
            Internal::Policies(result) => self.on_policies(result).await,
            Internal::Resolved {
                alert_id,
                subject,
                mode,
                result,
            } => self.on_resolved(alert_id, subject, mode, result).await,
            Internal::Rows(rows) => self.apply_rows(rows).await,
            Internal::DispatchDone { machine_id } => {
                self.dispatcher.finished(&machine_id);
                self.emit_quota();
                self.pump_dispatch();
            }
            Internal::TrackDone => {
                self.tracker.round_done();
                self.emit_quota();
            }
            Internal::AlertResolution {
                alert_id,
                resolution,
            } => {
                self.on_alert_resolution(&alert_id, resolution);
                self.withdraw_proposals(&alert_id, "alert closed").await;
            }
            Internal::AlertRead { alert_id } => self.on_alert_read(&alert_id),
            Internal::CloseDone { alert_id } => {
                self.closer.call_done(&alert_id);
            }
            Internal::Notice(level, text) => self.notice(level, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_engine_task_is_reported_to_every_front_end() {
        let (events, mut receiver) = broadcast::channel(4);
        let task = tokio::spawn(async { panic!("bad \u{1b}[31mstate") });
        supervise(task, events).await;
        match receiver.recv().await {
            Ok(Event::EngineStopped { reason }) => {
                assert!(reason.contains("bad"), "{reason}");
                assert!(
                    !reason.contains('\u{1b}'),
                    "cleaned for display: {reason:?}"
                );
            }
            other => panic!("expected EngineStopped, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_stopped_engine_task_is_no_failure() {
        let (events, mut receiver) = broadcast::channel(4);
        let task = tokio::spawn(std::future::pending::<()>());
        task.abort();
        supervise(task, events).await;
        assert!(receiver.try_recv().is_err(), "nothing reported on shutdown");
    }
}
