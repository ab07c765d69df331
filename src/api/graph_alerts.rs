//! Microsoft Graph security alerts client (`/v1.0/security/alerts_v2`): list by service source and
//! watermark to the last page, get, update and comment, inside the 150 requests per minute budget.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::call::Call;
use super::error::ApiError;
use super::http::{Endpoint, Request, segment};
use super::models::ODataPage;
use super::models::security::{AlertComment, SecurityAlert, SecurityAlertStatus, ServiceSource};
use super::odata;
use super::quota::{QuotaStatus, ServiceQuota};
use super::retry::Replay;

/// Asks Graph to send enum members newer than `unknownFutureValue` as they are.
const PREFER_UNKNOWN_ENUMS: &str = "include-unknown-enum-members";

/// Alerts per page asked for (production pollers use 50; the service may send fewer).
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// Which alerts to list: one or more service sources (each listed with its own `eq`, the documented
/// minimum), optionally only those updated since a watermark, optionally only one status.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityAlertQuery {
    sources: Vec<ServiceSource>,
    updated_since: Option<DateTime<Utc>>,
    status: Option<SecurityAlertStatus>,
    page_size: u32,
}

impl SecurityAlertQuery {
    /// Alerts of these sources (Defender for Cloud Apps when the list is empty).
    pub fn sources(sources: impl IntoIterator<Item = ServiceSource>) -> SecurityAlertQuery {
        let mut list: Vec<ServiceSource> = Vec::new();
        for source in sources {
            if !list.contains(&source) {
                list.push(source);
            }
        }
        if list.is_empty() {
            list.push(ServiceSource::DefenderForCloudApps);
        }
        SecurityAlertQuery {
            sources: list,
            updated_since: None,
            status: None,
            page_size: DEFAULT_PAGE_SIZE,
        }
    }

    /// Only alerts whose `lastUpdateDateTime` is at or after `watermark` (the caller subtracts its overlap).
    pub fn updated_since(mut self, watermark: DateTime<Utc>) -> SecurityAlertQuery {
        self.updated_since = Some(watermark);
        self
    }

    /// Only alerts in `status`.
    pub fn status(mut self, status: SecurityAlertStatus) -> SecurityAlertQuery {
        self.status = Some(status);
        self
    }

    /// Alerts per page asked for (`$top`, at least 1).
    pub fn page_size(mut self, size: u32) -> SecurityAlertQuery {
        self.page_size = size.max(1);
        self
    }

    /// One `$filter` per source: `eq` comparisons and one `ge` on the date, joined by `and`.
    pub fn filters(&self) -> Vec<String> {
        self.sources
            .iter()
            .map(|source| {
                let mut parts = vec![format!("serviceSource eq '{}'", quoted(source.as_str()))];
                if let Some(status) = &self.status {
                    parts.push(format!("status eq '{}'", quoted(status.as_str())));
                }
                if let Some(since) = self.updated_since {
                    let at = since.to_rfc3339_opts(SecondsFormat::Secs, true);
                    parts.push(format!("lastUpdateDateTime ge {at}"));
                }
                parts.join(" and ")
            })
            .collect()
    }
}

/// An OData string literal's inside: a quote is doubled.
fn quoted(text: &str) -> String {
    text.replace('\'', "''")
}

/// What a `PATCH` changes; fields left `None` are not sent. `assigned_to: Some(None)` unassigns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityAlertUpdate {
    /// `new`, `inProgress` or `resolved`.
    pub status: Option<SecurityAlertStatus>,
    /// e.g. `truePositive`, `falsePositive`, `informationalExpectedActivity`.
    pub classification: Option<String>,
    /// e.g. `malware`, `compromisedUser`, `clean`.
    pub determination: Option<String>,
    /// The owner, or `Some(None)` for nobody.
    pub assigned_to: Option<Option<String>>,
}

impl SecurityAlertUpdate {
    fn body(&self) -> Value {
        let mut body = Map::new();
        if let Some(status) = &self.status {
            body.insert("status".into(), json!(status.as_str()));
        }
        if let Some(classification) = &self.classification {
            body.insert("classification".into(), json!(classification));
        }
        if let Some(determination) = &self.determination {
            body.insert("determination".into(), json!(determination));
        }
        if let Some(assigned) = &self.assigned_to {
            body.insert("assignedTo".into(), json!(assigned));
        }
        Value::Object(body)
    }
}

#[derive(Deserialize)]
struct Comments {
    #[serde(default)]
    value: Vec<AlertComment>,
}

/// Client of Graph `security/alerts_v2` (OAuth app token with `SecurityAlert.*`). Cheap to clone.
#[derive(Debug, Clone)]
pub struct GraphAlertsClient {
    endpoint: Arc<Endpoint>,
    quota: Arc<ServiceQuota>,
}

impl GraphAlertsClient {
    pub(crate) fn new(endpoint: Endpoint, quota: Arc<ServiceQuota>) -> GraphAlertsClient {
        GraphAlertsClient {
            endpoint: Arc::new(endpoint),
            quota,
        }
    }

    /// Headroom of the security alerts budget (150 requests per minute by default).
    pub fn quota(&self) -> Vec<QuotaStatus> {
        self.quota.status()
    }

