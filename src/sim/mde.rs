//! Defender for Endpoint (`/mde`): routing, bearer and role checks, per-API quotas, machines and users.

use super::auth::{bearer, has_any};
use super::clock::iso7;
use super::collection::{Listing, collection};
use super::mde_actions;
use super::state::{Service, State};
use super::strict::{self, ListRules};
use super::wire::{Reply, Req, mde_error, retry_after};
use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};

/// Machine fields `$filter` accepts on `/api/machines`.
const MACHINE_FIELDS: &[&str] = &[
    "computerDnsName",
    "id",
    "version",
    "deviceValue",
    "aadDeviceId",
    "machineTags",
    "lastSeen",
    "exposureLevel",
    "onboardingStatus",
    "lastIpAddress",
    "healthStatus",
    "osPlatform",
    "riskScore",
    "rbacGroupId",
];

/// `GET /api/machines` under the strict profile.
const STRICT_MACHINES: ListRules = ListRules {
    page: strict::MACHINES_PAGE,
    fields: MACHINE_FIELDS,
    refusal_code: "ODataError",
};

/// `GET /api/users/{id}/machines` under the strict profile.
const STRICT_USER_MACHINES: ListRules = ListRules {
    page: strict::ACTIONS_PAGE,
    fields: MACHINE_FIELDS,
    refusal_code: "InvalidInput",
};

const READ: &[&str] = &["Machine.Read.All", "Machine.ReadWrite.All"];

/// A routed Defender endpoint.
pub(crate) enum Ep {
    Machines,
    Machine(String),
    LogonUsers(String),
    UserMachines(String),
    Act(String, &'static str),
    Actions,
    Action(String),
    Cancel(String),
    PackageUri(String),
}

/// Action path segments and the MachineAction type each creates.
const ACTIONS: &[(&str, &str)] = &[
    ("runAntiVirusScan", "RunAntiVirusScan"),
    ("isolate", "Isolate"),
    ("unisolate", "Unisolate"),
    ("restrictCodeExecution", "RestrictCodeExecution"),
    ("unrestrictCodeExecution", "UnrestrictCodeExecution"),
    ("collectInvestigationPackage", "CollectInvestigationPackage"),
    ("StopAndQuarantineFile", "StopAndQuarantineFile"),
    ("offboard", "Offboard"),
];

/// Routes below `/mde`: `api/...` or `api/v1.0/...`.
pub(crate) fn route(req: &Req) -> Option<(String, Ep)> {
    let parts = req.parts();
    let rest = match parts.as_slice() {
        ["api", "v1.0", rest @ ..] | ["api", rest @ ..] => rest,
        _ => return None,
    };
    let get = req.method == Method::GET;
    let post = req.method == Method::POST;
    let (label, ep) = match rest {
        ["machines"] if get => ("machines".to_string(), Ep::Machines),
        ["machines", id] if get => ("machines/{id}".to_string(), Ep::Machine(id.to_string())),
        ["machines", id, "logonusers"] if get => (
            "machines/{id}/logonusers".to_string(),
            Ep::LogonUsers(id.to_string()),
        ),
        ["machines", id, action] if post => {
            let (path, kind) = ACTIONS
                .iter()
                .find(|(p, _)| p.eq_ignore_ascii_case(action))?;
            (
                format!("machines/{{id}}/{path}"),
                Ep::Act(id.to_string(), kind),
            )
        }
        ["users", account, "machines"] if get => (
            "users/{id}/machines".to_string(),
            Ep::UserMachines(account.to_string()),
        ),
        ["machineactions"] if get => ("machineactions".to_string(), Ep::Actions),
        ["machineactions", id] if get => (
            "machineactions/{id}".to_string(),
            Ep::Action(id.to_string()),
        ),
        ["machineactions", id, "cancel"] if post => (
            "machineactions/{id}/cancel".to_string(),
            Ep::Cancel(id.to_string()),
        ),
        ["machineactions", id, "getPackageUri"] if get => (
            "machineactions/{id}/getPackageUri".to_string(),
            Ep::PackageUri(id.to_string()),
        ),
        _ => return None,
    };
    Some((format!("{} /mde/api/{label}", req.method), ep))
}

/// The roles that allow an endpoint (any one is enough).
fn roles_for(ep: &Ep) -> &'static [&'static str] {
    match ep {
        Ep::Machines | Ep::Machine(_) | Ep::UserMachines(_) | Ep::Actions | Ep::Action(_) => READ,
        Ep::LogonUsers(_) => &["User.Read.All"],
        Ep::Act(_, kind) => mde_actions::role_for(kind),
        Ep::Cancel(_) | Ep::PackageUri(_) => &[
            "Machine.Scan",
            "Machine.Isolate",
            "Machine.RestrictExecution",
            "Machine.CollectForensics",
            "Machine.StopAndQuarantine",
            "Machine.Offboard",
        ],
    }
}

