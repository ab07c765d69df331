//! Evidence-first resolution: devices the alert names are acted on directly (no user lookup); otherwise the
//! alert's user goes through the user → devices → machines path.

use std::collections::BTreeMap;

use crate::alert::{DeviceRef, stored};
use crate::api::ApiError;
use crate::text::sanitize;

use super::EngineError;
use super::core::Engine;
use super::provider::ActionProvider;
use super::resolve::{Resolved, resolve_user};
use super::settings::EngineSettings;
use super::views::machine_view;

/// What an alert's machines are found from, exactly as the alert names it (never cleaned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Devices named in the alert's evidence (Defender machine ids).
    Devices(Vec<DeviceRef>),
    /// The alert's user principal.
    User(String),
}

impl Subject {
    /// The key of the resolve cache: the user, or the devices' ids.
    pub fn cache_key(&self) -> String {
        match self {
            Subject::User(upn) => upn.clone(),
            Subject::Devices(devices) => devices
                .iter()
                .map(|d| format!("device:{}", d.mde_device_id))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// Finds the machines of `subject`.
pub async fn resolve_subject(
    provider: &dyn ActionProvider,
    subject: &Subject,
    settings: &EngineSettings,
) -> Result<Resolved, ApiError> {
    match subject {
        Subject::User(upn) => resolve_user(provider, upn, settings).await,
        Subject::Devices(devices) => resolve_devices(provider, devices, settings).await,
    }
}

/// Reads each named device from Defender by its exact machine id. The proof says the alert named it, with
/// the alert's own health and antivirus caveats, so the analyst sees them before approving.
async fn resolve_devices(
    provider: &dyn ActionProvider,
    devices: &[DeviceRef],
    settings: &EngineSettings,
) -> Result<Resolved, ApiError> {
    let mut resolved = Resolved::default();
    let mut machines = BTreeMap::new();
    for device in devices {
        let shown = sanitize(device.dns_name.as_deref().unwrap_or(&device.mde_device_id));
        let machine = match provider.machine(&device.mde_device_id).await {
            Ok(machine) => machine,
            Err(ApiError::NotFound { .. }) => {
                resolved.notes.push(format!(
                    "Defender does not know device {shown} named in the alert"
                ));
                continue;
            }
            Err(other) => return Err(other),
        };
        let mut proof = format!(
            "device named in the alert (mdeDeviceId {})",
            sanitize(&device.mde_device_id)
        );
        if let Some(caveat) = device.caveat() {
            proof.push_str(&format!("; alert says {}", sanitize(&caveat)));
            resolved
                .notes
                .push(format!("{shown}: {} (per the alert)", sanitize(&caveat)));
        }
        machines
            .entry(machine.id.clone())
            .or_insert_with(|| machine_view(&machine, proof, settings));
    }
    if machines.is_empty() {
        resolved
            .notes
            .push("no machine found for the devices named in the alert".into());
    }
    resolved.machines = machines.into_values().collect();
    Ok(resolved)
}

impl Engine {
    /// What the alert's machines are found from: the devices it names, else its exact user; remembered from
    /// the poll, else read from the alert as the journal holds it (after a restart).
    pub(super) async fn subject_of(
        &mut self,
        alert_id: &str,
    ) -> Result<Option<Subject>, EngineError> {
        if let Some(devices) = self.resolving.devices.get(alert_id) {
            return Ok(Some(Subject::Devices(devices.clone())));
        }
        if let Some(upn) = self.resolving.identities.get(alert_id) {
            return Ok(Some(Subject::User(upn.clone())));
        }
        let id = alert_id.to_string();
        let row = self.ctx.journal.call(move |j| j.alert(&id)).await?;
        let Some(alert) = row.and_then(|row| stored::from_row(&row).ok()) else {
            return Ok(None);
        };
        Ok(self.remember_subject(alert_id, &alert))
    }

    /// Keeps what the alert's machines are found from, exactly as the alert names it.
    pub(super) fn remember_subject(
        &mut self,
        alert_id: &str,
        alert: &crate::alert::SourceAlert,
    ) -> Option<Subject> {
        if !alert.devices.is_empty() {
            self.resolving
                .devices
                .insert(alert_id.to_string(), alert.devices.clone());
            return Some(Subject::Devices(alert.devices.clone()));
        }
        let upn = alert.user_principal.clone()?;
        self.resolving
            .identities
            .insert(alert_id.to_string(), upn.clone());
        Some(Subject::User(upn))
    }
}
