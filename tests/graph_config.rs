//! `[alerts]` and `[bindings.<name>]`: defaults keep existing configs working, and every refusal names the
//! file, the key, the allowed values and the fix.

use std::path::Path;

use remedy::alert::{BindingRule, SourceKind};
use remedy::config::{ConfigError, load_str};
use remedy::engine::EngineSettings;

const BASE: &str = r#"
[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "s3cret-value"
[cas]
url = "https://contoso.us2.portal.cloudappsecurity.com"
token = "cas-token-value"
[policies.p1]
flow = "antivirus-scan-full"
mode = "auto"
"#;

fn parse(extra: &str) -> Result<remedy::config::Config, ConfigError> {
    load_str(
        &format!("{BASE}{extra}"),
        Path::new("/etc/remedy.toml"),
        &|_| None,
    )
    .map(|l| l.config)
}

fn refused(extra: &str) -> String {
    let e = parse(extra).expect_err("refused");
    let text = e.to_string();
    assert!(text.contains("/etc/remedy.toml"), "{text}");
    assert!(text.contains("Fix:"), "{text}");
    text
}

#[test]
fn an_existing_config_polls_cloud_app_security_and_binds_by_policy_id() {
    let config = parse("").unwrap();
    assert_eq!(config.alerts.sources, vec!["cas"]);
    assert_eq!(
        config.alerts.graph_service_sources,
        vec!["microsoftDefenderForCloudApps"]
    );
    let settings = EngineSettings::from_config(&config, false, false);
    assert_eq!(settings.alert_sources, vec![SourceKind::Cas]);
    assert_eq!(
        settings.bindings["p1"].rules,
        vec![BindingRule::PolicyId("p1".into())]
    );
}

#[test]
fn both_sources_and_a_binding_by_detector_and_title() {
    let config = parse(
        r#"
[alerts]
sources = ["cas", "graph"]
graph_service_sources = ["microsoftDefenderForCloudApps", "microsoftDefenderForEndpoint"]
[bindings.travel]
detector_id = "d-1"
title = "Impossible travel*"
flow = "antivirus-scan-full"
"#,
    )
    .unwrap();
    let settings = EngineSettings::from_config(&config, false, false);
    assert_eq!(
        settings.alert_sources,
        vec![SourceKind::Cas, SourceKind::Graph]
    );
    assert_eq!(
        settings.bindings["travel"].rules,
        vec![
            BindingRule::DetectorId("d-1".into()),
            BindingRule::TitlePattern("Impossible travel*".into())
        ]
    );
}

#[test]
fn an_unknown_source_names_the_key_and_the_allowed_values() {
    let text = refused("[alerts]\nsources = [\"mcas\"]\n");
    assert!(
        text.contains("`alerts.sources`") && text.contains("cas, graph"),
        "{text}"
    );
    let text = refused("[alerts]\nsources = []\n");
    assert!(text.contains("`alerts.sources`"), "{text}");
}

#[test]
fn an_unknown_service_source_names_the_allowed_ones() {
    let text = refused("[alerts]\nsources = [\"graph\"]\ngraph_service_sources = [\"defender\"]\n");
    assert!(
        text.contains("`alerts.graph_service_sources`")
            && text.contains("microsoftDefenderForEndpoint"),
        "{text}"
    );
}

#[test]
fn a_binding_that_matches_nothing_or_names_an_unknown_flow_is_refused() {
    let text = refused("[bindings.x]\nflow = \"antivirus-scan-full\"\n");
    assert!(
        text.contains("`bindings.x`") && text.contains("detector_id"),
        "{text}"
    );
    let text = refused("[bindings.x]\nflow = \"nope\"\ndetector_id = \"d\"\n");
    assert!(text.contains("`bindings.x.flow`"), "{text}");
    let text = refused(
        "[bindings.x]\nflow = \"antivirus-scan-full\"\nmode = \"always\"\ndetector_id = \"d\"\n",
    );
    assert!(text.contains("`bindings.x.mode`"), "{text}");
    let text = refused("[bindings.p1]\nflow = \"antivirus-scan-full\"\ndetector_id = \"d\"\n");
    assert!(text.contains("also a [policies] section"), "{text}");
}
