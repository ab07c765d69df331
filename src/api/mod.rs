//! Clients for Cloud App Security, Defender for Endpoint and Graph, over one shared HTTP layer.

mod action;
mod auth;
mod call;
mod cas;
mod defender;
mod error;
mod filter;
mod graph;
mod graph_alerts;
mod http;
pub mod models;
mod odata;
mod quota;
#[cfg(test)]
mod quota_horizon;
mod reply;
mod retry;
mod settings;

use std::sync::Arc;

pub use action::{ActionRequest, ActionRequestKind, IsolationType, ScanType};
pub use call::{Call, DEFENDER_CALLS, Service};
pub use cas::{CasClient, CloseAs, CloseOutcome};
pub use defender::{DefenderClient, DeviceLookup, MachineLookupForm, is_refused_query};
pub use error::ApiError;
pub use filter::AlertQuery;
pub use graph::GraphClient;
pub use graph_alerts::{
    DEFAULT_PAGE_SIZE, GraphAlertsClient, SecurityAlertQuery, SecurityAlertUpdate,
};
pub use models::defender::idempotency_tag;
pub use models::{
    ActionStatus, ActionType, Alert, AlertPage, GraphDevice, GraphUser, LogonUser, Machine,
    MachineAction, Policy, ResolutionStatus, Severity,
};
pub use quota::{QuotaStatus, Room, SpendLedger};
pub use settings::{
    ApiSettings, CasAuth, DEFAULT_CAS_SCOPE, DEFAULT_DEFENDER_SCOPE, DEFAULT_GRAPH_SCOPE,
    QuotaSettings, QuotaShape, QuotaWindow, RetrySettings,
};

use auth::TokenProvider;
use http::{Credential, Endpoint, Http};
use quota::{QuotaScope, ServiceQuota};

/// The three clients, sharing one connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Cloud App Security.
    pub cas: CasClient,
    /// Defender for Endpoint.
    pub defender: DefenderClient,
    /// Microsoft Graph.
    pub graph: GraphClient,
    /// Microsoft Graph security alerts (`alerts_v2`), under their own budget.
    pub graph_alerts: GraphAlertsClient,
    quotas: Vec<Arc<ServiceQuota>>,
}

impl Clients {
    /// Builds the clients; fails only on unusable settings (a URL that does not parse).
    pub fn new(settings: ApiSettings) -> Result<Clients, ApiError> {
        let http = Http::new(settings.timeout, settings.retry)?;
        let cas_base = base_url("cas_url", &settings.cas_url)?;
        let defender_base = base_url("defender_url", &settings.defender_url)?;
        let graph_base = base_url("graph_url", &settings.graph_url)?;
        let authority_base = base_url("authority_url", &settings.authority_url)?;
        if settings.tenant_id.trim().is_empty() {
            return Err(ApiError::Settings(
                "tenant_id is empty; set the Entra tenant id or domain".into(),
            ));
        }

        let cas_quota = Arc::new(ServiceQuota::new(
            Service::Cas,
            QuotaScope::Service,
            &settings.quotas.cas,
        ));
        let defender_quota = Arc::new(ServiceQuota::new(
            Service::Defender,
            QuotaScope::PerApi,
            &settings.quotas.defender,
        ));
        let graph_quota = Arc::new(ServiceQuota::new(
            Service::Graph,
            QuotaScope::Service,
            &settings.quotas.graph,
        ));
        let alerts_quota = Arc::new(ServiceQuota::new(
            Service::Graph,
            QuotaScope::Service,
            &settings.security_alerts_quota,
        ));

        let provider = |service: Service, scope: &str| {
            let authority = Endpoint::new(
                http.clone(),
                authority_base.clone(),
                Credential::Anonymous,
                None,
            );
            Arc::new(TokenProvider::new(
                service,
                authority,
                &settings.tenant_id,
                settings.client_id.clone(),
                settings.client_secret.clone(),
                scope.to_string(),
            ))
        };
        let defender_tokens = provider(Service::Defender, &settings.defender_scope);
        let graph_tokens = provider(Service::Graph, &settings.graph_scope);
        let cas_credential = match &settings.cas_auth {
            CasAuth::ApiToken(token) => Credential::CasToken(token.clone()),
            CasAuth::EntraApp { scope } => Credential::Bearer(provider(Service::Cas, scope)),
        };

        Ok(Clients {
            cas: CasClient::new(Endpoint::new(
                http.clone(),
                cas_base,
                cas_credential,
                Some(cas_quota.clone()),
            )),
            defender: DefenderClient::new(Endpoint::new(
                http.clone(),
                defender_base,
                Credential::Bearer(defender_tokens),
                Some(defender_quota.clone()),
            )),
            graph: GraphClient::new(Endpoint::new(
                http.clone(),
                graph_base.clone(),
                Credential::Bearer(graph_tokens.clone()),
                Some(graph_quota.clone()),
            )),
            graph_alerts: GraphAlertsClient::new(
                Endpoint::new(
                    http,
                    graph_base,
                    Credential::Bearer(graph_tokens),
                    Some(alerts_quota.clone()),
                ),
                alerts_quota,
            ),
            quotas: vec![cas_quota, defender_quota, graph_quota],
        })
    }

