//! Graph security alerts (`alerts_v2`) built from the scenario: one per Cloud App Security alert, a few
//! Defender for Endpoint alerts with device evidence, and newer enum members hidden without `Prefer`.

use super::clock::iso7;
use super::scenario::{MachineSeed, Scenario};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// `serviceSource` of Cloud App Security alerts.
pub(crate) const CAS_SOURCE: &str = "microsoftDefenderForCloudApps";
/// `serviceSource` of Defender for Endpoint alerts.
pub(crate) const MDE_SOURCE: &str = "microsoftDefenderForEndpoint";
/// A `detectionSource` member newer than `unknownFutureValue`: sent only to clients that ask for it.
pub(crate) const EVOLVED_DETECTION_SOURCE: &str = "microsoftThreatIntelligence";
/// An evidence type the client models do not know (shown, never fatal).
pub(crate) const UNMODELLED_EVIDENCE: &str = "#microsoft.graph.security.kubernetesPodEvidence";

/// A GUID fixed by `key` alone (detector ids, user ids of unknown users).
pub(crate) fn stable_guid(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The `detectorId` of a Cloud App Security policy's detection.
pub(crate) fn detector_of_policy(policy_id: &str) -> String {
    stable_guid(&format!("detector:{policy_id}"))
}

fn severity_word(cas_severity: i64) -> &'static str {
    match cas_severity {
        0 => "low",
        1 => "medium",
        2 => "high",
        _ => "informational",
    }
}

/// The Graph `classification` matching a Cloud App Security resolution status.
fn classification_of(resolution: i64) -> Option<&'static str> {
    match resolution {
        3 => Some("falsePositive"),
        4 => Some("informationalExpectedActivity"),
        5 => Some("truePositive"),
        _ => None,
    }
}

fn urls(tenant_id: &str, id: &str, incident: &str) -> (String, String) {
    (
        format!("https://security.microsoft.com/alerts/{id}?tid={tenant_id}"),
        format!("https://security.microsoft.com/incidents/{incident}?tid={tenant_id}"),
    )
}

