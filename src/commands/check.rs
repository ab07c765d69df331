//! `remedy check`: validates the config and reaches each service, saying what works and what to fix.

use std::path::Path;

use color_eyre::eyre::Result;

use remedy::api::AlertQuery;
use remedy::api::{ApiError, CasAuth, Clients};
use remedy::text::{has_hidden_chars, sanitize};

/// Alerts read to find a user whose machines the lookup check resolves.
const USER_SAMPLE: u32 = 20;
/// Users tried, at most, before one with Graph devices is found.
const USERS_TRIED: usize = 3;
/// Entra device ids no machine has: they make up a batch of two when the user has fewer devices.
const UNKNOWN_DEVICES: [&str; 2] = [
    "00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-000000000001",
];

/// The engine's machine lookup path: a user's Graph devices, then Defender by `aadDeviceId` in the
/// form the engine would use (a batch, or one per device once Defender refused the batch).
async fn machine_lookup(clients: &Clients, users: &[String]) -> Result<String, String> {
    let mut device_ids = Vec::new();
    let mut whose = "no alert user to try (test devices only)".to_string();
    for upn in users.iter().take(USERS_TRIED) {
        match clients.graph.registered_devices(upn).await {
            Ok(devices) => device_ids.extend(devices.into_iter().filter_map(|d| d.device_id)),
            Err(ApiError::NotFound { .. }) => {}
            Err(e) => return Err(format!("Graph devices of {}: {e}", sanitize(upn))),
        }
        whose = format!("{} Graph device(s) of {}", device_ids.len(), sanitize(upn));
        if !device_ids.is_empty() {
            break;
        }
    }
    let mut ids: Vec<&str> = device_ids.iter().map(String::as_str).collect();
    ids.extend(
        UNKNOWN_DEVICES
            .iter()
            .take(2usize.saturating_sub(ids.len())),
    );
    let lookup = clients
        .defender
        .machines_by_aad_device_ids(&ids)
        .await
        .map_err(|e| e.to_string())?;
    if let Some((device, e)) = lookup.failed.first() {
        return Err(format!("device {}: {e}", sanitize(device)));
    }
    Ok(format!(
        "{whose} → {} Defender machine record(s)",
        lookup.machines.len()
    ))
}

pub async fn run(config_file: &Path) -> Result<i32> {
    let loaded = match super::load_config(config_file) {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    println!("config   ok       {}", loaded.path.display());
    let settings = remedy::wiring::api_settings(&loaded.config);
    let cas_auth = settings.cas_auth.clone();
    let clients = match Clients::new(settings) {
        Ok(clients) => clients,
        Err(e) => {
            println!("clients  FAILED   {e}");
            return Ok(1);
        }
    };
    let mut failures = 0;
    let mut report = |service: &str, call: &str, result: Result<String, String>| match result {
        Ok(detail) => println!("{service:<8} ok       {call}: {detail}"),
        Err(e) => {
            failures += 1;
            println!("{service:<8} FAILED   {call}: {e}");
        }
    };
    let page = clients
        .cas
        .list_alerts_page(&AlertQuery::new().limit(USER_SAMPLE), 0)
        .await;
    let mut sample_users: Vec<String> = Vec::new();
    for upn in page
        .iter()
        .flat_map(|page| &page.data)
        .filter_map(|a| a.user_principal())
    {
        if !has_hidden_chars(upn) && !sample_users.iter().any(|u| u == upn) {
            sample_users.push(upn.to_string());
        }
    }
    println!("CAS      auth     {}", cas_auth.describe());
    if matches!(cas_auth, CasAuth::ApiToken(_)) {
        println!(
            "CAS      warning  the legacy API token is on Microsoft's deprecation path; \
             sign in with the [tenant] app instead: [cas] auth = \"entra\" (see README, Setup)"
        );
    }
    let alerts = page
        .map(|page| {
            format!(
                "signed in, {} alert(s) visible",
                page.total.unwrap_or(page.data.len() as u64)
            )
        })
        .map_err(|e| e.to_string());
    report("CAS", "alerts list", alerts);
    let policies = clients
        .cas
        .list_policies()
        .await
        .map(|p| format!("{} policies", p.len()))
        .map_err(|e| e.to_string());
    report("CAS", "policies list", policies);
    let machines = clients
        .defender
        .machine_actions(Some("status eq 'Pending'"))
        .await
        .map(|a| {
            format!(
                "token issued, Machine.Read.All works ({} pending actions)",
                a.len()
            )
        })
        .map_err(|e| e.to_string());
    report("Defender", "machine actions list", machines);
    let graph = clients
        .graph
        .registered_devices("remedy-check@invalid")
        .await
        .map(|_| "token issued, User.Read.All works".to_string())
        .or_else(|e| match e {
            remedy::api::ApiError::NotFound { .. } => {
                Ok("token issued, User.Read.All works (test user unknown, as expected)".into())
            }
            other => Err(other.to_string()),
        });
    report("Graph", "user devices", graph);
    let lookup = machine_lookup(&clients, &sample_users).await;
    report("Defender", "machine lookup", lookup);
    println!(
        "lookup   form     {}",
        clients.defender.machine_lookup_form()
    );
    for quota in clients.quotas() {
        println!(
            "quota    {:<8} {}/{} per {}",
            quota.service, quota.remaining, quota.limit, quota.per
        );
    }
    if failures == 0 {
        println!("all services reachable");
        Ok(0)
    } else {
        println!("{failures} check(s) failed; see the messages above");
        Ok(1)
    }
}
