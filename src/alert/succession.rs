//! Bindings that would stop firing silently: a bound policy gone, disabled, renamed, or quiet while alerts
//! with its titles arrive from another detector (Microsoft migrating legacy policies), with the likely successor.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// A policy a binding names, and what the journal knows of it.
#[derive(Debug, Clone)]
pub struct BoundPolicy {
    pub id: String,
    /// Its name when last seen (from the policy list or its alerts).
    pub known_name: Option<String>,
    /// Its newest alert.
    pub last_alert: Option<DateTime<Utc>>,
}

/// A policy as Cloud App Security lists it now.
#[derive(Debug, Clone)]
pub struct PolicyState {
    pub id: String,
    pub name: String,
    pub enabled: bool,
}

/// A Graph detector seen recently, with the titles of its alerts.
#[derive(Debug, Clone)]
pub struct SeenDetector {
    pub detector_id: String,
    /// The Cloud App Security policy its alerts also came under (learned when both sources saw one), if any.
    pub policy_id: Option<String>,
    pub titles: Vec<String>,
    pub first_seen: DateTime<Utc>,
}

/// A detector that likely took over a bound policy's alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Successor {
    pub detector_id: String,
    /// One of its alerts' titles, as sent.
    pub title: String,
}

/// A warning about a binding that may have stopped working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Succession {
    /// The bound policy is no longer listed.
    Gone {
        policy_id: String,
        name: Option<String>,
        successor: Option<Successor>,
    },
    /// The bound policy is listed but disabled.
    Disabled {
        policy_id: String,
        name: String,
        successor: Option<Successor>,
    },
    /// The bound policy was renamed (the binding still holds by id; said so it is not a surprise).
    Renamed {
        policy_id: String,
        from: String,
        to: String,
    },
    /// The bound policy has raised nothing for a while, yet alerts with its titles come from another detector.
    Quiet {
        policy_id: String,
        name: String,
        since: DateTime<Utc>,
        successor: Successor,
    },
}

impl fmt::Display for Succession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let successor = |s: &Option<Successor>| match s {
            Some(s) => format!(
                "; its alerts now likely come from detector {} (\"{}\"): bind it with detector_id",
                s.detector_id, s.title
            ),
            None => String::new(),
        };
        match self {
            Succession::Gone {
                policy_id,
                name,
                successor: next,
            } => write!(
                f,
                "bound policy {policy_id}{} is gone from Cloud App Security{}",
                name.as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                successor(next)
            ),
            Succession::Disabled {
                policy_id,
                name,
                successor: next,
            } => write!(
                f,
                "bound policy {name} ({policy_id}) is disabled{}",
                successor(next)
            ),
            Succession::Renamed {
                policy_id,
                from,
                to,
            } => {
                write!(
                    f,
                    "bound policy {policy_id} was renamed from {from:?} to {to:?}"
                )
            }
            Succession::Quiet {
                policy_id,
                name,
                since,
                successor: next,
            } => write!(
                f,
                "bound policy {name} ({policy_id}) has raised nothing since {}{}",
                since.format("%Y-%m-%d %H:%M UTC"),
                successor(&Some(next.clone()))
            ),
        }
    }
}

/// The warnings for `bound` policies. `listed` is Cloud App Security's policy list (`None` when it could not be
/// read: then only quiet policies are judged); a policy is quiet when it raised nothing for `quiet_after`.
pub fn successions(
    bound: &[BoundPolicy],
    listed: Option<&[PolicyState]>,
    detectors: &[SeenDetector],
    now: DateTime<Utc>,
    quiet_after: Duration,
) -> Vec<Succession> {
    let mut warnings = Vec::new();
    for policy in bound {
        let state = listed.map(|all| all.iter().find(|p| p.id == policy.id));
        let name = state
            .flatten()
            .map(|p| p.name.clone())
            .or_else(|| policy.known_name.clone());
        let successor = || {
            name.as_deref()
                .and_then(|n| successor_of(n, policy, detectors))
        };
        match state {
            Some(None) => warnings.push(Succession::Gone {
                policy_id: policy.id.clone(),
                name: policy.known_name.clone(),
                successor: successor(),
            }),
            Some(Some(listed)) if !listed.enabled => warnings.push(Succession::Disabled {
                policy_id: policy.id.clone(),
                name: listed.name.clone(),
                successor: successor(),
            }),
            _ => {
                if let (Some(Some(listed)), Some(known)) = (state, &policy.known_name)
                    && &listed.name != known
                {
                    warnings.push(Succession::Renamed {
                        policy_id: policy.id.clone(),
                        from: known.clone(),
                        to: listed.name.clone(),
                    });
                }
                let quiet_since = policy.last_alert.filter(|last| now - *last >= quiet_after);
                if let (Some(since), Some(next)) = (quiet_since, successor()) {
                    warnings.push(Succession::Quiet {
                        policy_id: policy.id.clone(),
                        name: name.clone().unwrap_or_default(),
                        since,
                        successor: next,
                    });
                }
            }
        }
    }
    warnings
}

