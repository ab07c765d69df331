//! `remedy check`'s machine lookup: the engine's own path (a user → Graph devices → Defender machines)
//! through its `ActionProvider`, and the query forms Defender accepted.

use remedy::api::{ApiError, is_refused_query};
use remedy::engine::{ActionKind, ActionProvider, EngineSettings, resolve_user};
use remedy::text::sanitize;

/// Users tried, at most, before one with machines is found.
const USERS_TRIED: usize = 3;
/// Entra device ids no machine has: a batch of two that decides the lookup form.
const UNKNOWN_DEVICES: [&str; 2] = [
    "00000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-000000000001",
];
/// Machine ids no machine has: a batch of two that decides the dispatch read form.
const UNKNOWN_MACHINES: [&str; 2] = [
    "0000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000001",
];

/// What the lookup check found: the lookup itself, and which forms the engine will use.
pub struct LookupCheck {
    /// The lookup of a sampled user's machines, or why it failed.
    pub lookup: Result<String, String>,
    /// How machines are looked up by device id, as decided by what Defender accepted.
    pub lookup_form: String,
    /// How dispatch reads machines' actions, as decided by what Defender accepted.
    pub read_form: Result<String, String>,
}

/// Probes a batched device lookup (Defender's answer decides the form, as in the engine), then resolves
/// the first sampled user with machines exactly as the engine does.
pub async fn check_lookup(
    provider: &dyn ActionProvider,
    settings: &EngineSettings,
    users: &[String],
) -> LookupCheck {
    let lookup = lookup(provider, settings, users).await;
    LookupCheck {
        lookup,
        lookup_form: provider.lookup_form().to_string(),
        read_form: read_form(provider).await,
    }
}

async fn lookup(
    provider: &dyn ActionProvider,
    settings: &EngineSettings,
    users: &[String],
) -> Result<String, String> {
    let probe = provider
        .machines_by_device_ids(&UNKNOWN_DEVICES)
        .await
        .map_err(|e| format!("batched device lookup: {e}"))?;
    if let Some((device, e)) = probe.failed.first() {
        return Err(format!("device {}: {e}", sanitize(device)));
    }
    let mut tried = Vec::new();
    for upn in users.iter().take(USERS_TRIED) {
        let resolved = resolve_user(provider, upn, settings)
            .await
            .map_err(|e| format!("machines of {}: {e}", sanitize(upn)))?;
        if let Some(first) = resolved.machines.first() {
            return Ok(format!(
                "{} machine(s) of {}, e.g. {} found by {}",
                resolved.machines.len(),
                sanitize(upn),
                first.name,
                first.found_by
            ));
        }
        tried.push(sanitize(upn));
    }
    Ok(match tried.is_empty() {
        true => "no alert user to try; the device lookup answered for test devices".to_string(),
        false => format!(
            "no machines found for {}; the device lookup answered",
            tried.join(", ")
        ),
    })
}

/// Whether Defender accepts one read of several machines' actions, or dispatch reads one machine at a time.
async fn read_form(provider: &dyn ActionProvider) -> Result<String, String> {
    let machines = UNKNOWN_MACHINES.map(String::from);
    let scan = ActionKind::AntivirusScan {
        scan_type: "Full".into(),
    };
    match provider.actions_on(&machines, &scan).await {
        Ok(_) => Ok("batched ((machineId eq '…' or …) and type eq '…', one read per turn of up to 16 machines)".into()),
        Err(e) if is_refused_query(&e) => Ok(format!(
            "one machineId eq '…' and type eq '…' per machine (Defender refused the batched read: {})",
            short(&e)
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// The refusal's first line, for one output line.
fn short(e: &ApiError) -> String {
    sanitize(e.to_string().lines().next().unwrap_or_default())
}
