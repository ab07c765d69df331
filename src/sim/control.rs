//! The simulator's own controls under `/_sim`: counters, fault switches, and raising an alert on demand.

use super::faults::Faults;
use super::http::respond;
use super::seed;
use super::state::Shared;
use super::wire::Reply;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

/// `/_sim/stats`, `/_sim/faults` (GET current, POST replace) and `/_sim/arrive` (raise one alert now).
pub(crate) fn handle(shared: &Shared, method: &Method, segs: &[String], body: &[u8]) -> Response {
    let mut st = shared.lock();
    let reply = match (method, segs.get(1).map(String::as_str)) {
        (&Method::GET, Some("stats")) => Reply::ok(st.stats.to_json()),
        (&Method::GET, Some("faults")) => Reply::ok(json!(st.faults)),
        (&Method::POST, Some("faults")) => match serde_json::from_slice::<Faults>(body) {
            Ok(f) => match f.problem() {
                Some(p) => Reply::new(StatusCode::BAD_REQUEST, json!({ "error": p })),
                None => {
                    st.faults = f;
                    Reply::ok(json!(st.faults))
                }
            },
            Err(e) => Reply::new(
                StatusCode::BAD_REQUEST,
                json!({ "error": format!("faults body is not valid: {e}") }),
            ),
        },
        (&Method::POST, Some("arrive")) => {
            seed::arrive(&mut st);
            Reply::ok(json!({ "alerts": st.alerts.len() }))
        }
        _ => Reply::new(
            StatusCode::NOT_FOUND,
            json!({ "error": "unknown simulator control endpoint" }),
        ),
    };
    respond(reply, false)
}
