//! The unit-test harness: a `Ctx` over the fakes, a fake clock and a journal (in-memory SQLite, or a fresh
//! PostgreSQL database), with journal helpers.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio::sync::{broadcast, mpsc};

use crate::store::{Journal, LeaseOutcome, NewRemediation, RemediationRow};

use super::super::clock::FakeClock;
use super::super::core::{Ctx, Engine, Internal};
use super::super::interface::{
    ActionKind, AlertView, Event, RemediationState, Resolution, Severity,
};
use super::super::journal::JournalHandle;
use super::super::leader::{Held, LeaseState};
use super::super::settings::EngineSettings;
use super::fakes::{FakeProvider, NoAlerts, Unlimited, action};
use super::test_database::TestDatabase;
use crate::api::models::defender::ActionStatus;

/// The journal a harness runs on.
pub enum Backend {
    /// An in-memory SQLite journal.
    Sqlite,
    /// A fresh database on the PostgreSQL test server.
    Postgres(TestDatabase),
}

/// The backends a journal-touching unit runs on: SQLite always, PostgreSQL when `REMEDY_TEST_PG_URL` is set
/// (always in CI).
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    all.extend(TestDatabase::create().map(Backend::Postgres));
    all
}

impl Backend {
    fn open(&self) -> Journal {
        match self {
            Backend::Sqlite => Journal::open_in_memory().expect("in-memory journal"),
            Backend::Postgres(database) => {
                // Captured, and shown with a failure: which backend the unit failed on.
                eprintln!("on the PostgreSQL journal {}", database.name());
                Journal::open_location(&database.location).expect("PostgreSQL journal")
            }
        }
    }
}

/// A `Ctx` over the fakes, a journal and the demo config's settings.
pub struct Harness {
    pub ctx: Ctx,
    pub clock: Arc<FakeClock>,
    pub provider: Arc<FakeProvider>,
    pub source: Arc<NoAlerts>,
    /// What spawned work reports back to the engine.
    pub reports: mpsc::UnboundedReceiver<Internal>,
    /// Kept for the test's length: a PostgreSQL database is dropped with it.
    _backend: Backend,
}

pub const FLOW: &str = "antivirus-scan-full";

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

pub fn scan() -> ActionKind {
    ActionKind::AntivirusScan {
        scan_type: "Full".into(),
    }
}

/// The alert the unit tests remediate: `a1`, raised at [`start`], policy `p1`, user alice.
pub fn alert() -> AlertView {
    AlertView {
        id: "a1".into(),
        title: "Mass download".into(),
        description: String::new(),
        severity: Severity::High,
        raised_at: start(),
        policy_id: "p1".into(),
        policy_name: "Mass download".into(),
        user: Some("alice@contoso.com".into()),
        note: None,
        resolution: Resolution::Open,
        read: false,
        url: None,
        entities: Vec::new(),
        seen_by: Vec::new(),
        graph_id: None,
        matched_by: None,
    }
}

pub fn settings(read_only: bool) -> EngineSettings {
    let config = crate::wiring::demo_config("http://127.0.0.1:9").expect("demo config");
    EngineSettings::from_config(&config, read_only, true)
}

impl Harness {
    /// A harness on an in-memory SQLite journal whose process leads it (the dispatcher and tracker act only as
    /// its leader).
    pub async fn new() -> Harness {
        Harness::on(Backend::Sqlite).await
    }

    /// A harness on `backend`'s journal whose process leads it.
    pub async fn on(backend: Backend) -> Harness {
        let clock = Arc::new(FakeClock::at(start()));
        let provider = Arc::new(FakeProvider::new(clock.clone()));
        let (internal, reports) = mpsc::unbounded_channel();
        let journal = backend.open();
        let source = Arc::new(NoAlerts::default());
        let ctx = Ctx {
            source: source.clone(),
            provider: provider.clone(),
            clock: clock.clone(),
            budgets: Arc::new(Unlimited),
            journal: JournalHandle::spawn(journal),
            settings: Arc::new(settings(false)),
            internal,
            lease: Arc::new(LeaseState::new("test:1", Duration::from_secs(86_400))),
            reads: Arc::default(),
        };
        let (lease, now) = (ctx.lease.clone(), start());
        let taken = ctx
            .journal
            .call(move |j| j.acquire_lease(&lease.holder, now, lease.ttl))
            .await
            .expect("lease read");
        let LeaseOutcome::Taken(taken) = taken else {
            panic!("a fresh journal's lease is free");
        };
        ctx.lease.set_held(Some(Held {
            fence: taken.fence,
            since: taken.since,
            expires_at: taken.expires_at,
        }));
        Harness {
            ctx,
            clock,
            provider,
            source,
            reports,
            _backend: backend,
        }
    }

    /// Journals an approved scan of `machine` for alert `a1` and returns its row.
    pub async fn approved(&self, machine: &str) -> RemediationRow {
        let new = NewRemediation {
            idempotency_key: format!("key-{machine}"),
            alert_id: "a1".into(),
            policy_id: "p1".into(),
            flow_id: FLOW.into(),
            step: 1,
            machine_id: machine.into(),
            machine_name: format!("{machine}.contoso.com"),
            action: scan(),
            state: RemediationState::Approved,
            reason: None,
            requested_by: "tester".into(),
            proof: serde_json::json!({}),
            at: start(),
        };
        let (row, _) = self
            .ctx
            .journal
            .call(move |j| j.insert_remediation(&new))
            .await
            .expect("journaled");
        row
    }

    /// Journals a scan of `machine` already sent as Defender action `action_id`, now `Pending`.
    pub async fn sent(&self, machine: &str, action_id: &str) -> RemediationRow {
        let row = self.approved(machine).await;
        let (id, action_id, at) = (row.id.clone(), action_id.to_string(), start());
        self.ctx
            .journal
            .call(move |j| {
                use RemediationState::*;
                for (from, to) in [(Approved, Queued), (Queued, Submitted)] {
                    j.transition_if(&id, from, to, None, at)?;
                }
                j.set_provider_action_id(&id, &action_id, at)?;
                j.transition_if(&id, Submitted, Pending, None, at)?;
                Ok(j.remediation(&id)?.expect("row"))
            })
            .await
            .expect("journaled")
    }

    /// A remediation sent as `action_id` (see [`Harness::sent`]) whose action Defender reports in `status`.
    pub async fn sent_as(
        &self,
        machine: &str,
        action_id: &str,
        status: ActionStatus,
    ) -> RemediationRow {
        let row = self.sent(machine, action_id).await;
        self.provider
            .add(action(action_id, machine, status, start(), start()));
        row
    }

    pub async fn row(&self, id: &str) -> RemediationRow {
        let id = id.to_string();
        self.ctx
            .journal
            .call(move |j| j.remediation(&id))
            .await
            .expect("read")
            .expect("row")
    }

    /// An engine leading this journal, with alert `a1` and the journal's working set in memory.
    pub async fn engine_with_alert(&self, events: broadcast::Sender<Event>) -> Engine {
        let mut engine = Engine::new(self.ctx.clone(), events);
        let alert = alert();
        engine.alerts.show(alert.id.clone(), alert);
        engine.load_working_set().await;
        engine
    }

    /// Hands the engine what its dispatches report until none runs.
    pub async fn settle(&mut self, engine: &mut Engine) {
        while engine.dispatcher.in_flight() > 0 {
            // Bounds a failure only: a passing run never waits this long.
            let report = tokio::time::timeout(Duration::from_secs(10), self.reports.recv())
                .await
                .expect("the dispatch reports")
                .expect("the engine's channel is open");
            engine.handle_internal(report).await;
        }
    }
}
