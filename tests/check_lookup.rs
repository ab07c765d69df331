//! `remedy check` exercises the engine's machine lookup path through its action provider (a user's Graph
//! devices → Defender by `aadDeviceId`) and says which query forms the engine will use (device lookup and
//! dispatch reads), as Defender's answers decided them, against both profiles.

mod cli_common;
mod common;

use cli_common::{DEMO_TOKEN, remedy, sim_config};
use common::{PROFILES, Profile, quiet_scenario};

#[test]
fn check_looks_machines_up_and_names_the_query_form() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for profile in PROFILES {
        let sim = runtime
            .block_on(remedy::sim::start(remedy::sim::SimOptions {
                port: 0,
                scenario: profile.apply(quiet_scenario(1.0)),
            }))
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let config = sim_config(home.path(), &sim.base_url(), DEMO_TOKEN, "");
        let out = remedy(home.path())
            .args(["--config", config.to_str().unwrap(), "check"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{profile:?}:\n{text}");
        let lookup = text
            .lines()
            .find(|l| l.contains("machine lookup"))
            .unwrap_or_else(|| panic!("{profile:?}: a machine lookup line:\n{text}"));
        assert!(
            lookup.starts_with("Defender")
                && lookup.contains(" ok ")
                && lookup.contains("machine(s) of")
                && lookup.contains("found by Graph")
                && lookup.contains("→ Defender aadDeviceId"),
            "{profile:?}: the lookup went from a user's Graph devices to Defender:\n{text}"
        );
        let form = text
            .lines()
            .find(|l| l.starts_with("lookup") && l.contains("form"))
            .unwrap_or_else(|| panic!("{profile:?}: the query form is named:\n{text}"));
        let reads = text
            .lines()
            .find(|l| l.contains("dispatch read form"))
            .unwrap_or_else(|| panic!("{profile:?}: the dispatch read form is named:\n{text}"));
        assert!(reads.contains(" ok "), "{profile:?}: {reads}");
        match profile {
            Profile::Lenient => {
                assert!(form.contains("batched"), "{form}");
                assert!(reads.contains("batched ((machineId eq"), "{reads}");
            }
            Profile::Strict => {
                assert!(
                    form.contains("one aadDeviceId eq") && form.contains("refused"),
                    "{form}"
                );
                assert!(
                    reads.contains("per machine") && reads.contains("refused"),
                    "{reads}"
                );
            }
        }
        runtime.block_on(sim.shutdown());
    }
}
