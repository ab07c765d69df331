//! Graph security alerts (`/graph/v1.0/security/alerts_v2`): list, get, update, comment, with the
//! `SecurityAlert.*` roles and the 150 requests per minute budget.

use super::auth::{bearer, has_any};
use super::clock::iso7;
use super::graph_alert_json::{CAS_SOURCE, entity};
use super::graph_alert_list;
use super::seed::close_alert;
use super::state::{Service, State};
use super::wire::{Reply, Req, graph_error};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const READ: &[&str] = &["SecurityAlert.Read.All", "SecurityAlert.ReadWrite.All"];
const WRITE: &[&str] = &["SecurityAlert.ReadWrite.All"];

const STATUSES: &[&str] = &["new", "inProgress", "resolved"];
const CLASSIFICATIONS: &[&str] = &[
    "unknown",
    "falsePositive",
    "truePositive",
    "informationalExpectedActivity",
];
const DETERMINATIONS: &[&str] = &[
    "unknown",
    "apt",
    "malware",
    "securityPersonnel",
    "securityTesting",
    "unwantedSoftware",
    "other",
    "multiStagedAttack",
    "compromisedUser",
    "phishing",
    "maliciousUserActivity",
    "clean",
    "insufficientData",
    "confirmedUserActivity",
    "lineOfBusinessApplication",
];

/// A routed security alerts endpoint.
pub(crate) enum Ep {
    List,
    Get(String),
    Update(String),
    Comment(String),
}

/// Routes `v1.0/security/alerts_v2[/{id}[/comments]]`.
pub(crate) fn route(req: &Req) -> Option<(String, Ep)> {
    let parts = req.parts();
    let rest = match parts.as_slice() {
        ["v1.0", "security", alerts, rest @ ..] if alerts.eq_ignore_ascii_case("alerts_v2") => rest,
        _ => return None,
    };
    let m = &req.method;
    let (label, ep) = match rest {
        [] if m == Method::GET => ("", Ep::List),
        [id] if m == Method::GET => ("/{id}", Ep::Get(id.to_string())),
        [id] if m == Method::PATCH => ("/{id}", Ep::Update(id.to_string())),
        [id, c] if m == Method::POST && c.eq_ignore_ascii_case("comments") => {
            ("/{id}/comments", Ep::Comment(id.to_string()))
        }
        _ => return None,
    };
    Some((format!("{m} /graph/v1.0/security/alerts_v2{label}"), ep))
}

/// Serves one request: bearer token, role, the per-minute budget, then the endpoint.
pub(crate) fn handle(st: &mut State, req: &Req, ep: &Ep) -> Reply {
    let token = match bearer(st, req, Service::Graph) {
        Ok(t) => t,
        Err(why) => {
            return graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", why);
        }
    };
    let needed = match ep {
        Ep::List | Ep::Get(_) => READ,
        Ep::Update(_) | Ep::Comment(_) => WRITE,
    };
    if !has_any(&token, needed) {
        return graph_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "Missing application roles. API required roles: {}.",
                needed.join(", ")
            ),
        );
    }
    let now = st.clock.elapsed();
    let limit = st.scenario.quotas.graph_alerts_per_minute;
    if let Err(wait) = st.windows.admit("graph_alerts", now, &[(limit, 60.0)]) {
        let secs = super::wire::retry_after(st.clock.wall_secs(wait));
        return graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            &format!("Too many requests. Retry after {secs} seconds."),
        )
        .header(
            "retry-after",
            st.faults.retry_after("graph", st.clock.wall_secs(wait)),
        );
    }
    let include_unknown = req
        .prefer
        .as_deref()
        .is_some_and(|p| p.contains("include-unknown-enum-members"));
    match ep {
        Ep::List => {
            let largest = st.scenario.graph_alerts.page_size;
            graph_alert_list::page(
                req,
                &st.graph_alerts,
                st.scenario.strict,
                largest,
                include_unknown,
            )
        }
        Ep::Get(id) => match find(st, id) {
            Some(i) => Reply::ok(entity(&st.graph_alerts[i], include_unknown)),
            None => not_found(id),
        },
        Ep::Update(id) => update(st, req, id, include_unknown),
        Ep::Comment(id) => comment(st, req, id, &token.app),
    }
}

