//! Shared helpers for the simulator's integration tests: start, tokens, JSON-shape comparison with fixtures.
#![allow(dead_code)]

use remedy::sim::{Scenario, SimHandle, SimOptions, start};
use serde_json::Value;

pub const MDE_SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const CAS_SCOPE: &str = "05a65629-4c1b-48c1-a78b-804c4abdd4af/.default";

/// The quiet demo scenario running fast: actions finish within a fraction of a second.
pub fn fast() -> Scenario {
    let mut s = Scenario::quiet();
    s.time_scale = 3000.0;
    s
}

pub async fn sim(s: Scenario) -> SimHandle {
    start(SimOptions {
        port: 0,
        scenario: s,
    })
    .await
    .unwrap()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// Client-credentials token for `scope` from the demo app registration.
pub async fn token(h: &SimHandle, scope: &str) -> String {
    let v = token_reply(&h.authority_url(), scope).await;
    v["access_token"].as_str().unwrap().to_string()
}

/// The token authority at `authority` (`…/login`) answering the demo app registration for `scope`.
pub async fn token_reply(authority: &str, scope: &str) -> Value {
    let r = client()
        .post(format!("{authority}/contoso/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "remedy-demo"),
            ("client_secret", "remedy-demo-secret"),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// A fixture from `tests/fixtures/api/` (the shared API fixtures).
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/api/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Field names that are spelled two ways by the real service.
const ALIASES: &[(&str, &str)] = &[("lastUpdateTimeUtc", "lastUpdateDateTimeUtc")];

/// Fields present only on some answers (paging links; the flow id of policies with no flow bound).
const OPTIONAL: &[&str] = &["@odata.nextLink", "msFlowId"];

fn field<'a>(actual: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    actual.get(key).or_else(|| {
        ALIASES
            .iter()
            .find_map(|(a, b)| {
                if key == *a {
                    Some(*b)
                } else if key == *b {
                    Some(*a)
                } else {
                    None
                }
            })
            .and_then(|k| actual.get(k))
    })
}

/// Asserts `actual` has every field of `expected` with the same JSON type (null matches anything;
/// array items are compared with the expected item of the same `type`, else the first item).
pub fn assert_shape(actual: &Value, expected: &Value, at: &str) {
    if actual.is_null() || expected.is_null() {
        return;
    }
    assert_eq!(
        kind(actual),
        kind(expected),
        "type differs at {at}: {actual} vs {expected}"
    );
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, ev) in e {
                if OPTIONAL.contains(&k.as_str()) && !a.contains_key(k) {
                    continue;
                }
                let av =
                    field(a, k).unwrap_or_else(|| panic!("missing field {at}.{k} in {actual}"));
                assert_shape(av, ev, &format!("{at}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            for (i, item) in a.iter().enumerate() {
                let typed = item
                    .get("type")
                    .and_then(|t| e.iter().find(|x| x.get("type") == Some(t)));
                let has_types = e.iter().any(|x| x.get("type").is_some());
                match (typed, has_types) {
                    (Some(x), _) => assert_shape(item, x, &format!("{at}[{i}]")),
                    (None, false) if !e.is_empty() => {
                        assert_shape(item, &e[0], &format!("{at}[{i}]"))
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

pub async fn get(url: &str, bearer: &str) -> reqwest::Response {
    client().get(url).bearer_auth(bearer).send().await.unwrap()
}

pub async fn post(url: &str, bearer: &str, body: Value) -> reqwest::Response {
    client()
        .post(url)
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Polls a machine action until it reaches a final state; returns every status seen, in order.
pub async fn follow_action(h: &SimHandle, mde: &str, id: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    loop {
        let v: Value = get(
            &format!("{}/api/machineactions/{id}", h.defender_url()),
            mde,
        )
        .await
        .json()
        .await
        .unwrap();
        let s = v["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if matches!(s.as_str(), "Succeeded" | "Failed" | "TimeOut" | "Cancelled") {
            return seen;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}
