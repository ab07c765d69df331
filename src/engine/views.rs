//! Turns API models and journal rows into the sanitised views front ends receive.

use chrono::{DateTime, TimeZone, Utc};

use crate::alert::{Detection, MatchedBy, SourceAlert};
use crate::api::models::defender::Machine;
use crate::api::models::security::ServiceSource;
use crate::store::RemediationRow;
use crate::text::sanitize;

use super::interface::{
    AlertView, Cover, EntityView, MachineView, Mode, PolicyView, RemediationView,
};
use super::settings::EngineSettings;
use super::source::SourcePolicy;

/// What an alert no policy or binding names came from: its product and detector ("Defender for Endpoint
/// detector 7d7b…"), the product first so a narrow column still says something useful.
fn detector_label(detection: &Detection) -> Option<String> {
    let product =
        detection
            .service_source
            .as_deref()
            .map(|source| match ServiceSource::parse(source) {
                ServiceSource::DefenderForCloudApps => "Defender for Cloud Apps",
                ServiceSource::DefenderForEndpoint => "Defender for Endpoint",
                ServiceSource::DefenderForIdentity => "Defender for Identity",
                ServiceSource::DefenderForOffice365 => "Defender for Office 365",
                ServiceSource::Microsoft365Defender => "Microsoft 365 Defender",
                ServiceSource::AzureAdIdentityProtection => "Entra ID Protection",
                ServiceSource::Unknown(_) => source,
            });
    match (product, detection.detector_id.as_deref()) {
        (Some(product), Some(detector)) => Some(format!("{product} detector {detector}")),
        (Some(product), None) => Some(product.to_string()),
        (None, Some(detector)) => Some(format!("detector {detector}")),
        (None, None) => None,
    }
}

/// The alert as the console shows it, filed under the binding it matched (else its policy id); every text
/// field sanitised.
pub fn alert_view(alert: &SourceAlert, matched: Option<&MatchedBy>) -> AlertView {
    let detection = &alert.detection;
    let policy_id = matched
        .map(|m| m.binding.as_str())
        .or(detection.policy_id.as_deref())
        .unwrap_or_default();
    let policy_name = detection
        .policy_name
        .clone()
        .or(matched.map(|m| m.binding.clone()))
        .or_else(|| detector_label(detection))
        .unwrap_or_default();
    AlertView {
        id: sanitize(&alert.key.to_string()),
        title: sanitize(&alert.title),
        description: sanitize(&alert.description),
        severity: alert.severity,
        raised_at: alert.raised_at,
        policy_id: sanitize(policy_id),
        policy_name: sanitize(&policy_name),
        user: alert.user_principal.as_deref().map(sanitize),
        note: None,
        resolution: alert.resolution,
        read: alert.read,
        url: alert.url.as_deref().map(sanitize),
        entities: alert
            .entities
            .iter()
            .map(|(kind, label)| EntityView {
                kind: sanitize(kind),
                label: sanitize(label),
            })
            .chain(alert.devices.iter().map(|d| {
                EntityView {
                    kind: "device".into(),
                    label: sanitize(&match d.caveat() {
                        Some(caveat) => format!(
                            "{} ({caveat})",
                            d.dns_name.as_deref().unwrap_or(&d.mde_device_id)
                        ),
                        None => d
                            .dns_name
                            .clone()
                            .unwrap_or_else(|| d.mde_device_id.clone()),
                    }),
                }
            }))
            .collect(),
        seen_by: alert.seen_by.clone(),
        graph_id: alert.graph_id.clone(),
        matched_by: matched.map(MatchedBy::describe),
    }
}

/// Epoch milliseconds (Cloud App Security timestamps) to UTC.
pub fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A policy with its binding and effective mode.
pub fn policy_view(policy: &SourcePolicy, settings: &EngineSettings, mode: Mode) -> PolicyView {
    bind(
        PolicyView {
            id: sanitize(&policy.id),
            name: sanitize(&policy.name),
            policy_type: policy
                .policy_type
                .as_deref()
                .map(sanitize)
                .unwrap_or_default(),
            enabled: policy.enabled,
            mode,
            ..PolicyView::default()
        },
        &policy.id,
        settings,
    )
}

/// A bound policy known only from the config, before Cloud App Security names it.
pub fn configured_policy_view(
    policy_id: &str,
    settings: &EngineSettings,
    mode: Mode,
) -> PolicyView {
    bind(
        PolicyView {
            id: policy_id.to_string(),
            name: policy_id.to_string(),
            enabled: true,
            mode,
            ..PolicyView::default()
        },
        policy_id,
        settings,
    )
}

