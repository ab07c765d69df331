//! The alert-source seam: where alerts and policies come from and where alerts are closed.
//!
//! Seam traits return boxed futures ([`BoxFuture`]) rather than `async fn`: the engine holds them as
//! `Arc<dyn …>` (one engine type, the implementation picked at start), which `async fn` in traits does
//! not allow, and boxing by hand needs no extra crate (it is what `async-trait` generates).

use futures::future::BoxFuture;

use crate::api::models::cas::{Alert, Policy};
use crate::api::{AlertQuery, ApiError, CasClient, CloseAs, CloseOutcome};

/// At most this many alert ids are re-read in one call.
const RECHECK_BATCH: usize = 100;

/// A service raising alerts: Cloud App Security today, Graph `alerts_v2` next.
pub trait AlertSource: Send + Sync {
    /// Open alerts raised at or after `since_ms` (epoch milliseconds), oldest first.
    fn alerts_since(&self, since_ms: i64) -> BoxFuture<'_, Result<Vec<Alert>, ApiError>>;
    /// The current state of the alerts with these exact ids (closed ones included).
    fn read_alerts<'a>(&'a self, ids: &'a [String]) -> BoxFuture<'a, Result<Vec<Alert>, ApiError>>;
    /// Marks one alert read.
    fn mark_read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), ApiError>>;
    /// Closes one alert with a comment.
    fn close_alert<'a>(
        &'a self,
        id: &'a str,
        how: CloseAs,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<CloseOutcome, ApiError>>;
    /// Every policy that may raise alerts.
    fn policies(&self) -> BoxFuture<'_, Result<Vec<Policy>, ApiError>>;
}

/// Cloud App Security's REST API as the alert source.
pub struct CasSource(pub CasClient);

impl AlertSource for CasSource {
    fn alerts_since(&self, since_ms: i64) -> BoxFuture<'_, Result<Vec<Alert>, ApiError>> {
        Box::pin(async move {
            let query = AlertQuery::new()
                .open_only()
                .since_ms(since_ms)
                .sort_by_date_asc();
            self.0.list_alerts(&query).await
        })
    }

    fn read_alerts<'a>(&'a self, ids: &'a [String]) -> BoxFuture<'a, Result<Vec<Alert>, ApiError>> {
        Box::pin(async move {
            let mut alerts = Vec::new();
            for batch in ids.chunks(RECHECK_BATCH) {
                alerts.extend(self.0.list_alerts(&AlertQuery::new().ids(batch)).await?);
            }
            Ok(alerts)
        })
    }

    fn mark_read<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<(), ApiError>> {
        Box::pin(self.0.mark_read(id))
    }

    fn close_alert<'a>(
        &'a self,
        id: &'a str,
        how: CloseAs,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<CloseOutcome, ApiError>> {
        Box::pin(async move { self.0.close_alerts(&[id.to_string()], how, comment).await })
    }

    fn policies(&self) -> BoxFuture<'_, Result<Vec<Policy>, ApiError>> {
        Box::pin(self.0.list_policies())
    }
}
