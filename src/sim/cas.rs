//! Cloud App Security (`/cas`): alerts list/fetch/close/read/dismiss/resolve and policies, with the tenant quota.

use super::auth::{bearer, has_any};
use super::cas_filter;
use super::graph_alert_json::{CAS_SOURCE, mirror_cas_close};
use super::scenario::PolicySeed;
use super::seed::close_alert;
use super::state::{Service, State};
use super::strict;
use super::wire::{Reply, Req, cas_error, cas_invalid};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// How a close call resolves the alerts it matches.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Close {
    Benign,
    FalsePositive,
    TruePositive,
}

impl Close {
    fn resolution(self) -> u8 {
        match self {
            Close::Benign => 4,
            Close::FalsePositive => 3,
            Close::TruePositive => 5,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Close::Benign => "closed_benign",
            Close::FalsePositive => "closed_false_positive",
            Close::TruePositive => "closed_true_positive",
        }
    }

    fn reasons(self) -> &'static [i64] {
        match self {
            Close::Benign => &[2, 4, 5, 6],
            Close::FalsePositive => &[0, 1, 3, 4],
            Close::TruePositive => &[],
        }
    }
}

/// A routed Cloud App Security endpoint.
pub(crate) enum Ep {
    List,
    Fetch(String),
    CloseMany(Close),
    Read(String, bool),
    Dismiss(String),
    Policies,
    Policy(String),
}

/// Routes below `/cas`: `api/v1/...` or `cas/api/v1/...`, trailing slash optional.
pub(crate) fn route(req: &Req) -> Option<(String, Ep)> {
    let parts = req.parts();
    let rest = match parts.as_slice() {
        ["cas", "api", "v1", rest @ ..] | ["api", "v1", rest @ ..] => rest,
        _ => return None,
    };
    let get = req.method == Method::GET;
    let post = req.method == Method::POST;
    let (label, ep) = match rest {
        ["alerts"] if get || post => ("alerts/", Ep::List),
        ["alerts", "close_benign"] if post => {
            ("alerts/close_benign/", Ep::CloseMany(Close::Benign))
        }
        ["alerts", "close_false_positive"] if post => (
            "alerts/close_false_positive/",
            Ep::CloseMany(Close::FalsePositive),
        ),
        ["alerts", "close_true_positive"] if post => (
            "alerts/close_true_positive/",
            Ep::CloseMany(Close::TruePositive),
        ),
        ["alerts", "dismiss_bulk"] if post => {
            ("alerts/dismiss_bulk/", Ep::CloseMany(Close::FalsePositive))
        }
        ["alerts", "resolve"] if post => ("alerts/resolve/", Ep::CloseMany(Close::TruePositive)),
        ["alerts", id] if get => ("alerts/{id}/", Ep::Fetch(id.to_string())),
        ["alerts", id, "read"] if post => ("alerts/{id}/read/", Ep::Read(id.to_string(), true)),
        ["alerts", id, "unread"] if post => {
            ("alerts/{id}/unread/", Ep::Read(id.to_string(), false))
        }
        ["alerts", id, "dismiss"] if post => ("alerts/{id}/dismiss/", Ep::Dismiss(id.to_string())),
        ["policies"] if get || post => ("policies/", Ep::Policies),
        ["policies", id] if get => ("policies/{id}/", Ep::Policy(id.to_string())),
        _ => return None,
    };
    Some((format!("{} /cas/api/v1/{label}", req.method), ep))
}

/// Who is calling and whether they may close alerts.
struct Caller {
    name: String,
    manage: bool,
}

fn caller(st: &State, req: &Req) -> Result<Caller, Reply> {
    let unauthorized = || cas_error(StatusCode::UNAUTHORIZED, "Invalid token");
    let header = req.auth.as_deref().ok_or_else(unauthorized)?;
    let (scheme, value) = header.split_once(' ').ok_or_else(unauthorized)?;
    if scheme.eq_ignore_ascii_case("token") {
        if value.trim() == st.scenario.credentials.cas_token {
            return Ok(Caller {
                name: st.scenario.credentials.cas_token_owner.clone(),
                manage: true,
            });
        }
        return Err(unauthorized());
    }
    let token = bearer(st, req, Service::Cas).map_err(|_| unauthorized())?;
    if !has_any(
        &token,
        &[
            "Investigation.read",
            "Investigation.manage",
            "Discovery.read",
            "Discovery.manage",
        ],
    ) {
        return Err(cas_error(StatusCode::FORBIDDEN, "Permission denied"));
    }
    Ok(Caller {
        manage: has_any(&token, &["Investigation.manage", "Discovery.manage"]),
        name: token.app,
    })
}