/// Fills in the policy's bound flow: its name, steps, closing and the guards of `auto`.
fn bind(mut view: PolicyView, policy_id: &str, settings: &EngineSettings) -> PolicyView {
    let Some(binding) = settings.bindings.get(policy_id) else {
        return view;
    };
    let flow = settings.flows.get(&binding.flow_id);
    view.flow_id = Some(binding.flow_id.clone());
    view.flow_name = flow.map(|f| f.name.clone());
    view.steps = flow.map(|f| f.steps.clone()).unwrap_or_default();
    view.closes_alert = flow.is_some_and(|f| f.close_alert);
    view.max_per_alert = binding.max_per_alert;
    view.max_per_hour = binding.max_per_hour;
    view.rules = binding
        .rules
        .iter()
        .map(|rule| {
            MatchedBy {
                binding: policy_id.to_string(),
                rule: rule.clone(),
            }
            .describe()
        })
        .collect();
    view
}

/// A Defender machine with the proof of how it was found.
pub fn machine_view(machine: &Machine, found_by: String, settings: &EngineSettings) -> MachineView {
    let tags: Vec<String> = machine.machine_tags.iter().map(|t| sanitize(t)).collect();
    let group = machine.rbac_group_name.as_deref().map(sanitize);
    let protected = tags.iter().any(|t| {
        settings
            .protected_tags
            .iter()
            .any(|p| p.eq_ignore_ascii_case(t))
    }) || group.as_ref().is_some_and(|g| {
        settings
            .protected_groups
            .iter()
            .any(|p| p.eq_ignore_ascii_case(g))
    });
    MachineView {
        id: sanitize(&machine.id),
        name: sanitize(machine.computer_dns_name.as_deref().unwrap_or(&machine.id)),
        found_by,
        last_seen: machine.last_seen,
        health: machine
            .health_status
            .as_ref()
            .map(|h| sanitize(&h.to_string()))
            .unwrap_or_else(|| "Unknown".into()),
        group,
        tags,
        os: machine.os_platform.as_deref().map(sanitize),
        protected,
    }
}

/// A journal row as the console shows it. Unreadable parts degrade to placeholders, never panic.
pub fn remediation_view(
    row: &RemediationRow,
    now: DateTime<Utc>,
    overdue_after: chrono::Duration,
) -> RemediationView {
    let machine =
        serde_json::from_str::<MachineView>(row.proof.as_str()).unwrap_or_else(|_| MachineView {
            id: row.machine_id.clone(),
            name: row.machine_name.clone(),
            found_by: String::new(),
            last_seen: None,
            health: "Unknown".into(),
            group: None,
            tags: Vec::new(),
            os: None,
            protected: false,
        });
    let action = row.action.kind().ok().cloned();
    let state = row.state;
    let overdue =
        state.is_in_flight() && row.submitted_at.is_some_and(|at| now - at > overdue_after);
    RemediationView {
        id: row.id.clone(),
        alert_id: row.alert_id.clone(),
        policy_id: row.policy_id.clone(),
        flow_id: row.flow_id.clone(),
        step: row.step.max(0) as u32,
        machine,
        action,
        state,
        reason: row.reason.clone(),
        provider_action_id: row.provider_action_id.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        submitted_at: row.submitted_at,
        overdue,
        covered_by: row
            .cover
            .as_ref()
            .and_then(|cover| serde_json::from_str::<Box<Cover>>(cover.as_str()).ok()),
        waiting: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::BindingRule;
    use crate::api::models::ODataPage;
    use crate::api::models::security::SecurityAlert;

    /// The fixture's Defender for Endpoint alert, which no Cloud App Security policy raised.
    fn endpoint_alert() -> SourceAlert {
        let text = include_str!("../../tests/fixtures/api/graph-alerts-v2-list.json");
        let page: ODataPage<SecurityAlert> = serde_json::from_str(text).unwrap();
        let alert = page
            .value
            .iter()
            .find(|a| a.service_source == "microsoftDefenderForEndpoint")
            .unwrap();
        SourceAlert::from(alert)
    }

    #[test]
    fn an_unbound_alert_of_another_product_is_named_by_product_then_detector() {
        let alert = endpoint_alert();
        let detector = alert.detection.detector_id.clone().unwrap();
        let view = alert_view(&alert, None);
        assert_eq!(
            view.policy_name,
            format!("Defender for Endpoint detector {detector}")
        );
    }

    #[test]
    fn a_bound_alert_of_another_product_is_named_by_its_binding() {
        let alert = endpoint_alert();
        let matched = MatchedBy {
            binding: "endpoint-alerts".into(),
            rule: BindingRule::ServiceSource("microsoftDefenderForEndpoint".into()),
        };
        let view = alert_view(&alert, Some(&matched));
        assert_eq!(view.policy_name, "endpoint-alerts");
        assert_eq!(view.policy_id, "endpoint-alerts");
    }
}
