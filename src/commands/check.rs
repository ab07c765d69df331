//! `remedy check`: validates the config and reaches each service, saying what works and what to fix.

use std::path::Path;

use color_eyre::eyre::Result;

use remedy::api::AlertQuery;
use remedy::api::Clients;

pub async fn run(config_file: &Path) -> Result<i32> {
    let loaded = match super::load_config(config_file) {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    println!("config   ok       {}", loaded.path.display());
    let clients = match Clients::new(remedy::wiring::api_settings(&loaded.config)) {
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
    let alerts = clients
        .cas
        .list_alerts_page(&AlertQuery::new().limit(1), 0)
        .await
        .map(|page| {
            format!(
                "token accepted, {} alert(s) visible",
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