    /// Until when Defender asked remedy (429, `Retry-After` or backoff) to wait, if that is still ahead.
    pub fn defender_throttled_until(&self) -> Option<std::time::SystemTime> {
        let now = std::time::SystemTime::now();
        self.quotas
            .iter()
            .filter(|quota| quota.service() == Service::Defender)
            .find_map(|quota| quota.throttled_until(now))
    }

    /// Records each later Defender request in `ledger` before it leaves (see [`SpendLedger`]).
    pub fn keep_defender_spend(&self, ledger: Arc<dyn SpendLedger>) {
        self.quotas
            .iter()
            .filter(|quota| quota.service() == Service::Defender)
            .for_each(|quota| quota.keep_spend(ledger.clone()));
    }

    /// Counts Defender requests of `call` another process made `ages` ago (read from the journal).
    pub fn replay_defender_spend(&self, call: Call, ages: &[std::time::Duration]) {
        self.quotas
            .iter()
            .filter(|quota| quota.service() == Service::Defender)
            .for_each(|quota| quota.replay(call, ages));
    }

    /// What Defender's `call` may spend now without waiting (the tightest of its budgets); `None` when no
    /// budget limits it.
    pub fn defender_room(&self, call: Call) -> Option<Room> {
        self.defender_room_within(call, std::time::Duration::ZERO)
    }

    /// What Defender's `call` may spend within `within` from now, as its spends age out (the tightest of
    /// its budgets); `None` when no budget limits it.
    pub fn defender_room_within(&self, call: Call, within: std::time::Duration) -> Option<Room> {
        self.quotas
            .iter()
            .filter(|quota| quota.service() == Service::Defender)
            .filter_map(|quota| quota.room(call, within))
            .min_by_key(|room| (room.now, std::cmp::Reverse(room.next_in)))
    }

    /// Headroom of every budget: one entry per service and window.
    pub fn quotas(&self) -> Vec<QuotaStatus> {
        self.quotas
            .iter()
            .flat_map(|quota| quota.status())
            .collect()
    }
}

/// Checks a base URL and drops its trailing slash.
fn base_url(key: &str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim().trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(trimmed.to_string())
        }
        _ => Err(ApiError::Settings(format!(
            "{key} = {value:?} is not an http(s) URL; give the service's base URL, e.g. https://host"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn settings() -> ApiSettings {
        ApiSettings::new(
            "https://contoso.us2.portal.cloudappsecurity.com/",
            Secret::new("t"),
            "contoso",
            "id",
            Secret::new("s"),
        )
    }

    #[test]
    fn builds_and_reports_every_budget() {
        let clients = Clients::new(settings()).unwrap();
        let services: Vec<_> = clients
            .quotas()
            .iter()
            .map(|q| (q.service, q.limit, q.per))
            .collect();
        assert_eq!(
            services,
            vec![
                ("cas", 30, "min"),
                ("defender", 100, "min"),
                ("defender", 1500, "hour"),
                ("graph", 3500, "10 s")
            ]
        );
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let mut settings = settings();
        settings.cas_auth = CasAuth::ApiToken(Secret::new("cas-token-value-123"));
        settings.client_secret = Secret::new("client-secret-value-456");
        let shown = format!(
            "{:?} {:?}",
            settings,
            Clients::new(settings.clone()).unwrap()
        );
        assert!(!shown.contains("cas-token-value-123"), "{shown}");
        assert!(!shown.contains("client-secret-value-456"), "{shown}");
    }

    #[test]
    fn rejects_a_bad_url_naming_the_key() {
        let mut bad = settings();
        bad.defender_url = "api.security.microsoft.com".into();
        let error = Clients::new(bad).unwrap_err().to_string();
        assert!(error.contains("defender_url"), "{error}");
    }
}
