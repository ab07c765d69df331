//! Test doubles at the engine's seams: a scripted Defender, an empty alert source, no quotas.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::alert::{SourceAlert, SourceKind};
use crate::api::models::defender::{ActionStatus, Machine, MachineAction};
use crate::api::{
    ActionRequest, ApiError, Call, DeviceLookup, GraphDevice, MachineLookupForm, QuotaStatus,
};

use super::super::budgets::Budgets;
use super::super::clock::{Clock, FakeClock};
use super::super::interface::{ActionKind, Closure};
use super::super::provider::ActionProvider;
use super::super::source::{AlertRef, AlertSource, Closed, Fetched, Marks, SourcePolicy};

/// The calls the fake provider can be told to refuse or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    ActionsOf,
    ActionsOn,
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
    /// When set, each submission waits for a permit (Defender slow to answer).
    pub submit_gate: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
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
            submit_gate: Mutex::default(),
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

    fn machine<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Machine, ApiError>> {
        Box::pin(async move {
            Err(ApiError::NotFound {
                call: Call::GetMachine,
                message: format!("no machine {id}"),
            })
        })
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

    fn actions_on<'a>(
        &'a self,
        machine_ids: &'a [String],
        kind: &'a ActionKind,
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            self.answer(Kind::ActionsOn)?;
            Ok(self.matching(|a| {
                a.machine_id
                    .as_ref()
                    .is_some_and(|m| machine_ids.contains(m))
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
            let gate = self.submit_gate.lock().unwrap().clone();
            if let Some(gate) = gate {
                gate.acquire().await.expect("the gate stays open").forget();
            }
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

/// An alert source with no alerts that counts its polls.
#[derive(Default)]
pub struct NoAlerts {
    pub polls: AtomicUsize,
}

impl AlertSource for NoAlerts {
    fn kinds(&self) -> Vec<SourceKind> {
        vec![SourceKind::Cas]
    }

    fn alerts_since<'a>(&'a self, _since: &'a Marks) -> BoxFuture<'a, Fetched> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Fetched::default() })
    }

    fn read_alerts<'a>(
        &'a self,
        _alerts: &'a [AlertRef],
    ) -> BoxFuture<'a, Result<Vec<SourceAlert>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn mark_read<'a>(&'a self, _alert: &'a AlertRef) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async { Ok(()) })
    }

    fn close_alert<'a>(
        &'a self,
        _alert: &'a AlertRef,
        _how: Closure,
        _comment: &'a str,
    ) -> BoxFuture<'a, Result<Closed, ApiError>> {
        Box::pin(async { Ok(Closed::Closed) })
    }

    fn policies(&self) -> BoxFuture<'_, Result<Vec<SourcePolicy>, ApiError>> {
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

    fn replay_defender_spend(&self, _call: Call, _ages: &[std::time::Duration]) {}

    fn defender_room(&self, _call: Call) -> Option<crate::api::Room> {
        None
    }
}
