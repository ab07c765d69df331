//! Wire models of the three services, tolerant of unknown fields, nulls and new enum values.

pub mod cas;
pub mod defender;
pub mod graph;
mod lenient;
pub mod security;

pub use cas::{
    Alert, AlertPage, AlertStatus, CasErrorBody, CasFilterError, CloseResponse, Entity, Policy,
    PolicyPage, PolicyRef, ResolutionStatus, Severity,
};
pub use defender::{
    ActionStatus, ActionType, HealthStatus, LogonUser, Machine, MachineAction, OnboardingStatus,
    RelatedFileInfo,
};
pub use graph::{GraphDevice, GraphUser};
pub use security::{
    AlertComment, DeviceEvidence, Evidence, SecurityAlert, SecurityAlertStatus, SecuritySeverity,
    ServiceSource, UserAccount, UserEvidence,
};

use serde::{Deserialize, Serialize};

use crate::config::Secret;

/// An OData collection page (Defender and Graph): `value` plus an optional `@odata.nextLink`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct ODataPage<T> {
    /// Items of this page (unreadable ones dropped with a warning).
    #[serde(default = "Vec::new", deserialize_with = "lenient::valid_items")]
    pub value: Vec<T>,
    /// Full URL of the next page, when there is one.
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    /// Total count, when `$count=true` was asked.
    #[serde(rename = "@odata.count", default)]
    pub count: Option<u64>,
}

/// The OData error body of Defender and Graph: `{"error":{"code","message",...}}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ODataErrorBody {
    /// The error.
    pub error: ODataError,
}

/// Inside [`ODataErrorBody`].
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ODataError {
    /// Machine-readable code, e.g. `ActiveRequestAlreadyExists`, `Request_ResourceNotFound`.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub code: String,
    /// Free text.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub message: String,
    /// Defender: per-request correlation id.
    #[serde(default)]
    pub target: Option<String>,
    /// Graph: request id and date.
    #[serde(rename = "innerError", default)]
    pub inner_error: Option<serde_json::Value>,
}

/// A client-credentials token response of the authority.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    /// Normally `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds (a number on v2, a string on v1).
    #[serde(default, deserialize_with = "lenient::number_or_string")]
    pub expires_in: Option<u64>,
    /// The token itself.
    pub access_token: Secret,
}

/// An error answer of the authority, e.g. `{"error":"invalid_client","error_description":"AADSTS7000215: ..."}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TokenErrorBody {
    /// OAuth error code.
    #[serde(default)]
    pub error: String,
    /// AADSTS code and text.
    #[serde(default)]
    pub error_description: Option<String>,
    /// Numeric AADSTS codes.
    #[serde(default)]
    pub error_codes: Vec<u64>,
}
