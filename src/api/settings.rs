//! Settings of the API clients: endpoints, credentials, timeouts, quotas and retry policy.

use std::time::Duration;

use crate::config::Secret;

/// Default OAuth scope of the Defender for Endpoint API.
pub const DEFAULT_DEFENDER_SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";
/// Default OAuth scope of Microsoft Graph.
pub const DEFAULT_GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// OAuth scope of the Cloud App Security API for an Entra app ("Microsoft Cloud App Security").
pub const DEFAULT_CAS_SCOPE: &str = "05a65629-4c1b-48c1-a78b-804c4abdd4af/.default";

/// How remedy signs in to Cloud App Security.
#[derive(Debug, Clone)]
pub enum CasAuth {
    /// The legacy API token (`Authorization: Token <token>`), on Microsoft's deprecation path.
    ApiToken(Secret),
    /// The Entra app of `[tenant]` with the client-credentials grant for `scope` (recommended).
    EntraApp {
        /// Scope requested for Cloud App Security tokens.
        scope: String,
    },
}

impl CasAuth {
    /// How it is named in `remedy check` and logs (never the secret).
    pub fn describe(&self) -> String {
        match self {
            CasAuth::ApiToken(_) => "legacy API token".to_string(),
            CasAuth::EntraApp { scope } => format!("Entra app (scope {scope})"),
        }
    }
}

/// Everything the clients need to reach the three services and the token authority.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Tenant portal URL of Cloud App Security, e.g. `https://contoso.us2.portal.cloudappsecurity.com`.
    pub cas_url: String,
    /// How remedy signs in to Cloud App Security.
    pub cas_auth: CasAuth,
    /// Defender for Endpoint API base, e.g. `https://api.security.microsoft.com`.
    pub defender_url: String,
    /// Microsoft Graph base, e.g. `https://graph.microsoft.com`.
    pub graph_url: String,
    /// Token authority, e.g. `https://login.microsoftonline.com`.
    pub authority_url: String,
    /// Entra tenant id or domain.
    pub tenant_id: String,
    /// Application (client) id of the app registration.
    pub client_id: String,
    /// Client secret of the app registration.
    pub client_secret: Secret,
    /// Scope requested for Defender tokens.
    pub defender_scope: String,
    /// Scope requested for Graph tokens.
    pub graph_scope: String,
    /// Time limit of every single HTTP exchange (connect, send, read the body).
    pub timeout: Duration,
    /// Client-side request budgets per service.
    pub quotas: QuotaSettings,
    /// Client-side budget of Graph security alert calls (`alerts_v2`): 150 requests per minute.
    pub security_alerts_quota: Vec<QuotaWindow>,
    /// Retry and backoff policy.
    pub retry: RetrySettings,
}

impl ApiSettings {
    /// Settings for the public Microsoft endpoints with default scopes, timeout, quotas and retries.
    pub fn new(
        cas_url: impl Into<String>,
        cas_token: Secret,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: Secret,
    ) -> ApiSettings {
        ApiSettings {
            cas_url: cas_url.into(),
            cas_auth: CasAuth::ApiToken(cas_token),
            defender_url: "https://api.security.microsoft.com".into(),
            graph_url: "https://graph.microsoft.com".into(),
            authority_url: "https://login.microsoftonline.com".into(),
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            client_secret,
            defender_scope: DEFAULT_DEFENDER_SCOPE.into(),
            graph_scope: DEFAULT_GRAPH_SCOPE.into(),
            timeout: Duration::from_secs(30),
            quotas: QuotaSettings::default(),
            security_alerts_quota: vec![QuotaWindow::window(150, Duration::from_secs(60))],
            retry: RetrySettings::default(),
        }
    }
}

/// How a budget window is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaShape {
    /// At most `limit` requests in any window of length `per` (Cloud App Security, Defender):
    /// a request goes as soon as the last `per` has room, so a burst may use the whole limit.
    Window,
    /// A token bucket holding `limit` units refilled over `per` (Graph's resource-unit bucket).
    TokenBucket,
}

/// One budget: `limit` requests (or resource units) per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaWindow {
    /// Requests (or units) allowed per window.
    pub limit: u32,
    /// Length of the window.
    pub per: Duration,
    /// How the budget is enforced.
    pub shape: QuotaShape,
}

impl QuotaWindow {
    /// A sliding-window budget.
    pub fn window(limit: u32, per: Duration) -> QuotaWindow {
        QuotaWindow {
            limit,
            per,
            shape: QuotaShape::Window,
        }
    }

    /// A token-bucket budget.
    pub fn bucket(limit: u32, per: Duration) -> QuotaWindow {
        QuotaWindow {
            limit,
            per,
            shape: QuotaShape::TokenBucket,
        }
    }
}

/// Client-side budgets per service; every budget of a service must allow a request before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaSettings {
    /// Cloud App Security: 30 requests per minute per tenant.
    pub cas: Vec<QuotaWindow>,
    /// Defender: 100 calls per minute and 1,500 per hour, for each API on its own.
    pub defender: Vec<QuotaWindow>,
    /// Graph identity APIs: 3,500 resource units per 10 s (smallest tenant size).
    pub graph: Vec<QuotaWindow>,
}

impl Default for QuotaSettings {
    fn default() -> QuotaSettings {
        QuotaSettings {
            cas: vec![QuotaWindow::window(30, Duration::from_secs(60))],
            defender: vec![
                QuotaWindow::window(100, Duration::from_secs(60)),
                QuotaWindow::window(1500, Duration::from_secs(3600)),
            ],
            graph: vec![QuotaWindow::bucket(3500, Duration::from_secs(10))],
        }
    }
}

/// Retry policy of the shared HTTP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// First backoff delay; doubled on each further attempt, with jitter.
    pub base_delay: Duration,
    /// First backoff delay after a Cloud App Security 429 that carries no `Retry-After`.
    pub cas_throttle_delay: Duration,
    /// Longest single wait; a `Retry-After` beyond it ends the call with `Throttled` at once.
    pub max_delay: Duration,
}

impl Default for RetrySettings {
    fn default() -> RetrySettings {
        RetrySettings {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            cas_throttle_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(120),
        }
    }
}
