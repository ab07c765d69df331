//! Defender for Endpoint client: machines, logon users, machine actions (run, track, cancel).

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use super::action::ActionRequest;
use super::call::Call;
use super::error::ApiError;
use super::http::{Endpoint, Request, segment};
use super::models::{LogonUser, Machine, MachineAction};
use super::odata;

/// Client of the Defender for Endpoint API (OAuth app token). Cheap to clone.
#[derive(Debug, Clone)]
pub struct DefenderClient {
    endpoint: Arc<Endpoint>,
}

impl DefenderClient {
    pub(crate) fn new(endpoint: Endpoint) -> DefenderClient {
        DefenderClient {
            endpoint: Arc::new(endpoint),
        }
    }

    /// Machines whose Entra device id is `aad_device_id` (quoted in `$filter`); none is an empty list.
    pub async fn machines_by_aad_device_id(
        &self,
        aad_device_id: &str,
    ) -> Result<Vec<Machine>, ApiError> {
        let filter = format!("aadDeviceId eq '{}'", aad_device_id.replace('\'', "''"));
        self.machines(Some(&filter)).await
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
