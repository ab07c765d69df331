//! `ApiError`: one kind per way a call can fail, each message naming the service, the call and the fix.

use std::time::Duration;

use super::call::Call;
use super::models::defender::MachineAction;

/// Longest piece of a response body kept in an error.
pub(crate) const BODY_SNIPPET: usize = 200;

/// Why an API call failed. Messages never contain a secret or a bearer token.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: the credential was refused (after one token renewal for OAuth services).
    #[error("{call}: unauthorized (401){}; check the {}", detail_suffix(.message), .call.credential())]
    Unauthorized {
        /// The call that failed.
        call: Call,
        /// The service's explanation, if any.
        message: String,
    },
    /// 403: the credential is valid but lacks a permission.
    #[error("{call}: forbidden (403){}; {}", detail_suffix(.message), permission_advice(*.call))]
    Forbidden {
        /// The call that failed.
        call: Call,
        /// The permission the call needs, when known.
        permission: Option<&'static str>,
        /// The service's explanation.
        message: String,
    },
    /// 404: the thing asked for does not exist (or is not visible to this credential).
    #[error("{call}: not found (404){}; check the id, or that it still exists", detail_suffix(.message))]
    NotFound {
        /// The call that failed.
        call: Call,
        /// The service's explanation.
        message: String,
    },
    /// 429 still answered after every retry, or a `Retry-After` longer than the longest allowed wait.
    #[error("{call}: throttled (429) after {attempts} attempt(s){}; wait and try again, or lower the request rate", retry_suffix(.retry_after))]
    Throttled {
        /// The call that failed.
        call: Call,
        /// Attempts made.
        attempts: u32,
        /// How long the service asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// Defender's 400 `ActiveRequestAlreadyExists`: the same kind of action is already running there.
    #[error("{call}: an action of this kind is already in progress on the machine{}; wait for it or attach to it", detail_suffix(.message))]
    ActionAlreadyInProgress {
        /// The call that failed.
        call: Call,
        /// The service's explanation.
        message: String,
        /// The running action, when the response carries it.
        existing: Option<Box<MachineAction>>,
    },
    /// 400 (or another 4xx) the client cannot fix by retrying.
    #[error("{call}: request refused ({status}): {body}; check the parameters of the call")]
    BadRequest {
        /// The call that failed.
        call: Call,
        /// HTTP status.
        status: u16,
        /// Start of the response body, control characters removed.
        body: String,
    },
    /// 5xx (or 408) still answered after every retry, or answered to a call that must not be replayed.
    #[error(
        "{call}: service error ({status}) after {attempts} attempt(s): {body}; try again later"
    )]
    Server {
        /// The call that failed.
        call: Call,
        /// HTTP status.
        status: u16,
        /// Attempts made.
        attempts: u32,
        /// Start of the response body, control characters removed.
        body: String,
    },
    /// No usable HTTP exchange: connection refused, DNS, TLS, timeout, reset.
    #[error("{call}: could not reach the service ({reason}){}; check the URL, network and proxy", if *.maybe_sent { " — the request may have been received" } else { "" })]
    Transport {
        /// The call that failed.
        call: Call,
        /// What went wrong.
        reason: String,
        /// True when the request may have reached the service (timeouts, resets after sending).
        maybe_sent: bool,
    },
    /// A 2xx response whose body is not what the API documents.
    #[error(
        "{call}: unreadable response ({reason}); body starts with {snippet:?}; report this with the service's response"
    )]
    Decode {
        /// The call that failed.
        call: Call,
        /// What did not parse.
        reason: String,
        /// First bytes of the body, control characters removed.
        snippet: String,
    },
    /// The token authority refused to issue a token.
    #[error(
        "{call}: token request failed ({status}): {message}; check the tenant id, client id, client secret and admin consent"
    )]
    Token {
        /// The token call (names the service the token was for).
        call: Call,
        /// HTTP status from the authority.
        status: u16,
        /// The authority's explanation (AADSTS code and text).
        message: String,
    },
    /// The settings cannot work (bad URL, empty credential).
    #[error("API settings: {0}")]
    Settings(String),
}

impl ApiError {
    /// The call that failed, if the error belongs to one.
    pub fn call(&self) -> Option<Call> {
        match self {
            ApiError::Unauthorized { call, .. }
            | ApiError::Forbidden { call, .. }
            | ApiError::NotFound { call, .. }
            | ApiError::Throttled { call, .. }
            | ApiError::ActionAlreadyInProgress { call, .. }
            | ApiError::BadRequest { call, .. }
            | ApiError::Server { call, .. }
            | ApiError::Transport { call, .. }
            | ApiError::Decode { call, .. }
            | ApiError::Token { call, .. } => Some(*call),
            ApiError::Settings(_) => None,
        }
    }
}

fn detail_suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

fn retry_suffix(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(" (the service asked to wait {} s)", wait.as_secs()),
        None => String::new(),
    }
}

fn permission_advice(call: Call) -> String {
    match call.permission() {
        Some(permission) => format!("grant the application {permission} and re-consent"),
        None => "check the roles of the credential".to_string(),
    }
}

/// Untrusted text made safe for messages: control characters replaced, cut to `max` bytes.
pub(crate) fn clean_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for ch in text.chars() {
        if out.len() + ch.len_utf8() > max {
            out.push('…');
            break;
        }
        out.push(if ch.is_control() { ' ' } else { ch });
    }
    out.trim().to_string()
}

/// The first bytes of a body as clean text.
pub(crate) fn snippet(body: &[u8]) -> String {
    let head = &body[..body.len().min(BODY_SNIPPET)];
    clean_text(&String::from_utf8_lossy(head), BODY_SNIPPET)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_names_the_missing_permission() {
        let error = ApiError::Forbidden {
            call: Call::Isolate,
            permission: Call::Isolate.permission(),
            message: "no".into(),
        };
        let text = error.to_string();
        assert!(text.contains("Machine.Isolate"), "{text}");
        assert!(
            text.contains("Defender for Endpoint isolate machine"),
            "{text}"
        );
    }

    #[test]
    fn unauthorized_says_what_to_check() {
        let text = ApiError::Unauthorized {
            call: Call::ListAlerts,
            message: String::new(),
        }
        .to_string();
        assert!(text.contains("Cloud App Security list alerts"), "{text}");
        assert!(text.contains("API token"), "{text}");
    }

    #[test]
    fn clean_text_strips_escapes_and_truncates() {
        assert_eq!(clean_text("a\u{1b}[31mb", 100), "a [31mb");
        assert_eq!(clean_text("abcdef", 3), "abc…");
    }
}
