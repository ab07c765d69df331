//! A flow's `cooldown_minutes`: defaults per kind of flow, 0 disables, out-of-range values are refused by key.

use std::path::Path;

use remedy::config::{ConfigError, LoadedConfig, load_str};

const BASE: &str = r#"
[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "s3cret-value"
[cas]
url = "https://contoso.us2.portal.cloudappsecurity.com"
token = "cas-token-value"
[policies.p1]
flow = "scan-often"
mode = "auto"
[flows.scan-often]
name = "Scan"
comment = "scan for {alert_id}"
steps = [{ action = "antivirus_scan", scan_type = "Quick" }]
"#;

fn parse(text: &str) -> Result<LoadedConfig, ConfigError> {
    load_str(text, Path::new("/etc/remedy.toml"), &|_| None)
}

fn with_cooldown(minutes: u64) -> String {
    BASE.replace(
        "steps = [",
        &format!("cooldown_minutes = {minutes}\nsteps = ["),
    )
}

#[test]
fn scan_flows_cool_down_an_hour_unless_set_and_zero_disables() {
    let config = parse(BASE).expect("valid").config;
    assert_eq!(config.flows["scan-often"].cooldown_minutes(), 60);
    assert_eq!(config.flows["isolate-machine"].cooldown_minutes(), 0);
    let config = parse(&with_cooldown(0)).expect("valid").config;
    assert_eq!(config.flows["scan-often"].cooldown_minutes(), 0);
    let config = parse(&with_cooldown(10080)).expect("valid").config;
    assert_eq!(config.flows["scan-often"].cooldown_minutes(), 10080);
}

#[test]
fn an_out_of_range_cooldown_names_the_key_and_the_range() {
    let e = parse(&with_cooldown(10081)).expect_err("refused");
    assert_eq!(e.key(), Some("flows.scan-often.cooldown_minutes"));
    assert!(e.to_string().contains("0 to 10080"), "{e}");
    let e = parse(&with_cooldown(u64::from(u32::MAX) + 1)).expect_err("refused");
    assert!(e.to_string().contains("cooldown_minutes"), "{e}");
}
