//! Test doubles at the engine's seams: a scripted Defender, an empty alert source, a harness `Ctx`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use chrono::{DateTime, TimeZone, Utc};
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crate::api::models::cas::{Alert, Policy};
use crate::api::models::defender::{ActionStatus, Machine, MachineAction};
use crate::api::{
    ActionRequest, ApiError, Call, CloseAs, CloseOutcome, DeviceLookup, GraphDevice,
    MachineLookupForm, QuotaStatus,
};
use crate::store::{Journal, NewRemediation, RemediationRow};

use super::super::budgets::Budgets;
use super::super::clock::{Clock, FakeClock};
use super::super::core::{Ctx, Internal};
use super::super::interface::{ActionKind, RemediationState};
use super::super::journal::JournalHandle;
use super::super::provider::ActionProvider;
use super::super::settings::EngineSettings;
use super::super::source::AlertSource;

/// The calls the fake provider can be told to refuse or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    ActionsOf,
    CreatedSince,
    ByIds,
    InStatus,
    ById,
    Submit,
}

/// Defender as a table of actions; calls are counted, and kinds can be refused (400) or fail (503).
pub struct FakeProvider {
    pub actions: Mutex<Vec<MachineAction>>,
    pub calls: Mutex<Vec<Kind>>,
    pub refused: Mutex<HashSet<Kind>>,
    pub failing: Mutex<HashSet<Kind>>,
    /// Action ids whose one-by-one read fails (503).
    pub unreadable: Mutex<HashSet<String>>,
    pub submitted: Mutex<Vec<(String, ActionRequest)>>,
    clock: Arc<FakeClock>,
}

impl FakeProvider {
    pub fn new(clock: Arc<FakeClock>) -> FakeProvider {
        FakeProvider {
            actions: Mutex::default(),
            calls: Mutex::default(),
            refused: Mutex::default(),
            failing: Mutex::default(),
            unreadable: Mutex::default(),
            submitted: Mutex::default(),
            clock,
        }
    }

    pub fn add(&self, action: MachineAction) {
        self.actions.lock().unwrap().push(action);
    }

    pub fn refuse(&self, kind: Kind) {
        self.refused.lock().unwrap().insert(kind);
    }

    pub fn fail(&self, kind: Kind) {
        self.failing.lock().unwrap().insert(kind);
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|k| **k == kind)
            .count()
    }

    /// Records the call; its answer is an error when the kind is refused or failing.
    fn answer(&self, kind: Kind) -> Result<(), ApiError> {
        self.calls.lock().unwrap().push(kind);
        if self.refused.lock().unwrap().contains(&kind) {
            return Err(ApiError::BadRequest {
                call: Call::ListMachineActions,
                status: 400,
                body: "ODataError: query not supported".into(),
            });
        }
        if self.failing.lock().unwrap().contains(&kind) {
            return Err(unavailable());
        }
        Ok(())
    }

    fn matching(&self, keep: impl Fn(&MachineAction) -> bool) -> Vec<MachineAction> {
        let actions = self.actions.lock().unwrap();
        actions.iter().filter(|a| keep(a)).cloned().collect()
    }
}

fn unavailable() -> ApiError {
    ApiError::Server {
        call: Call::ListMachineActions,
        status: 503,
        attempts: 1,
        body: "unavailable".into(),
    }
}

/// A machine action as Defender lists it.
pub fn action(
    id: &str,
    machine: &str,
    status: ActionStatus,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
) -> MachineAction {
    serde_json::from_value(serde_json::json!({
        "id": id,
        "type": "RunAntiVirusScan",
        "status": status.as_str(),
        "machineId": machine,
        "requestor": "alice@contoso.com",
        "creationDateTimeUtc": created,
        "lastUpdateDateTimeUtc": updated,
    }))
    .expect("action parses")
}

impl ActionProvider for FakeProvider {
    fn lookup_form(&self) -> MachineLookupForm {
        MachineLookupForm::Batched
    }

