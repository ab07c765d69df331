//! Cloud App Security through the Entra app (`[cas] auth = "entra"`): the engine works without the legacy
//! token, and `remedy check` says which credential is in use and warns about the legacy one.

mod cli_common;
mod common;

use cli_common::{remedy, sim_config};
use common::*;
use remedy::config::{CasAuthKind, Secret};
use remedy::engine::{Mode, RemediationState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_remediates_with_the_entra_app_and_never_sends_the_legacy_token() {
    for profile in PROFILES {
        let sim = start_sim_with(quiet_scenario(600.0), profile).await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = config_for(&sim, &[(AUTO_POLICY, "antivirus-scan-full", Mode::Auto)]);
        config.cas.auth = CasAuthKind::Entra;
        // A wrong legacy token: were it sent, Cloud App Security would answer 401 and nothing would run.
        config.cas.token = Secret::new("not-the-legacy-token");
        let mut run = EngineRun::start(
            &config,
            fast_settings(&config),
            &dir.path().join("j.sqlite"),
        );
        run.until(60, "every auto remediation final", |r| {
            !r.of_policy(AUTO_POLICY).is_empty() && r.policy_settled(AUTO_POLICY)
        })
        .await;
        assert!(
            run.states(AUTO_POLICY)
                .contains(&RemediationState::Succeeded),
            "{profile:?}: alerts were read through the Entra app and remediated"
        );
        run.handle.shutdown().await;
    }
}

fn check(home: &std::path::Path, base: &str, cas: &str) -> (Option<i32>, String) {
    let path = sim_config(home, base, cas, "");
    let out = remedy(home)
        .args(["--config", path.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn check_names_the_credential_in_use_and_warns_about_the_legacy_token() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(remedy::sim::start(remedy::sim::SimOptions {
            port: 0,
            scenario: quiet_scenario(1.0),
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();

    let (code, text) = check(home.path(), &sim.base_url(), "auth = \"entra\"");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("CAS") && l.contains("auth") && l.contains("Entra app")),
        "names the Entra app:\n{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("CAS") && l.contains(" ok ") && l.contains("alerts list")),
        "{text}"
    );
    assert!(!text.contains("deprecation"), "{text}");

    let (code, text) = check(
        home.path(),
        &sim.base_url(),
        "token = \"remedy-demo-token\"",
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("legacy API token"), "{text}");
    assert!(
        text.contains("deprecation") && text.contains("auth = \"entra\""),
        "warns and names the fix:\n{text}"
    );
}

#[test]
fn the_entra_app_needs_no_legacy_token_and_the_token_kind_still_does() {
    let base = "[tenant]\nid = \"contoso\"\nclient_id = \"app\"\nclient_secret = \"s\"\n\
                [cas]\nurl = \"https://contoso.us2.portal.cloudappsecurity.com\"\n";
    let path = std::path::Path::new("remedy.toml");
    let entra = remedy::config::load_str(&format!("{base}auth = \"entra\"\n"), path, &|_| None)
        .expect("no token needed with the Entra app");
    assert_eq!(entra.config.cas.auth, CasAuthKind::Entra);
    assert_eq!(entra.config.cas.scope, remedy::api::DEFAULT_CAS_SCOPE);

    let error = remedy::config::load_str(base, path, &|_| None)
        .expect_err("the legacy kind still needs its token")
        .to_string();
    assert!(
        error.contains("cas.token") && error.contains("auth = \"entra\""),
        "names the key and both fixes: {error}"
    );
    let error = remedy::config::load_str(&format!("{base}auth = \"oauth\"\n"), path, &|_| None)
        .expect_err("an unknown kind is refused")
        .to_string();
    assert!(error.contains("cas.auth"), "{error}");
}
