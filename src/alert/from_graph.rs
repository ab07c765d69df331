//! A Graph security alert (`alerts_v2`) as a source-neutral alert: the Cloud App Security ones keyed by their
//! REST id (`providerAlertId`), devices and the user read from the evidence.

use crate::api::models::security::{
    Evidence, SecurityAlert, SecurityAlertStatus, SecuritySeverity,
};
use crate::engine::interface::{Resolution, Severity};

use super::{AlertKey, Detection, DeviceRef, SourceAlert, SourceKind};

/// `serviceSource` of Cloud App Security alerts.
const CLOUD_APPS: &str = "microsoftDefenderForCloudApps";

impl From<&SecurityAlert> for SourceAlert {
    fn from(alert: &SecurityAlert) -> SourceAlert {
        let mut devices = Vec::new();
        let mut user_principal = None;
        let mut entities = Vec::new();
        for evidence in &alert.evidence {
            match evidence {
                Evidence::Device(device) => match device.mde_device_id.as_deref() {
                    Some(id) if !id.is_empty() => devices.push(DeviceRef {
                        mde_device_id: id.to_string(),
                        dns_name: device.device_dns_name.clone(),
                        health_status: device.health_status.clone(),
                        defender_av_status: device.defender_av_status.clone(),
                    }),
                    _ => entities.push((
                        "device".to_string(),
                        device.device_dns_name.clone().unwrap_or_default(),
                    )),
                },
                Evidence::User(user) => {
                    let account = user.user_account.as_ref();
                    let upn = account.and_then(|a| a.user_principal_name.as_deref());
                    if user_principal.is_none() {
                        user_principal = upn.filter(|u| !u.is_empty()).map(str::to_string);
                    }
                    let label = upn
                        .or(account.and_then(|a| a.display_name.as_deref()))
                        .unwrap_or_default();
                    entities.push(("user".to_string(), label.to_string()));
                }
                Evidence::Other { odata_type, .. } => {
                    let kind = odata_type
                        .trim_start_matches("#microsoft.graph.security.")
                        .trim_end_matches("Evidence");
                    entities.push((kind.to_string(), String::new()));
                }
            }
        }
        SourceAlert {
            key: key(alert),
            seen_by: vec![SourceKind::Graph],
            graph_id: Some(alert.id.clone()),
            title: alert.title.clone(),
            description: alert.description.clone(),
            severity: severity(&alert.severity),
            resolution: resolution(alert),
            raised_at: alert.created_date_time.unwrap_or_default(),
            updated_at: alert.last_update_date_time,
            detection: Detection {
                policy_id: None,
                policy_name: None,
                detector_id: alert.detector_id.clone(),
                service_source: Some(alert.service_source.clone()).filter(|s| !s.is_empty()),
            },
            user_principal,
            devices,
            url: alert.alert_web_url.clone(),
            entities,
            read: false,
        }
    }
}

/// A Cloud App Security alert is known by its REST id, so both sources give one alert; others by Graph id.
fn key(alert: &SecurityAlert) -> AlertKey {
    match alert.provider_alert_id.as_deref() {
        Some(provider_id) if alert.service_source == CLOUD_APPS && !provider_id.is_empty() => {
            AlertKey::Cas(provider_id.to_string())
        }
        _ => AlertKey::Graph(alert.id.clone()),
    }
}

fn severity(severity: &SecuritySeverity) -> Severity {
    match severity {
        SecuritySeverity::Informational => Severity::Informational,
        SecuritySeverity::Low => Severity::Low,
        SecuritySeverity::Medium => Severity::Medium,
        SecuritySeverity::High => Severity::High,
        _ => Severity::Unknown,
    }
}

/// Open until resolved; a resolved alert reads as its classification.
fn resolution(alert: &SecurityAlert) -> Resolution {
    match &alert.status {
        SecurityAlertStatus::New | SecurityAlertStatus::InProgress => Resolution::Open,
        SecurityAlertStatus::Resolved => match alert.classification.as_deref() {
            Some("truePositive") => Resolution::TruePositive,
            Some("falsePositive") => Resolution::FalsePositive,
            Some("informationalExpectedActivity") => Resolution::Benign,
            _ => Resolution::Resolved,
        },
        SecurityAlertStatus::Unknown(_) => Resolution::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::ODataPage;

    fn fixture() -> Vec<SecurityAlert> {
        let text = include_str!("../../tests/fixtures/api/graph-alerts-v2-list.json");
        serde_json::from_str::<ODataPage<SecurityAlert>>(text)
            .unwrap()
            .value
    }

    #[test]
    fn a_cloud_apps_alert_is_keyed_by_its_rest_id_and_names_its_user() {
        let alerts = fixture();
        let neutral = SourceAlert::from(&alerts[0]);
        assert_eq!(
            neutral.key,
            AlertKey::Cas(alerts[0].provider_alert_id.clone().unwrap())
        );
        assert_eq!(neutral.graph_id.as_deref(), Some(alerts[0].id.as_str()));
        assert!(neutral.user_principal.is_some());
        assert!(neutral.devices.is_empty());
        assert_eq!(neutral.resolution, Resolution::Open);
        assert!(neutral.detection.detector_id.is_some());
    }

    #[test]
    fn an_endpoint_alert_names_its_device_exactly_and_keeps_unknown_evidence() {
        let alerts = fixture();
        let neutral = SourceAlert::from(&alerts[1]);
        assert_eq!(neutral.key, AlertKey::Graph(alerts[1].id.clone()));
        let device = &neutral.devices[0];
        let Evidence::Device(sent) = alerts[1]
            .evidence
            .iter()
            .find(|e| matches!(e, Evidence::Device(_)))
            .unwrap()
        else {
            unreachable!()
        };
        assert_eq!(Some(&device.mde_device_id), sent.mde_device_id.as_ref());
        assert!(
            neutral
                .entities
                .iter()
                .any(|(kind, _)| kind == "someEvidenceTypeAddedLater"),
            "{:?}",
            neutral.entities
        );
    }

    #[test]
    fn a_resolved_alert_reads_as_its_classification() {
        let mut alert = fixture().remove(0);
        alert.status = SecurityAlertStatus::Resolved;
        alert.classification = Some("falsePositive".into());
        assert_eq!(
            SourceAlert::from(&alert).resolution,
            Resolution::FalsePositive
        );
        alert.status = SecurityAlertStatus::Unknown("archivedLater".into());
        assert_eq!(SourceAlert::from(&alert).resolution, Resolution::Unknown);
    }

    #[test]
    fn an_inactive_device_says_so_before_approval() {
        let device = DeviceRef {
            mde_device_id: "m1".into(),
            dns_name: None,
            health_status: Some("inactive".into()),
            defender_av_status: Some("notReporting".into()),
        };
        assert_eq!(
            device.caveat().as_deref(),
            Some("health inactive, antivirus notReporting")
        );
    }
}
