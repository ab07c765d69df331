//! Microsoft Graph security alerts (`/security/alerts_v2`): the alert, its typed evidence and its comments.
//! Unknown enum values and evidence types are kept as sent, never fatal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::{self, string_enum};

string_enum! {
    /// `status` of a Graph security alert.
    SecurityAlertStatus {
        /// Not looked at yet.
        New = "new",
        /// Someone works on it.
        InProgress = "inProgress",
        /// Closed.
        Resolved = "resolved",
    }
}

string_enum! {
    /// `severity` of a Graph security alert.
    SecuritySeverity {
        /// Not set.
        NotSet = "unknown",
        /// Informational.
        Informational = "informational",
        /// Low.
        Low = "low",
        /// Medium.
        Medium = "medium",
        /// High.
        High = "high",
    }
}

string_enum! {
    /// `serviceSource` of a Graph security alert: the product that raised it.
    ServiceSource {
        /// Microsoft Defender for Cloud Apps (Cloud App Security).
        DefenderForCloudApps = "microsoftDefenderForCloudApps",
        /// Microsoft Defender for Endpoint.
        DefenderForEndpoint = "microsoftDefenderForEndpoint",
        /// Microsoft Defender for Identity.
        DefenderForIdentity = "microsoftDefenderForIdentity",
        /// Microsoft Defender for Office 365.
        DefenderForOffice365 = "microsoftDefenderForOffice365",
        /// Microsoft 365 Defender (XDR) itself.
        Microsoft365Defender = "microsoft365Defender",
        /// Entra ID Protection.
        AzureAdIdentityProtection = "azureAdIdentityProtection",
    }
}

/// A Graph security alert (the fields remedy reads; unknown fields are ignored).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SecurityAlert {
    pub id: String,
    /// The id in the product that raised it (for Cloud App Security, the REST API's alert id).
    pub provider_alert_id: Option<String>,
    pub incident_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub status: SecurityAlertStatus,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub severity: SecuritySeverity,
    pub classification: Option<String>,
    pub determination: Option<String>,
    /// e.g. `microsoftDefenderForCloudApps`, `microsoftDefenderForEndpoint` (kept as sent).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub service_source: String,
    pub detection_source: Option<String>,
    /// The detection logic that raised it: survives a policy being renamed or migrated.
    pub detector_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub title: String,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub description: String,
    pub recommended_actions: Option<String>,
    pub category: Option<String>,
    pub assigned_to: Option<String>,
    pub alert_web_url: Option<String>,
    pub incident_web_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub mitre_techniques: Vec<String>,
    #[serde(default, deserialize_with = "lenient::time")]
    pub created_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    pub last_update_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    pub resolved_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub comments: Vec<AlertComment>,
    #[serde(default, deserialize_with = "evidence_list")]
    pub evidence: Vec<Evidence>,
}

impl Default for SecurityAlertStatus {
    /// Absent or null: kept as an unknown, empty value.
    fn default() -> Self {
        SecurityAlertStatus::Unknown(String::new())
    }
}

impl Default for SecuritySeverity {
    /// Absent or null: Graph's own `unknown`.
    fn default() -> Self {
        SecuritySeverity::NotSet
    }
}

/// One piece of evidence, typed by its `@odata.type`; types remedy does not read are kept whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Evidence {
    Device(DeviceEvidence),
    User(UserEvidence),
    /// Any other type (IP, cloud application, file, …): shown, never acted on.
    Other {
        odata_type: String,
        raw: serde_json::Value,
    },
}

/// `#microsoft.graph.security.deviceEvidence`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeviceEvidence {
    /// The Defender machine id: acted on directly.
    pub mde_device_id: Option<String>,
    pub azure_ad_device_id: Option<String>,
    pub device_dns_name: Option<String>,
    pub os_platform: Option<String>,
    /// `active`, `inactive`, `impairedCommunication`, … (kept as sent).
    pub health_status: Option<String>,
    pub onboarding_status: Option<String>,
    /// e.g. `notReporting` (kept as sent).
    pub defender_av_status: Option<String>,
    pub rbac_group_name: Option<String>,
    pub verdict: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub roles: Vec<String>,
}

/// `#microsoft.graph.security.userEvidence`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserEvidence {
    pub user_account: Option<UserAccount>,
    pub verdict: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub roles: Vec<String>,
}

/// The account inside [`UserEvidence`].
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserAccount {
    pub account_name: Option<String>,
    pub domain_name: Option<String>,
    pub azure_ad_user_id: Option<String>,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
}

/// A comment on a Graph security alert; `POST …/comments` answers with all of them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AlertComment {
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub comment: String,
    pub created_by_display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::time")]
    pub created_date_time: Option<DateTime<Utc>>,
}

/// Evidence items by `@odata.type`; an item of a known type that does not read is kept as `Other`.
fn evidence_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Evidence>, D::Error> {
    let items = Option::<Vec<serde_json::Value>>::deserialize(d)?.unwrap_or_default();
    Ok(items.into_iter().map(evidence_of).collect())
}

fn evidence_of(raw: serde_json::Value) -> Evidence {
    let odata_type = raw
        .get("@odata.type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_string();
    let typed = match odata_type.trim_start_matches('#') {
        "microsoft.graph.security.deviceEvidence" => serde_json::from_value(raw.clone())
            .ok()
            .map(Evidence::Device),
        "microsoft.graph.security.userEvidence" => {
            serde_json::from_value(raw.clone()).ok().map(Evidence::User)
        }
        _ => None,
    };
    typed.unwrap_or(Evidence::Other { odata_type, raw })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::ODataPage;

    #[test]
    fn the_list_fixture_reads_both_alerts_with_typed_evidence() {
        let text = include_str!("../../../tests/fixtures/api/graph-alerts-v2-list.json");
        let page: ODataPage<SecurityAlert> = serde_json::from_str(text).unwrap();
        assert_eq!(page.value.len(), 2, "no alert dropped");
        assert!(page.next_link.is_some());
        let cas = &page.value[0];
        assert_eq!(
            cas.provider_alert_id.as_deref(),
            Some("66b1f0c2e4b0a1b2c3d4e5f6")
        );
        assert_eq!(cas.status, SecurityAlertStatus::New);
        assert!(cas.evidence.iter().any(|e| matches!(
            e,
            Evidence::User(u) if u.user_account.as_ref().and_then(|a| a.user_principal_name.as_deref()).is_some()
        )));
        let mde = &page.value[1];
        assert!(mde.evidence.iter().any(|e| matches!(
            e,
            Evidence::Device(d) if d.mde_device_id.is_some()
        )));
    }

    #[test]
    fn unknown_values_and_evidence_types_are_kept() {
        let alert: SecurityAlert = serde_json::from_value(serde_json::json!({
            "id": "a1",
            "status": "someFutureStatus",
            "severity": null,
            "evidence": [{"@odata.type": "#microsoft.graph.security.quantumEvidence", "x": 1}]
        }))
        .unwrap();
        assert_eq!(
            alert.status,
            SecurityAlertStatus::Unknown("someFutureStatus".into())
        );
        assert!(matches!(
            &alert.evidence[0],
            Evidence::Other { odata_type, .. } if odata_type.ends_with("quantumEvidence")
        ));
    }
}
