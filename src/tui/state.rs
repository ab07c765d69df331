//! The data the console shows, kept from engine events: alerts, policies, remediations, poll and quota.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::engine::interface::{
    AlertView, Command, Event, HistoryEntry, PageMark, PolicyView, QuotaView, RemediationView, Role,
};

/// Outcome of the last polls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollHealth {
    pub last_ok: Option<DateTime<Utc>>,
    /// Set when the latest poll failed: when and why.
    pub error: Option<(DateTime<Utc>, String)>,
}

/// Everything received from the engine, indexed for the views.
#[derive(Debug, Default)]
pub struct Model {
    pub alerts: Vec<AlertView>,
    alert_index: HashMap<String, usize>,
    pub policies: Vec<PolicyView>,
    pub remediations: Vec<RemediationView>,
    remediation_index: HashMap<String, usize>,
    by_alert: HashMap<String, Vec<usize>>,
    pub read_only: bool,
    pub demo: bool,
    pub operator: String,
    pub poll: PollHealth,
    pub quotas: Vec<QuotaView>,
    /// The history of the alert whose detail was opened last, as the engine read it then.
    pub history: Option<(String, Vec<HistoryEntry>)>,
    /// Who acts on the journal: this process or the leader it follows (`host:pid`), since when.
    pub leadership: Option<(Role, String, DateTime<Utc>)>,
    /// Why and since when the journal's database cannot be reached, while it cannot.
    pub journal_unreachable: Option<(String, DateTime<Utc>)>,
    /// Paging through alerts older than what the engine holds.
    pub older: OlderPaging,
}

/// Where paging through older alerts stands.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct OlderPaging {
    /// The filter these pages were searched with (a new filter starts again from the newest).
    pub filter: crate::filter::Filter,
    /// Where the next page starts (`None` before the first page).
    pub next: Option<PageMark>,
    /// A page was asked for and has not arrived.
    pub asked: bool,
    /// The journal has no older alert.
    pub exhausted: bool,
}

impl OlderPaging {
    /// Whether the journal holds nothing older that passes `filter`.
    pub fn exhausted_for(&self, filter: &crate::filter::Filter) -> bool {
        self.exhausted && self.filter == *filter
    }

    /// The command for the next page under `filter` (from the newest when the filter changed), or `None`
    /// while a page is on its way or nothing older is left.
    pub fn ask(&mut self, filter: &crate::filter::Filter) -> Option<Command> {
        if self.filter != *filter {
            *self = OlderPaging {
                filter: filter.clone(),
                ..OlderPaging::default()
            };
        }
        if self.asked || self.exhausted {
            return None;
        }
        self.asked = true;
        Some(Command::OlderAlerts {
            after: self.next.clone(),
            filter: self.filter.clone(),
        })
    }
}

impl Model {
    /// Applies one event (notices are the caller's). Returns whether the lists may have changed.
    pub fn apply(&mut self, event: Event) -> bool {
        match event {
            Event::Snapshot {
                alerts,
                policies,
                remediations,
                read_only,
                demo,
                operator,
            } => {
                *self = Model {
                    poll: std::mem::take(&mut self.poll),
                    quotas: std::mem::take(&mut self.quotas),
                    leadership: self.leadership.take(),
                    journal_unreachable: self.journal_unreachable.take(),
                    read_only,
                    demo,
                    operator,
                    ..Model::default()
                };
                alerts.into_iter().for_each(|a| self.upsert_alert(a));
                policies.into_iter().for_each(|p| self.upsert_policy(p));
                remediations
                    .into_iter()
                    .for_each(|r| self.upsert_remediation(r));
                true
            }
            Event::AlertSeen(alert) => {
                self.upsert_alert(alert);
                true
            }
            Event::PolicyChanged(policy) => {
                self.upsert_policy(policy);
                true
            }
            Event::RemediationChanged(remediation) => {
                self.upsert_remediation(*remediation);
                true
            }
            Event::Poll { ok, at, error, .. } => {
                if ok {
                    self.poll = PollHealth {
                        last_ok: Some(at),
                        error: None,
                    };
                } else {
                    let why = error.unwrap_or_else(|| "unknown error".into());
                    self.poll.error = Some((at, why));
                }
                false
            }
            Event::Quota { quotas } => {
                self.quotas = quotas;
                false
            }
            Event::Forgotten {
                alerts,
                remediations,
            } => {
                self.forget(&alerts, &remediations);
                true
            }
            Event::OlderAlerts {
                alerts,
                remediations,
                next,
            } => {
                for alert in alerts {
                    if !self.alert_index.contains_key(&alert.id) {
                        self.upsert_alert(alert);
                    }
                }
                for remediation in remediations {
                    if !self.remediation_index.contains_key(&remediation.id) {
                        self.upsert_remediation(remediation);
                    }
                }
                self.older.exhausted = next.is_none();
                self.older.next = next;
                self.older.asked = false;
                true
            }
            Event::History { alert_id, entries } => {
                self.history = Some((alert_id, entries));
                false
            }
            Event::Leadership {
                role,
                holder,
                since,
            } => {
                self.leadership = Some((role, holder, since));
                false
            }
            Event::JournalUnreachable { reason, since } => {
                self.journal_unreachable = Some((reason, since));
                false
            }
            Event::JournalReachable => {
                self.journal_unreachable = None;
                false
            }
            Event::Notice { .. } | Event::EngineStopped { .. } | Event::AuditHead { .. } => false,
        }
    }