/// Serves one Cloud App Security request: auth, tenant quota, then the endpoint.
pub(crate) fn handle(st: &mut State, req: &Req, ep: &Ep) -> Reply {
    let who = match caller(st, req) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let now = st.clock.elapsed();
    let limit = st.scenario.quotas.cas_per_minute;
    if let Err(wait) = st.windows.admit("cas", now, &[(limit, 60.0)]) {
        st.cas_throttles += 1;
        let reply = cas_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests: 30 requests per minute per tenant",
        );
        return if st.cas_throttles % 2 == 1 {
            let wall = st.clock.wall_secs(wait);
            reply.header("retry-after", st.faults.retry_after("cas", wall))
        } else {
            reply
        };
    }
    let body = match req.json() {
        Ok(b) => b.unwrap_or(Value::Null),
        Err(e) => {
            return cas_error(
                StatusCode::BAD_REQUEST,
                &format!("Request body is not valid JSON: {e}"),
            );
        }
    };
    match ep {
        Ep::List => list(st, req, &body),
        Ep::Fetch(id) => match position(st, id) {
            Some(i) => Reply::ok(st.alerts[i].clone()),
            None => cas_error(StatusCode::NOT_FOUND, &format!("Alert {id} was not found")),
        },
        Ep::CloseMany(kind) => {
            if !who.manage {
                return cas_error(
                    StatusCode::FORBIDDEN,
                    "Permission denied: closing alerts needs Investigation.manage",
                );
            }
            close(st, &body, *kind, &who.name)
        }
        Ep::Dismiss(id) => {
            if position(st, id).is_none() {
                return cas_error(StatusCode::NOT_FOUND, &format!("Alert {id} was not found"));
            }
            let comment = body["comment"].as_str().unwrap_or_default();
            let body = json!({ "filters": { "id": { "eq": [id] } }, "comment": comment });
            close(st, &body, Close::FalsePositive, &who.name)
        }
        Ep::Read(id, read) => match position(st, id).and_then(|i| st.alerts.get_mut(i)) {
            Some(a) => {
                if a["statusValue"] != 2 {
                    a["statusValue"] = json!(u8::from(*read));
                }
                Reply::ok(json!({}))
            }
            None => cas_error(StatusCode::NOT_FOUND, &format!("Alert {id} was not found")),
        },
        Ep::Policies => policies(st, req, &body),
        Ep::Policy(id) => match st.scenario.policies.iter().find(|p| &p.id == id) {
            Some(p) => Reply::ok(policy_json(p)),
            None => cas_error(StatusCode::NOT_FOUND, &format!("Policy {id} was not found")),
        },
    }
}

/// Where the alert whose `_id` is exactly `id` is.
fn position(st: &State, id: &str) -> Option<usize> {
    st.alerts
        .positions("_id", id)
        .iter()
        .copied()
        .find(|i| st.alerts[*i]["_id"] == id)
}

/// A paging or sort parameter from the JSON body, else from the query string.
fn param(req: &Req, body: &Value, name: &str) -> Option<Value> {
    if let Some(v) = body.get(name) {
        return Some(v.clone());
    }
    req.q(name)
        .map(|s| serde_json::from_str(s).unwrap_or_else(|_| json!(s)))
}

fn paging(req: &Req, body: &Value) -> Result<(usize, usize), Reply> {
    let skip = match param(req, body, "skip") {
        None => 0,
        Some(v) => v.as_u64().ok_or_else(|| cas_invalid(&v.to_string()))? as usize,
    };
    let limit = match param(req, body, "limit") {
        None => 100,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => n.min(100) as usize,
            _ => return Err(cas_invalid(&v.to_string())),
        },
    };
    Ok((skip, limit))
}

