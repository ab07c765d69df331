//! The gate's guards against the simulator: per-alert and per-hour limits, protected tags and stale
//! machines turn `auto` into proposals or skips, with the reason named.

mod common;

use common::*;
use remedy::engine::{Mode, RemediationState, RemediationView};
use remedy::sim::{AlertSeed, UserSeed};

/// Alerts of the auto policy in the demo tenant, with how many live machines their users have.
const BOB: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e5f7", 2);
const PRIYA: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e5f9", 3);
const LI_WEI: (&str, usize) = ("66a1f0c2e4b0a1b2c3d4e5fb", 3);
const PLANNED: [(&str, usize); 3] = [BOB, PRIYA, LI_WEI];

fn acted(r: &RemediationView) -> bool {
    !matches!(
        r.state,
        RemediationState::Proposed | RemediationState::Skipped
    )
}

fn reason(r: &RemediationView) -> &str {
    r.reason.as_deref().unwrap_or("")
}

async fn planned(run: &mut EngineRun) {
    run.until(30, "the auto policy's alerts planned", |r| {
        PLANNED
            .iter()
            .all(|(alert, machines)| r.of_alert(alert).len() == *machines)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_machine_per_alert_goes_and_stale_machines_are_skipped_lenient() {
    one_machine_per_alert_goes_and_stale_machines_are_skipped(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_machine_per_alert_goes_and_stale_machines_are_skipped_strict() {
    one_machine_per_alert_goes_and_stale_machines_are_skipped(Profile::Strict).await;
}

async fn one_machine_per_alert_goes_and_stale_machines_are_skipped(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
    let mut settings = fast_settings(&config);
    let binding = settings.bindings.get_mut(AUTO_POLICY).unwrap();
    binding.max_per_alert = 1;
    binding.max_per_hour = 100;
    settings.stale_after = chrono::Duration::hours(100);
    let mut run = EngineRun::start(&config, settings, &dir.path().join("j.sqlite"));
    planned(&mut run).await;

    for (alert, _) in PLANNED {
        let rems = run.of_alert(alert);
        let went: Vec<_> = rems.iter().filter(|r| acted(r)).collect();
        assert_eq!(
            went.len(),
            1,
            "one machine of {alert} goes at once: {rems:#?}"
        );
        for r in rems
            .iter()
            .filter(|r| r.state == RemediationState::Proposed)
        {
            assert!(
                reason(r).contains("1 machines per alert"),
                "the proposal names the limit: {r:#?}"
            );
        }
    }
    let skipped: Vec<_> = run
        .of_alert(LI_WEI.0)
        .into_iter()
        .filter(|r| r.state == RemediationState::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1, "li.wei's laptop, last seen 7 days ago");
    assert_eq!(skipped[0].machine.name, "li-wei-lt1.contoso.com");
    assert!(reason(skipped[0]).contains("stale"), "{:#?}", skipped[0]);
    run.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hourly_limit_holds_across_alerts_lenient() {
    the_hourly_limit_holds_across_alerts(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hourly_limit_holds_across_alerts_strict() {
    the_hourly_limit_holds_across_alerts(Profile::Strict).await;
}

async fn the_hourly_limit_holds_across_alerts(profile: Profile) {
    let sim = start_sim_with(quiet_scenario(600.0), profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
    let mut settings = fast_settings(&config);
    let binding = settings.bindings.get_mut(AUTO_POLICY).unwrap();
    binding.max_per_alert = 10;
    binding.max_per_hour = 2;
    let mut run = EngineRun::start(&config, settings, &dir.path().join("j.sqlite"));
    planned(&mut run).await;

    let rems = run.of_policy(AUTO_POLICY);
    let went = rems.iter().filter(|r| acted(r)).count();
    assert_eq!(went, 2, "two machines an hour for the policy: {rems:#?}");
    let proposed: Vec<_> = rems
        .iter()
        .filter(|r| r.state == RemediationState::Proposed)
        .collect();
    assert!(!proposed.is_empty());
    for r in proposed {
        assert!(
            reason(r).contains("2 machines per hour"),
            "the proposal names the limit: {r:#?}"
        );
    }
    run.handle.shutdown().await;
}

/// The demo tenant plus an admin with no devices of their own who signs in to a domain controller
/// (Tier0) and a SQL server (Tier1), found through Defender's logon history.
fn with_tier0_admin() -> (remedy::sim::Scenario, &'static str) {
    let alert = "66a1f0c2e4b0a1b2c3d4e7a0";
    let mut scenario = quiet_scenario(600.0);
    scenario.users.push(UserSeed {
        id: "7d0c5e1a-3b2f-4c6d-9e8a-1f2b3c4d5e6f".into(),
        upn: "ops.admin@contoso.com".into(),
        display_name: "Ops Admin".into(),
        account_name: "ops.admin".into(),
        job_title: None,
        department: None,
        enabled: true,
    });
    for machine in scenario.machines.iter_mut().filter(|m| {
        m.computer_dns_name == "dc01.contoso.local"
            || m.computer_dns_name == "sql-srv-01.contoso.local"
    }) {
        machine.logon_users.push("ops.admin".into());
    }
    scenario.alerts.push(AlertSeed {
        id: alert.into(),
        policy: AUTO_POLICY.into(),
        user: Some("ops.admin@contoso.com".into()),
        title: "Malware detected in a file owned by ops.admin".into(),
        description: String::new(),
        severity: None,
        minutes_ago: 5.0,
        resolution_status: 0,
        read: false,
        ip: None,
    });
    (scenario, alert)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier0_machine_always_waits_for_approval_even_in_auto_lenient() {
    a_tier0_machine_always_waits_for_approval_even_in_auto(Profile::Lenient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tier0_machine_always_waits_for_approval_even_in_auto_strict() {
    a_tier0_machine_always_waits_for_approval_even_in_auto(Profile::Strict).await;
}

async fn a_tier0_machine_always_waits_for_approval_even_in_auto(profile: Profile) {
    let (scenario, alert) = with_tier0_admin();
    let sim = start_sim_with(scenario, profile).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
    let mut run = EngineRun::start(
        &config,
        fast_settings(&config),
        &dir.path().join("j.sqlite"),
    );
    run.until(30, "the admin's two servers planned", |r| {
        r.of_alert(alert).len() == 2
    })
    .await;

    let rems = run.of_alert(alert);
    let dc = rems
        .iter()
        .find(|r| r.machine.name == "dc01.contoso.local")
        .expect("the domain controller is found by logon history");
    assert_eq!(dc.state, RemediationState::Proposed, "{dc:#?}");
    assert!(reason(dc).contains("tag Tier0"), "{dc:#?}");
    assert!(dc.machine.protected);
    let sql = rems
        .iter()
        .find(|r| r.machine.name == "sql-srv-01.contoso.local")
        .expect("the SQL server is found by logon history");
    assert!(acted(sql), "a Tier1 server runs in auto: {sql:#?}");
    run.handle.shutdown().await;
}
