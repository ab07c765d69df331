//! Turns scenario records into the JSON objects the services serve (machines, alerts), and makes new alerts.

use super::clock::{iso_ms, iso_s, iso7};
use super::migration;
use super::scenario::{AlertSeed, MachineSeed, PolicySeed, Scenario, UserSeed};
use super::state::State;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// A Defender machine object, ages made absolute against `now`.
pub(crate) fn machine_json(m: &MachineSeed, now: DateTime<Utc>) -> Value {
    let last_seen = now - Duration::seconds((m.last_seen_hours_ago * 3600.0) as i64);
    let first_seen = now - Duration::seconds((m.first_seen_days_ago * 86400.0) as i64);
    let ip = if m.ip.is_empty() { "10.0.0.1" } else { &m.ip };
    let mac: String = m.id.chars().take(12).collect::<String>().to_uppercase();
    json!({
        "id": m.id,
        "computerDnsName": m.computer_dns_name,
        "firstSeen": iso_s(first_seen),
        "lastSeen": iso7(last_seen),
        "osPlatform": m.os_platform,
        "version": m.version,
        "osProcessor": "x64",
        "osBuild": m.os_build,
        "osArchitecture": "64-bit",
        "lastIpAddress": ip,
        "lastExternalIpAddress": "198.51.100.20",
        "healthStatus": m.health_status,
        "onboardingStatus": m.onboarding_status,
        "rbacGroupId": m.rbac_group_id,
        "rbacGroupName": m.rbac_group_name,
        "riskScore": m.risk_score,
        "exposureLevel": m.exposure_level,
        "deviceValue": m.device_value,
        "isAadJoined": m.aad_device_id.is_some(),
        "aadDeviceId": m.aad_device_id,
        "machineTags": m.tags,
        "ipAddresses": [{ "ipAddress": ip, "macAddress": mac, "type": "Ethernet", "operationalStatus": "Up" }],
        "isExcluded": m.excluded,
        "exclusionReason": if m.excluded { Some("Duplicate") } else { None },
        "mergedIntoMachineId": m.merged_into,
        "isPotentialDuplication": m.merged_into.is_some(),
    })
}

/// Cloud App Security story and MITRE intent numbers typical of a policy type.
fn story_intent(policy_type: &str) -> (u8, u8) {
    match policy_type {
        "FILE" => (3, 11),
        "NEW_SERVICE" | "DISCOVERY_ANOMALY" => (4, 0),
        "OAUTH_APP" => (0, 3),
        "ACTIVITY" => (0, 10),
        _ => (0, 2),
    }
}

/// Everything that varies from one alert to the next.
pub(crate) struct AlertParts<'a> {
    pub id: String,
    pub id_value: u64,
    pub at: DateTime<Utc>,
    pub policy: &'a PolicySeed,
    pub user: Option<&'a str>,
    pub title: String,
    pub description: String,
    pub severity: u8,
    pub ip: String,
    pub read: bool,
}

/// A Cloud App Security alert object in the shape of the documented list items.
pub(crate) fn alert_json(scn: &Scenario, p: AlertParts<'_>, rng: &mut StdRng) -> Value {
    let policy = p.policy;
    let mut policy_ref = json!({
        "id": policy.id, "label": policy.name, "policyType": policy.policy_type, "type": "policyRule",
    });
    if let Some(flow) = &policy.flow_id {
        policy_ref["msFlowId"] = json!(flow);
    }
    let mut entities = vec![json!({
        "type": "policyRule", "id": policy.id, "label": policy.name, "policyType": policy.policy_type,
    })];
    match p.user {
        Some(upn) => {
            let known: Option<&UserSeed> =
                scn.users.iter().find(|u| u.upn.eq_ignore_ascii_case(upn));
            let (id, label) =
                known.map_or((upn, upn), |u| (u.id.as_str(), u.display_name.as_str()));
            entities.push(json!({
                "type": "account", "id": id, "label": label, "pa": upn, "em": upn,
                "saas": policy.service_id, "inst": 0, "entityType": 2, "entityRole": "Source",
            }));
            entities.push(json!({ "type": "user", "id": upn, "label": upn }));
            entities
                .push(json!({ "type": "ip", "id": p.ip, "label": p.ip, "triggeredAlert": true }));
        }
        None => entities.push(json!({
            "type": "groupTag", "id": "5f759b4d106abbe4a504ea5d", "label": "All Users",
        })),
    }
    entities
        .push(json!({ "type": "service", "id": policy.service_id, "label": policy.service_name }));
    let (story, intent) = story_intent(&policy.policy_type);
    json!({
        "_id": p.id,
        "idValue": p.id_value,
        "timestamp": p.at.timestamp_millis(),
        "title": p.title,
        "description": p.description,
        "isMarkdown": false,
        "isSystemAlert": p.user.is_none(),
        "isPreview": false,
        "statusValue": u8::from(p.read),
        "severityValue": p.severity,
        "resolutionStatusValue": 0,
        "stories": [story],
        "intent": [intent],
        "threatScore": rng.random_range(10..95),
        "contextId": scn.tenant_id,
        "policy": policy_ref,
        "entities": entities,
        "evidence": [{ "totalEvents": rng.random_range(1..40), "riskType": policy.policy_type.to_lowercase() }],
        "comment": "",
        "handledByUser": null,
        "resolveTime": null,
        "URL": format!("https://{}.us2.portal.cloudappsecurity.com/#/alerts/{}", scn.tenant, p.id),
    })
}