    /// Drops what the engine let go of, and rebuilds the indexes over what is left.
    fn forget(&mut self, alerts: &[String], remediations: &[String]) {
        let alerts: std::collections::HashSet<&str> = alerts.iter().map(String::as_str).collect();
        let remediations: std::collections::HashSet<&str> =
            remediations.iter().map(String::as_str).collect();
        self.alerts.retain(|a| !alerts.contains(a.id.as_str()));
        self.remediations
            .retain(|r| !remediations.contains(r.id.as_str()));
        self.alert_index = self
            .alerts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        self.remediation_index.clear();
        self.by_alert.clear();
        for (i, r) in self.remediations.iter().enumerate() {
            self.remediation_index.insert(r.id.clone(), i);
            self.by_alert.entry(r.alert_id.clone()).or_default().push(i);
        }
        if self
            .history
            .as_ref()
            .is_some_and(|(id, _)| alerts.contains(id.as_str()))
        {
            self.history = None;
        }
    }

    /// Keeps an alert's latest view; a view without its detail's text (the engine keeps none in memory)
    /// keeps the text already read.
    fn upsert_alert(&mut self, mut alert: AlertView) {
        match self.alert_index.get(&alert.id) {
            Some(&i) => {
                let old = &mut self.alerts[i];
                if alert.description.is_empty() && alert.entities.is_empty() && alert.url.is_none()
                {
                    alert.description = std::mem::take(&mut old.description);
                    alert.entities = std::mem::take(&mut old.entities);
                    alert.url = old.url.take();
                }
                *old = alert;
            }
            None => {
                self.alert_index.insert(alert.id.clone(), self.alerts.len());
                self.alerts.push(alert);
            }
        }
    }

    fn upsert_policy(&mut self, policy: PolicyView) {
        match self.policies.iter_mut().find(|p| p.id == policy.id) {
            Some(slot) => *slot = policy,
            None => self.policies.push(policy),
        }
    }

    fn upsert_remediation(&mut self, remediation: RemediationView) {
        match self.remediation_index.get(&remediation.id) {
            Some(&i) => self.remediations[i] = remediation,
            None => {
                let i = self.remediations.len();
                self.remediation_index.insert(remediation.id.clone(), i);
                self.by_alert
                    .entry(remediation.alert_id.clone())
                    .or_default()
                    .push(i);
                self.remediations.push(remediation);
            }
        }
    }

    /// The alert with this id.
    pub fn alert(&self, id: &str) -> Option<&AlertView> {
        self.alert_index.get(id).map(|&i| &self.alerts[i])
    }

    /// The policy with this id.
    pub fn policy(&self, id: &str) -> Option<&PolicyView> {
        self.policies.iter().find(|p| p.id == id)
    }

    /// Remediations of one alert, in arrival order.
    pub fn remediations_of<'a>(
        &'a self,
        alert_id: &str,
    ) -> impl Iterator<Item = &'a RemediationView> + 'a {
        self.by_alert
            .get(alert_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.remediations[i])
    }

    /// Distinct machines the remediations of `policy_id`'s alerts raised since `since` acted or would act on.
    pub fn machines_touched_since(&self, policy_id: &str, since: DateTime<Utc>) -> usize {
        let mut machines: Vec<&str> = self
            .alerts
            .iter()
            .filter(|a| a.policy_id == policy_id && a.raised_at >= since)
            .flat_map(|a| self.remediations_of(&a.id))
            .map(|r| r.machine.id.as_str())
            .collect();
        machines.sort_unstable();
        machines.dedup();
        machines.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::interface::{Mode, Resolution, Severity};

    fn alert(id: &str, title: &str) -> AlertView {
        AlertView {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            severity: Severity::Low,
            raised_at: DateTime::<Utc>::UNIX_EPOCH,
            policy_id: "p".into(),
            policy_name: "P".into(),
            user: None,
            note: None,
            resolution: Resolution::Open,
            read: false,
            url: None,
            entities: vec![],
            seen_by: Vec::new(),
            graph_id: None,
            matched_by: None,
        }
    }

    fn snapshot(alerts: Vec<AlertView>) -> Event {
        Event::Snapshot {
            alerts,
            policies: vec![PolicyView {
                id: "p".into(),
                name: "P".into(),
                policy_type: "t".into(),
                enabled: true,
                flow_id: None,
                flow_name: None,
                mode: Mode::Off,
                ..PolicyView::default()
            }],
            remediations: vec![],
            read_only: false,
            demo: true,
            operator: "op".into(),
        }
    }

    #[test]
    fn alerts_are_updated_in_place_and_snapshots_replace_everything_but_poll() {
        let mut model = Model::default();
        model.apply(Event::Poll {
            ok: true,
            at: DateTime::<Utc>::UNIX_EPOCH,
            error: None,
            new_alerts: 0,
        });
        model.apply(snapshot(vec![alert("a", "one"), alert("b", "two")]));
        model.apply(Event::AlertSeen(alert("a", "changed")));
        assert_eq!(model.alerts.len(), 2);
        assert_eq!(model.alert("a").map(|a| a.title.as_str()), Some("changed"));
        model.apply(snapshot(vec![alert("c", "three")]));
        assert_eq!(model.alerts.len(), 1);
        assert!(model.alert("a").is_none());
        assert!(model.demo && model.poll.last_ok.is_some());
    }

    #[test]
    fn a_failed_poll_keeps_the_last_good_time() {
        let mut model = Model::default();
        let at = DateTime::<Utc>::UNIX_EPOCH;
        model.apply(Event::Poll {
            ok: true,
            at,
            error: None,
            new_alerts: 0,
        });
        model.apply(Event::Poll {
            ok: false,
            at,
            error: Some("503".into()),
            new_alerts: 0,
        });
        assert_eq!(model.poll.last_ok, Some(at));
        assert_eq!(model.poll.error.as_ref().map(|e| e.1.as_str()), Some("503"));
    }
}
