//! A Cloud App Security REST alert as a source-neutral alert.

use chrono::{TimeZone, Utc};

use crate::api::models::cas::{Alert, AlertStatus, ResolutionStatus, Severity as CasSeverity};
use crate::engine::interface::{Resolution, Severity};

use super::{AlertKey, Detection, SourceAlert, SourceKind};

impl From<&Alert> for SourceAlert {
    fn from(alert: &Alert) -> SourceAlert {
        let policy = alert.policy.as_ref();
        SourceAlert {
            key: AlertKey::Cas(alert.id.clone()),
            seen_by: vec![SourceKind::Cas],
            graph_id: None,
            title: alert.title.clone(),
            description: alert.description.clone(),
            severity: severity(alert.severity.as_ref()),
            resolution: resolution(alert.resolution_status.as_ref()),
            raised_at: Utc
                .timestamp_millis_opt(alert.timestamp)
                .single()
                .unwrap_or_default(),
            updated_at: None,
            detection: Detection {
                policy_id: policy.map(|p| p.id.clone()),
                policy_name: policy.map(|p| p.label.clone()),
                detector_id: None,
                service_source: None,
            },
            user_principal: alert.user_principal().map(str::to_string),
            devices: Vec::new(),
            url: alert.url.clone(),
            entities: alert
                .entities
                .iter()
                .map(|e| {
                    let label = if e.label.is_empty() { &e.id } else { &e.label };
                    (e.kind.clone(), label.clone())
                })
                .collect(),
            read: matches!(
                alert.status,
                Some(AlertStatus::Read) | Some(AlertStatus::Archived)
            ),
        }
    }
}

/// Cloud App Security's severity in the console's words.
pub(crate) fn severity(severity: Option<&CasSeverity>) -> Severity {
    match severity {
        Some(CasSeverity::Low) => Severity::Low,
        Some(CasSeverity::Medium) => Severity::Medium,
        Some(CasSeverity::High) => Severity::High,
        Some(CasSeverity::Informational) => Severity::Informational,
        _ => Severity::Unknown,
    }
}

/// Cloud App Security's resolution status in the console's words.
pub(crate) fn resolution(status: Option<&ResolutionStatus>) -> Resolution {
    match status {
        None | Some(ResolutionStatus::Open) => Resolution::Open,
        Some(ResolutionStatus::Dismissed) => Resolution::Dismissed,
        Some(ResolutionStatus::Resolved) => Resolution::Resolved,
        Some(ResolutionStatus::FalsePositive) => Resolution::FalsePositive,
        Some(ResolutionStatus::Benign) => Resolution::Benign,
        Some(ResolutionStatus::TruePositive) => Resolution::TruePositive,
        Some(_) => Resolution::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_alert_keeps_its_exact_id_user_and_policy() {
        let text = include_str!("../../tests/fixtures/api/cas-alerts-list.json");
        let page: crate::api::models::cas::AlertPage = serde_json::from_str(text).unwrap();
        assert!(!page.data.is_empty());
        for alert in &page.data {
            let neutral = SourceAlert::from(alert);
            assert_eq!(neutral.key, AlertKey::Cas(alert.id.clone()));
            assert_eq!(neutral.user_principal.as_deref(), alert.user_principal());
            assert_eq!(
                neutral.detection.policy_id.as_deref(),
                alert.policy.as_ref().map(|p| p.id.as_str())
            );
            assert_eq!(neutral.seen_by, vec![SourceKind::Cas]);
        }
    }
}
