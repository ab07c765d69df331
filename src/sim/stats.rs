//! Request counters: per endpoint and status, action POSTs per machine and type, duplicates, 429s.

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};

/// Everything `GET /_sim/stats` reports.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    requests: BTreeMap<String, BTreeMap<u16, u64>>,
    action_posts: BTreeMap<String, BTreeMap<String, u64>>,
    submission_keys: HashSet<(String, String, String)>,
    duplicate_submissions: u64,
    duplicates: Vec<Value>,
    throttled: BTreeMap<&'static str, u64>,
    faults: BTreeMap<&'static str, u64>,
    tokens_issued: u64,
    alerts_arrived: u64,
    migrated_alerts: u64,
}

impl Stats {
    /// Counts one answered request.
    pub(crate) fn request(&mut self, endpoint: &str, status: u16) {
        *self
            .requests
            .entry(endpoint.to_string())
            .or_default()
            .entry(status)
            .or_default() += 1;
    }

    /// Counts a 429 sent by `service`.
    pub(crate) fn throttled(&mut self, service: &'static str) {
        *self.throttled.entry(service).or_default() += 1;
    }

    /// Counts an injected fault.
    pub(crate) fn fault(&mut self, kind: &'static str) {
        *self.faults.entry(kind).or_default() += 1;
    }

    pub(crate) fn token_issued(&mut self) {
        self.tokens_issued += 1;
    }

    pub(crate) fn alert_arrived(&mut self) {
        self.alerts_arrived += 1;
    }

    /// Counts an alert of a migrated policy (raised in Graph only, under the successor detector).
    pub(crate) fn migrated_alert(&mut self) {
        self.migrated_alerts += 1;
    }

    /// Counts an action POST; `key` is its externalID, or its comment when there is none.
    /// Returns whether an earlier POST for the same machine and type carried the same key.
    pub(crate) fn action_post(&mut self, machine: &str, kind: &str, key: &str) -> bool {
        *self
            .action_posts
            .entry(machine.to_string())
            .or_default()
            .entry(kind.to_string())
            .or_default() += 1;
        let fresh =
            self.submission_keys
                .insert((machine.to_string(), kind.to_string(), key.to_string()));
        if !fresh {
            self.duplicate_submissions += 1;
            self.duplicates
                .push(json!({ "machineId": machine, "type": kind, "key": key }));
        }
        !fresh
    }

    /// The JSON document served at `/_sim/stats`.
    pub(crate) fn to_json(&self) -> Value {
        let requests: serde_json::Map<String, Value> = self
            .requests
            .iter()
            .map(|(ep, by)| {
                let by: serde_json::Map<String, Value> =
                    by.iter().map(|(s, n)| (s.to_string(), json!(n))).collect();
                (ep.clone(), Value::Object(by))
            })
            .collect();
        let total: u64 = self.requests.values().flat_map(|m| m.values()).sum();
        let action_posts_total: u64 = self.action_posts.values().flat_map(|m| m.values()).sum();
        json!({
            "requests": requests,
            "requests_total": total,
            "action_posts": self.action_posts,
            "action_posts_total": action_posts_total,
            "duplicate_submissions": self.duplicate_submissions,
            "duplicates": self.duplicates,
            "throttled": self.throttled.values().sum::<u64>(),
            "throttled_by_service": self.throttled,
            "faults_injected": self.faults,
            "tokens_issued": self.tokens_issued,
            "alerts_arrived": self.alerts_arrived,
            "migrated_alerts": self.migrated_alerts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_on_same_machine_and_type_is_a_duplicate() {
        let mut s = Stats::default();
        assert!(!s.action_post("m1", "RunAntiVirusScan", "k1"));
        assert!(!s.action_post("m2", "RunAntiVirusScan", "k1"));
        assert!(!s.action_post("m1", "Isolate", "k1"));
        assert!(s.action_post("m1", "RunAntiVirusScan", "k1"));
        let j = s.to_json();
        assert_eq!(j["duplicate_submissions"], 1);
        assert_eq!(j["action_posts"]["m1"]["RunAntiVirusScan"], 2);
        assert_eq!(j["action_posts_total"], 4);
    }

    #[test]
    fn requests_are_counted_per_endpoint_and_status() {
        let mut s = Stats::default();
        s.request("GET /mde/api/machines", 200);
        s.request("GET /mde/api/machines", 200);
        s.request("GET /mde/api/machines", 429);
        s.throttled("mde");
        let j = s.to_json();
        assert_eq!(j["requests"]["GET /mde/api/machines"]["200"], 2);
        assert_eq!(j["requests_total"], 3);
        assert_eq!(j["throttled"], 1);
    }
}
