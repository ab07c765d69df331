//! `remedy check`'s binding warnings: a bound policy gone or disabled in Cloud App Security, renamed since its
//! last journaled alert, or quiet while a detector tied to no policy raises alerts with its name.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use remedy::alert::{
    AlertKey, BoundPolicy, PolicyState, SeenDetector, SourceAlert, stored, successions,
};
use remedy::api::models::security::ServiceSource;
use remedy::api::{Clients, SecurityAlertQuery};
use remedy::config::Config;
use remedy::store::Journal;

/// Alerts read per binding to find the newest one that came under the bound policy (a binding may also match
/// by detector or title).
const NEWEST_READ: usize = 50;

/// A bound policy id and the binding its alerts are filed under in the journal.
struct Bound {
    policy_id: String,
    binding: String,
}

/// A detector seen in Graph's recent alerts, its newest alert, and one Cloud App Security alert id it raised.
struct Seen {
    detector: SeenDetector,
    newest: DateTime<Utc>,
    cas_alert: Option<String>,
}

/// Warnings about bindings by policy id that may have stopped firing, with the likely successor. Without a
/// journal, renamed and quiet policies cannot be judged (nothing remembers their name or last alert).
pub async fn binding_warnings(
    clients: &Clients,
    config: &Config,
    journal: Option<&Journal>,
) -> Result<Vec<String>, String> {
    let bound = bound_in(config);
    if bound.is_empty() {
        return Ok(Vec::new());
    }
    let listed: Vec<PolicyState> = clients
        .cas
        .list_policies()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|p| PolicyState {
            id: p.id,
            name: p.name,
            enabled: p.enabled.unwrap_or(true),
        })
        .collect();
    let quiet = Duration::hours(config.alerts.detector_quiet_hours as i64);
    let now = Utc::now();
    let mut seen = if config.alerts.polls("graph") {
        recent_detectors(clients, config, now - quiet).await?
    } else {
        Vec::new()
    };
    for detector in &mut seen {
        detector.detector.policy_id = policy_of(clients, journal, detector).await;
    }
    let mut policies = remembered(journal, &bound);
    for policy in &mut policies {
        // A detector tied to the policy raising alerts now means the policy is not quiet, whatever the journal
        // last saw (remedy may not have run for a while).
        let live = seen
            .iter()
            .filter(|s| s.detector.policy_id.as_deref() == Some(&policy.id))
            .map(|s| s.newest)
            .max();
        policy.last_alert = policy.last_alert.max(live);
    }
    let detectors: Vec<SeenDetector> = seen.into_iter().map(|s| s.detector).collect();
    Ok(
        successions(&policies, Some(&listed), &detectors, now, quiet)
            .iter()
            .map(ToString::to_string)
            .collect(),
    )
}

/// Every policy id a binding names: `[policies.<id>]` sections and `[bindings.*]` with a `policy_id`.
fn bound_in(config: &Config) -> Vec<Bound> {
    config
        .policies
        .keys()
        .map(|id| Bound {
            policy_id: id.clone(),
            binding: id.clone(),
        })
        .chain(config.bindings.iter().filter_map(|(name, b)| {
            b.policy_id.clone().map(|policy_id| Bound {
                policy_id,
                binding: name.clone(),
            })
        }))
        .collect()
}

/// Each bound policy with the name its newest journaled alert gave it and that alert's time.
fn remembered(journal: Option<&Journal>, bound: &[Bound]) -> Vec<BoundPolicy> {
    bound
        .iter()
        .map(|b| {
            let newest = journal
                .and_then(|j| match j.newest_alerts_under(&b.binding, NEWEST_READ) {
                    Ok(rows) => Some(rows),
                    Err(e) => {
                        tracing::warn!(binding = %b.binding, error = %e, "journal not read for the binding check");
                        None
                    }
                })
                .unwrap_or_default()
                .iter()
                .filter_map(|row| stored::from_row(row).ok())
                .find(|alert| alert.detection.policy_id.as_deref() == Some(&b.policy_id));
            BoundPolicy {
                id: b.policy_id.clone(),
                known_name: newest
                    .as_ref()
                    .and_then(|a| a.detection.policy_name.clone()),
                last_alert: newest.map(|a| a.raised_at),
            }
        })
        .collect()
}

/// The detectors of Graph alerts updated since `since`, with their titles.
async fn recent_detectors(
    clients: &Clients,
    config: &Config,
    since: DateTime<Utc>,
) -> Result<Vec<Seen>, String> {
    let query = SecurityAlertQuery::sources(
        config
            .alerts
            .graph_service_sources
            .iter()
            .map(|s| ServiceSource::parse(s)),
    )
    .updated_since(since);
    let alerts = clients
        .graph_alerts
        .list_alerts(&query)
        .await
        .map_err(|e| e.to_string())?;
    let mut seen: HashMap<String, Seen> = HashMap::new();
    for alert in alerts.iter().map(SourceAlert::from) {
        let Some(id) = alert.detection.detector_id.clone() else {
            continue;
        };
        let cas_alert = match &alert.key {
            AlertKey::Cas(cas) => Some(cas.clone()),
            AlertKey::Graph(_) => None,
        };
        let entry = seen.entry(id.clone()).or_insert_with(|| Seen {
            detector: SeenDetector {
                detector_id: id,
                policy_id: None,
                titles: Vec::new(),
                first_seen: alert.raised_at,
            },
            newest: alert.raised_at,
            cas_alert: None,
        });
        entry.detector.first_seen = entry.detector.first_seen.min(alert.raised_at);
        entry.newest = entry.newest.max(alert.raised_at);
        entry.cas_alert = entry.cas_alert.take().or(cas_alert);
        if !entry.detector.titles.contains(&alert.title) {
            entry.detector.titles.push(alert.title);
        }
    }
    let mut seen: Vec<Seen> = seen.into_values().collect();
    seen.sort_by(|a, b| a.detector.detector_id.cmp(&b.detector.detector_id));
    Ok(seen)
}

/// The Cloud App Security policy a detector's alerts come under: from the journal's copy of one of its alerts,
/// else from Cloud App Security's (one call). `None` for a detector whose alerts Cloud App Security never
/// raised, as a migrated detection's are.
async fn policy_of(clients: &Clients, journal: Option<&Journal>, seen: &Seen) -> Option<String> {
    let cas_id = seen.cas_alert.as_deref()?;
    let journaled = journal
        .and_then(|j| j.alert(cas_id).ok().flatten())
        .and_then(|row| stored::from_row(&row).ok())
        .and_then(|alert| alert.detection.policy_id);
    if journaled.is_some() {
        return journaled;
    }
    match clients.cas.get_alert(cas_id).await {
        Ok(alert) => SourceAlert::from(&alert).detection.policy_id,
        Err(e) => {
            tracing::debug!(alert = cas_id, error = %e, "no Cloud App Security alert behind a Graph alert");
            None
        }
    }
}
