//! Cloud App Security client: alerts (list, page, fetch, close, mark read) and policies.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use super::call::Call;
use super::error::ApiError;
use super::filter::{AlertQuery, MAX_PAGE};
use super::http::{Endpoint, Request, segment};
use super::models::{Alert, AlertPage, CloseResponse, Policy, PolicyPage};
use super::retry::Replay;

/// Most pages read in one listing (100 alerts each), a guard against a service that never says "done".
const MAX_PAGES: u32 = 10_000;

/// How to close alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAs {
    /// `close_true_positive`.
    TruePositive,
    /// `close_benign` with a reason: 2 lower severity, 4 other, 5 confirmed with user, 6 test.
    Benign {
        /// `reasonId`.
        reason_id: u32,
    },
    /// `close_false_positive` with a reason: 0 not of interest, 1 too many, 3 not accurate, 4 other.
    FalsePositive {
        /// `reasonId`.
        reason_id: u32,
    },
}

/// What a close call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloseOutcome {
    /// Alerts closed.
    pub closed: u32,
    /// Ids the service did not know.
    pub not_found: Vec<String>,
}

/// Client of the Cloud App Security REST API (legacy API token). Cheap to clone.
#[derive(Debug, Clone)]
pub struct CasClient {
    endpoint: Arc<Endpoint>,
}

impl CasClient {
    pub(crate) fn new(endpoint: Endpoint) -> CasClient {
        CasClient {
            endpoint: Arc::new(endpoint),
        }
    }

    /// Every alert matching `query`, paging with `skip` while `hasNext`; duplicates across pages dropped.
    pub async fn list_alerts(&self, query: &AlertQuery) -> Result<Vec<Alert>, ApiError> {
        let mut alerts = Vec::new();
        let mut seen = HashSet::new();
        let mut skip = 0u32;
        for _ in 0..MAX_PAGES {
            let page = self.list_alerts_page(query, skip).await?;
            let count = u32::try_from(page.data.len()).unwrap_or(MAX_PAGE);
            let (has_next, total, more) = (page.has_next, page.total, page.more_than_total);
            alerts.extend(
                page.data
                    .into_iter()
                    .filter(|alert| seen.insert(alert.id.clone())),
            );
            if !has_next {
                break;
            }
            // A page whose items were all unreadable still moves on by a full page.
            skip = skip.saturating_add(if count > 0 { count } else { query.page_size() });
            if total.is_some_and(|total| u64::from(skip) >= total) && more != Some(true) {
                break;
            }
        }
        Ok(alerts)
    }

    /// One page of alerts starting at `skip`.
    pub async fn list_alerts_page(
        &self,
        query: &AlertQuery,
        skip: u32,
    ) -> Result<AlertPage, ApiError> {
        let request = Request::new(
            Call::ListAlerts,
            Method::POST,
            self.endpoint.url("/api/v1/alerts/"),
        )
        .json(query.body(skip))
        .replay(Replay::Safe);
        self.endpoint.send(&request).await?.json()
    }

    /// One alert by id.
    pub async fn get_alert(&self, id: &str) -> Result<Alert, ApiError> {
        let url = self
            .endpoint
            .url(&format!("/api/v1/alerts/{}/", segment(id)));
        self.endpoint
            .send(&Request::new(Call::GetAlert, Method::GET, url))
            .await?
            .json()
    }

    /// Closes the alerts with these ids. Unknown ids are reported in `not_found`, not as a failure.
    /// An empty list closes nothing and sends nothing (an empty filter would match every alert).
    /// Not replayed after a possible delivery: on a transport error, re-read the alerts first.
    pub async fn close_alerts(
        &self,
        ids: &[String],
        how: CloseAs,
        comment: &str,
    ) -> Result<CloseOutcome, ApiError> {
        if ids.is_empty() {
            return Ok(CloseOutcome::default());
        }
        let mut body = json!({ "filters": { "id": { "eq": ids } }, "comment": comment });
        let path = match how {
            CloseAs::TruePositive => "/api/v1/alerts/close_true_positive/",
            CloseAs::Benign { reason_id } => {
                body["reasonId"] = json!(reason_id);
                "/api/v1/alerts/close_benign/"
            }
            CloseAs::FalsePositive { reason_id } => {
                body["reasonId"] = json!(reason_id);
                "/api/v1/alerts/close_false_positive/"
            }
        };
        let request =
            Request::new(Call::CloseAlerts, Method::POST, self.endpoint.url(path)).json(body);
        let reply = self.endpoint.send(&request).await?;
        if !reply.is_success() {
            // Some tenants answer unknown ids with an error status that still lists them.
            if let Ok(response) = serde_json::from_slice::<CloseResponse>(&reply.body) {
                if !response.alerts_not_found.is_empty() {
                    return Ok(outcome(response));
                }
            }
            return Err(reply.into_error());
        }
        reply.json().map(outcome)
    }

    /// Marks one alert read.
    pub async fn mark_read(&self, id: &str) -> Result<(), ApiError> {
        let url = self
            .endpoint
            .url(&format!("/api/v1/alerts/{}/read/", segment(id)));
        let request = Request::new(Call::MarkRead, Method::POST, url).replay(Replay::Safe);
        let reply = self.endpoint.send(&request).await?;
        if reply.is_success() {
            Ok(())
        } else {
            Err(reply.into_error())
        }
    }

    /// Every policy, paging with `skip`/`limit` while the service says `hasNext`.
    pub async fn list_policies(&self) -> Result<Vec<Policy>, ApiError> {
        let mut policies = Vec::new();
        let mut skip = 0u32;
        for _ in 0..MAX_PAGES {
            let request = Request::new(
                Call::ListPolicies,
                Method::GET,
                self.endpoint.url("/cas/api/v1/policies/"),
            )
            .query("skip", skip.to_string())
            .query("limit", MAX_PAGE.to_string());
            let page: PolicyPage = self.endpoint.send(&request).await?.json()?;
            let count = u32::try_from(page.data.len()).unwrap_or(MAX_PAGE);
            let total = page.total;
            policies.extend(page.data);
            if page.has_next != Some(true) {
                break;
            }
            skip = skip.saturating_add(if count > 0 { count } else { MAX_PAGE });
            if total.is_some_and(|total| u64::from(skip) >= total) {
                break;
            }
        }
        Ok(policies)
    }

    /// One policy by id.
    pub async fn get_policy(&self, id: &str) -> Result<Policy, ApiError> {
        let url = self
            .endpoint
            .url(&format!("/cas/api/v1/policies/{}/", segment(id)));
        self.endpoint
            .send(&Request::new(Call::GetPolicy, Method::GET, url))
            .await?
            .json()
    }
}

fn outcome(response: CloseResponse) -> CloseOutcome {
    CloseOutcome {
        closed: response.closed(),
        not_found: response.alerts_not_found,
    }
}