/// Serves one Defender request: bearer token, role, per-API quota, then the endpoint.
pub(crate) fn handle(st: &mut State, req: &Req, label: &str, ep: &Ep) -> Reply {
    let token = match bearer(st, req, Service::Mde) {
        Ok(t) => t,
        Err(why) => return mde_error(StatusCode::UNAUTHORIZED, "Unauthorized", why),
    };
    let roles = roles_for(ep);
    if !has_any(&token, roles) {
        let msg = format!(
            "The application does not have any of the required application permissions ({}) to access the resource.",
            roles.join(", ")
        );
        return mde_error(StatusCode::FORBIDDEN, "Forbidden", &msg);
    }
    let q = &st.scenario.quotas;
    let limits = [(q.mde_per_minute, 60.0), (q.mde_per_hour, 3600.0)];
    let now = st.clock.elapsed();
    if let Err(wait) = st.windows.admit(label, now, &limits) {
        let secs = retry_after(st.clock.wall_secs(wait));
        let header = st.faults.retry_after("mde", st.clock.wall_secs(wait));
        return mde_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            &format!("Rate limit is exceeded. Try again in {secs} seconds."),
        )
        .header("retry-after", header);
    }
    match ep {
        Ep::Machines => machines(st, req),
        Ep::Machine(id) => match find_machine(st, id) {
            Some(i) => Reply::ok(with_context(st.machines[i].clone(), "Machines/$entity")),
            None => not_found(id),
        },
        Ep::LogonUsers(id) => logon_users(st, id),
        Ep::UserMachines(account) => user_machines(st, req, account),
        Ep::Act(id, kind) => mde_actions::submit(st, req, id, kind, &token.app),
        Ep::Actions => mde_actions::list(st, req),
        Ep::Action(id) => mde_actions::get(st, id),
        Ep::Cancel(id) => mde_actions::cancel(st, req, id, &token.app),
        Ep::PackageUri(id) => mde_actions::package_uri(st, id),
    }
}

pub(crate) fn not_found(id: &str) -> Reply {
    mde_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!("Machine {id} was not found"),
    )
}

/// Adds `@odata.context` in front of an entity or collection.
pub(crate) fn with_context(v: Value, what: &str) -> Value {
    let mut out = serde_json::Map::new();
    out.insert(
        "@odata.context".to_string(),
        json!(format!(
            "https://api.security.microsoft.com/api/$metadata#{what}"
        )),
    );
    if let Value::Object(m) = v {
        out.extend(m);
    }
    Value::Object(out)
}

/// The machine with this id or computer name (full DNS name or its first label); the freshest record wins.
pub(crate) fn find_machine(st: &State, id: &str) -> Option<usize> {
    if let Some(i) = st
        .machines
        .iter()
        .position(|m| m["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
    {
        return Some(i);
    }
    let named = |m: &Value| {
        m["computerDnsName"].as_str().is_some_and(|n| {
            n.eq_ignore_ascii_case(id)
                || n.split('.')
                    .next()
                    .is_some_and(|h| h.eq_ignore_ascii_case(id))
        })
    };
    st.machines
        .iter()
        .enumerate()
        .filter(|(_, m)| named(m))
        .max_by_key(|(_, m)| m["lastSeen"].as_str().unwrap_or_default().to_string())
        .map(|(i, _)| i)
}

/// Machines seen within the retention period (180 days).
fn retained(st: &State) -> Vec<&Value> {
    // lastSeen is always written by `iso7`, so text order is time order
    let horizon = iso7(st.clock.now() - Duration::days(180));
    st.machines
        .iter()
        .filter(|m| {
            m["lastSeen"]
                .as_str()
                .is_some_and(|s| s >= horizon.as_str())
        })
        .collect()
}

fn machines(st: &State, req: &Req) -> Reply {
    let items = retained(st);
    if items.is_empty() {
        return mde_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "No recent machines were found",
        );
    }
    let strict = st.scenario.strict.then_some(STRICT_MACHINES);
    collection(
        req,
        items,
        &Listing::new(MACHINE_FIELDS, "Machines", strict),
    )
}

fn logon_users(st: &State, id: &str) -> Reply {
    let Some(i) = find_machine(st, id) else {
        return not_found(id);
    };
    let machine = &st.machines[i];
    let mid = machine["id"].as_str().unwrap_or_default();
    let domain = st.scenario.tenant.to_lowercase();
    let seen = machine["lastSeen"].clone();
    let users: Vec<Value> = st
        .scenario
        .machines
        .iter()
        .find(|m| m.id == mid)
        .map(|m| m.logon_users.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|acct| {
            json!({
                "id": format!("{domain}\\{acct}"), "accountName": acct, "accountDomain": domain,
                "accountSid": null, "firstSeen": machine["firstSeen"], "lastSeen": seen,
                "mostPrevalentMachineId": null, "leastPrevalentMachineId": null,
                "logonTypes": "Interactive", "logOnMachinesCount": 1,
                "isDomainAdmin": false, "isOnlyNetworkUser": false,
            })
        })
        .collect();
    Reply::ok(with_context(json!({ "value": users }), "Users"))
}

/// `GET /api/users/{id}/machines`: one page with everything, or small pages under the strict profile.
fn user_machines(st: &State, req: &Req, account: &str) -> Reply {
    let ids: Vec<&str> = st
        .scenario
        .machines
        .iter()
        .filter(|m| {
            m.logon_users
                .iter()
                .any(|u| u.eq_ignore_ascii_case(account))
        })
        .map(|m| m.id.as_str())
        .collect();
    let items: Vec<&Value> = st
        .machines
        .iter()
        .filter(|m| m["id"].as_str().is_some_and(|id| ids.contains(&id)))
        .collect();
    if !st.scenario.strict {
        return Reply::ok(with_context(json!({ "value": items }), "Machines"));
    }
    let listing = Listing::new(MACHINE_FIELDS, "Machines", Some(STRICT_USER_MACHINES));
    collection(req, items, &listing)
}
