//! Microsoft Graph (`/graph`): users and their registered/owned devices, small pages, token-bucket throttling.

use super::auth::{bearer, has_any};
use super::clock::iso_s;
use super::scenario::{DeviceSeed, UserSeed};
use super::state::{Service, State};
use super::strict;
use super::wire::{Reply, Req, graph_error};
use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};

/// Which device relationship was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Registered,
    Owned,
}

/// A routed Graph endpoint.
pub(crate) enum Ep {
    User(String),
    Devices(String, Relation),
}

/// Routes below `/graph`: `v1.0/users/{id|upn}[/registeredDevices|/ownedDevices]`.
pub(crate) fn route(req: &Req) -> Option<(String, Ep)> {
    if req.method != Method::GET {
        return None;
    }
    let (label, ep) = match req.parts().as_slice() {
        ["v1.0", "users", id] => ("users/{id}", Ep::User(id.to_string())),
        ["v1.0", "users", id, rel] if rel.eq_ignore_ascii_case("registeredDevices") => (
            "users/{id}/registeredDevices",
            Ep::Devices(id.to_string(), Relation::Registered),
        ),
        ["v1.0", "users", id, rel] if rel.eq_ignore_ascii_case("ownedDevices") => (
            "users/{id}/ownedDevices",
            Ep::Devices(id.to_string(), Relation::Owned),
        ),
        _ => return None,
    };
    Some((format!("GET /graph/v1.0/{label}"), ep))
}

/// Serves one Graph request: bearer token, permission, token bucket, then the endpoint.
pub(crate) fn handle(st: &mut State, req: &Req, ep: &Ep) -> Reply {
    let token = match bearer(st, req, Service::Graph) {
        Ok(t) => t,
        Err(why) => {
            return graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", why);
        }
    };
    if !has_any(&token, &["User.Read.All", "Directory.Read.All"]) {
        return graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    let cost = match ep {
        Ep::User(_) => 2.0,
        Ep::Devices(..) => 1.0,
    };
    let q = &st.scenario.quotas;
    let (cap, refill) = (q.graph_bucket, q.graph_refill_secs);
    let now = st.clock.elapsed();
    if let Err(wait) = st.graph_bucket.take(now, cost, cap, refill) {
        return graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests. The request was throttled; retry after the time given in Retry-After.",
        )
        .header(
            "retry-after",
            st.faults.retry_after("graph", st.clock.wall_secs(wait)),
        )
        .header("x-ms-throttle-scope", "Tenant_Application/ReadWrite/".to_string())
        .header("x-ms-throttle-limit-percentage", "1.0".to_string())
        .header("x-ms-resource-unit", format!("{cost}"));
    }
    let Some(user) = find_user(st, ep_user(ep)) else {
        let who = ep_user(ep);
        return graph_error(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{who}' does not exist or one of its queried reference-property objects are not present."
            ),
        );
    };
    match ep {
        Ep::User(_) => Reply::ok(user_json(user, req.q("$select"))),
        Ep::Devices(id, rel) => devices(st, req, id, &user.upn, *rel),
    }
}

fn ep_user(ep: &Ep) -> &str {
    match ep {
        Ep::User(id) | Ep::Devices(id, _) => id,
    }
}

fn find_user<'a>(st: &'a State, id: &str) -> Option<&'a UserSeed> {
    st.scenario
        .users
        .iter()
        .find(|u| u.upn.eq_ignore_ascii_case(id) || u.id.eq_ignore_ascii_case(id))
}

/// A Graph user; `$select` narrows the fields (and is the only way to get `onPremisesSamAccountName`).
fn user_json(u: &UserSeed, select: Option<&str>) -> Value {
    let (given, surname) = u
        .display_name
        .split_once(' ')
        .unwrap_or((&u.display_name, ""));
    let full = json!({
        "businessPhones": [],
        "displayName": u.display_name,
        "givenName": given,
        "jobTitle": u.job_title,
        "mail": u.upn,
        "mobilePhone": null,
        "officeLocation": u.department,
        "preferredLanguage": null,
        "surname": surname,
        "userPrincipalName": u.upn,
        "id": u.id,
        "accountEnabled": u.enabled,
        "onPremisesSamAccountName": u.account_name,
    });
    let mut out = serde_json::Map::new();
    out.insert(
        "@odata.context".to_string(),
        json!("https://graph.microsoft.com/v1.0/$metadata#users/$entity"),
    );
    let default = |k: &str| !matches!(k, "accountEnabled" | "onPremisesSamAccountName");
    let wanted: Option<Vec<String>> = select.map(|s| {
        s.split(',')
            .map(|f| f.trim().to_ascii_lowercase())
            .collect()
    });
    if let Value::Object(m) = full {
        for (k, v) in m {
            let keep = match &wanted {
                Some(w) => w.contains(&k.to_ascii_lowercase()),
                None => default(&k),
            };
            if keep {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

fn device_json(st: &State, d: &DeviceSeed) -> Value {
    let origin = st.clock.at(0.0);
    let last = d
        .last_sign_in_hours_ago
        .map(|h| iso_s(origin - Duration::seconds((h * 3600.0) as i64)));
    json!({
        "@odata.type": "#microsoft.graph.device",
        "id": d.object_id,
        "deviceId": d.device_id,
        "displayName": d.display_name,
        "operatingSystem": d.operating_system,
        "operatingSystemVersion": d.operating_system_version,
        "trustType": d.trust_type,
        "accountEnabled": true,
        "approximateLastSignInDateTime": last,
        "isCompliant": d.is_compliant,
        "isManaged": d.is_managed,
        "profileType": "RegisteredDevice",
    })
}

fn devices(st: &State, req: &Req, id: &str, upn: &str, rel: Relation) -> Reply {
    let wanted = match rel {
        Relation::Registered => "registered",
        Relation::Owned => "owned",
    };
    let all: Vec<Value> = st
        .scenario
        .devices
        .iter()
        .filter(|d| {
            d.owner.eq_ignore_ascii_case(upn) && (d.relation == wanted || d.relation == "both")
        })
        .map(|d| device_json(st, d))
        .collect();
    let largest = if st.scenario.strict {
        strict::GRAPH_PAGE
    } else {
        st.scenario.graph_page_size
    };
    let page = req
        .q("$top")
        .and_then(|t| t.parse::<usize>().ok())
        .unwrap_or(usize::MAX)
        .clamp(1, largest);
    let skip = req.q("$skiptoken").and_then(decode_skip).unwrap_or(0);
    let items: Vec<Value> = all.iter().skip(skip).take(page).cloned().collect();
    let mut out = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
        "value": items,
    });
    if skip + page < all.len() {
        let path = match rel {
            Relation::Registered => "registeredDevices",
            Relation::Owned => "ownedDevices",
        };
        let mut link = format!(
            "{}/graph/v1.0/users/{}/{path}?$skiptoken={}",
            req.base,
            url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>(),
            encode_skip(skip + page)
        );
        if let Some(t) = req.q("$top") {
            link.push_str(&format!("&$top={t}"));
        }
        out["@odata.nextLink"] = json!(link);
    }
    Reply::ok(out)
}

/// An opaque-looking skip token carrying the offset.
fn encode_skip(n: usize) -> String {
    format!("RFNwdAIAAQAAAA{n:08x}")
}

fn decode_skip(t: &str) -> Option<usize> {
    usize::from_str_radix(t.strip_prefix("RFNwdAIAAQAAAA")?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_tokens_round_trip() {
        assert_eq!(decode_skip(&encode_skip(42)), Some(42));
        assert_eq!(decode_skip("garbage"), None);
    }
}
