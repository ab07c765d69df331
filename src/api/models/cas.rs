//! Cloud App Security models: alerts, their entities and policy, policies, close results, error bodies.

use serde::{Deserialize, Serialize};

use super::lenient::{self, number_enum};

number_enum! {
    /// `severityValue` of an alert.
    Severity { Low = 0, Medium = 1, High = 2, Informational = 3 }
}

number_enum! {
    /// `resolutionStatusValue` of an alert.
    ResolutionStatus { Open = 0, Dismissed = 1, Resolved = 2, FalsePositive = 3, Benign = 4, TruePositive = 5 }
}

number_enum! {
    /// `statusValue` of an alert.
    AlertStatus { Unread = 0, Read = 1, Archived = 2 }
}

/// A Cloud App Security alert.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Alert id (24 hex characters).
    #[serde(rename = "_id", deserialize_with = "lenient::id")]
    pub id: String,
    /// Numeric id.
    #[serde(default, deserialize_with = "lenient::int")]
    pub id_value: Option<i64>,
    /// Raise time, Unix epoch milliseconds.
    #[serde(default, deserialize_with = "lenient::int_or_zero")]
    pub timestamp: i64,
    /// Title (untrusted text).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub title: String,
    /// Description (untrusted text; HTML when `is_markdown`).
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub description: String,
    /// True when the description is HTML.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub is_markdown: bool,
    /// Built-in alert rather than one from a user policy.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub is_system_alert: bool,
    /// Preview detection.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub is_preview: bool,
    /// Read state.
    #[serde(rename = "statusValue", default)]
    pub status: Option<AlertStatus>,
    /// Severity.
    #[serde(rename = "severityValue", default)]
    pub severity: Option<Severity>,
    /// Resolution.
    #[serde(rename = "resolutionStatusValue", default)]
    pub resolution_status: Option<ResolutionStatus>,
    /// Investigation priority of the user.
    #[serde(default, deserialize_with = "lenient::int")]
    pub threat_score: Option<i64>,
    /// The policy that raised the alert.
    #[serde(default)]
    pub policy: Option<PolicyRef>,
    /// Related entities (unreadable ones dropped).
    #[serde(default, deserialize_with = "lenient::valid_items")]
    pub entities: Vec<Entity>,
    /// Closing comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// Who closed it.
    #[serde(default)]
    pub handled_by_user: Option<String>,
    /// When it was closed (ISO text as sent).
    #[serde(default)]
    pub resolve_time: Option<String>,
    /// Portal link.
    #[serde(rename = "URL", default)]
    pub url: Option<String>,
}

impl Alert {
    /// The alert's user, as the Flow trigger's `CompromisedEntity` would give it: the first `user`
    /// entity's id, else the first `account` entity's `pa`, else its `em`.
    pub fn user_principal(&self) -> Option<&str> {
        let non_empty = |text: &str| !text.is_empty();
        if let Some(user) = self
            .entities
            .iter()
            .find(|entity| entity.kind == "user" && non_empty(&entity.id))
        {
            return Some(&user.id);
        }
        let account = self
            .entities
            .iter()
            .find(|entity| entity.kind == "account")?;
        account
            .pa
            .as_deref()
            .filter(|pa| non_empty(pa))
            .or(account.em.as_deref().filter(|em| non_empty(em)))
    }

    /// True while the alert is open.
    pub fn is_open(&self) -> bool {
        matches!(self.resolution_status, None | Some(ResolutionStatus::Open))
    }
}

/// The `policy` member of an alert.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRef {
    /// Policy id.
    #[serde(default, deserialize_with = "lenient::string_or_number")]
    pub id: String,
    /// Policy name.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub label: String,
    /// e.g. `ANOMALY_DETECTION`, `FILE`.
    #[serde(default)]
    pub policy_type: Option<String>,
    /// The Power Automate flow bound to the policy.
    #[serde(default)]
    pub ms_flow_id: Option<String>,
}