fn evidence_common(at: &str, verdict: &str) -> Value {
    json!({
        "createdDateTime": at, "verdict": verdict, "remediationStatus": "none",
        "remediationStatusDetails": null, "roles": [], "detailedRoles": [], "tags": [],
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

/// The user evidence of a UPN (the scenario's user when known).
fn user_evidence(scn: &Scenario, upn: &str, at: &str) -> Value {
    let user = scn.users.iter().find(|u| u.upn.eq_ignore_ascii_case(upn));
    let (account, domain) = upn.split_once('@').unwrap_or((upn, ""));
    let account = user.map_or(account, |u| u.account_name.as_str());
    let object_id = user.map_or_else(|| stable_guid(&format!("user:{upn}")), |u| u.id.clone());
    let display = user.map_or(upn, |u| u.display_name.as_str());
    with(
        evidence_common(at, "suspicious"),
        json!({
            "@odata.type": "#microsoft.graph.security.userEvidence",
            "roles": ["compromised"],
            "userAccount": {
                "accountName": account, "domainName": domain, "userSid": null,
                "azureAdUserId": object_id, "userPrincipalName": upn, "displayName": display,
            },
        }),
    )
}

/// What one Graph alert says about where it came from.
pub(crate) struct Origin<'a> {
    pub detector: &'a str,
    /// The Graph alert's incident number.
    pub incident: u64,
}

/// The Graph alert of a Cloud App Security alert object (as `seed::alert_json` builds it).
pub(crate) fn from_cas(scn: &Scenario, cas: &Value, origin: Origin<'_>) -> Value {
    let provider_id = cas["_id"].as_str().unwrap_or_default();
    let millis = cas["timestamp"].as_i64().unwrap_or_default();
    let at = DateTime::<Utc>::from_timestamp_millis(millis).unwrap_or_default();
    let created = iso7(at);
    let id = format!("ca{provider_id}_{}", millis.rem_euclid(2_000_000_000));
    let incident = origin.incident.to_string();
    let (alert_url, incident_url) = urls(&scn.tenant_id, &id, &incident);
    let entities = cas["entities"].as_array().cloned().unwrap_or_default();
    let entity = |kind: &str, key: &str| {
        entities
            .iter()
            .find(|e| e["type"] == kind)
            .and_then(|e| e[key].as_str().map(str::to_string))
    };
    let mut evidence = Vec::new();
    if let Some(upn) = entity("account", "pa") {
        evidence.push(user_evidence(scn, &upn, &created));
    }
    if let Some(ip) = entity("ip", "id") {
        evidence.push(with(
            evidence_common(&created, "unknown"),
            json!({ "@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": ip }),
        ));
    }
    let app = entities.iter().find(|e| e["type"] == "service");
    if let Some(app) = app {
        evidence.push(with(
            evidence_common(&created, "unknown"),
            json!({ "@odata.type": "#microsoft.graph.security.cloudApplicationEvidence",
                "appId": app["id"], "displayName": app["label"], "instanceId": 0 }),
        ));
    }
    let resolution = cas["resolutionStatusValue"].as_i64().unwrap_or(0);
    let mut alert = json!({
        "@odata.type": "#microsoft.graph.security.alert",
        "id": id,
        "providerAlertId": provider_id,
        "incidentId": incident,
        "status": "new",
        "severity": severity_word(cas["severityValue"].as_i64().unwrap_or(3)),
        "classification": null,
        "determination": null,
        "serviceSource": CAS_SOURCE,
        "detectionSource": "cloudAppSecurity",
        "productName": "Microsoft Defender for Cloud Apps",
        "detectorId": origin.detector,
        "tenantId": scn.tenant_id,
        "title": cas["title"],
        "description": cas["description"],
        "recommendedActions": "Review the user's recent activity and scan the user's devices.",
        "category": "InitialAccess",
        "assignedTo": null,
        "alertPolicyId": null,
        "actorDisplayName": null,
        "threatDisplayName": null,
        "threatFamilyName": null,
        "alertWebUrl": alert_url,
        "incidentWebUrl": incident_url,
        "mitreTechniques": [],
        "createdDateTime": created,
        "lastUpdateDateTime": created,
        "resolvedDateTime": null,
        "firstActivityDateTime": created,
        "lastActivityDateTime": created,
        "comments": [],
        "systemTags": [],
        "evidence": evidence,
    });
    if let Some(classification) = classification_of(resolution) {
        alert["status"] = json!("resolved");
        alert["classification"] = json!(classification);
        alert["resolvedDateTime"] = json!(created);
    }
    alert
}

/// Marks the Graph alert of a Cloud App Security alert closed in Cloud App Security.
pub(crate) fn mirror_cas_close(alert: &mut Value, resolution: i64, at: DateTime<Utc>) {
    alert["status"] = json!("resolved");
    alert["classification"] = json!(classification_of(resolution).unwrap_or("unknown"));
    alert["resolvedDateTime"] = json!(iso7(at));
    alert["lastUpdateDateTime"] = json!(iso7(at));
}

/// Defender for Endpoint alerts with device evidence on the first `count` machines someone logs on to;
/// the first also has a newer `detectionSource` member and an evidence type the client does not model.
pub(crate) fn endpoint_alerts(scn: &Scenario, count: usize, now: DateTime<Utc>) -> Vec<Value> {
    let machines: Vec<&MachineSeed> = scn
        .machines
        .iter()
        .filter(|m| !m.excluded && m.merged_into.is_none() && !m.logon_users.is_empty())
        .take(count)
        .collect();
    machines
        .into_iter()
        .enumerate()
        .map(|(i, m)| endpoint_alert(scn, m, i, now))
        .collect()
}

fn endpoint_alert(scn: &Scenario, m: &MachineSeed, i: usize, now: DateTime<Utc>) -> Value {
    let at = now - Duration::minutes(20 + 7 * i as i64);
    let created = iso7(at);
    let id = format!("da6386840012345678{i:02}_-12755432{i:02}");
    let incident = (50_000 + i).to_string();
    let (alert_url, incident_url) = urls(&scn.tenant_id, &id, &incident);
    let offline = m.offline || m.health_status != "Active";
    let mut evidence = vec![with(
        evidence_common(&created, "malicious"),
        json!({
            "@odata.type": "#microsoft.graph.security.deviceEvidence",
            "mdeDeviceId": m.id,
            "azureAdDeviceId": m.aad_device_id,
            "deviceDnsName": m.computer_dns_name,
            "osPlatform": m.os_platform,
            "healthStatus": if offline { "inactive" } else { "active" },
            "onboardingStatus": "onboarded",
            "defenderAvStatus": if offline { "notReporting" } else { "updated" },
            "rbacGroupId": m.rbac_group_id,
            "rbacGroupName": m.rbac_group_name,
            "riskScore": "high",
            "loggedOnUsers": m.logon_users.iter()
                .map(|u| json!({ "accountName": u, "domainName": "CONTOSO" }))
                .collect::<Vec<_>>(),
            "ipInterfaces": [m.ip],
        }),
    )];
    if i == 0 {
        evidence.push(with(
            evidence_common(&created, "suspicious"),
            json!({ "@odata.type": UNMODELLED_EVIDENCE, "podName": "web-7f9c", "namespace": "prod" }),
        ));
    }
    json!({
        "@odata.type": "#microsoft.graph.security.alert",
        "id": id,
        "providerAlertId": id,
        "incidentId": incident,
        "status": "new",
        "severity": "medium",
        "classification": null,
        "determination": null,
        "serviceSource": MDE_SOURCE,
        "detectionSource": if i == 0 { EVOLVED_DETECTION_SOURCE } else { "antivirus" },
        "productName": "Microsoft Defender for Endpoint",
        "detectorId": stable_guid(&format!("mde-detector:{i}")),
        "tenantId": scn.tenant_id,
        "title": "Suspicious execution of hidden file",
        "description": format!("A hidden file has been launched on {}.", m.computer_dns_name),
        "recommendedActions": "Update AV signatures and run a full scan.",
        "category": "DefenseEvasion",
        "assignedTo": null,
        "alertPolicyId": null,
        "actorDisplayName": null,
        "threatDisplayName": null,
        "threatFamilyName": null,
        "alertWebUrl": alert_url,
        "incidentWebUrl": incident_url,
        "mitreTechniques": ["T1564.001"],
        "createdDateTime": created,
        "lastUpdateDateTime": created,
        "resolvedDateTime": null,
        "firstActivityDateTime": created,
        "lastActivityDateTime": created,
        "comments": [],
        "systemTags": [],
        "evidence": evidence,
    })
}

/// A single alert's answer (get, update): the alert with its entity context.
pub(crate) fn entity(alert: &Value, include_unknown: bool) -> Value {
    let mut out = as_seen(alert, include_unknown);
    out["@odata.context"] =
        json!("https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2/$entity");
    out
}

/// The alert as a client without `Prefer: include-unknown-enum-members` sees it: newer enum members
/// become `unknownFutureValue`.
pub(crate) fn as_seen(alert: &Value, include_unknown: bool) -> Value {
    let mut out = alert.clone();
    if !include_unknown && out["detectionSource"] == EVOLVED_DETECTION_SOURCE {
        out["detectionSource"] = json!("unknownFutureValue");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detectors_are_stable_guids_per_policy() {
        let a = detector_of_policy("p1");
        assert_eq!(a, detector_of_policy("p1"));
        assert_ne!(a, detector_of_policy("p2"));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn newer_enum_members_are_hidden_unless_asked_for() {
        let alert = json!({ "detectionSource": EVOLVED_DETECTION_SOURCE });
        assert_eq!(
            as_seen(&alert, false)["detectionSource"],
            "unknownFutureValue"
        );
        assert_eq!(
            as_seen(&alert, true)["detectionSource"],
            EVOLVED_DETECTION_SOURCE
        );
    }
}
