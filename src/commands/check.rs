//! `remedy check`: validates the config and reaches each service, saying what works and what to fix.

use std::path::Path;

use color_eyre::eyre::Result;

use remedy::api::models::security::ServiceSource;
use remedy::api::{AlertQuery, SecurityAlertQuery};
use remedy::api::{CasAuth, Clients};
use remedy::config::JournalTarget;
use remedy::text::{has_hidden_chars, sanitize};

use remedy::engine::DefenderProvider;

use super::check_bindings::binding_warnings;
use super::check_lookup::check_lookup;

/// Alerts read to find a user whose machines the lookup check resolves.
const USER_SAMPLE: u32 = 20;
/// One page of Graph `alerts_v2` for the first configured service source: proves the token and
/// `SecurityAlert.Read.All`; closing needs `SecurityAlert.ReadWrite.All`, which only a write shows.
async fn graph_alerts(clients: &Clients, sources: &[String]) -> Result<String, String> {
    let query =
        SecurityAlertQuery::sources(sources.iter().map(|s| ServiceSource::parse(s))).page_size(1);
    let page = clients
        .graph_alerts
        .first_page(&query)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "token issued, SecurityAlert.Read.All works ({} alert(s) on the first page of {}; closing needs \
         SecurityAlert.ReadWrite.All)",
        page.value.len(),
        sources.first().map(String::as_str).unwrap_or_default()
    ))
}

pub async fn run(config_file: &Path) -> Result<i32> {
    let loaded = match super::load_config(config_file) {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    println!("config   ok       {}", loaded.path.display());
    let journal_reachable = super::check_journal::check_journal(&loaded.config, &loaded.path).await;
    let engine_settings = remedy::wiring::engine_settings(&loaded.config, true, false);
    let settings = remedy::wiring::api_settings(&loaded.config);
    let cas_auth = settings.cas_auth.clone();
    let clients = match Clients::new(settings) {
        Ok(clients) => clients,
        Err(e) => {
            println!("clients  FAILED   {e}");
            return Ok(1);
        }
    };
    let mut failures = usize::from(!journal_reachable);
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
    if loaded.config.alerts.polls("graph") {
        report(
            "Graph",
            "security alerts",
            graph_alerts(&clients, &loaded.config.alerts.graph_service_sources).await,
        );
    }
    let journal = match remedy::wiring::journal_target(&loaded.config, &loaded.path) {
        Ok(JournalTarget::Sqlite(path)) if !path.exists() => None,
        Ok(target) => remedy::wiring::open_target(&target)
            .inspect_err(|e| {
                println!("journal  warning  {e}: renamed or quiet policies not checked")
            })
            .ok(),
        Err(_) => None,
    };
    match binding_warnings(&clients, &loaded.config, journal.as_ref()).await {
        Ok(warnings) if warnings.is_empty() => match journal {
            Some(_) => println!(
                "bindings ok       every bound policy is listed, enabled, named as in the journal and not quiet"
            ),
            None => println!(
                "bindings ok       every bound policy is listed and enabled (no journal yet: renamed or quiet \
                 policies are checked once alerts are journaled)"
            ),
        },
        Ok(warnings) => {
            for warning in warnings {
                println!("bindings warning  {}", sanitize(&warning));
            }
        }
        Err(e) => report("bindings", "policy check", Err(e)),
    }
    let provider = DefenderProvider {
        defender: clients.defender.clone(),
        graph: clients.graph.clone(),
    };
    let found = check_lookup(&provider, &engine_settings, &sample_users).await;
    report("Defender", "machine lookup", found.lookup);
    println!("lookup   form     {}", found.lookup_form);
    report("Defender", "dispatch read form", found.read_form);
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
