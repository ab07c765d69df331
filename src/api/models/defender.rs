//! Defender for Endpoint models: machines, machine actions, logon users.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lenient::{self, string_enum};

string_enum! {
    /// `healthStatus` of a machine.
    HealthStatus {
        /// Reporting normally.
        Active = "Active",
        /// Stopped reporting.
        Inactive = "Inactive",
        /// Impaired communication.
        ImpairedCommunication = "ImpairedCommunication",
        /// No sensor data.
        NoSensorData = "NoSensorData",
        /// No sensor data and impaired communication.
        NoSensorDataImpairedCommunication = "NoSensorDataImpairedCommunication",
    }
}

string_enum! {
    /// `onboardingStatus` of a machine (documented `onboarded`, sent `Onboarded`).
    OnboardingStatus {
        /// Onboarded.
        Onboarded = "Onboarded",
        /// Can be onboarded.
        CanBeOnboarded = "CanBeOnboarded",
        /// Unsupported.
        Unsupported = "Unsupported",
        /// Insufficient info.
        InsufficientInfo = "InsufficientInfo",
    }
}

string_enum! {
    /// `type` of a machine action.
    ActionType {
        /// Antivirus scan.
        RunAntiVirusScan = "RunAntiVirusScan",
        /// Offboard.
        Offboard = "Offboard",
        /// Live response.
        LiveResponse = "LiveResponse",
        /// Investigation package.
        CollectInvestigationPackage = "CollectInvestigationPackage",
        /// Isolate.
        Isolate = "Isolate",
        /// Release isolation.
        Unisolate = "Unisolate",
        /// Stop and quarantine a file.
        StopAndQuarantineFile = "StopAndQuarantineFile",
        /// Restrict app execution.
        RestrictCodeExecution = "RestrictCodeExecution",
        /// Remove the restriction.
        UnrestrictCodeExecution = "UnrestrictCodeExecution",
    }
}

string_enum! {
    /// `status` of a machine action.
    ActionStatus {
        /// Accepted, not yet picked up by the machine.
        Pending = "Pending",
        /// Running on the machine.
        InProgress = "InProgress",
        /// Done.
        Succeeded = "Succeeded",
        /// Failed.
        Failed = "Failed",
        /// The machine never completed it in time.
        TimeOut = "TimeOut",
        /// Cancelled.
        Cancelled = "Cancelled",
    }
}

impl ActionStatus {
    /// True for states that never change again (unknown states are treated as not final).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            ActionStatus::Succeeded
                | ActionStatus::Failed
                | ActionStatus::TimeOut
                | ActionStatus::Cancelled
        )
    }
}