    fn request(&self, call: Call, method: Method, path: &str) -> Request {
        Request::new(call, method, self.endpoint.url(path)).header("prefer", PREFER_UNKNOWN_ENUMS)
    }

    /// Every alert matching `query`, following `@odata.nextLink` to the last page of each source.
    pub async fn list_alerts(
        &self,
        query: &SecurityAlertQuery,
    ) -> Result<Vec<SecurityAlert>, ApiError> {
        self.list_alerts_as(query, |alert| alert).await
    }

    /// [`GraphAlertsClient::list_alerts`], each alert turned by `keep` into what the caller holds as its page
    /// arrives (an alert's evidence is most of its size): one page of whole alerts in memory at a time. An
    /// alert two sources both list is kept once.
    pub async fn list_alerts_as<U>(
        &self,
        query: &SecurityAlertQuery,
        keep: impl Fn(SecurityAlert) -> U,
    ) -> Result<Vec<U>, ApiError> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut alerts: Vec<U> = Vec::new();
        for filter in query.filters() {
            let first = self
                .request(
                    Call::ListSecurityAlerts,
                    Method::GET,
                    "/v1.0/security/alerts_v2",
                )
                .query("$filter", filter)
                .query("$top", query.page_size.to_string());
            let new = odata::collect_mapped(&self.endpoint, first, |alert: SecurityAlert| {
                seen.insert(alert.id.clone()).then(|| keep(alert))
            })
            .await?;
            alerts.extend(new);
        }
        Ok(alerts)
    }

    /// The first page of the first source's alerts only (one request): what `remedy check` asks to prove the
    /// permission without reading everything.
    pub async fn first_page(
        &self,
        query: &SecurityAlertQuery,
    ) -> Result<ODataPage<SecurityAlert>, ApiError> {
        let filter = query.filters().into_iter().next().unwrap_or_default();
        let request = self
            .request(
                Call::ListSecurityAlerts,
                Method::GET,
                "/v1.0/security/alerts_v2",
            )
            .query("$filter", filter)
            .query("$top", query.page_size.to_string());
        self.endpoint.send(&request).await?.json()
    }

    /// One alert by its Graph id.
    pub async fn get(&self, id: &str) -> Result<SecurityAlert, ApiError> {
        let path = format!("/v1.0/security/alerts_v2/{}", segment(id));
        let request = self.request(Call::GetSecurityAlert, Method::GET, &path);
        self.endpoint.send(&request).await?.json()
    }

    /// Changes status, classification, determination or owner; answers the updated alert. Safe to
    /// replay (it sets values, it does not add any).
    pub async fn update(
        &self,
        id: &str,
        change: &SecurityAlertUpdate,
    ) -> Result<SecurityAlert, ApiError> {
        let path = format!("/v1.0/security/alerts_v2/{}", segment(id));
        let request = self
            .request(Call::UpdateSecurityAlert, Method::PATCH, &path)
            .json(change.body())
            .replay(Replay::Safe);
        self.endpoint.send(&request).await?.json()
    }

    /// Adds a comment; answers every comment of the alert. Never replayed once it may have arrived.
    pub async fn comment(&self, id: &str, text: &str) -> Result<Vec<AlertComment>, ApiError> {
        let path = format!("/v1.0/security/alerts_v2/{}/comments", segment(id));
        let body =
            json!({ "@odata.type": "microsoft.graph.security.alertComment", "comment": text });
        let request = self
            .request(Call::CommentSecurityAlert, Method::POST, &path)
            .json(body);
        let comments: Comments = self.endpoint.send(&request).await?.json()?;
        Ok(comments.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_filter_per_source_with_the_watermark() {
        let since = DateTime::parse_from_rfc3339("2026-11-29T08:00:00.250Z")
            .unwrap()
            .with_timezone(&Utc);
        let query = SecurityAlertQuery::sources([
            ServiceSource::DefenderForCloudApps,
            ServiceSource::DefenderForEndpoint,
            ServiceSource::DefenderForCloudApps,
        ])
        .updated_since(since);
        assert_eq!(
            query.filters(),
            vec![
                "serviceSource eq 'microsoftDefenderForCloudApps' and lastUpdateDateTime ge 2026-11-29T08:00:00Z",
                "serviceSource eq 'microsoftDefenderForEndpoint' and lastUpdateDateTime ge 2026-11-29T08:00:00Z",
            ]
        );
    }

    #[test]
    fn no_source_means_cloud_apps_and_status_is_an_eq() {
        let query = SecurityAlertQuery::sources([]).status(SecurityAlertStatus::New);
        assert_eq!(
            query.filters(),
            vec!["serviceSource eq 'microsoftDefenderForCloudApps' and status eq 'new'"]
        );
    }

    #[test]
    fn an_update_sends_only_what_changes() {
        let change = SecurityAlertUpdate {
            status: Some(SecurityAlertStatus::Resolved),
            classification: Some("truePositive".into()),
            assigned_to: Some(None),
            ..SecurityAlertUpdate::default()
        };
        assert_eq!(
            change.body(),
            json!({ "status": "resolved", "classification": "truePositive", "assignedTo": null })
        );
    }
}
