//! The shared HTTP layer: one pooled client, credentials, quotas, retries with backoff and `Retry-After`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::auth::TokenProvider;
use super::call::{Call, Service};
use super::error::{ApiError, clean_text, snippet};
use super::quota::ServiceQuota;
use super::reply::{MESSAGE_MAX, Reply};
use super::retry::{Replay, backoff, is_retryable, retry_after};
use super::settings::RetrySettings;

/// The pooled HTTP client and the retry policy, shared by every endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    retry: RetrySettings,
}

impl Http {
    pub(crate) fn new(timeout: Duration, retry: RetrySettings) -> Result<Http, ApiError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(IN_FLIGHT_PER_SERVICE)
            .user_agent(concat!("remedy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Settings(format!("cannot build the HTTP client: {e}")))?;
        Ok(Http { client, retry })
    }
}

/// How a request proves who sends it.
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    /// Nothing (the token endpoint itself).
    Anonymous,
    /// Cloud App Security API token: `Authorization: Token <token>`.
    CasToken(crate::config::Secret),
    /// OAuth access token from a provider: `Authorization: Bearer <token>`, renewed once on 401.
    Bearer(Arc<TokenProvider>),
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// One logical call, possibly sent several times.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) call: Call,
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) headers: Vec<(&'static str, &'static str)>,
    pub(crate) body: Body,
    pub(crate) cost: u32,
    pub(crate) replay: Replay,
}