    fn registered_devices<'a>(
        &'a self,
        _upn: &'a str,
    ) -> BoxFuture<'a, Result<Vec<GraphDevice>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn owned_devices<'a>(
        &'a self,
        _upn: &'a str,
    ) -> BoxFuture<'a, Result<Vec<GraphDevice>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn machines_by_device_ids<'a>(
        &'a self,
        _device_ids: &'a [&'a str],
    ) -> BoxFuture<'a, Result<DeviceLookup, ApiError>> {
        Box::pin(async { Ok(DeviceLookup::default()) })
    }

    fn machines_by_device_id<'a>(
        &'a self,
        _device_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Machine>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn user_machines<'a>(
        &'a self,
        _account: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Machine>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn actions_of<'a>(
        &'a self,
        machine_id: &'a str,
        kind: &'a ActionKind,
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            self.answer(Kind::ActionsOf)?;
            Ok(self.matching(|a| {
                a.machine_id.as_deref() == Some(machine_id)
                    && a.kind.as_str() == kind.defender_type()
            }))
        })
    }

    fn actions_created_since(
        &self,
        since: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            self.answer(Kind::CreatedSince)?;
            Ok(self.matching(|a| a.creation_time.is_some_and(|at| at >= since)))
        })
    }

    fn actions_by_ids<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            self.answer(Kind::ByIds)?;
            Ok(self.matching(|a| ids.contains(&a.id)))
        })
    }

    fn actions_in_status(
        &self,
        status: ActionStatus,
    ) -> BoxFuture<'_, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            self.answer(Kind::InStatus)?;
            Ok(self.matching(|a| a.status == status))
        })
    }

    fn action<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<MachineAction, ApiError>> {
        Box::pin(async move {
            self.answer(Kind::ById)?;
            if self.unreadable.lock().unwrap().contains(id) {
                return Err(unavailable());
            }
            self.matching(|a| a.id == id)
                .pop()
                .ok_or_else(|| ApiError::NotFound {
                    call: Call::GetMachineAction,
                    message: id.into(),
                })
        })
    }

    fn submit<'a>(
        &'a self,
        machine_id: &'a str,
        request: &'a ActionRequest,
    ) -> BoxFuture<'a, Result<MachineAction, ApiError>> {
        Box::pin(async move {
            self.answer(Kind::Submit)?;
            let mut submitted = self.submitted.lock().unwrap();
            submitted.push((machine_id.to_string(), request.clone()));
            let now = self.clock.now_utc();
            let sent = action(
                &format!("sent-{}", submitted.len()),
                machine_id,
                ActionStatus::Pending,
                now,
                now,
            );
            self.add(sent.clone());
            Ok(sent)
        })
    }

    fn cancel<'a>(
        &'a self,
        id: &'a str,
        _comment: &'a str,
    ) -> BoxFuture<'a, Result<MachineAction, ApiError>> {
        Box::pin(async move { self.action(id).await })
    }
}

/// An alert source with nothing to say (the rules under test do not read alerts).
pub struct NoAlerts;

impl AlertSource for NoAlerts {
    fn alerts_since(&self, _since_ms: i64) -> BoxFuture<'_, Result<Vec<Alert>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn read_alerts<'a>(
        &'a self,
        _ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Alert>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn mark_read<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async { Ok(()) })
    }

    fn close_alert<'a>(
        &'a self,
        _id: &'a str,
        _how: CloseAs,
        _comment: &'a str,
    ) -> BoxFuture<'a, Result<CloseOutcome, ApiError>> {
        Box::pin(async { Ok(CloseOutcome::default()) })
    }

    fn policies(&self) -> BoxFuture<'_, Result<Vec<Policy>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// No client-side quotas.
pub struct Unlimited;

impl Budgets for Unlimited {
    fn quotas(&self) -> Vec<QuotaStatus> {
        Vec::new()
    }

    fn defender_throttled_until(&self) -> Option<SystemTime> {
        None
    }
}

/// A `Ctx` over the fakes, an in-memory journal and the demo config's settings.
pub struct Harness {
    pub ctx: Ctx,
    pub clock: Arc<FakeClock>,
    pub provider: Arc<FakeProvider>,
    /// Kept open so the rules under test can report back.
    pub _reports: mpsc::UnboundedReceiver<Internal>,
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

pub fn settings(read_only: bool) -> EngineSettings {
    let config = crate::wiring::demo_config("http://127.0.0.1:9").expect("demo config");
    EngineSettings::from_config(&config, read_only, true)
}

impl Harness {
    pub fn new() -> Harness {
        let clock = Arc::new(FakeClock::at(start()));
        let provider = Arc::new(FakeProvider::new(clock.clone()));
        let (internal, reports) = mpsc::unbounded_channel();
        let journal = Journal::open_in_memory().expect("in-memory journal");
        let ctx = Ctx {
            source: Arc::new(NoAlerts),
            provider: provider.clone(),
            clock: clock.clone(),
            budgets: Arc::new(Unlimited),
            journal: JournalHandle::spawn(journal),
            settings: Arc::new(settings(false)),
            internal,
        };
        Harness {
            ctx,
            clock,
            provider,
            _reports: reports,
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

    pub async fn row(&self, id: &str) -> RemediationRow {
        let id = id.to_string();
        self.ctx
            .journal
            .call(move |j| j.remediation(&id))
            .await
            .expect("read")
            .expect("row")
    }
}
