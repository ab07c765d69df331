//! One alert from two reads: the Cloud App Security REST alert and its Graph copy (same key).

use crate::engine::interface::Resolution;

use super::SourceAlert;

/// Folds `other` (a read of the same alert from another source) into `alert`: the sources are joined, the
/// Graph id, detector and devices are added, and a close seen in either source closes it. What the REST
/// API said (its policy, its user) is kept: both reads name the same alert.
pub fn merge(alert: &mut SourceAlert, other: SourceAlert) {
    debug_assert_eq!(alert.key, other.key, "only reads of one alert are merged");
    for source in other.seen_by {
        if !alert.seen_by.contains(&source) {
            alert.seen_by.push(source);
        }
    }
    alert.seen_by.sort();
    alert.graph_id = alert.graph_id.take().or(other.graph_id);
    let detection = &mut alert.detection;
    detection.policy_id = detection.policy_id.take().or(other.detection.policy_id);
    detection.policy_name = detection.policy_name.take().or(other.detection.policy_name);
    detection.detector_id = detection.detector_id.take().or(other.detection.detector_id);
    detection.service_source = detection
        .service_source
        .take()
        .or(other.detection.service_source);
    alert.user_principal = alert.user_principal.take().or(other.user_principal);
    for device in other.devices {
        if !alert
            .devices
            .iter()
            .any(|d| d.mde_device_id == device.mde_device_id)
        {
            alert.devices.push(device);
        }
    }
    if alert.resolution == Resolution::Open && other.resolution != Resolution::Open {
        alert.resolution = other.resolution;
    }
    alert.updated_at = alert.updated_at.max(other.updated_at);
    alert.url = alert.url.take().or(other.url);
    alert.read |= other.read;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKey, SourceKind};
    use crate::api::models::ODataPage;
    use crate::api::models::cas::AlertPage;
    use crate::api::models::security::SecurityAlert;

    #[test]
    fn both_reads_of_one_alert_make_one_alert_seen_by_both() {
        let graph: ODataPage<SecurityAlert> = serde_json::from_str(include_str!(
            "../../tests/fixtures/api/graph-alerts-v2-list.json"
        ))
        .unwrap();
        let cas: AlertPage = serde_json::from_str(include_str!(
            "../../tests/fixtures/api/cas-alerts-list.json"
        ))
        .unwrap();
        let mut rest = SourceAlert::from(&cas.data[0]);
        let mut copy = SourceAlert::from(&graph.value[0]);
        // The Graph copy of this very alert: same REST id, closed in the portal meanwhile.
        copy.key = rest.key.clone();
        copy.resolution = Resolution::TruePositive;
        let policy = rest.detection.policy_id.clone();
        merge(&mut rest, copy.clone());
        assert_eq!(rest.seen_by, vec![SourceKind::Cas, SourceKind::Graph]);
        assert_eq!(rest.graph_id, copy.graph_id);
        assert_eq!(rest.detection.policy_id, policy, "the REST policy is kept");
        assert_eq!(rest.detection.detector_id, copy.detection.detector_id);
        assert_eq!(
            rest.resolution,
            Resolution::TruePositive,
            "closed anywhere is closed"
        );
        assert!(matches!(rest.key, AlertKey::Cas(_)));
    }
}