/// One related entity of an alert (`account`, `user`, `ip`, `service`, `policyRule`, ...).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    /// Entity type as sent.
    #[serde(rename = "type", default, deserialize_with = "lenient::null_default")]
    pub kind: String,
    /// Id (numbers, e.g. app ids, are kept as text).
    #[serde(default, deserialize_with = "lenient::string_or_number")]
    pub id: String,
    /// Display label.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub label: String,
    /// Principal address (UPN or e-mail) of an account.
    #[serde(default)]
    pub pa: Option<String>,
    /// E-mail of an account.
    #[serde(default)]
    pub em: Option<String>,
    /// App id.
    #[serde(default, deserialize_with = "lenient::int")]
    pub saas: Option<i64>,
    /// App instance.
    #[serde(default, deserialize_with = "lenient::int")]
    pub inst: Option<i64>,
    /// `Source` or `Related`.
    #[serde(default)]
    pub entity_role: Option<String>,
}

/// A list response of alerts.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertPage {
    /// Alerts of this page (unreadable ones dropped with a warning).
    #[serde(default, deserialize_with = "lenient::valid_items")]
    pub data: Vec<Alert>,
    /// More pages follow.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub has_next: bool,
    /// Total matching alerts.
    #[serde(default)]
    pub total: Option<u64>,
    /// Page cap used by the service.
    #[serde(default)]
    pub max: Option<u64>,
    /// True when `total` is a lower bound.
    #[serde(default)]
    pub more_than_total: Option<bool>,
}

/// A Cloud App Security policy (schema undocumented; fields seen in the field, all optional).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Policy id.
    #[serde(rename = "_id", deserialize_with = "lenient::id")]
    pub id: String,
    /// Name.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub name: String,
    /// e.g. `ANOMALY_DETECTION`.
    #[serde(default)]
    pub policy_type: Option<String>,
    /// Enabled in the portal.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Severity of the alerts it raises.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Alert settings, including the bound flow.
    #[serde(default)]
    pub alerts_settings: Option<AlertsSettings>,
}

impl Policy {
    /// Ids of the flows bound to the policy ("Send alerts to Power Automate"), empty when off.
    pub fn bound_flow_ids(&self) -> &[String] {
        match self
            .alerts_settings
            .as_ref()
            .and_then(|s| s.ms_flow.as_ref())
        {
            Some(flow) if flow.enabled.unwrap_or(true) => &flow.flow_ids,
            _ => &[],
        }
    }
}

/// `alertsSettings` of a policy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertsSettings {
    /// "Send alerts to Power Automate".
    #[serde(default)]
    pub ms_flow: Option<MsFlowSettings>,
    /// Daily alert limit.
    #[serde(default, deserialize_with = "lenient::int")]
    pub daily_limit: Option<i64>,
}

/// The Power Automate binding of a policy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MsFlowSettings {
    /// Ticked or not.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Bound flow ids.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub flow_ids: Vec<String>,
}

/// A list response of policies (paging fields may be absent).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPage {
    /// Policies of this page (unreadable ones dropped with a warning).
    #[serde(default, deserialize_with = "lenient::valid_items")]
    pub data: Vec<Policy>,
    /// More pages follow (absent when the service does not page).
    #[serde(default)]
    pub has_next: Option<bool>,
    /// Total policies.
    #[serde(default)]
    pub total: Option<u64>,
}

/// Answer of the close endpoints: one counter, plus the ids that were not found.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseResponse {
    /// `close_true_positive` counter.
    #[serde(rename = "closed_true_positive", default)]
    pub closed_true_positive: Option<u32>,
    /// `close_benign` counter.
    #[serde(rename = "closed_benign", default)]
    pub closed_benign: Option<u32>,
    /// `close_false_positive` counter.
    #[serde(rename = "closed_false_positive", default)]
    pub closed_false_positive: Option<u32>,
    /// Ids the service did not know.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub alerts_not_found: Vec<String>,
}

