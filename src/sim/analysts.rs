//! The tenant's simulated analysts (scenario `analysts_close_after_hours`): an alert nobody closed is closed
//! in the portal that long after it was raised, as benign, in Cloud App Security and in its Graph copy.

use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashSet;

use super::clock::{iso7, json_time};
use super::graph_alert_json::{CAS_SOURCE, mirror_cas_close};
use super::seed::close_alert;
use super::state::State;

/// Cloud App Security's resolution for a benign alert (Graph: `informationalExpectedActivity`).
const BENIGN: u8 = 4;
const BY: &str = "analyst@contoso.com";
const COMMENT: &str = "Closed by an analyst in the portal";

/// Closes every alert still open that was raised before `analysts_close_after_hours` ago; nothing when 0.
pub(crate) fn close_stale(st: &mut State) {
    let hours = st.scenario.analysts_close_after_hours;
    if hours <= 0.0 {
        return;
    }
    let now = st.clock.now();
    let cut = now - chrono::Duration::milliseconds((hours * 3_600_000.0) as i64);
    let mut closed = HashSet::new();
    for a in st.alerts.iter_mut() {
        let raised = a["timestamp"].as_i64().unwrap_or(i64::MAX);
        if a["resolutionStatusValue"] == 0 && raised < cut.timestamp_millis() {
            close_alert(a, BENIGN, COMMENT, BY, now);
            closed.extend(a["_id"].as_str().map(str::to_owned));
        }
    }
    for g in st.graph_alerts.iter_mut() {
        let mirrored = g["serviceSource"] == CAS_SOURCE
            && g["providerAlertId"]
                .as_str()
                .is_some_and(|id| closed.contains(id));
        if mirrored {
            mirror_cas_close(g, i64::from(BENIGN), now);
        } else if g["status"] != "resolved" && created(g).is_some_and(|at| at < cut) {
            g["status"] = json!("resolved");
            g["classification"] = json!("informationalExpectedActivity");
            g["resolvedDateTime"] = json!(iso7(now));
            g["lastUpdateDateTime"] = json!(iso7(now));
        }
    }
}

fn created(alert: &serde_json::Value) -> Option<DateTime<Utc>> {
    json_time(alert, "createdDateTime")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Scenario;

    fn state(after_hours: f64) -> State {
        let mut scenario = Scenario::demo();
        scenario.time_scale = 1.0;
        scenario.analysts_close_after_hours = after_hours;
        State::new(scenario)
    }

    fn open_ids(st: &State) -> Vec<String> {
        st.alerts
            .iter()
            .filter(|a| a["resolutionStatusValue"] == 0)
            .map(|a| a["_id"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn alerts_open_longer_than_the_setting_are_closed_in_both_services() {
        let mut st = state(1.0);
        let cut = (st.clock.now() - chrono::Duration::hours(1)).timestamp_millis();
        let old: Vec<String> = open_ids(&st)
            .into_iter()
            .filter(|id| {
                st.alerts.iter().any(|a| {
                    a["_id"] == id.as_str() && a["timestamp"].as_i64().unwrap_or_default() < cut
                })
            })
            .collect();
        assert!(!old.is_empty(), "the backlog has alerts of 4-6 h ago");
        let open_before = open_ids(&st).len();
        close_stale(&mut st);
        let open_after = open_ids(&st);
        assert_eq!(
            open_after.len(),
            open_before - old.len(),
            "only the old ones"
        );
        for id in &old {
            let graph = st
                .graph_alerts
                .iter()
                .find(|g| g["providerAlertId"] == id.as_str())
                .expect("a Graph copy");
            assert_eq!(graph["status"], "resolved", "{id}");
            assert_eq!(graph["classification"], "informationalExpectedActivity");
        }
    }

    #[test]
    fn without_the_setting_nobody_closes_anything() {
        let mut st = state(0.0);
        let open_before = open_ids(&st).len();
        close_stale(&mut st);
        assert_eq!(open_ids(&st).len(), open_before);
    }
}