/// A Defender machine (device) record.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Machine {
    /// Machine id (40 hex).
    #[serde(deserialize_with = "lenient::id")]
    pub id: String,
    /// FQDN.
    #[serde(default)]
    pub computer_dns_name: Option<String>,
    /// First seen.
    #[serde(default, deserialize_with = "lenient::time")]
    pub first_seen: Option<DateTime<Utc>>,
    /// Last full report.
    #[serde(default, deserialize_with = "lenient::time")]
    pub last_seen: Option<DateTime<Utc>>,
    /// e.g. `Windows11`.
    #[serde(default)]
    pub os_platform: Option<String>,
    /// OS version.
    #[serde(default)]
    pub version: Option<String>,
    /// OS version (alternative field).
    #[serde(default)]
    pub os_version: Option<String>,
    /// OS build.
    #[serde(default, deserialize_with = "lenient::int")]
    pub os_build: Option<i64>,
    /// `32-bit` / `64-bit`.
    #[serde(default)]
    pub os_architecture: Option<String>,
    /// Last internal IP.
    #[serde(default)]
    pub last_ip_address: Option<String>,
    /// Last external IP.
    #[serde(default)]
    pub last_external_ip_address: Option<String>,
    /// Health.
    #[serde(default)]
    pub health_status: Option<HealthStatus>,
    /// Onboarding.
    #[serde(default)]
    pub onboarding_status: Option<OnboardingStatus>,
    /// Device group id.
    #[serde(default, deserialize_with = "lenient::number_or_string")]
    pub rbac_group_id: Option<u64>,
    /// Device group name.
    #[serde(default)]
    pub rbac_group_name: Option<String>,
    /// `None`, `Informational`, `Low`, `Medium`, `High`.
    #[serde(default)]
    pub risk_score: Option<String>,
    /// `None`, `Low`, `Medium`, `High`.
    #[serde(default)]
    pub exposure_level: Option<String>,
    /// `Normal`, `Low`, `High`.
    #[serde(default)]
    pub device_value: Option<String>,
    /// Entra joined.
    #[serde(default)]
    pub is_aad_joined: Option<bool>,
    /// Entra device id (= Graph device `deviceId`).
    #[serde(default)]
    pub aad_device_id: Option<String>,
    /// Tags.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub machine_tags: Vec<String>,
    /// Sensor version.
    #[serde(default)]
    pub agent_version: Option<String>,
    /// Excluded from the inventory.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub is_excluded: bool,
    /// Why it is excluded.
    #[serde(default)]
    pub exclusion_reason: Option<String>,
    /// Set when the record was merged into a newer one.
    #[serde(default)]
    pub merged_into_machine_id: Option<String>,
    /// Possible duplicate record.
    #[serde(default)]
    pub is_potential_duplication: Option<bool>,
}

/// `relatedFileInfo` of a machine action.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelatedFileInfo {
    /// Hash.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub file_identifier: String,
    /// `Sha1`, `Sha256`, `Md5`.
    #[serde(default)]
    pub file_identifier_type: Option<String>,
}

/// A Defender machine action (scan, isolate, ...). Accepts both `lastUpdateDateTimeUtc` and `lastUpdateTimeUtc`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(from = "MachineActionWire")]
pub struct MachineAction {
    /// Action id (GUID).
    pub id: String,
    /// Kind.
    pub kind: ActionType,
    /// `Full`/`Selective`, `Quick`/`Full`, or none.
    pub scope: Option<String>,
    /// State.
    pub status: ActionStatus,
    /// Who asked (user or app id).
    pub requestor: Option<String>,
    /// Which channel asked.
    pub request_source: Option<String>,
    /// The comment given with the request.
    pub requestor_comment: Option<String>,
    /// Target machine id.
    pub machine_id: Option<String>,
    /// Target machine name.
    pub computer_dns_name: Option<String>,
    /// Created.
    pub creation_time: Option<DateTime<Utc>>,
    /// Last state change (either spelling).
    pub last_update_time: Option<DateTime<Utc>>,
    /// Cancelled at.
    pub cancellation_time: Option<DateTime<Utc>>,
    /// Who cancelled.
    pub cancellation_requestor: Option<String>,
    /// Cancel comment.
    pub cancellation_comment: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Caller-supplied correlation id, when the service reports one.
    pub external_id: Option<String>,
    /// HRESULT of a failure (0 when none).
    pub error_hresult: i64,
    /// File of a quarantine action.
    pub related_file_info: Option<RelatedFileInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MachineActionWire {
    #[serde(deserialize_with = "lenient::id")]
    id: String,
    #[serde(rename = "type", default)]
    kind: Option<ActionType>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    status: Option<ActionStatus>,
    #[serde(default)]
    requestor: Option<String>,
    #[serde(default)]
    request_source: Option<String>,
    #[serde(default)]
    requestor_comment: Option<String>,
    #[serde(default)]
    machine_id: Option<String>,
    #[serde(default)]
    computer_dns_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::time")]
    creation_date_time_utc: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    last_update_date_time_utc: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    last_update_time_utc: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    cancellation_date_time_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    cancellation_requestor: Option<String>,
    #[serde(default)]
    cancellation_comment: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(rename = "externalID", alias = "externalId", default)]
    external_id: Option<String>,
    #[serde(
        rename = "errorHResult",
        default,
        deserialize_with = "lenient::null_default"
    )]
    error_hresult: i64,
    #[serde(default)]
    related_file_info: Option<RelatedFileInfo>,
}