impl CloseResponse {
    /// Alerts closed, whichever counter the service used.
    pub fn closed(&self) -> u32 {
        self.closed_true_positive
            .or(self.closed_benign)
            .or(self.closed_false_positive)
            .unwrap_or(0)
    }
}

/// A Cloud App Security error body: `{"error": ...}` and/or the `filters` validation shape.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CasErrorBody {
    /// `true`, or an error text.
    #[serde(default)]
    pub error: Option<serde_json::Value>,
    /// Per-filter validation errors.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub filters: Vec<CasFilterError>,
    /// Some answers carry `detail`.
    #[serde(default)]
    pub detail: Option<String>,
}

impl CasErrorBody {
    /// A one-line explanation of the error, if the body carries any text.
    pub fn message(&self) -> Option<String> {
        let mut parts: Vec<String> = self.filters.iter().map(|f| f.error.clone()).collect();
        if let Some(serde_json::Value::String(text)) = &self.error {
            parts.push(text.clone());
        }
        if let Some(detail) = &self.detail {
            parts.push(detail.clone());
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// One entry of the `filters` validation shape.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CasFilterError {
    /// Text, e.g. `nope is not valid`.
    #[serde(default, deserialize_with = "lenient::null_default")]
    pub error: String,
    /// e.g. `CONSOLE_FORMS_NOT_VALID_VALUE`.
    #[serde(default)]
    pub error_message_code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(entities: serde_json::Value) -> Alert {
        serde_json::from_value(serde_json::json!({"_id": "a", "entities": entities})).unwrap()
    }

    #[test]
    fn user_principal_prefers_user_then_account_pa_then_em() {
        let both = alert(serde_json::json!([
            {"type": "account", "id": "guid", "pa": "pa@x"},
            {"type": "user", "id": "user@x"}
        ]));
        assert_eq!(both.user_principal(), Some("user@x"));
        let account =
            alert(serde_json::json!([{"type": "account", "id": "g", "pa": "pa@x", "em": "em@x"}]));
        assert_eq!(account.user_principal(), Some("pa@x"));
        let em =
            alert(serde_json::json!([{"type": "account", "id": "g", "pa": null, "em": "em@x"}]));
        assert_eq!(em.user_principal(), Some("em@x"));
        let none = alert(serde_json::json!([{"type": "ip", "id": "1.2.3.4"}]));
        assert_eq!(none.user_principal(), None);
    }

    #[test]
    fn one_unreadable_alert_does_not_sink_the_page() {
        let page: AlertPage = serde_json::from_value(serde_json::json!({
            "data": [
                {"_id": "a", "timestamp": "1721900000000", "severityValue": "HIGH",
                 "resolutionStatusValue": "false_positive", "entities": [7, {"type": "user", "id": "u@x"}]},
                {"_id": {"oops": true}},
                {"_id": "c", "severityValue": "2"}
            ],
            "hasNext": false
        }))
        .unwrap();
        let ids: Vec<&str> = page.data.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(page.data[0].timestamp, 1_721_900_000_000);
        assert_eq!(page.data[0].severity, Some(Severity::High));
        assert_eq!(
            page.data[0].resolution_status,
            Some(ResolutionStatus::FalsePositive)
        );
        assert_eq!(page.data[0].user_principal(), Some("u@x"));
        assert_eq!(page.data[1].severity, Some(Severity::High));
    }

    #[test]
    fn unknown_enum_values_are_kept() {
        let parsed: Alert = serde_json::from_value(serde_json::json!({
            "_id": "a", "severityValue": 9, "resolutionStatusValue": null, "timestamp": null
        }))
        .unwrap();
        assert_eq!(parsed.severity, Some(Severity::Unknown(9)));
        assert_eq!(parsed.resolution_status, None);
        assert!(parsed.is_open());
    }
}