/// Marks an alert closed with the given resolution status.
pub(crate) fn close_alert(
    alert: &mut Value,
    resolution: u8,
    comment: &str,
    by: &str,
    at: DateTime<Utc>,
) {
    alert["resolutionStatusValue"] = json!(resolution);
    alert["statusValue"] = json!(2);
    alert["comment"] = json!(comment);
    alert["handledByUser"] = json!(by);
    alert["resolveTime"] = json!(iso_ms(at));
}

fn random_ip(rng: &mut StdRng) -> String {
    let net = if rng.random_bool(0.5) {
        "198.51.100"
    } else {
        "203.0.113"
    };
    format!("{net}.{}", rng.random_range(2..250))
}

/// An alert from the scenario's backlog; `None` when its policy is missing (validation prevents that).
pub(crate) fn backlog_alert(
    scn: &Scenario,
    a: &AlertSeed,
    id_value: u64,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> Option<Value> {
    let policy = scn.policies.iter().find(|p| p.id == a.policy)?;
    let ip = a.ip.clone().unwrap_or_else(|| random_ip(rng));
    let parts = AlertParts {
        id: a.id.clone(),
        id_value,
        at: now - Duration::seconds((a.minutes_ago * 60.0) as i64),
        policy,
        user: a.user.as_deref(),
        title: a.title.clone(),
        description: a.description.clone(),
        severity: a.severity.unwrap_or(policy.severity),
        ip,
        read: a.read,
    };
    let mut alert = alert_json(scn, parts, rng);
    if a.resolution_status != 0 {
        let at = now - Duration::seconds((a.minutes_ago * 30.0) as i64);
        close_alert(
            &mut alert,
            a.resolution_status,
            "Closed before the simulation began",
            "analyst@contoso.com",
            at,
        );
    }
    Some(alert)
}

/// A user for a new alert: four times in five one who logs on to some machine, so flows have work to do.
fn pick_user(st: &mut State) -> Option<UserSeed> {
    let users = &st.scenario.users;
    let with_machines: Vec<&UserSeed> = users
        .iter()
        .filter(|u| {
            st.scenario.machines.iter().any(|m| {
                m.logon_users
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(&u.account_name))
            })
        })
        .collect();
    let pool: Vec<&UserSeed> = if !with_machines.is_empty() && st.rng.random_bool(0.8) {
        with_machines
    } else {
        users.iter().collect()
    };
    if pool.is_empty() {
        return None;
    }
    let i = st.rng.random_range(0..pool.len());
    Some(pool[i].clone())
}

/// Adds one freshly raised alert, as the arrival process does.
pub(crate) fn arrive(st: &mut State) {
    let candidates: Vec<usize> = st
        .scenario
        .policies
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            (p.enabled || migration::successor_of(st, &p.id).is_some())
                && (st.scenario.arrivals.policies.is_empty()
                    || st.scenario.arrivals.policies.contains(&p.id))
        })
        .map(|(i, _)| i)
        .collect();
    if candidates.is_empty() {
        return;
    }
    let pi = candidates[st.rng.random_range(0..candidates.len())];
    let policy = st.scenario.policies[pi].clone();
    let user = if policy.user_activity {
        pick_user(st)
    } else {
        None
    };
    let template = if policy.titles.is_empty() {
        policy.name.clone()
    } else {
        policy.titles[st.rng.random_range(0..policy.titles.len())].clone()
    };
    let who = user.as_ref().map_or("", |u| u.display_name.as_str());
    let title = template.replace("{user}", who);
    let description = match &user {
        Some(u) => format!(
            "{} raised an alert for {} ({}).",
            policy.name, u.display_name, u.upn
        ),
        None => format!("{} raised an alert for the organisation.", policy.name),
    };
    st.next_id_value += st.rng.random_range(1..9);
    let id = st.hex(24);
    let ip = random_ip(&mut st.rng);
    let parts = AlertParts {
        id,
        id_value: st.next_id_value,
        at: st.clock.now(),
        policy: &policy,
        user: user.as_ref().map(|u| u.upn.as_str()),
        title,
        description,
        severity: policy.severity,
        ip,
        read: false,
    };
    let alert = alert_json(&st.scenario, parts, &mut st.rng);
    migration::raise(st, alert, &policy.id);
    st.stats.alert_arrived();
}