fn find(st: &State, id: &str) -> Option<usize> {
    st.graph_alerts
        .positions("id", id)
        .iter()
        .copied()
        .find(|i| st.graph_alerts[*i]["id"] == id)
}

fn not_found(id: &str) -> Reply {
    graph_error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("Alert with id '{id}' was not found."),
    )
}

fn bad_request(message: &str) -> Reply {
    graph_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// The PATCH body's changes, or why it is refused.
fn changes(req: &Req) -> Result<serde_json::Map<String, Value>, Reply> {
    let body = match req.json() {
        Ok(Some(Value::Object(m))) => m,
        Ok(_) => return Err(bad_request("The request body must be a JSON object.")),
        Err(e) => {
            return Err(bad_request(&format!(
                "Invalid JSON in the request body: {e}"
            )));
        }
    };
    for (key, value) in &body {
        let allowed = match key.as_str() {
            "status" => STATUSES,
            "classification" => CLASSIFICATIONS,
            "determination" => DETERMINATIONS,
            "assignedTo" if value.is_string() || value.is_null() => continue,
            "assignedTo" => return Err(bad_request("assignedTo must be a string or null.")),
            "@odata.type" => continue,
            other => {
                return Err(bad_request(&format!(
                    "The property '{other}' cannot be updated on an alert."
                )));
            }
        };
        if !value.as_str().is_some_and(|v| allowed.contains(&v)) {
            return Err(bad_request(&format!(
                "Requested value '{value}' is not a valid member of {key}."
            )));
        }
    }
    Ok(body)
}

fn update(st: &mut State, req: &Req, id: &str, include_unknown: bool) -> Reply {
    let Some(i) = find(st, id) else {
        return not_found(id);
    };
    let body = match changes(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let now = st.clock.now();
    let Some(alert) = st.graph_alerts.get_mut(i) else {
        return not_found(id);
    };
    for (key, value) in body.into_iter().filter(|(k, _)| k != "@odata.type") {
        alert[key.as_str()] = value;
    }
    alert["lastUpdateDateTime"] = json!(iso7(now));
    let resolved = alert["status"] == "resolved";
    alert["resolvedDateTime"] = if resolved {
        json!(iso7(now))
    } else {
        Value::Null
    };
    let alert = alert.clone();
    if resolved {
        mirror_to_cas(st, &alert, now);
    }
    Reply::ok(entity(&alert, include_unknown))
}

/// Resolving the Graph alert of a Cloud App Security alert closes that alert too (one alert, two APIs).
fn mirror_to_cas(st: &mut State, alert: &Value, now: chrono::DateTime<chrono::Utc>) {
    if alert["serviceSource"] != CAS_SOURCE {
        return;
    }
    let Some(provider) = alert["providerAlertId"].as_str() else {
        return;
    };
    let resolution = match alert["classification"].as_str() {
        Some("falsePositive") => 3,
        Some("informationalExpectedActivity") => 4,
        _ => 5,
    };
    let open = st
        .alerts
        .positions("_id", provider)
        .iter()
        .copied()
        .find(|i| {
            let a = &st.alerts[*i];
            a["_id"] == provider && a["resolutionStatusValue"] == 0
        });
    if let Some(cas) = open.and_then(|i| st.alerts.get_mut(i)) {
        let comment = "Resolved in Microsoft Defender XDR";
        close_alert(cas, resolution, comment, "Microsoft Graph", now);
    }
}

fn comment(st: &mut State, req: &Req, id: &str, app: &str) -> Reply {
    let Some(i) = find(st, id) else {
        return not_found(id);
    };
    let text = match req.json() {
        Ok(Some(body)) => body["comment"].as_str().map(str::to_string),
        _ => None,
    };
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return bad_request("The request body must carry a non-empty 'comment'.");
    };
    let now = iso7(st.clock.now());
    let Some(alert) = st.graph_alerts.get_mut(i) else {
        return not_found(id);
    };
    let entry = json!({ "comment": text, "createdByDisplayName": app, "createdDateTime": now });
    match alert["comments"].as_array_mut() {
        Some(list) => list.push(entry),
        None => alert["comments"] = json!([entry]),
    }
    alert["lastUpdateDateTime"] = json!(now);
    Reply::ok(json!({
        "@odata.context": format!(
            "https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2('{id}')/comments"
        ),
        "value": alert["comments"],
    }))
}
