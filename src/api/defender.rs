//! Defender for Endpoint client: machines, logon users, machine actions (run, track, cancel).

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};

use super::call::Call;
use super::error::ApiError;
use super::http::{Endpoint, Request, segment};
use super::models::defender::idempotency_tag;
use super::models::{LogonUser, Machine, MachineAction};
use super::odata;

/// Antivirus scan depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanType {
    /// Quick scan.
    Quick,
    /// Full scan.
    Full,
}

/// Isolation depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationType {
    /// Full isolation.
    Full,
    /// Selective (Outlook, Teams, Skype stay connected).
    Selective,
    /// Unmanaged device.
    UnManagedDevice,
}

/// Which machine action to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionRequestKind {
    /// `runAntiVirusScan`.
    AntivirusScan {
        /// Quick or full.
        scan_type: ScanType,
    },
    /// `isolate`.
    Isolate {
        /// Full, selective, unmanaged.
        isolation_type: IsolationType,
    },
    /// `unisolate`.
    Unisolate,
    /// `restrictCodeExecution`.
    RestrictCodeExecution,
    /// `unrestrictCodeExecution`.
    UnrestrictCodeExecution,
    /// `collectInvestigationPackage`.
    CollectInvestigationPackage,
    /// `StopAndQuarantineFile`.
    StopAndQuarantineFile {
        /// SHA-1 of the file.
        sha1: String,
    },
}

/// A machine action to request, with its comment and remedy's idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRequest {
    /// Which action.
    pub kind: ActionRequestKind,
    /// Comment shown in the Action center.
    pub comment: String,
    /// Idempotency key; sent inside the comment as `[remedy:<key>]` (the API has no documented
    /// request field for it), so a lost answer can be reconciled by reading the actions back.
    pub external_id: Option<String>,
}

impl ActionRequest {
    /// The comment as sent: the given comment with the idempotency tag appended once.
    pub fn comment_text(&self) -> String {
        match &self.external_id {
            Some(key) => {
                let tag = idempotency_tag(key);
                if self.comment.contains(&tag) {
                    self.comment.clone()
                } else if self.comment.is_empty() {
                    tag
                } else {
                    format!("{} {tag}", self.comment)
                }
            }
            None => self.comment.clone(),
        }
    }

    fn call_and_path(&self) -> (Call, &'static str) {
        match self.kind {
            ActionRequestKind::AntivirusScan { .. } => (Call::RunAntivirusScan, "runAntiVirusScan"),
            ActionRequestKind::Isolate { .. } => (Call::Isolate, "isolate"),
            ActionRequestKind::Unisolate => (Call::Unisolate, "unisolate"),
            ActionRequestKind::RestrictCodeExecution => {
                (Call::RestrictCodeExecution, "restrictCodeExecution")
            }
            ActionRequestKind::UnrestrictCodeExecution => {
                (Call::UnrestrictCodeExecution, "unrestrictCodeExecution")
            }
            ActionRequestKind::CollectInvestigationPackage => (
                Call::CollectInvestigationPackage,
                "collectInvestigationPackage",
            ),
            ActionRequestKind::StopAndQuarantineFile { .. } => {
                (Call::StopAndQuarantineFile, "StopAndQuarantineFile")
            }
        }
    }

    /// The request body; parameter names are case-sensitive on the service.
    fn body(&self) -> Value {
        let mut body = json!({ "Comment": self.comment_text() });
        match &self.kind {
            ActionRequestKind::AntivirusScan { scan_type } => {
                body["ScanType"] = json!(match scan_type {
                    ScanType::Quick => "Quick",
                    ScanType::Full => "Full",
                });
            }
            ActionRequestKind::Isolate { isolation_type } => {
                body["IsolationType"] = json!(match isolation_type {
                    IsolationType::Full => "Full",
                    IsolationType::Selective => "Selective",
                    IsolationType::UnManagedDevice => "UnManagedDevice",
                });
            }
            ActionRequestKind::StopAndQuarantineFile { sha1 } => body["Sha1"] = json!(sha1),
            _ => {}
        }
        body
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(key: Option<&str>) -> ActionRequest {
        ActionRequest {
            kind: ActionRequestKind::AntivirusScan {
                scan_type: ScanType::Full,
            },
            comment: "Scan for alert 66a1".into(),
            external_id: key.map(str::to_string),
        }
    }

    #[test]
    fn body_uses_the_case_sensitive_names_and_carries_the_key() {
        assert_eq!(
            scan(Some("4f1c")).body(),
            json!({"Comment": "Scan for alert 66a1 [remedy:4f1c]", "ScanType": "Full"})
        );
        let isolate = ActionRequest {
            kind: ActionRequestKind::Isolate {
                isolation_type: IsolationType::Selective,
            },
            comment: "c".into(),
            external_id: None,
        };
        assert_eq!(
            isolate.body(),
            json!({"Comment": "c", "IsolationType": "Selective"})
        );
    }

    #[test]
    fn the_tag_is_not_added_twice_and_reads_back() {
        let mut request = scan(Some("k1"));
        request.comment = request.comment_text();
        assert_eq!(request.comment_text(), "Scan for alert 66a1 [remedy:k1]");
        let action: MachineAction = serde_json::from_value(json!({
            "id": "a", "type": "RunAntiVirusScan", "status": "Pending",
            "requestorComment": "Scan [remedy:k1] more"
        }))
        .unwrap();
        assert_eq!(action.idempotency_key(), Some("k1"));
    }
}
