//! Defender for Endpoint client: machines, logon users, machine actions (run, track, cancel).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::Method;
use serde_json::json;

use super::action::ActionRequest;
use super::call::Call;
use super::error::ApiError;
use super::http::{Endpoint, Request, segment};
use super::models::{LogonUser, Machine, MachineAction};
use super::odata;

/// How machines are looked up by Entra device id. Shared by every clone of a client, so the
/// engine and `remedy check` read the form the process is using.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineLookupForm {
    /// One call for several devices: `aadDeviceId eq '…' or aadDeviceId eq '…'` (saves calls).
    Batched,
    /// The documented minimum, one `aadDeviceId eq '…'` per device: Defender refused the batch.
    OneByOne,
}

impl fmt::Display for MachineLookupForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MachineLookupForm::Batched => {
                "batched (aadDeviceId eq '…' or …, one call per 10 devices)"
            }
            MachineLookupForm::OneByOne => {
                "one aadDeviceId eq '…' per device (Defender refused the batched lookup)"
            }
        })
    }
}

/// What a lookup of several Entra device ids found: the machine records, and the devices whose own
/// lookup failed (one failing device does not lose the others).
#[derive(Debug, Default)]
pub struct DeviceLookup {
    pub machines: Vec<Machine>,
    pub failed: Vec<(String, ApiError)>,
}

/// Client of the Defender for Endpoint API (OAuth app token). Cheap to clone.
#[derive(Debug, Clone)]
pub struct DefenderClient {
    endpoint: Arc<Endpoint>,
    /// Set once Defender refused a batched lookup: every later lookup goes one device at a time.
    batch_refused: Arc<AtomicBool>,
}

/// Entra device ids looked up in one batched call.
const DEVICE_BATCH: usize = 10;

/// True for a 400 refusing the query itself (`ODataError`, `BadRequest`, `InvalidInput`).
pub fn is_refused_query(error: &ApiError) -> bool {
    matches!(error, ApiError::BadRequest { status: 400, .. })
}

/// `aadDeviceId eq '…'` for one Entra device id (quotes doubled).
fn aad_eq(aad_device_id: &str) -> String {
    format!("aadDeviceId eq '{}'", aad_device_id.replace('\'', "''"))
}

