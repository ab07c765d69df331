//! `remedy check` reads the journal's memory of each bound policy: a policy renamed since its last journaled
//! alert is warned about, and so is one quiet for days while an untied detector raises alerts with its name,
//! on both profiles; the policy's own detector raising alerts keeps it from counting as quiet. Both journal
//! backends (PostgreSQL when `REMEDY_TEST_PG_URL` is set, always in CI).

mod cli_common;
mod common;

use std::path::Path;

use chrono::{Duration, Utc};
use cli_common::{DEMO_TOKEN, remedy, sim_config};
use common::{APPROVE_POLICY, AUTO_POLICY, PROFILES, pg, quiet_scenario};
use remedy::alert::{AlertKey, Detection, SourceAlert, SourceKind, stored};
use remedy::engine::interface::{Resolution, Severity};
use remedy::sim::{Scenario, SimHandle};

/// Journals one alert of `APPROVE_POLICY`, named `name`, raised `age` ago.
fn remember(backend: &pg::TestJournal, name: &str, age: Duration) {
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
    let mut journal = backend.open();
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

/// `remedy check`'s output with `extra` config, run in `home`, on `backend`'s journal.
fn check(home: &Path, sim: &SimHandle, backend: &pg::TestJournal, extra: &str) -> String {
    let extra = format!(
        "[journal]\n{}\n[policies.{APPROVE_POLICY}]\nflow = \"antivirus-scan-full\"\n{extra}",
        backend.config_line()
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
fn check_with_the_journal_days_behind(
    sim: &SimHandle,
    backend: &pg::TestJournal,
    listed: &str,
) -> String {
    remember(backend, listed, Duration::days(3));
    let graph = "[alerts]\nsources = [\"cas\", \"graph\"]\ndetector_quiet_hours = 24\n";
    check(backend.dir.path(), sim, backend, graph)
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
        for backend in pg::journals("pgtests_check_history") {
            let (home, on) = (backend.dir.path(), backend.backend());
            let before = check(home, &sim, &backend, "");
            // A SQLite journal not yet written is no file; a PostgreSQL database is there, with nothing in it.
            let empty = if backend.is_postgres() {
                "bindings ok"
            } else {
                "no journal yet"
            };
            assert!(
                warnings(&before).is_empty() && before.contains(empty),
                "{profile:?} on {on}: without alerts journaled nothing is known to be renamed:\n{before}"
            );
            remember(&backend, "Legacy mass download", Duration::hours(1));
            let text = check(home, &sim, &backend, "");
            let warning = the_warning(&text);
            assert!(
                warning.contains("renamed from \"Legacy mass download\"")
                    && warning.contains(&format!("to \"{listed}\"")),
                "{profile:?} on {on}: {warning}"
            );
        }
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
        for backend in pg::journals("pgtests_check_history") {
            let text = check_with_the_journal_days_behind(&sim, &backend, &listed);
            let warning = the_warning(&text);
            assert!(
                warning.contains("has raised nothing since") && warning.contains(&successor),
                "{profile:?} on {}: {warning}",
                backend.backend()
            );
        }
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
        for backend in pg::journals("pgtests_check_history") {
            let text = check_with_the_journal_days_behind(&sim, &backend, &listed);
            assert!(
                warnings(&text).is_empty(),
                "{profile:?} on {}:\n{text}",
                backend.backend()
            );
        }
        runtime.block_on(sim.shutdown());
    }
}
