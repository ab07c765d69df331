//! Both alert sources at once: every source polled, one alert per key (reads of one alert merged), each
//! source's failure kept beside the others' alerts.

use futures::future::BoxFuture;

use crate::alert::{SourceAlert, SourceKind, merge};
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

    fn read_alerts<'a>(
        &'a self,
        alerts: &'a [AlertRef],
    ) -> BoxFuture<'a, Result<Vec<SourceAlert>, ApiError>> {
        Box::pin(async move {
            let mut read = Vec::new();
            for source in &self.0 {
                read.extend(source.read_alerts(alerts).await?);
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
    use crate::alert::AlertKey;
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
}