impl Request {
    pub(crate) fn new(call: Call, method: Method, url: String) -> Request {
        let replay = if method == Method::GET {
            Replay::Safe
        } else {
            Replay::Never
        };
        Request {
            call,
            method,
            url,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            cost: 1,
            replay,
        }
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Request {
        self.query.push((key, value.into()));
        self
    }

    /// A fixed header sent with every attempt (e.g. Graph's `Prefer`).
    pub(crate) fn header(mut self, name: &'static str, value: &'static str) -> Request {
        self.headers.push((name, value));
        self
    }

    pub(crate) fn json(mut self, body: Value) -> Request {
        self.body = Body::Json(body);
        self
    }

    pub(crate) fn form(mut self, fields: Vec<(&'static str, String)>) -> Request {
        self.body = Body::Form(fields);
        self
    }

    pub(crate) fn replay(mut self, replay: Replay) -> Request {
        self.replay = replay;
        self
    }

    pub(crate) fn cost(mut self, cost: u32) -> Request {
        self.cost = cost;
        self
    }
}

/// Requests one service may have on the wire at once. Past it, callers wait for a slot: a slow service
/// then costs a queue of waiting tasks, not a new connection (and its buffers) per request.
pub(crate) const IN_FLIGHT_PER_SERVICE: usize = 16;

/// A service endpoint: where to send, with which credential, under which quota.
#[derive(Debug)]
pub(crate) struct Endpoint {
    http: Http,
    base: String,
    credential: Credential,
    quota: Option<Arc<ServiceQuota>>,
    in_flight: Semaphore,
}

impl Endpoint {
    pub(crate) fn new(
        http: Http,
        base: String,
        credential: Credential,
        quota: Option<Arc<ServiceQuota>>,
    ) -> Endpoint {
        Endpoint {
            http,
            base,
            credential,
            quota,
            in_flight: Semaphore::new(IN_FLIGHT_PER_SERVICE),
        }
    }

    /// The base URL followed by `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// Sends a call: waits for quota, authenticates, retries what may be retried, returns the final answer.
    pub(crate) async fn send(&self, request: &Request) -> Result<Reply, ApiError> {
        let retry = self.http.retry;
        let max_attempts = retry.max_attempts.max(1);
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let spent = match &self.quota {
                Some(quota) => Some(quota.acquire(request.call, request.cost).await),
                None => None,
            };
            let (header, generation) = self.authorization(request.call).await?;
            let outcome = self.exchange(request, header).await;
            if let Some(spent) = spent {
                spent.settle();
            }
            let (status, wait, body) = match outcome {
                Ok(answer) => answer,
                Err(error) => {
                    let never_sent = error.is_connect();
                    let may_retry = never_sent || request.replay == Replay::Safe;
                    tracing::debug!(call = %request.call, attempt, never_sent, "transport error: {}", describe(&error));
                    if may_retry && attempt < max_attempts {
                        tokio::time::sleep(backoff(retry.base_delay, attempt, retry.max_delay))
                            .await;
                        continue;
                    }
                    return Err(ApiError::Transport {
                        call: request.call,
                        reason: describe(&error),
                        maybe_sent: !never_sent,
                    });
                }
            };
            tracing::debug!(call = %request.call, attempt, status = status.as_u16(), "answer");
            if status == StatusCode::UNAUTHORIZED && !renewed {
                if let Credential::Bearer(provider) = &self.credential {
                    renewed = true;
                    attempt -= 1;
                    provider.invalidate(generation).await;
                    continue;
                }
            }
            if is_retryable(status) {
                let throttled = status == StatusCode::TOO_MANY_REQUESTS;
                // A 429 means the service refused the request, so even an action may be sent again.
                let may_retry = request.replay == Replay::Safe || throttled;
                let delay =
                    wait.unwrap_or_else(|| retry_backoff(&retry, request.call, throttled, attempt));
                if let (true, Some(quota)) = (throttled, &self.quota) {
                    quota.note_throttled(delay);
                }
                if may_retry && attempt < max_attempts && delay <= retry.max_delay {
                    tokio::time::sleep(delay).await;
                    continue;
                }
                return Err(exhausted(request.call, status, attempt, wait, &body));
            }
            return Ok(Reply {
                call: request.call,
                status,
                body,
            });
        }
    }

    /// One HTTP exchange: status, `Retry-After` and the whole body (a reset while reading it is an error).
    async fn exchange(
        &self,
        request: &Request,
        header: Option<HeaderValue>,
    ) -> Result<(StatusCode, Option<Duration>, Vec<u8>), reqwest::Error> {
        let _slot = self.in_flight.acquire().await;
        let mut builder = self
            .http
            .client
            .request(request.method.clone(), &request.url);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        for (name, value) in &request.headers {
            builder = builder.header(*name, *value);
        }
        if let Some(header) = header {
            builder = builder.header(AUTHORIZATION, header);
        }
        builder = match &request.body {
            Body::Empty => builder,
            Body::Json(body) => builder.json(body),
            Body::Form(fields) => builder.form(fields),
        };
        let response = builder.send().await?;
        let status = response.status();
        let wait = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        let body = response.bytes().await?;
        Ok((status, wait, body.to_vec()))
    }

    /// The `Authorization` header for this attempt and the token generation it carries.
    async fn authorization(&self, call: Call) -> Result<(Option<HeaderValue>, u64), ApiError> {
        let (text, generation) = match &self.credential {
            Credential::Anonymous => return Ok((None, 0)),
            Credential::CasToken(token) => (format!("Token {}", token.expose()), 0),
            Credential::Bearer(provider) => {
                // Boxed: the token request itself goes through `send` (without a credential).
                let token = Box::pin(provider.token()).await?;
                (
                    format!("Bearer {}", token.secret.expose()),
                    token.generation,
                )
            }
        };
        let mut header = HeaderValue::from_str(&text).map_err(|_| {
            ApiError::Settings(format!(
                "{call}: the credential contains characters that cannot be sent in a header; check it for stray spaces or line breaks"
            ))
        })?;
        header.set_sensitive(true);
        Ok((Some(header), generation))
    }
}

/// Backoff when the service gave no `Retry-After`: Cloud App Security throttling starts higher.
fn retry_backoff(retry: &RetrySettings, call: Call, throttled: bool, attempt: u32) -> Duration {
    let base = if throttled && call.service() == Service::Cas {
        retry.cas_throttle_delay
    } else {
        retry.base_delay
    };
    backoff(base, attempt, retry.max_delay)
}

/// The error for a retryable status that may not or can no longer be retried.
fn exhausted(
    call: Call,
    status: StatusCode,
    attempts: u32,
    wait: Option<Duration>,
    body: &[u8],
) -> ApiError {
    if status == StatusCode::TOO_MANY_REQUESTS {
        ApiError::Throttled {
            call,
            attempts,
            retry_after: wait,
        }
    } else {
        ApiError::Server {
            call,
            status: status.as_u16(),
            attempts,
            body: snippet(body),
        }
    }
}

/// A transport error with its causes, e.g. "error sending request: connection refused".
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        "timed out".to_string()
    } else {
        error.to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    clean_text(&text, MESSAGE_MAX)
}

/// Percent-encodes one path segment (ids and names put into URLs).
pub(crate) fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("alice@contoso.com"), "alice@contoso.com");
        assert_eq!(segment("a b/c'd"), "a%20b%2Fc%27d");
    }

    /// A loopback service that holds every request a moment before answering `{}`, and counts the most it
    /// held at once.
    async fn slow_service() -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let seen = most.clone();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let (now, most) = (now.clone(), most.clone());
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {
                        let held = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(held, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        (base, seen)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_service_never_has_more_than_its_slots_on_the_wire() {
        let (base, most) = slow_service().await;
        let http = Http::new(Duration::from_secs(10), RetrySettings::default()).unwrap();
        let endpoint = Endpoint::new(http, base, Credential::Anonymous, None);
        let request = Request::new(
            Call::GetMachineAction,
            Method::GET,
            endpoint.url("/api/machineactions/a"),
        );
        let answers = futures::future::join_all(
            (0..IN_FLIGHT_PER_SERVICE * 4).map(|_| endpoint.send(&request)),
        )
        .await;
        assert!(answers.iter().all(|a| a.is_ok()), "{answers:?}");
        let most = most.load(Ordering::SeqCst);
        assert!(most <= IN_FLIGHT_PER_SERVICE, "{most} requests at once");
        assert!(most > 1, "the requests went one by one");
    }
}