fn list(st: &State, req: &Req, body: &Value) -> Reply {
    let (skip, limit) = match paging(req, body) {
        Ok((skip, limit)) if st.scenario.strict => (skip, limit.min(strict::CAS_LIMIT)),
        Ok(p) => p,
        Err(r) => return r,
    };
    let filters = param(req, body, "filters");
    let conds = match cas_filter::parse(filters.as_ref().filter(|f| !f.is_null())) {
        Ok(c) => c,
        Err(v) => return cas_invalid(&v),
    };
    let field = param(req, body, "sortField").unwrap_or(json!("date"));
    let key = match field.as_str() {
        Some("date") => "timestamp",
        Some("severity") => "severityValue",
        _ => return cas_invalid(&field.to_string()),
    };
    let dir = param(req, body, "sortDirection").unwrap_or(json!("desc"));
    let desc = match dir.as_str() {
        Some("desc") => true,
        Some("asc") => false,
        _ => return cas_invalid(&dir.to_string()),
    };
    let now_ms = st.clock.now().timestamp_millis();
    let mut hits: Vec<&Value> = st
        .alerts
        .iter()
        .filter(|a| cas_filter::matches(&conds, a, now_ms))
        .collect();
    hits.sort_by_key(|a| {
        (
            a[key].as_i64().unwrap_or(0),
            a["timestamp"].as_i64().unwrap_or(0),
        )
    });
    if desc {
        hits.reverse();
    }
    let total = hits.len();
    // serialised straight from the stored alerts: the list is the hottest path the engine polls
    let page: Vec<&Value> = hits.into_iter().skip(skip).take(limit).collect();
    let data = serde_json::to_string(&page).unwrap_or_else(|_| "[]".to_string());
    Reply::ok_text(format!(
        r#"{{"data":{data},"hasNext":{},"max":{limit},"total":{total},"moreThanTotal":false}}"#,
        skip + limit < total
    ))
}

fn close(st: &mut State, body: &Value, kind: Close, by: &str) -> Reply {
    let filters = body
        .get("filters")
        .filter(|f| f.as_object().is_some_and(|o| !o.is_empty()));
    let Some(filters) = filters else {
        return cas_invalid("filters");
    };
    let conds = match cas_filter::parse(Some(filters)) {
        Ok(c) => c,
        Err(v) => return cas_invalid(&v),
    };
    if let Some(r) = body.get("reasonId").filter(|r| !r.is_null()) {
        let ok = r.as_i64().is_some_and(|n| kind.reasons().contains(&n));
        if !ok && !kind.reasons().is_empty() {
            return cas_invalid(&r.to_string());
        }
    }
    let comment = body["comment"].as_str().unwrap_or_default().to_string();
    // An `id` filter (how remedy closes) names every alert it can match: only those are read.
    let named = cas_filter::named_ids(&conds);
    let now = st.clock.now();
    let now_ms = now.timestamp_millis();
    let candidates: Vec<usize> = if named.is_empty() {
        (0..st.alerts.len()).collect()
    } else {
        let mut at: Vec<usize> = named
            .iter()
            .flat_map(|id| st.alerts.positions("_id", id))
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at
    };
    let not_found: Vec<String> = named
        .into_iter()
        .filter(|name| {
            !st.alerts
                .positions("_id", name)
                .iter()
                .any(|i| st.alerts[*i]["_id"] == name.as_str())
        })
        .collect();
    let (mut count, mut closed) = (0, Vec::new());
    for i in candidates {
        let Some(a) = st.alerts.get_mut(i) else {
            continue;
        };
        if a["resolutionStatusValue"] == 0 && cas_filter::matches(&conds, a, now_ms) {
            closed.extend(a["_id"].as_str().map(str::to_owned));
            close_alert(a, kind.resolution(), &comment, by, now);
            count += 1;
        }
    }
    for id in &closed {
        let mirrors: Vec<usize> = st.graph_alerts.positions("providerAlertId", id).to_vec();
        for i in mirrors {
            if let Some(g) = st.graph_alerts.get_mut(i)
                && g["providerAlertId"] == id.as_str()
                && g["serviceSource"] == CAS_SOURCE
            {
                mirror_cas_close(g, i64::from(kind.resolution()), now);
            }
        }
    }
    let mut out = json!({ kind.key(): count });
    if !not_found.is_empty() {
        out["alertsNotFound"] = json!(not_found);
    }
    Reply::ok(out)
}

/// A policy in the shape of the policies list.
fn policy_json(p: &PolicySeed) -> Value {
    json!({
        "_id": p.id,
        "name": p.name,
        "policyType": p.policy_type,
        "enabled": p.enabled,
        "severity": p.severity,
        "description": p.description,
        "alertsSettings": {
            "msFlow": { "enabled": p.flow_id.is_some(), "flowIds": p.flow_id.iter().collect::<Vec<_>>() },
            "dailyLimit": 5,
            "emailEnabled": false,
        },
        "lastModified": 1_718_000_000_000_i64,
    })
}

fn policies(st: &State, req: &Req, body: &Value) -> Reply {
    let (skip, limit) = match paging(req, body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let all = &st.scenario.policies;
    let data: Vec<Value> = all.iter().skip(skip).take(limit).map(policy_json).collect();
    Reply::ok(
        json!({ "data": data, "hasNext": skip + limit < all.len(), "total": all.len(), "max": limit }),
    )
}
