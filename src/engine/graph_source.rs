//! Graph security alerts (`alerts_v2`) as an alert source: listed per service source on a
//! `lastUpdateDateTime` watermark, closed with a classification and determination, then commented.

use chrono::{TimeZone, Utc};
use futures::future::BoxFuture;

use crate::alert::{SourceAlert, SourceKind};
use crate::api::models::security::{SecurityAlertStatus, ServiceSource};
use crate::api::{ApiError, GraphAlertsClient, SecurityAlertQuery, SecurityAlertUpdate};

use super::interface::{Closure, GraphClassification, GraphDetermination};
use super::source::{AlertRef, AlertSource, Closed, Fetched, Marks, SourcePolicy};

/// Graph `alerts_v2` as the alert source, for the service sources configured.
pub struct GraphSource {
    pub client: GraphAlertsClient,
    pub service_sources: Vec<ServiceSource>,
}

impl GraphSource {
    async fn fetch(&self, since_ms: i64) -> Result<Vec<SourceAlert>, ApiError> {
        let watermark = Utc
            .timestamp_millis_opt(since_ms)
            .single()
            .unwrap_or_default();
        let query = SecurityAlertQuery::sources(self.service_sources.iter().cloned())
            .updated_since(watermark);
        self.client
            .list_alerts_as(&query, |alert| SourceAlert::from(&alert))
            .await
    }
}

impl AlertSource for GraphSource {
    fn kinds(&self) -> Vec<SourceKind> {
        vec![SourceKind::Graph]
    }

    fn alerts_since<'a>(&'a self, since: &'a Marks) -> BoxFuture<'a, Fetched> {
        Box::pin(async move {
            let since_ms = since.get(&SourceKind::Graph).copied().unwrap_or_default();
            Fetched::of(SourceKind::Graph, self.fetch(since_ms).await, |a| {
                a.updated_at.unwrap_or(a.raised_at)
            })
        })
    }

    fn read_alerts<'a>(
        &'a self,
        alerts: &'a [AlertRef],
    ) -> BoxFuture<'a, Result<Vec<SourceAlert>, ApiError>> {
        Box::pin(async move {
            let mut read = Vec::new();
            for id in alerts.iter().filter_map(|a| a.graph_id.as_deref()) {
                match self.client.get(id).await {
                    Ok(alert) => read.push(SourceAlert::from(&alert)),
                    Err(ApiError::NotFound { .. }) => {
                        tracing::warn!(alert = id, "Graph no longer knows the alert")
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(read)
        })
    }

    fn mark_read<'a>(&'a self, _alert: &'a AlertRef) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(async { Ok(()) })
    }

    fn close_alert<'a>(
        &'a self,
        alert: &'a AlertRef,
        how: Closure,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<Closed, ApiError>> {
        Box::pin(async move {
            let Some(id) = alert.graph_id.as_deref() else {
                return Ok(Closed::NotFound(SourceKind::Graph));
            };
            let (classification, determination) = graph_words(how);
            let change = SecurityAlertUpdate {
                status: Some(SecurityAlertStatus::Resolved),
                classification: Some(classification.as_str().into()),
                determination: Some(determination.as_str().into()),
                assigned_to: None,
            };
            match self.client.update(id, &change).await {
                Ok(_) => {}
                Err(ApiError::NotFound { .. }) => return Ok(Closed::NotFound(SourceKind::Graph)),
                Err(e) => return Err(e),
            }
            if let Err(e) = self.client.comment(id, comment).await {
                tracing::warn!(alert = id, "alert resolved, comment not added: {e}");
            }
            Ok(Closed::Closed)
        })
    }

    fn policies(&self) -> BoxFuture<'_, Result<Vec<SourcePolicy>, ApiError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// Graph's classification and determination for a closure (Cloud App Security's closures: determination
/// `other`, their reason has no Graph word).
pub fn graph_words(closure: Closure) -> (GraphClassification, GraphDetermination) {
    match closure {
        Closure::TruePositive => (GraphClassification::TruePositive, GraphDetermination::Other),
        Closure::Benign { .. } => (
            GraphClassification::InformationalExpectedActivity,
            GraphDetermination::Other,
        ),
        Closure::FalsePositive { .. } => (
            GraphClassification::FalsePositive,
            GraphDetermination::Other,
        ),
        Closure::Graph {
            classification,
            determination,
        } => (classification, determination),
    }
}
