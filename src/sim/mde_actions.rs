//! Defender machine actions: submit (with body validation and one open action per family), get, list, cancel.

use super::actions::{Action, Cancellation, Outcome, family, is_final};
use super::collection::{Listing, collection_of};
use super::mde::{find_machine, not_found, with_context};
use super::odata::Expr;
use super::state::State;
use super::strict::{self, ListRules};
use super::wire::{Reply, Req, mde_error};
use std::borrow::Cow;

use axum::http::StatusCode;
use serde_json::{Value, json};

/// MachineAction fields `$filter` accepts on `/api/machineactions`.
const ACTION_FIELDS: &[&str] = &[
    "id",
    "status",
    "machineId",
    "type",
    "requestor",
    "creationDateTimeUtc",
];

/// What the documented minimum filters machine actions on: no `id`.
const STRICT_ACTION_FIELDS: &[&str] = &[
    "status",
    "machineId",
    "type",
    "requestor",
    "creationDateTimeUtc",
];

/// `GET /api/machineactions` under the strict profile.
const STRICT_ACTIONS: ListRules = ListRules {
    page: strict::ACTIONS_PAGE,
    fields: STRICT_ACTION_FIELDS,
    refusal_code: "BadRequest",
};

/// The permission each action type needs.
pub(crate) fn role_for(kind: &str) -> &'static [&'static str] {
    match kind {
        "RunAntiVirusScan" => &["Machine.Scan"],
        "Isolate" | "Unisolate" => &["Machine.Isolate"],
        "RestrictCodeExecution" | "UnrestrictCodeExecution" => &["Machine.RestrictExecution"],
        "CollectInvestigationPackage" => &["Machine.CollectForensics"],
        "StopAndQuarantineFile" => &["Machine.StopAndQuarantine"],
        _ => &["Machine.Offboard"],
    }
}

fn bad(code: &str, message: &str) -> Reply {
    mde_error(StatusCode::BAD_REQUEST, code, message)
}

/// A required string parameter; names are case-sensitive as in the service.
fn required<'a>(body: &'a Value, name: &str) -> Result<&'a str, Reply> {
    match body.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(bad(
            "InvalidInput",
            &format!("Parameter {name} must be a non-empty string"),
        )),
        None => Err(bad(
            "MissingRequiredParameter",
            &format!("Missing required parameter '{name}'"),
        )),
    }
}

fn one_of<'a>(body: &'a Value, name: &str, allowed: &[&str]) -> Result<&'a str, Reply> {
    let v = required(body, name)?;
    if allowed.contains(&v) {
        Ok(v)
    } else {
        Err(bad(
            "InvalidInput",
            &format!(
                "Invalid value '{v}' for {name}; expected one of {}",
                allowed.join(", ")
            ),
        ))
    }
}

/// Validates the body for `kind`; returns (scope, sha1).
fn validate(kind: &str, body: &Value) -> Result<(Option<String>, Option<String>), Reply> {
    match kind {
        "RunAntiVirusScan" => Ok((
            Some(one_of(body, "ScanType", &["Quick", "Full"])?.to_string()),
            None,
        )),
        "Isolate" => Ok((
            Some(
                one_of(
                    body,
                    "IsolationType",
                    &["Full", "Selective", "UnManagedDevice"],
                )?
                .to_string(),
            ),
            None,
        )),
        "StopAndQuarantineFile" => {
            let sha1 = required(body, "Sha1")?;
            if sha1.len() != 40 || !sha1.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad(
                    "InvalidHashValue",
                    &format!("Sha1 '{sha1}' is not a valid SHA-1 hash"),
                ));
            }
            Ok((None, Some(sha1.to_lowercase())))
        }
        _ => Ok((None, None)),
    }
}

