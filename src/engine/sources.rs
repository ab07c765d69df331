//! Both alert sources at once: every source polled, one alert per key (reads of one alert merged), each
//! source's failure kept beside the others' alerts.

use futures::future::BoxFuture;

use crate::alert::{AlertKey, SourceAlert, SourceKind, merge};
use crate::api::ApiError;

use super::interface::Closure;
use super::source::{AlertRef, AlertSource, Closed, Fetched, Marks, SourcePolicy};

/// Several alert sources as one.
pub struct Sources(pub Vec<Box<dyn AlertSource>>);

/// Folds reads of the same alert into one, keeping the order of first sight.
pub fn merged(alerts: Vec<SourceAlert>) -> Vec<SourceAlert> {
    let mut out: Vec<SourceAlert> = Vec::with_capacity(alerts.len());
    for alert in alerts {
        match out.iter_mut().find(|a| a.key == alert.key) {
            Some(known) => merge(known, alert),
            None => out.push(alert),
        }
    }
    out
}

/// Whether a source of `kinds` re-reads `alert`: Cloud App Security's alerts go to it when it is polled.
fn reads(kinds: &[SourceKind], alert: &AlertRef, cas_polled: bool) -> bool {
    match alert.key {
        AlertKey::Cas(_) if cas_polled => kinds.contains(&SourceKind::Cas),
        _ => kinds.contains(&SourceKind::Graph),
    }
}

impl AlertSource for Sources {
    fn kinds(&self) -> Vec<SourceKind> {
        self.0.iter().flat_map(|s| s.kinds()).collect()
    }

    fn alerts_since<'a>(&'a self, since: &'a Marks) -> BoxFuture<'a, Fetched> {
        Box::pin(async move {
            let mut all = Fetched::default();
            for source in &self.0 {
                let fetched = source.alerts_since(since).await;
                all.alerts.extend(fetched.alerts);
                all.newest.extend(fetched.newest);
                all.failures.extend(fetched.failures);
            }
            all.alerts = merged(all.alerts);
            all
        })
    }

    /// Each alert is re-read once: Cloud App Security alerts through its REST API (batched) when it is
    /// polled, the others through Graph (one call each, inside Graph's tighter budget).
    fn read_alerts<'a>(
        &'a self,
        alerts: &'a [AlertRef],
    ) -> BoxFuture<'a, Result<Vec<SourceAlert>, ApiError>> {
        Box::pin(async move {
            let cas_polled = self.kinds().contains(&SourceKind::Cas);
            let mut read = Vec::new();
            for source in &self.0 {
                let mine: Vec<AlertRef> = alerts
                    .iter()
                    .filter(|a| reads(&source.kinds(), a, cas_polled))
                    .cloned()
                    .collect();
                if !mine.is_empty() {
                    read.extend(source.read_alerts(&mine).await?);
                }
            }
            Ok(merged(read))
        })
    }

    fn mark_read<'a>(&'a self, alert: &'a AlertRef) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            for source in &self.0 {
                source.mark_read(alert).await?;
            }
            Ok(())
        })
    }

    /// Closed in every source that knows the alert; not found only when none does.
    fn close_alert<'a>(
        &'a self,
        alert: &'a AlertRef,
        how: Closure,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<Closed, ApiError>> {
        Box::pin(async move {
            let mut outcome = Closed::NotFound(SourceKind::Cas);
            for source in &self.0 {
                if source.close_alert(alert, how, comment).await? == Closed::Closed {
                    outcome = Closed::Closed;
                }
            }
            Ok(outcome)
        })
    }

    fn policies(&self) -> BoxFuture<'_, Result<Vec<SourcePolicy>, ApiError>> {
        Box::pin(async move {
            let mut policies = Vec::new();
            for source in &self.0 {
                policies.extend(source.policies().await?);
            }
            Ok(policies)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::models::ODataPage;
    use crate::api::models::cas::AlertPage;
    use crate::api::models::security::SecurityAlert;

    #[test]
    fn a_cloud_apps_alert_read_through_both_apis_is_one_alert() {
        let cas: AlertPage = serde_json::from_str(include_str!(
            "../../tests/fixtures/api/cas-alerts-list.json"
        ))
        .unwrap();
        let graph: ODataPage<SecurityAlert> = serde_json::from_str(include_str!(
            "../../tests/fixtures/api/graph-alerts-v2-list.json"
        ))
        .unwrap();
        let rest = SourceAlert::from(&cas.data[0]);
        let mut copy = SourceAlert::from(&graph.value[0]);
        copy.key = rest.key.clone();
        let endpoint = SourceAlert::from(&graph.value[1]);
        let alerts = merged(vec![rest.clone(), endpoint.clone(), copy]);
        assert_eq!(alerts.len(), 2, "{alerts:#?}");
        assert_eq!(alerts[0].key, rest.key);
        assert_eq!(alerts[0].seen_by, vec![SourceKind::Cas, SourceKind::Graph]);
        assert!(matches!(alerts[1].key, AlertKey::Graph(_)));
        assert_eq!(alerts[1], endpoint);
    }

    #[test]
    fn each_alert_is_re_read_by_one_source() {
        let cas = AlertRef {
            key: AlertKey::Cas("c1".into()),
            graph_id: Some("ca-c1".into()),
        };
        let endpoint = AlertRef {
            key: AlertKey::Graph("g1".into()),
            graph_id: Some("g1".into()),
        };
        let (rest, graph) = ([SourceKind::Cas], [SourceKind::Graph]);
        assert!(reads(&rest, &cas, true) && !reads(&graph, &cas, true));
        assert!(!reads(&rest, &endpoint, true) && reads(&graph, &endpoint, true));
        assert!(
            reads(&graph, &cas, false),
            "Graph alone re-reads every alert"
        );
    }
}