impl From<MachineActionWire> for MachineAction {
    fn from(wire: MachineActionWire) -> MachineAction {
        MachineAction {
            id: wire.id,
            kind: wire
                .kind
                .unwrap_or_else(|| ActionType::Unknown(String::new())),
            scope: wire.scope,
            status: wire
                .status
                .unwrap_or_else(|| ActionStatus::Unknown(String::new())),
            requestor: wire.requestor,
            request_source: wire.request_source,
            requestor_comment: wire.requestor_comment,
            machine_id: wire.machine_id,
            computer_dns_name: wire.computer_dns_name,
            creation_time: wire.creation_date_time_utc,
            last_update_time: wire.last_update_date_time_utc.or(wire.last_update_time_utc),
            cancellation_time: wire.cancellation_date_time_utc,
            cancellation_requestor: wire.cancellation_requestor,
            cancellation_comment: wire.cancellation_comment,
            title: wire.title,
            external_id: wire.external_id,
            error_hresult: wire.error_hresult,
            related_file_info: wire.related_file_info,
        }
    }
}

/// The tag carrying an idempotency key in an action comment: `[remedy:<key>]`.
pub fn idempotency_tag(key: &str) -> String {
    format!("[remedy:{key}]")
}

impl MachineAction {
    /// remedy's idempotency key of this action: from its comment tag, else from `externalID`.
    pub fn idempotency_key(&self) -> Option<&str> {
        let comment = self.requestor_comment.as_deref().unwrap_or("");
        comment
            .find("[remedy:")
            .and_then(|start| {
                let rest = &comment[start + "[remedy:".len()..];
                rest.find(']').map(|end| &rest[..end])
            })
            .or(self.external_id.as_deref())
    }
}

/// A user seen logging on to a machine.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogonUser {
    /// e.g. `contoso\user1`.
    #[serde(default, deserialize_with = "lenient::string_or_number")]
    pub id: String,
    /// Account name.
    #[serde(default)]
    pub account_name: Option<String>,
    /// Account domain.
    #[serde(default)]
    pub account_domain: Option<String>,
    /// First logon seen.
    #[serde(default, deserialize_with = "lenient::time")]
    pub first_seen: Option<DateTime<Utc>>,
    /// Last logon seen.
    #[serde(default, deserialize_with = "lenient::time")]
    pub last_seen: Option<DateTime<Utc>>,
    /// e.g. `Interactive`.
    #[serde(default)]
    pub logon_types: Option<String>,
    /// Domain admin.
    #[serde(default)]
    pub is_domain_admin: Option<bool>,
    /// Only network logons.
    #[serde(default)]
    pub is_only_network_user: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_update_spellings_and_unknown_status() {
        let a: MachineAction = serde_json::from_value(serde_json::json!({
            "id": "1", "type": "Teleport", "status": "Queued", "lastUpdateTimeUtc": "2024-07-24T21:12:31Z"
        }))
        .unwrap();
        assert_eq!(a.status, ActionStatus::Unknown("Queued".into()));
        assert_eq!(a.kind, ActionType::Unknown("Teleport".into()));
        assert!(a.last_update_time.is_some());
        let b: MachineAction = serde_json::from_value(serde_json::json!({
            "id": "1", "type": "isolate", "status": "timeout",
            "lastUpdateDateTimeUtc": "2024-07-24T21:12:31Z", "lastUpdateTimeUtc": null
        }))
        .unwrap();
        assert_eq!(b.kind, ActionType::Isolate);
        assert!(b.status.is_final());
        assert!(b.last_update_time.is_some());
    }
}
