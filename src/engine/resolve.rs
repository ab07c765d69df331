//! Resolve: the alert's user → Graph devices → Defender machines, keeping the proof of each match.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::api::models::defender::Machine;
use crate::api::{ApiError, is_refused_query};
use crate::text::sanitize;

use super::interface::MachineView;
use super::provider::ActionProvider;
use super::retry::{Backoff, jitter_draw};
use super::settings::EngineSettings;
use super::views::machine_view;

/// The machines found for one user, and what was learnt on the way.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub machines: Vec<MachineView>,
    /// Plain-language notes: "Graph has no devices for …", "no machines found for …".
    pub notes: Vec<String>,
}

/// Attempts of one read whose reply was unreadable. A malformed answer to a read is transient, and
/// the HTTP layer retries only throttling and server errors; what still fails waits for the
/// engine's own backoff.
const UNREADABLE_ATTEMPTS: u32 = 5;
const UNREADABLE_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(200),
    cap: Duration::from_secs(3),
};

/// Runs the read `call`, again after a short backoff while its reply is unreadable.
async fn read<T, F, Fut>(mut call: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut failures = 0;
    loop {
        match call().await {
            Err(ApiError::Decode { .. }) if failures + 1 < UNREADABLE_ATTEMPTS => {
                failures += 1;
                tokio::time::sleep(UNREADABLE_BACKOFF.delay(failures, jitter_draw())).await;
            }
            other => return other,
        }
    }
}

/// Among records sharing an `aadDeviceId`, the live one: not excluded, not merged, newest `lastSeen`.
pub fn pick_live(records: Vec<Machine>) -> Option<Machine> {
    records
        .into_iter()
        .filter(|m| !m.is_excluded && m.merged_into_machine_id.is_none())
        .max_by_key(|m| m.last_seen)
}

/// Finds the user's machines: Graph registered + owned devices mapped to Defender by `aadDeviceId`;
/// when that finds nothing, Defender's own `users/{account}/machines`. `upn` is the exact identity
/// from the alert (never a cleaned copy); an error means "try again later", not "no machines".
pub async fn resolve_user(
    provider: &dyn ActionProvider,
    upn: &str,
    settings: &EngineSettings,
) -> Result<Resolved, ApiError> {
    let shown_upn = sanitize(upn);
    let mut resolved = Resolved::default();
    let mut devices = BTreeMap::new();
    for (relation, lookup) in [
        (
            "registeredDevices",
            read(|| provider.registered_devices(upn)).await,
        ),
        ("ownedDevices", read(|| provider.owned_devices(upn)).await),
    ] {
        match lookup {
            Ok(found) => {
                for device in found.into_iter().filter(|d| d.is_device()) {
                    if let Some(device_id) = device.device_id.clone() {
                        let name = device.display_name.clone().unwrap_or_default();
                        devices.entry(device_id).or_insert((relation, name));
                    }
                }
            }
            Err(ApiError::NotFound { .. }) => {
                resolved
                    .notes
                    .push(format!("Graph does not know {shown_upn} ({relation})"));
            }
            Err(other) => return Err(other),
        }
    }
    let mut machines: BTreeMap<String, MachineView> = BTreeMap::new();
    let device_ids: Vec<&str> = devices.keys().map(String::as_str).collect();
    let lookup = read(|| provider.machines_by_device_ids(&device_ids)).await?;
    let mut records = lookup.machines;
    for (device_id, error) in lookup.failed {
        if is_refused_query(&error) {
            resolved.notes.push(format!(
                "Defender refused the lookup of device {}: {error}",
                sanitize(&device_id)
            ));
            continue;
        }
        records.extend(read(|| provider.machines_by_device_id(&device_id)).await?);
    }
    for device_id in &device_ids {
        let (relation, device_name) = &devices[*device_id];
        let same_device: Vec<Machine> = records
            .iter()
            .filter(|m| {
                m.aad_device_id
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(device_id))
            })
            .cloned()
            .collect();
        let count = same_device.len();
        if let Some(machine) = pick_live(same_device) {
            let proof = format!(
                "Graph {relation} {} (deviceId {}) → Defender aadDeviceId{}",
                sanitize(device_name),
                sanitize(device_id),
                if count > 1 {
                    format!(", live record of {count}")
                } else {
                    String::new()
                }
            );
            machines
                .entry(machine.id.clone())
                .or_insert_with(|| machine_view(&machine, proof, settings));
        }
    }
    if machines.is_empty() {
        let account = upn.split('@').next().unwrap_or(upn);
        let found = match read(|| provider.user_machines(account)).await {
            Ok(found) => found,
            Err(ApiError::NotFound { .. }) => Vec::new(),
            Err(other) => return Err(other),
        };
        for machine in found
            .into_iter()
            .filter(|m| !m.is_excluded && m.merged_into_machine_id.is_none())
        {
            let proof = format!(
                "Defender users/{}/machines (logon history)",
                sanitize(account)
            );
            machines
                .entry(machine.id.clone())
                .or_insert_with(|| machine_view(&machine, proof, settings));
        }
    }
    if machines.is_empty() {
        resolved
            .notes
            .push(format!("no machines found for {shown_upn}"));
    }
    resolved.machines = machines.into_values().collect();
    Ok(resolved)
}
