//! Shared by the resolve and durability tests: small tenants built with the `Scenario` API.
#![allow(dead_code)]

use remedy::config::Config;
use remedy::engine::EngineSettings;
use remedy::sim::{AlertSeed, DeviceSeed, MachineSeed, Scenario, UserSeed};

use super::common::{
    AUTO_POLICY, EngineRun, Profile, config_for, fast_settings, quiet_scenario, start_sim_with,
};
use remedy::engine::Mode;
use remedy::sim::SimHandle;

/// The demo tenant's users, machines and policies without its alerts.
pub fn empty_tenant() -> Scenario {
    let mut scenario = quiet_scenario(600.0);
    scenario.alerts.clear();
    scenario
}

/// Adds `upn` with `devices` Entra devices, each the live Defender machine of its `aadDeviceId`
/// (found only through Graph: no logon history). Returns the machine ids.
pub fn add_user_with_devices(scenario: &mut Scenario, upn: &str, devices: usize) -> Vec<String> {
    let n = scenario.users.len();
    let account = upn.split('@').next().unwrap_or(upn).to_string();
    scenario.users.push(UserSeed {
        id: format!("7e57{n:04x}-0000-4000-8000-{n:012x}"),
        upn: upn.into(),
        display_name: account.clone(),
        account_name: account.clone(),
        job_title: None,
        department: None,
        enabled: true,
    });
    (0..devices)
        .map(|i| {
            let device_id = format!("7e57{n:04x}-{i:04x}-4000-8000-000000000000");
            scenario.devices.push(DeviceSeed {
                object_id: format!("0b7e{n:04x}-{i:04x}-4000-8000-000000000000"),
                device_id: device_id.clone(),
                display_name: format!("{account}-PC{i}"),
                operating_system: "Windows".into(),
                operating_system_version: "10.0.22631".into(),
                trust_type: "AzureAd".into(),
                owner: upn.into(),
                relation: "both".into(),
                last_sign_in_hours_ago: Some(1.0),
                is_compliant: Some(true),
                is_managed: true,
            });
            let machine_id = format!("{:040x}", 0x7e57_0000_0000_u64 + (n * 100 + i) as u64);
            let machine: MachineSeed = serde_json::from_value(serde_json::json!({
                "id": machine_id,
                "computer_dns_name": format!("{account}-pc{i}.contoso.com"),
                "os_platform": "Windows11",
                "aad_device_id": device_id,
                "rbac_group_name": "Workstations",
                "last_seen_hours_ago": 1.0,
            }))
            .expect("a machine seed with defaults");
            scenario.machines.push(machine);
            machine_id
        })
        .collect()
}

/// An open alert of the auto policy about `user`, raised `minutes_ago` (simulated).
pub fn add_alert(scenario: &mut Scenario, id: &str, user: &str, minutes_ago: f64) {
    scenario.alerts.push(AlertSeed {
        id: id.into(),
        policy: AUTO_POLICY.into(),
        user: Some(user.into()),
        title: format!("Malware detected in a file owned by {id}"),
        description: String::new(),
        severity: None,
        minutes_ago,
        resolution_status: 0,
        read: false,
        ip: None,
    });
}

/// Fast settings whose guards never stand in the way (these tests are about finding machines).
pub fn roomy_settings(config: &Config) -> EngineSettings {
    let mut settings = fast_settings(config);
    for binding in settings.bindings.values_mut() {
        binding.max_per_alert = 50;
        binding.max_per_hour = 1000;
    }
    settings.stale_after = chrono::Duration::days(3650);
    settings
}

/// True when the engine shows `alert_id` with remediations, or with a reason for having none
/// that is not a wait ("resolving: …").
pub fn alert_accounted(run: &EngineRun, alert_id: &str) -> bool {
    let Some(alert) = run.alerts.get(alert_id) else {
        return false;
    };
    let waiting = alert
        .note
        .as_deref()
        .is_some_and(|note| note.starts_with("resolving:"));
    !waiting && (!run.of_alert(alert_id).is_empty() || alert.note.is_some())
}

/// `scenario` served with `profile`, and an engine whose only bound policy is the auto one, running
/// `flow` automatically; the journal lives in `dir`.
pub async fn start_auto(
    scenario: Scenario,
    profile: Profile,
    flow: &str,
    dir: &std::path::Path,
) -> (SimHandle, EngineRun) {
    let sim = start_sim_with(scenario, profile).await;
    let config = config_for(&sim, &[(AUTO_POLICY, flow, Mode::Auto)]);
    let run = EngineRun::start(&config, roomy_settings(&config), &dir.join("j.sqlite"));
    (sim, run)
}

/// A simulator of `profile` with two users, an alert each an hour apart (`old` raised an hour before `new`:
/// far more than the poll overlap, so a watermark moved past the early alert would never list it again), and
/// `service`'s first answer held back, so a test can lock the journal before anything is written.
pub async fn two_alerts_answered_late(
    profile: Profile,
    service: &str,
    [old, new]: [&str; 2],
) -> SimHandle {
    let mut scenario = empty_tenant();
    add_user_with_devices(&mut scenario, "early.user@contoso.com", 1);
    add_user_with_devices(&mut scenario, "late.user@contoso.com", 1);
    add_alert(&mut scenario, old, "early.user@contoso.com", 60.0);
    add_alert(&mut scenario, new, "late.user@contoso.com", 1.0);
    let sim = start_sim_with(scenario, profile).await;
    sim.set_faults(remedy::sim::Faults {
        service: Some(service.into()),
        latency_ms: 1500,
        ..remedy::sim::Faults::default()
    });
    sim
}