/// A detector tied to no policy whose alerts carry the policy's name as their title (Microsoft's migrated
/// detections keep the titles), newest first.
fn successor_of(name: &str, policy: &BoundPolicy, detectors: &[SeenDetector]) -> Option<Successor> {
    let name = name.to_lowercase();
    detectors
        .iter()
        .filter(|d| d.policy_id.is_none())
        .filter(|d| policy.last_alert.is_none_or(|last| d.first_seen >= last))
        .filter_map(|d| {
            let title = d
                .titles
                .iter()
                .find(|t| !name.is_empty() && t.to_lowercase().starts_with(&name))?;
            Some((d.first_seen, d, title))
        })
        .max_by_key(|(first_seen, _, _)| *first_seen)
        .map(|(_, d, title)| Successor {
            detector_id: d.detector_id.clone(),
            title: title.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::default() + Duration::minutes(minutes)
    }

    fn bound() -> Vec<BoundPolicy> {
        vec![BoundPolicy {
            id: "p-ransom".into(),
            known_name: Some("Ransomware activity".into()),
            last_alert: Some(at(10)),
        }]
    }

    fn successor_detector() -> SeenDetector {
        SeenDetector {
            detector_id: "d-new".into(),
            policy_id: None,
            titles: vec!["Ransomware activity by Mateo".into()],
            first_seen: at(20),
        }
    }

    fn listed(enabled: bool, name: &str) -> Vec<PolicyState> {
        vec![PolicyState {
            id: "p-ransom".into(),
            name: name.into(),
            enabled,
        }]
    }

    #[test]
    fn a_disabled_policy_names_the_detector_that_took_over() {
        let warnings = successions(
            &bound(),
            Some(&listed(false, "Ransomware activity")),
            &[successor_detector()],
            at(30),
            Duration::hours(24),
        );
        let [Succession::Disabled { successor, .. }] = warnings.as_slice() else {
            panic!("{warnings:?}")
        };
        assert_eq!(successor.as_ref().unwrap().detector_id, "d-new");
        assert!(warnings[0].to_string().contains("bind it with detector_id"));
    }

    #[test]
    fn a_gone_policy_warns_even_without_a_successor_and_an_unread_list_judges_nothing() {
        let gone = successions(&bound(), Some(&[]), &[], at(30), Duration::hours(24));
        assert!(matches!(
            gone.as_slice(),
            [Succession::Gone {
                successor: None,
                ..
            }]
        ));
        assert!(successions(&bound(), None, &[], at(30), Duration::hours(24)).is_empty());
    }

    #[test]
    fn a_quiet_policy_warns_only_when_its_titles_come_from_elsewhere() {
        let enabled = listed(true, "Ransomware activity");
        let quiet = successions(
            &bound(),
            Some(&enabled),
            &[successor_detector()],
            at(10 + 24 * 60),
            Duration::hours(24),
        );
        assert!(
            matches!(quiet.as_slice(), [Succession::Quiet { .. }]),
            "{quiet:?}"
        );
        let not_yet = successions(
            &bound(),
            Some(&enabled),
            &[successor_detector()],
            at(30),
            Duration::hours(24),
        );
        assert!(not_yet.is_empty(), "{not_yet:?}");
        let tied = SeenDetector {
            policy_id: Some("p-other".into()),
            ..successor_detector()
        };
        let unrelated = successions(
            &bound(),
            Some(&enabled),
            &[tied],
            at(10 + 24 * 60),
            Duration::hours(24),
        );
        assert!(
            unrelated.is_empty(),
            "a detector of another policy is no successor"
        );
    }

    #[test]
    fn a_rename_is_said() {
        let warnings = successions(
            &bound(),
            Some(&listed(true, "Ransomware activity (legacy)")),
            &[],
            at(30),
            Duration::hours(24),
        );
        assert!(matches!(warnings.as_slice(), [Succession::Renamed { .. }]));
    }
}
