//! The request and reply types the handlers share, and each service's error body shape.

use axum::body::Bytes;
use axum::http::{Method, StatusCode};
use chrono::Utc;
use serde_json::{Value, json};

/// One request, decoded: path segments after the service's mount point, query pairs, auth header, body.
pub(crate) struct Req {
    pub method: Method,
    pub segs: Vec<String>,
    pub query: Vec<(String, String)>,
    pub auth: Option<String>,
    /// The `Prefer` header (Graph: `include-unknown-enum-members`).
    pub prefer: Option<String>,
    pub body: Bytes,
    /// `http://host:port` as the client addressed us, for `@odata.nextLink`.
    pub base: String,
    pub path: String,
}

impl Req {
    /// A query parameter by name (case-insensitive, so `$top` and `$Top` both work).
    pub(crate) fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The segments as `&str`, for slice patterns.
    pub(crate) fn parts(&self) -> Vec<&str> {
        self.segs.iter().map(String::as_str).collect()
    }

    /// The body as JSON: `Ok(None)` when empty, `Err` with the parser's message when not JSON.
    pub(crate) fn json(&self) -> Result<Option<Value>, String> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// What a handler answers.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Value,
    /// Already-serialised body (hot list paths); sent instead of `body` when present.
    pub text: Option<String>,
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn new(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body,
            text: None,
            headers: Vec::new(),
        }
    }

    /// A 200 whose JSON body is already serialised.
    pub(crate) fn ok_text(text: String) -> Self {
        Self {
            text: Some(text),
            ..Self::ok(Value::Null)
        }
    }

    pub(crate) fn ok(body: Value) -> Self {
        Self::new(StatusCode::OK, body)
    }

    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// Defender's `{"error":{"code","message","target"}}`.
pub(crate) fn mde_error(status: StatusCode, code: &str, message: &str) -> Reply {
    Reply::new(
        status,
        json!({ "error": { "code": code, "message": message, "target": uuid::Uuid::new_v4().to_string() } }),
    )
}

/// Graph's `{"error":{"code","message","innerError":{...}}}`.
pub(crate) fn graph_error(status: StatusCode, code: &str, message: &str) -> Reply {
    let id = uuid::Uuid::new_v4().to_string();
    Reply::new(
        status,
        json!({ "error": { "code": code, "message": message, "innerError": {
            "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "request-id": id, "client-request-id": id } } }),
    )
}

/// Cloud App Security's short error body.
pub(crate) fn cas_error(status: StatusCode, message: &str) -> Reply {
    Reply::new(status, json!({ "error": message }))
}

/// Cloud App Security's filter validation body (HTTP 400).
pub(crate) fn cas_invalid(value: &str) -> Reply {
    Reply::new(
        StatusCode::BAD_REQUEST,
        json!({ "filters": [ { "error": format!("{value} is not valid"),
            "errorMessageCode": "CONSOLE_FORMS_NOT_VALID_VALUE",
            "errorMessageParams": { "value": value } } ], "error": true }),
    )
}

/// Entra ID's token endpoint error body.
pub(crate) fn entra_error(status: StatusCode, error: &str, code: u32, text: &str) -> Reply {
    let trace = uuid::Uuid::new_v4().to_string();
    let now = Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    Reply::new(
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {trace} Timestamp: {now}"),
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": trace,
        }),
    )
}

/// Seconds to put in `Retry-After` for `wall_secs` of waiting (at least 1).
pub(crate) fn retry_after(wall_secs: f64) -> String {
    (wall_secs.ceil().max(1.0) as u64).to_string()
}

/// Decodes `%XX` escapes in a path segment.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("alice%40contoso.com"), "alice@contoso.com");
        assert_eq!(percent_decode("J%C3%BCrgen"), "Jürgen");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn retry_after_rounds_up_to_at_least_one() {
        assert_eq!(retry_after(0.01), "1");
        assert_eq!(retry_after(2.2), "3");
    }
}
