//! The action-provider seam: finds a user's machines and runs, reads and cancels actions on them.
//! The real provider is Defender for Endpoint, with Graph for the user → devices step.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::api::models::defender::{ActionStatus, Machine, MachineAction};
use crate::api::{
    ActionRequest, ApiError, DefenderClient, DeviceLookup, GraphClient, GraphDevice,
    MachineLookupForm,
};

use super::interface::ActionKind;

/// Where remediation actions run. Every lookup uses the exact identifiers given (never cleaned text).
/// The richer reads (`actions_on`, `actions_created_since`, `actions_by_ids`) may be refused; callers then
/// fall back to the documented ones (`actions_of`, `actions_in_status`, `action`). See `boxed futures` in `source.rs`.
pub trait ActionProvider: Send + Sync {
    /// How machines are looked up by device id now (batched, or one by one after a refusal).
    fn lookup_form(&self) -> MachineLookupForm;
    /// Devices registered to the user (`upn` exactly as the alert names it).
    fn registered_devices<'a>(
        &'a self,
        upn: &'a str,
    ) -> BoxFuture<'a, Result<Vec<GraphDevice>, ApiError>>;
    /// Devices the user owns.
    fn owned_devices<'a>(
        &'a self,
        upn: &'a str,
    ) -> BoxFuture<'a, Result<Vec<GraphDevice>, ApiError>>;
    /// Machines of several device ids in the current lookup form; per-device failures are listed.
    fn machines_by_device_ids<'a>(
        &'a self,
        device_ids: &'a [&'a str],
    ) -> BoxFuture<'a, Result<DeviceLookup, ApiError>>;
    /// Machines of one device id (the documented single-`eq` lookup).
    fn machines_by_device_id<'a>(
        &'a self,
        device_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Machine>, ApiError>>;
    /// One machine by its exact Defender id (`GET /api/machines/{id}`).
    fn machine<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Machine, ApiError>>;
    /// Machines the account logged on to (the provider's own user lookup).
    fn user_machines<'a>(
        &'a self,
        account: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Machine>, ApiError>>;
    /// The machine's actions of one kind (the documented `machineId eq … and type eq …`).
    fn actions_of<'a>(
        &'a self,
        machine_id: &'a str,
        kind: &'a ActionKind,
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>>;
    /// The actions of one kind on several machines in one call (a richer query; may be refused).
    fn actions_on<'a>(
        &'a self,
        machine_ids: &'a [String],
        kind: &'a ActionKind,
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>>;
    /// Every action created at or after `since` (a richer query; may be refused).
    fn actions_created_since(
        &self,
        since: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<MachineAction>, ApiError>>;
    /// The actions with these ids in one call (a richer query; may be refused).
    fn actions_by_ids<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>>;
    /// Every action in one status (documented).
    fn actions_in_status(
        &self,
        status: ActionStatus,
    ) -> BoxFuture<'_, Result<Vec<MachineAction>, ApiError>>;
    /// One action by id (documented).
    fn action<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<MachineAction, ApiError>>;
    /// Requests an action on a machine; never replayed after a possible delivery.
    fn submit<'a>(
        &'a self,
        machine_id: &'a str,
        request: &'a ActionRequest,
    ) -> BoxFuture<'a, Result<MachineAction, ApiError>>;
    /// Cancels an action that is not final yet.
    fn cancel<'a>(
        &'a self,
        id: &'a str,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<MachineAction, ApiError>>;
}

/// Defender for Endpoint, with Graph for the user's devices.
pub struct DefenderProvider {
    pub defender: DefenderClient,
    pub graph: GraphClient,
}

/// `'…'` with inner quotes doubled, for an OData string literal.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

impl ActionProvider for DefenderProvider {
    fn lookup_form(&self) -> MachineLookupForm {
        self.defender.machine_lookup_form()
    }

    fn registered_devices<'a>(
        &'a self,
        upn: &'a str,
    ) -> BoxFuture<'a, Result<Vec<GraphDevice>, ApiError>> {
        Box::pin(self.graph.registered_devices(upn))
    }

    fn owned_devices<'a>(
        &'a self,
        upn: &'a str,
    ) -> BoxFuture<'a, Result<Vec<GraphDevice>, ApiError>> {
        Box::pin(self.graph.owned_devices(upn))
    }

    fn machines_by_device_ids<'a>(
        &'a self,
        device_ids: &'a [&'a str],
    ) -> BoxFuture<'a, Result<DeviceLookup, ApiError>> {
        Box::pin(self.defender.machines_by_aad_device_ids(device_ids))
    }

    fn machines_by_device_id<'a>(
        &'a self,
        device_id: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Machine>, ApiError>> {
        Box::pin(self.defender.machines_by_aad_device_id(device_id))
    }

    fn machine<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Machine, ApiError>> {
        Box::pin(self.defender.machine(id))
    }

    fn user_machines<'a>(
        &'a self,
        account: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Machine>, ApiError>> {
        Box::pin(self.defender.user_machines(account))
    }

    fn actions_of<'a>(
        &'a self,
        machine_id: &'a str,
        kind: &'a ActionKind,
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            let filter = format!(
                "machineId eq {} and type eq '{}'",
                quoted(machine_id),
                kind.defender_type()
            );
            self.defender.machine_actions(Some(&filter)).await
        })
    }

    fn actions_on<'a>(
        &'a self,
        machine_ids: &'a [String],
        kind: &'a ActionKind,
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            let machines = machine_ids
                .iter()
                .map(|id| format!("machineId eq {}", quoted(id)))
                .collect::<Vec<_>>()
                .join(" or ");
            let filter = format!("({machines}) and type eq '{}'", kind.defender_type());
            self.defender.machine_actions(Some(&filter)).await
        })
    }

    fn actions_created_since(
        &self,
        since: DateTime<Utc>,
    ) -> BoxFuture<'_, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            let filter = format!(
                "creationDateTimeUtc ge {}",
                since.format("%Y-%m-%dT%H:%M:%SZ")
            );
            self.defender.machine_actions(Some(&filter)).await
        })
    }

    fn actions_by_ids<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            let filter = ids
                .iter()
                .map(|id| format!("id eq {}", quoted(id)))
                .collect::<Vec<_>>()
                .join(" or ");
            self.defender.machine_actions(Some(&filter)).await
        })
    }

    fn actions_in_status(
        &self,
        status: ActionStatus,
    ) -> BoxFuture<'_, Result<Vec<MachineAction>, ApiError>> {
        Box::pin(async move {
            let filter = format!("status eq '{}'", status.as_str());
            self.defender.machine_actions(Some(&filter)).await
        })
    }

    fn action<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<MachineAction, ApiError>> {
        Box::pin(self.defender.machine_action(id))
    }

    fn submit<'a>(
        &'a self,
        machine_id: &'a str,
        request: &'a ActionRequest,
    ) -> BoxFuture<'a, Result<MachineAction, ApiError>> {
        Box::pin(self.defender.run_action(machine_id, request))
    }

    fn cancel<'a>(
        &'a self,
        id: &'a str,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<MachineAction, ApiError>> {
        Box::pin(self.defender.cancel_action(id, comment))
    }
}