/// `POST /api/machines/{id}/<action>`.
pub(crate) fn submit(st: &mut State, req: &Req, id: &str, kind: &'static str, app: &str) -> Reply {
    let Some(mi) = find_machine(st, id) else {
        return not_found(id);
    };
    let body = match req.json() {
        Ok(Some(b)) if b.is_object() => b,
        Ok(_) => return bad("InvalidRequestBody", "Request body must be a JSON object"),
        Err(e) => {
            return bad(
                "InvalidRequestBody",
                &format!("Request body is not valid JSON: {e}"),
            );
        }
    };
    let comment = match required(&body, "Comment") {
        Ok(c) => c.to_string(),
        Err(r) => return r,
    };
    let (scope, sha1) = match validate(kind, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let external_id = ["ExternalID", "externalID", "externalId"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .map(str::to_string);
    let machine_id = st.machines[mi]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let dns = st.machines[mi]["computerDnsName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let key = external_id.clone().unwrap_or_else(|| comment.clone());
    st.stats.action_post(&machine_id, kind, &key);
    let now = st.clock.elapsed();
    let on_machine = || {
        st.actions
            .positions("machineId", &machine_id)
            .iter()
            .map(|i| &st.actions[*i])
            .filter(|a| a.machine_id == machine_id)
    };
    let busy =
        on_machine().any(|a| family(a.kind) == family(kind) && !is_final(a.status_at(now).0));
    if busy {
        return bad(
            "ActiveRequestAlreadyExists",
            "Action is already in progress",
        );
    }
    let offline = st.faults.all_machines_offline
        || st.faults.offline_machines.contains(&machine_id)
        || st
            .scenario
            .machines
            .iter()
            .any(|m| m.id == machine_id && m.offline);
    let failure = st
        .faults
        .action_failure_share
        .unwrap_or(st.scenario.actions.failure_share);
    // the n-th action of a kind on a machine always draws the same outcome and timings for a given seed
    let nth = on_machine().filter(|a| a.kind == kind).count();
    let [roll, p, r] = st.draws_for(&format!("{machine_id}:{kind}:{nth}"));
    let outcome = if offline {
        Outcome::NeverCheckIn
    } else if roll < failure {
        Outcome::Fail
    } else {
        Outcome::Succeed
    };
    let timing = st.scenario.actions.clone();
    let within = |[lo, hi]: [f64; 2], u: f64| lo + (hi - lo) * u;
    let action = Action {
        id: st.guid(),
        kind,
        scope,
        requestor: app.to_string(),
        comment,
        external_id,
        machine_id,
        dns,
        created: now,
        pending_for: within(timing.pending_secs, p),
        running_for: within(timing.in_progress_secs, r),
        timeout: timing.timeout_secs,
        outcome,
        cancelled: None,
        sha1,
    };
    let json = action.to_json(&st.clock, now, false);
    st.actions.push(action);
    Reply::new(
        StatusCode::CREATED,
        with_context(json, "MachineActions/$entity"),
    )
}

/// `GET /api/machineactions/{id}`.
pub(crate) fn get(st: &State, id: &str) -> Reply {
    let now = st.clock.elapsed();
    match action_at(st, id).map(|i| &st.actions[i]) {
        Some(a) => Reply::ok(with_context(
            a.to_json(&st.clock, now, false),
            "MachineActions/$entity",
        )),
        None => action_not_found(id),
    }
}

/// Where the action `id` (any case) is.
fn action_at(st: &State, id: &str) -> Option<usize> {
    st.actions.positions("id", id).first().copied()
}

fn action_not_found(id: &str) -> Reply {
    mde_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        &format!("Machine action {id} was not found"),
    )
}

/// `GET /api/machineactions`: newest first; about half the items spell `lastUpdateTimeUtc` as the service's lists do.
pub(crate) fn list(st: &State, req: &Req) -> Reply {
    let now = st.clock.elapsed();
    let strict = st.scenario.strict.then_some(STRICT_ACTIONS);
    let listing = Listing::new(ACTION_FIELDS, "MachineActions", strict);
    let newest_first = |filter: Option<&Expr>| match filter.and_then(|f| st.actions.candidates(f)) {
        Some(at) => at.into_iter().rev().map(|i| &st.actions[i]).collect(),
        None => st.actions.iter().rev().collect(),
    };
    collection_of(
        req,
        newest_first,
        |a| Cow::Owned(a.filterable(&st.clock, now)),
        |a| {
            let odd = a.id.bytes().next().is_some_and(|b| b % 2 == 1);
            a.to_json(&st.clock, now, odd)
        },
        &listing,
    )
}

/// `POST /api/machineactions/{id}/cancel`: only before a final state.
pub(crate) fn cancel(st: &mut State, req: &Req, id: &str, app: &str) -> Reply {
    let body = match req.json() {
        Ok(Some(b)) if b.is_object() => b,
        Ok(_) => return bad("InvalidRequestBody", "Request body must be a JSON object"),
        Err(e) => {
            return bad(
                "InvalidRequestBody",
                &format!("Request body is not valid JSON: {e}"),
            );
        }
    };
    let comment = match required(&body, "Comment") {
        Ok(c) => c.to_string(),
        Err(r) => return r,
    };
    let now = st.clock.elapsed();
    let Some(a) = action_at(st, id).and_then(|i| st.actions.get_mut(i)) else {
        return action_not_found(id);
    };
    let (status, _) = a.status_at(now);
    if is_final(status) {
        return bad(
            "BadRequest",
            &format!("Action {id} is already {status} and cannot be cancelled"),
        );
    }
    a.cancelled = Some(Cancellation {
        at: now,
        by: app.to_string(),
        comment,
    });
    let json = a.to_json(&st.clock, now, false);
    Reply::ok(with_context(json, "MachineActions/$entity"))
}

/// `GET /api/machineactions/{id}/getPackageUri`: for succeeded investigation packages.
pub(crate) fn package_uri(st: &State, id: &str) -> Reply {
    let now = st.clock.elapsed();
    let Some(a) = action_at(st, id).map(|i| &st.actions[i]) else {
        return action_not_found(id);
    };
    if a.kind != "CollectInvestigationPackage" || a.status_at(now).0 != "Succeeded" {
        return bad(
            "BadRequest",
            "No investigation package is available for this action",
        );
    }
    Reply::ok(json!({
        "@odata.context": "https://api.security.microsoft.com/api/$metadata#Edm.String",
        "value": format!("https://userrequests-us.securitycenter.windows.com:443/safedownload/{}.zip?token=sim", a.id),
    }))
}
