//! `remedy check` with the Graph alert source on: one list call proves the permission, and a bound policy the
//! simulator migrated is warned about, with its successor, on both profiles.

mod cli_common;
mod common;

use cli_common::{DEMO_TOKEN, remedy, sim_config};
use common::{APPROVE_POLICY, PROFILES, quiet_scenario};

#[test]
fn check_reads_graph_alerts_and_warns_about_a_migrated_policy() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for profile in PROFILES {
        let mut scenario = profile.apply(quiet_scenario(600.0));
        scenario.arrivals.enabled = true;
        scenario.arrivals.policies = vec![APPROVE_POLICY.to_string()];
        let sim = runtime
            .block_on(remedy::sim::start(remedy::sim::SimOptions {
                port: 0,
                scenario,
            }))
            .unwrap();
        let successor = sim.migrate(APPROVE_POLICY, None).unwrap();
        // Alerts of the successor detector arrive (simulated minutes pass in milliseconds).
        while sim.stats()["migrated_alerts"].as_u64().unwrap_or(0) < 1 {
            sim.arrive();
        }
        let home = tempfile::tempdir().unwrap();
        let extra = format!(
            "[alerts]\nsources = [\"cas\", \"graph\"]\n[policies.{APPROVE_POLICY}]\nflow = \"antivirus-scan-full\"\n"
        );
        let config = sim_config(home.path(), &sim.base_url(), DEMO_TOKEN, &extra);
        let out = remedy(home.path())
            .args(["--config", config.to_str().unwrap(), "check"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{profile:?}:\n{text}");
        let graph = text
            .lines()
            .find(|l| l.contains("security alerts"))
            .unwrap_or_else(|| panic!("{profile:?}: a Graph alerts line:\n{text}"));
        assert!(
            graph.starts_with("Graph")
                && graph.contains(" ok ")
                && graph.contains("SecurityAlert.Read.All"),
            "{profile:?}: {graph}"
        );
        let warning = text
            .lines()
            .find(|l| l.starts_with("bindings warning"))
            .unwrap_or_else(|| panic!("{profile:?}: a binding warning:\n{text}"));
        assert!(
            warning.contains(APPROVE_POLICY)
                && warning.contains("disabled")
                && warning.contains(&successor),
            "{profile:?}: {warning}"
        );
        runtime.block_on(sim.shutdown());
    }
}
