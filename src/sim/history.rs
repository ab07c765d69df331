//! The simulator's own retention (scenario `history_hours`): alerts last changed and finished actions that
//! ended before the horizon are forgotten, so lists and look-ups stay fast over a long run.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::actions::is_final;
use super::clock::json_time;
use super::state::State;

/// Forgets what ended more than `history_hours` of simulated time ago; nothing when it is 0.
pub(crate) fn forget_old(st: &mut State) {
    let hours = st.scenario.history_hours;
    if hours <= 0.0 {
        return;
    }
    let now = st.clock.elapsed();
    let horizon_secs = now - hours * 3600.0;
    let horizon = st.clock.at(horizon_secs);
    st.alerts
        .retain(|a| cas_changed(a).is_none_or(|at| at >= horizon));
    st.graph_alerts
        .retain(|g| graph_changed(g).is_none_or(|at| at >= horizon));
    st.actions.retain(|a| {
        let (status, since) = a.status_at(now);
        !(is_final(status) && since < horizon_secs)
    });
}

/// When a Cloud App Security alert last changed: its resolution time, else when it was raised.
fn cas_changed(alert: &Value) -> Option<DateTime<Utc>> {
    let raised = DateTime::from_timestamp_millis(alert["timestamp"].as_i64()?)?;
    let resolved = json_time(alert, "resolveTime");
    Some(resolved.map_or(raised, |r| r.max(raised)))
}

/// When a Graph alert last changed.
fn graph_changed(alert: &Value) -> Option<DateTime<Utc>> {
    json_time(alert, "lastUpdateDateTime")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Scenario;

    fn state(history_hours: f64) -> State {
        let mut scenario = Scenario::demo();
        scenario.time_scale = 1.0;
        scenario.history_hours = history_hours;
        State::new(scenario)
    }

    #[test]
    fn alerts_older_than_the_history_are_forgotten_and_recent_ones_kept() {
        let mut st = state(1.0);
        let (cas, graph) = (st.alerts.len(), st.graph_alerts.len());
        forget_old(&mut st);
        let horizon = st.clock.now() - chrono::Duration::hours(1);
        assert!(
            st.alerts.len() < cas,
            "the backlog's alerts of 4-6 h ago go"
        );
        assert!(st.graph_alerts.len() < graph, "and their Graph copies");
        assert!(!st.alerts.is_empty(), "the last hour's alerts stay");
        assert!(st.alerts.iter().all(|a| cas_changed(a).unwrap() >= horizon));
        assert!(
            st.graph_alerts
                .iter()
                .all(|g| graph_changed(g).unwrap() >= horizon)
        );
    }

    #[test]
    fn no_history_setting_keeps_everything() {
        let mut st = state(0.0);
        let (cas, graph) = (st.alerts.len(), st.graph_alerts.len());
        forget_old(&mut st);
        assert_eq!((st.alerts.len(), st.graph_alerts.len()), (cas, graph));
    }
}
