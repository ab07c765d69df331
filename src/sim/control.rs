//! The simulator's own controls under `/_sim`: counters, fault switches, raising an alert on demand and
//! playing a policy migration.

use super::clock::iso_ms;
use super::faults::Faults;
use super::http::respond;
use super::migration;
use super::seed;
use super::state::{Shared, State};
use super::wire::Reply;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

/// `/_sim/stats`, `/_sim/clock` (simulated now and time scale), `/_sim/faults` (GET current, POST replace),
/// `/_sim/arrive` (raise one alert now) and `/_sim/migrate` (`{"policy": id, "detector_id"?: id}`: migrate a
/// policy now).
pub(crate) fn handle(shared: &Shared, method: &Method, segs: &[String], body: &[u8]) -> Response {
    let mut st = shared.lock();
    let reply = match (method, segs.get(1).map(String::as_str)) {
        (&Method::GET, Some("stats")) => Reply::ok(st.stats.to_json()),
        (&Method::GET, Some("clock")) => Reply::ok(json!({
            "now": iso_ms(st.clock.now()),
            "time_scale": st.scenario.time_scale,
        })),
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
        (&Method::POST, Some("migrate")) => migrate(&mut st, body),
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

/// `POST /_sim/migrate`: disables the policy and sends its later alerts to Graph under a new detector.
fn migrate(st: &mut State, body: &[u8]) -> Reply {
    let asked: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let Some(policy) = asked["policy"].as_str() else {
        return Reply::new(
            StatusCode::BAD_REQUEST,
            json!({ "error": "give the policy to migrate: {\"policy\": \"<id>\"}" }),
        );
    };
    let detector = asked["detector_id"].as_str().map(str::to_string);
    match migration::migrate(st, policy, detector) {
        Some(m) => {
            Reply::ok(json!({ "policy": m.policy, "detectorId": m.detector, "enabled": false }))
        }
        None => Reply::new(
            StatusCode::NOT_FOUND,
            json!({ "error": format!("no policy {policy} in the scenario") }),
        ),
    }
}
