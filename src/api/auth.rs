//! OAuth client-credentials tokens per scope: fetched on demand, cached, renewed before expiry.

use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::sync::Mutex;

use super::call::{Call, Service};
use super::error::{ApiError, clean_text};
use super::http::{Endpoint, Request};
use super::models::{TokenErrorBody, TokenResponse};
use super::retry::Replay;
use crate::config::Secret;

/// Lifetime assumed when the authority does not say (Entra issues one hour).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// Renew this long before expiry (or at half the lifetime when that is shorter).
const RENEW_MARGIN: Duration = Duration::from_secs(300);
/// Longest lifetime believed from an authority: Entra issues tokens for one to 24 hours; a larger
/// `expires_in` is nonsense and must not overflow the clock arithmetic.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// How long a token from the authority is used: its `expires_in`, within sane bounds.
fn token_lifetime(expires_in: Option<u64>) -> Duration {
    expires_in
        .filter(|seconds| *seconds > 0)
        .map(|seconds| Duration::from_secs(seconds).min(MAX_LIFETIME))
        .unwrap_or(DEFAULT_LIFETIME)
}

/// An access token and the generation number that identifies it in the cache.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    pub(crate) secret: Secret,
    pub(crate) generation: u64,
}

#[derive(Debug)]
struct Cached {
    token: AccessToken,
    renew_at: Instant,
}

#[derive(Debug, Default)]
struct Cache {
    current: Option<Cached>,
    generations: u64,
}

/// Issues tokens for one scope with the client-credentials grant.
#[derive(Debug)]
pub(crate) struct TokenProvider {
    service: Service,
    authority: Endpoint,
    token_path: String,
    client_id: String,
    client_secret: Secret,
    scope: String,
    cache: Mutex<Cache>,
}

impl TokenProvider {
    pub(crate) fn new(
        service: Service,
        authority: Endpoint,
        tenant_id: &str,
        client_id: String,
        client_secret: Secret,
        scope: String,
    ) -> TokenProvider {
        TokenProvider {
            service,
            authority,
            token_path: format!("/{}/oauth2/v2.0/token", super::http::segment(tenant_id)),
            client_id,
            client_secret,
            scope,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// A valid token: the cached one, or a fresh one when it is near expiry. One renewal at a time.
    pub(crate) async fn token(&self) -> Result<AccessToken, ApiError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = &cache.current {
            if Instant::now() < cached.renew_at {
                return Ok(cached.token.clone());
            }
        }
        let (secret, lifetime) = self.fetch().await?;
        cache.generations += 1;
        let token = AccessToken {
            secret,
            generation: cache.generations,
        };
        let margin = RENEW_MARGIN.min(lifetime / 2);
        cache.current = Some(Cached {
            token: token.clone(),
            renew_at: Instant::now() + lifetime - margin,
        });
        tracing::debug!(service = %self.service, lifetime_s = lifetime.as_secs(), "access token issued");
        Ok(token)
    }

    /// Forgets the token of this generation (the service refused it), so the next call renews.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut cache = self.cache.lock().await;
        if cache
            .current
            .as_ref()
            .is_some_and(|cached| cached.token.generation == generation)
        {
            cache.current = None;
        }
    }

    async fn fetch(&self) -> Result<(Secret, Duration), ApiError> {
        let call = Call::Token(self.service);
        let request = Request::new(call, Method::POST, self.authority.url(&self.token_path))
            .form(vec![
                ("grant_type", "client_credentials".to_string()),
                ("client_id", self.client_id.clone()),
                ("client_secret", self.client_secret.expose().to_string()),
                ("scope", self.scope.clone()),
            ])
            .replay(Replay::Safe);
        let reply = self.authority.send(&request).await?;
        if !reply.is_success() {
            let message = serde_json::from_slice::<TokenErrorBody>(&reply.body)
                .ok()
                .map(|body| body.error_description.unwrap_or(body.error))
                .unwrap_or_else(|| String::from_utf8_lossy(&reply.body).into_owned());
            let message = self.redact(&message);
            return Err(ApiError::Token {
                call,
                status: reply.status.as_u16(),
                message: clean_text(&message, 400),
            });
        }
        // Never quote a token response body: it holds the token.
        let response: TokenResponse =
            serde_json::from_slice(&reply.body).map_err(|e| ApiError::Decode {
                call,
                reason: format!(
                    "token response without a usable access_token (line {}, column {})",
                    e.line(),
                    e.column()
                ),
                snippet: "(withheld: may contain a token)".to_string(),
            })?;
        if response.access_token.is_empty() {
            return Err(ApiError::Token {
                call,
                status: reply.status.as_u16(),
                message: "the authority returned an empty access token".to_string(),
            });
        }
        let lifetime = token_lifetime(response.expires_in);
        Ok((response.access_token, lifetime))
    }

    fn redact(&self, text: &str) -> String {
        let secret = self.client_secret.expose();
        if secret.is_empty() {
            text.to_string()
        } else {
            text.replace(secret, "***")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_expires_in_is_capped_and_never_overflows_the_clock() {
        let lifetime = token_lifetime(Some(u64::MAX));
        assert_eq!(lifetime, MAX_LIFETIME);
        let margin = RENEW_MARGIN.min(lifetime / 2);
        assert!(Instant::now().checked_add(lifetime - margin).is_some());
    }

    #[test]
    fn a_missing_or_zero_expires_in_means_the_default_hour() {
        assert_eq!(token_lifetime(None), DEFAULT_LIFETIME);
        assert_eq!(token_lifetime(Some(0)), DEFAULT_LIFETIME);
        assert_eq!(token_lifetime(Some(120)), Duration::from_secs(120));
    }
}
