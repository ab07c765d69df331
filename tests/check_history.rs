//! `remedy check` reads the journal's memory of each bound policy: a policy renamed since its last journaled
//! alert is warned about, and so is one quiet for days while an untied detector raises alerts with its name,
//! on both profiles; the policy's own detector raising alerts keeps it from counting as quiet.

mod cli_common;
mod common;

use std::path::Path;

use chrono::{Duration, Utc};
use cli_common::{DEMO_TOKEN, remedy, sim_config};
use common::{APPROVE_POLICY, AUTO_POLICY, PROFILES, quiet_scenario};
use remedy::alert::{AlertKey, Detection, SourceAlert, SourceKind, stored};
use remedy::engine::interface::{Resolution, Severity};
use remedy::sim::{Scenario, SimHandle};
use remedy::store::Journal;

/// Journals one alert of `APPROVE_POLICY`, named `name`, raised `age` ago.
fn remember(journal: &Path, name: &str, age: Duration) {
    let raised_at = Utc::now() - age;
    let alert = SourceAlert {
        key: AlertKey::Cas("0123456789abcdef01234567".into()),
        seen_by: vec![SourceKind::Cas],
        graph_id: None,
        title: format!("{name} for adele@contoso.com"),
        description: String::new(),
        severity: Severity::Medium,
        resolution: Resolution::Open,
        raised_at,
        updated_at: None,
        detection: Detection {
            policy_id: Some(APPROVE_POLICY.into()),
            policy_name: Some(name.into()),
            detector_id: None,
            service_source: None,
        },
        user_principal: Some("adele@contoso.com".into()),
        devices: Vec::new(),
        url: None,
        entities: Vec::new(),
        read: false,
    };
    let mut journal = Journal::open(journal).unwrap();
    journal
        .record_alert(&stored::record(&alert, APPROVE_POLICY, raised_at))
        .unwrap();
}

fn bound_name(scenario: &Scenario) -> String {
    scenario
        .policies
        .iter()
        .find(|p| p.id == APPROVE_POLICY)
        .unwrap()
        .name
        .clone()
}

/// `remedy check`'s output with `extra` config and the journal in `home`.
fn check(home: &Path, sim: &SimHandle, extra: &str) -> String {
    let extra = format!(
        "[journal]\npath = \"{}\"\n[policies.{APPROVE_POLICY}]\nflow = \"antivirus-scan-full\"\n{extra}",
        home.join("journal.sqlite").display()
    );
    let config = sim_config(home, &sim.base_url(), DEMO_TOKEN, &extra);
    let out = remedy(home)
        .args(["--config", config.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    text
}

/// `remedy check` with both sources, a quiet time of a day, and a journal whose newest alert of the bound
/// policy, named `listed`, is three days old.
fn check_with_the_journal_days_behind(sim: &SimHandle, listed: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    remember(
        &home.path().join("journal.sqlite"),
        listed,
        Duration::days(3),
    );
    let graph = "[alerts]\nsources = [\"cas\", \"graph\"]\ndetector_quiet_hours = 24\n";
    check(home.path(), sim, graph)
}

fn warnings(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("bindings warning"))
        .collect()
}

/// The only binding warning of `text`, about the bound policy.
fn the_warning(text: &str) -> &str {
    let warned = warnings(text);
    assert!(
        warned.len() == 1 && warned[0].contains(APPROVE_POLICY),
        "one warning about {APPROVE_POLICY}:\n{text}"
    );
    warned[0]
}

#[test]
fn a_policy_renamed_since_its_last_journaled_alert_is_warned_about() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for profile in PROFILES {
        let scenario = profile.apply(quiet_scenario(60.0));
        let listed = bound_name(&scenario);
        let sim = runtime.block_on(common::start_sim(scenario));
        let home = tempfile::tempdir().unwrap();
        let before = check(home.path(), &sim, "");
        assert!(
            warnings(&before).is_empty() && before.contains("no journal yet"),
            "{profile:?}: without a journal nothing is known to be renamed:\n{before}"
        );
        remember(
            &home.path().join("journal.sqlite"),
            "Legacy mass download",
            Duration::hours(1),
        );
        let text = check(home.path(), &sim, "");
        let warning = the_warning(&text);
        assert!(
            warning.contains("renamed from \"Legacy mass download\"")
                && warning.contains(&format!("to \"{listed}\"")),
            "{profile:?}: {warning}"
        );
        runtime.block_on(sim.shutdown());
    }
}

#[test]
fn a_policy_quiet_while_an_untied_detector_raises_its_alerts_is_warned_about() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for profile in PROFILES {
        let mut scenario = profile.apply(quiet_scenario(600.0));
        let listed = bound_name(&scenario);
        // The bound policy raised nothing recently; another policy, migrated away from Cloud App Security, raises
        // alerts that carry the bound policy's name.
        scenario.alerts.retain(|a| a.policy != APPROVE_POLICY);
        let other = scenario
            .policies
            .iter_mut()
            .find(|p| p.id == AUTO_POLICY)
            .unwrap();
        other.titles = vec![format!("{listed} (new detection) by {{user}}")];
        scenario.arrivals.enabled = true;
        scenario.arrivals.policies = vec![AUTO_POLICY.to_string()];
        let sim = runtime.block_on(common::start_sim(scenario));
        let successor = sim.migrate(AUTO_POLICY, None).unwrap();
        while sim.stats()["migrated_alerts"].as_u64().unwrap_or(0) < 1 {
            sim.arrive();
        }
        let text = check_with_the_journal_days_behind(&sim, &listed);
        let warning = the_warning(&text);
        assert!(
            warning.contains("has raised nothing since") && warning.contains(&successor),
            "{profile:?}: {warning}"
        );
        runtime.block_on(sim.shutdown());
    }
}

#[test]
fn a_policy_whose_own_detector_raises_alerts_is_not_quiet() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for profile in PROFILES {
        let mut scenario = profile.apply(quiet_scenario(600.0));
        let listed = bound_name(&scenario);
        scenario.arrivals.enabled = true;
        scenario.arrivals.policies = vec![APPROVE_POLICY.to_string()];
        let sim = runtime.block_on(common::start_sim(scenario));
        for _ in 0..3 {
            sim.arrive();
        }
        // The journal is days behind (remedy was stopped), but Cloud App Security still raises the policy's alerts.
        let text = check_with_the_journal_days_behind(&sim, &listed);
        assert!(warnings(&text).is_empty(), "{profile:?}:\n{text}");
        runtime.block_on(sim.shutdown());
    }
}
