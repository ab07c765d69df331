//! Microsoft Graph models: users and their devices.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lenient;

/// A Graph user.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphUser {
    /// Directory object id.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub id: String,
    /// UPN.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Mail.
    #[serde(default)]
    pub mail: Option<String>,
    /// On-premises account name (what Defender's user lookup wants).
    #[serde(default)]
    pub on_premises_sam_account_name: Option<String>,
    /// Enabled.
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

/// A Graph device (`#microsoft.graph.device`) as listed under a user's registered or owned devices.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphDevice {
    /// `#microsoft.graph.device` for devices; other directory objects may appear in the same list.
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    /// Directory object id (not what Defender uses).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub id: String,
    /// Device Registration Service id = Defender `aadDeviceId`.
    #[serde(default)]
    pub device_id: Option<String>,
    /// Name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// OS.
    #[serde(default)]
    pub operating_system: Option<String>,
    /// OS version.
    #[serde(default)]
    pub operating_system_version: Option<String>,
    /// `Workplace`, `AzureAd`, `ServerAd`.
    #[serde(default)]
    pub trust_type: Option<String>,
    /// Enabled.
    #[serde(default)]
    pub account_enabled: Option<bool>,
    /// Last sign-in (approximate).
    #[serde(default, deserialize_with = "lenient::time")]
    pub approximate_last_sign_in_date_time: Option<DateTime<Utc>>,
    /// Compliant.
    #[serde(default)]
    pub is_compliant: Option<bool>,
    /// Managed.
    #[serde(default)]
    pub is_managed: Option<bool>,
    /// Profile type.
    #[serde(default)]
    pub profile_type: Option<String>,
}

impl GraphDevice {
    /// True unless the item says it is another kind of directory object.
    pub fn is_device(&self) -> bool {
        self.odata_type
            .as_deref()
            .is_none_or(|kind| kind.eq_ignore_ascii_case("#microsoft.graph.device"))
    }
}