impl DefenderClient {
    pub(crate) fn new(endpoint: Endpoint) -> DefenderClient {
        DefenderClient {
            endpoint: Arc::new(endpoint),
            batch_refused: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The form machine lookups take from now on.
    pub fn machine_lookup_form(&self) -> MachineLookupForm {
        if self.batch_refused.load(Ordering::Relaxed) {
            MachineLookupForm::OneByOne
        } else {
            MachineLookupForm::Batched
        }
    }

    /// Machines of several Entra device ids, in the current [`MachineLookupForm`]. A refused batch
    /// switches the form to one device at a time for the rest of the process and does the work
    /// anyway. An error of the batch call as a whole is returned; in the one-by-one form each
    /// device's failure is reported in [`DeviceLookup::failed`] and the others still count.
    pub async fn machines_by_aad_device_ids(
        &self,
        aad_device_ids: &[&str],
    ) -> Result<DeviceLookup, ApiError> {
        let mut lookup = DeviceLookup::default();
        let mut rest = aad_device_ids;
        while rest.len() > 1 && self.machine_lookup_form() == MachineLookupForm::Batched {
            let (batch, after) = rest.split_at(rest.len().min(DEVICE_BATCH));
            let filter = batch
                .iter()
                .map(|id| aad_eq(id))
                .collect::<Vec<_>>()
                .join(" or ");
            match self.machines(Some(&filter)).await {
                Ok(machines) => {
                    lookup.machines.extend(machines);
                    rest = after;
                }
                Err(e) if is_refused_query(&e) => {
                    self.batch_refused.store(true, Ordering::Relaxed);
                    tracing::warn!(
                        "Defender refused the batched machine lookup ({e}); looking machines up one \
                         aadDeviceId at a time from now on"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        for id in rest {
            match self.machines_by_aad_device_id(id).await {
                Ok(found) => lookup.machines.extend(found),
                Err(e) => lookup.failed.push((id.to_string(), e)),
            }
        }
        Ok(lookup)
    }

    /// Machines whose Entra device id is `aad_device_id` (quoted in `$filter`); none is an empty list.
    pub async fn machines_by_aad_device_id(
        &self,
        aad_device_id: &str,
    ) -> Result<Vec<Machine>, ApiError> {
        self.machines(Some(&aad_eq(aad_device_id))).await
    }

    /// Machines matching an OData filter, following `@odata.nextLink`. The documented
    /// "404 when there are no recent machines" is an empty list.
    pub async fn machines(&self, odata_filter: Option<&str>) -> Result<Vec<Machine>, ApiError> {
        let mut request = Request::new(
            Call::ListMachines,
            Method::GET,
            self.endpoint.url("/api/machines"),
        );
        if let Some(filter) = odata_filter {
            request = request.query("$filter", filter);
        }
        match odata::collect(&self.endpoint, request).await {
            Err(ApiError::NotFound { .. }) => Ok(Vec::new()),
            other => other,
        }
    }

    /// One machine by machine id or computer name.
    pub async fn machine(&self, id_or_name: &str) -> Result<Machine, ApiError> {
        let url = self
            .endpoint
            .url(&format!("/api/machines/{}", segment(id_or_name)));
        self.endpoint
            .send(&Request::new(Call::GetMachine, Method::GET, url))
            .await?
            .json()
    }

    /// Machines a user logged on to. Takes the account name (`user1`); a UPN is cut at `@`.
    pub async fn user_machines(&self, account_name: &str) -> Result<Vec<Machine>, ApiError> {
        let account = account_name.split('@').next().unwrap_or(account_name);
        let url = self
            .endpoint
            .url(&format!("/api/users/{}/machines", segment(account)));
        odata::collect(
            &self.endpoint,
            Request::new(Call::UserMachines, Method::GET, url),
        )
        .await
    }

    /// Users seen logging on to a machine.
    pub async fn logon_users(&self, machine_id: &str) -> Result<Vec<LogonUser>, ApiError> {
        let url = self
            .endpoint
            .url(&format!("/api/machines/{}/logonusers", segment(machine_id)));
        odata::collect(
            &self.endpoint,
            Request::new(Call::LogonUsers, Method::GET, url),
        )
        .await
    }

    /// Requests an action on a machine. Never replayed after a possible delivery: on
    /// `Transport { maybe_sent: true }` or `Server`, look the action up (by its comment tag) before retrying.
    pub async fn run_action(
        &self,
        machine_id: &str,
        request: &ActionRequest,
    ) -> Result<MachineAction, ApiError> {
        let (call, path) = request.call_and_path();
        let url = self
            .endpoint
            .url(&format!("/api/machines/{}/{path}", segment(machine_id)));
        let request = Request::new(call, Method::POST, url).json(request.body());
        self.endpoint.send(&request).await?.json()
    }

    /// One machine action by id.
    pub async fn machine_action(&self, id: &str) -> Result<MachineAction, ApiError> {
        let url = self
            .endpoint
            .url(&format!("/api/machineactions/{}", segment(id)));
        self.endpoint
            .send(&Request::new(Call::GetMachineAction, Method::GET, url))
            .await?
            .json()
    }

    /// Machine actions matching an OData filter (`id`, `status`, `machineId`, `type`, `requestor`,
    /// `creationDateTimeUtc`), following `@odata.nextLink`.
    pub async fn machine_actions(
        &self,
        odata_filter: Option<&str>,
    ) -> Result<Vec<MachineAction>, ApiError> {
        let mut request = Request::new(
            Call::ListMachineActions,
            Method::GET,
            self.endpoint.url("/api/machineactions"),
        );
        if let Some(filter) = odata_filter {
            request = request.query("$filter", filter);
        }
        odata::collect(&self.endpoint, request).await
    }

    /// Cancels an action that is not final yet; the service's refusal text is reported as is.
    pub async fn cancel_action(&self, id: &str, comment: &str) -> Result<MachineAction, ApiError> {
        let url = self
            .endpoint
            .url(&format!("/api/machineactions/{}/cancel", segment(id)));
        let request =
            Request::new(Call::CancelAction, Method::POST, url).json(json!({ "Comment": comment }));
        self.endpoint.send(&request).await?.json()
    }
}
