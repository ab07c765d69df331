//! The alert-source seam: where alerts and policies come from and where alerts are closed.
//!
//! Seam traits return boxed futures ([`BoxFuture`]) rather than `async fn`: the engine holds them as
//! `Arc<dyn …>` (one engine type, the implementation picked at start), which `async fn` in traits does
//! not allow, and boxing by hand needs no extra crate (it is what `async-trait` generates).

use std::collections::BTreeMap;

use futures::future::BoxFuture;

use crate::alert::{AlertKey, SourceAlert, SourceKind};
use crate::api::ApiError;

use super::interface::Closure;

/// Per source, a moment in epoch milliseconds: where each source's watermark stands, or its newest alert.
pub type Marks = BTreeMap<SourceKind, i64>;

/// An alert as a source needs it to read it again or act on it: its key and, when Graph saw it, its Graph id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRef {
    pub key: AlertKey,
    pub graph_id: Option<String>,
}

impl AlertRef {
    /// The alert with engine id `id`; a Graph-keyed alert's Graph id is its key.
    pub fn new(id: &str, graph_id: Option<String>) -> AlertRef {
        let key = AlertKey::from_id(id);
        let graph_id = graph_id.or(match &key {
            AlertKey::Graph(id) => Some(id.clone()),
            AlertKey::Cas(_) => None,
        });
        AlertRef { key, graph_id }
    }
}

/// One poll of every source: the alerts (one per key), each source's newest watermark field, and the sources
/// that failed (the others' alerts still count).
#[derive(Debug, Default)]
pub struct Fetched {
    pub alerts: Vec<SourceAlert>,
    /// Per source, the newest value of the field its watermark follows (CAS: raised, Graph: last update).
    pub newest: Marks,
    pub failures: Vec<(SourceKind, ApiError)>,
}

impl Fetched {
    /// One source's poll: its alerts and the newest value of its watermark field (`stamp`), or its failure.
    pub fn of(
        kind: SourceKind,
        polled: Result<Vec<SourceAlert>, ApiError>,
        stamp: impl Fn(&SourceAlert) -> chrono::DateTime<chrono::Utc>,
    ) -> Fetched {
        let mut fetched = Fetched::default();
        match polled {
            Ok(alerts) => {
                if let Some(newest) = alerts.iter().map(stamp).max() {
                    fetched.newest.insert(kind, newest.timestamp_millis());
                }
                fetched.alerts = alerts;
            }
            Err(e) => fetched.failures.push((kind, e)),
        }
        fetched
    }
}

/// What a close call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    Closed,
    /// The source does not know the alert.
    NotFound(SourceKind),
}

/// A detection policy as a source lists it (only Cloud App Security lists policies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePolicy {
    pub id: String,
    pub name: String,
    pub policy_type: Option<String>,
    pub enabled: bool,
}

/// A service raising alerts: Cloud App Security's REST API, Graph `alerts_v2`, or both.
pub trait AlertSource: Send + Sync {
    /// The sources behind this one, each with its own watermark.
    fn kinds(&self) -> Vec<SourceKind>;
    /// Alerts new or changed since each source's mark (epoch milliseconds, overlap already taken off).
    fn alerts_since<'a>(&'a self, since: &'a Marks) -> BoxFuture<'a, Fetched>;
    /// The current state of these alerts (closed ones included).
    fn read_alerts<'a>(
        &'a self,
        alerts: &'a [AlertRef],
    ) -> BoxFuture<'a, Result<Vec<SourceAlert>, ApiError>>;
    /// Marks one alert read (where the source knows the notion).
    fn mark_read<'a>(&'a self, alert: &'a AlertRef) -> BoxFuture<'a, Result<(), ApiError>>;
    /// Closes one alert with a comment.
    fn close_alert<'a>(
        &'a self,
        alert: &'a AlertRef,
        how: Closure,
        comment: &'a str,
    ) -> BoxFuture<'a, Result<Closed, ApiError>>;
    /// Every policy that may raise alerts.
    fn policies(&self) -> BoxFuture<'_, Result<Vec<SourcePolicy>, ApiError>>;
}
