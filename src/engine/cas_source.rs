//! Cloud App Security's REST API as an alert source: the adapter from its alerts and policies to neutral ones.

use futures::future::BoxFuture;

use crate::alert::{AlertKey, SourceAlert, SourceKind};
use crate::api::{AlertQuery, ApiError, CasClient, CloseAs};

use super::interface::{Closure, GraphClassification};
use super::source::{AlertRef, AlertSource, Closed, Fetched, Marks, SourcePolicy};

/// Cloud App Security's closing reason "other" (benign and false positive alike).
const OTHER: u32 = 4;

/// At most this many alert ids are re-read in one call.
const RECHECK_BATCH: usize = 100;

/// Cloud App Security's REST API as the alert source.
pub struct CasSource(pub CasClient);

impl CasSource {
    async fn fetch(&self, since_ms: i64) -> Result<Vec<SourceAlert>, ApiError> {
        let query = AlertQuery::new()
            .open_only()
            .since_ms(since_ms)
            .sort_by_date_asc();
        let alerts = self.0.list_alerts(&query).await?;
        Ok(alerts.iter().map(SourceAlert::from).collect())
    }
}

/// The Cloud App Security id of an alert it can know.
fn cas_id(alert: &AlertRef) -> Option<&str> {
    match &alert.key {
        AlertKey::Cas(id) => Some(id),
        AlertKey::Graph(_) => None,
    }
}

impl AlertSource for CasSource {
    fn kinds(&self) -> Vec<SourceKind> {
        vec![SourceKind::Cas]
    }

    fn alerts_since<'a>(&'a self, since: &'a Marks) -> BoxFuture<'a, Fetched> {
        Box::pin(async move {
            let since_ms = since.get(&SourceKind::Cas).copied().unwrap_or_default();
            Fetched::of(SourceKind::Cas, self.fetch(since_ms).await, |a| a.raised_at)
        })
    }

    fn read_alerts<'a>(
        &'a self,
        alerts: &'a [AlertRef],
    ) -> BoxFuture<'a, Result<Vec<SourceAlert>, ApiError>> {
        Box::pin(async move {
            let ids: Vec<String> = alerts.iter().filter_map(cas_id).map(String::from).collect();
            let mut read = Vec::new();
            for batch in ids.chunks(RECHECK_BATCH) {
                let page = self.0.list_alerts(&AlertQuery::new().ids(batch)).await?;
                read.extend(page.iter().map(SourceAlert::from));
            }
            Ok(read)
        })
    }

    fn mark_read<'a>(&'a self, alert: &'a AlertRef) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async move {
            match cas_id(alert) {
                Some(id) => self.0.mark_read(id).await,
                None => Ok(()),
            }
        })
    }

    fn close_alert<'a>(
        &'a self,
        alert: &'a AlertRef,
        how: Closure,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<Closed, ApiError>> {
        Box::pin(async move {
            let Some(id) = cas_id(alert) else {
                return Ok(Closed::NotFound(SourceKind::Cas));
            };
            let outcome = self
                .0
                .close_alerts(&[id.to_string()], close_as(how), comment)
                .await?;
            Ok(if outcome.not_found.is_empty() {
                Closed::Closed
            } else {
                Closed::NotFound(SourceKind::Cas)
            })
        })
    }

    fn policies(&self) -> BoxFuture<'_, Result<Vec<SourcePolicy>, ApiError>> {
        Box::pin(async move {
            let policies = self.0.list_policies().await?;
            Ok(policies
                .into_iter()
                .map(|p| SourcePolicy {
                    id: p.id,
                    name: p.name,
                    policy_type: p.policy_type,
                    enabled: p.enabled.unwrap_or(true),
                })
                .collect())
        })
    }
}

/// The engine's closure in Cloud App Security's words.
fn close_as(closure: Closure) -> CloseAs {
    match closure {
        Closure::TruePositive => CloseAs::TruePositive,
        Closure::Benign { reason_id } => CloseAs::Benign {
            reason_id: u32::from(reason_id),
        },
        Closure::FalsePositive { reason_id } => CloseAs::FalsePositive {
            reason_id: u32::from(reason_id),
        },
        // Graph's words in Cloud App Security's: the reason "other".
        Closure::Graph { classification, .. } => match classification {
            GraphClassification::TruePositive => CloseAs::TruePositive,
            GraphClassification::InformationalExpectedActivity => {
                CloseAs::Benign { reason_id: OTHER }
            }
            GraphClassification::FalsePositive => CloseAs::FalsePositive { reason_id: OTHER },
        },
    }
}
