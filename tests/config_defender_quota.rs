//! `[defender] calls_per_minute` / `calls_per_hour`: Microsoft's documented limits by default, lower values
//! for a shared tenant, nothing above the limits or below 1; the clients' budgets follow them.

use std::path::Path;

use remedy::config::{ConfigError, load_str};
use remedy::wiring::api_settings;

const VALID: &str = r#"
[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "s3cret-value"
[cas]
url = "https://contoso.us2.portal.cloudappsecurity.com"
token = "cas-token-value"
"#;

fn with_defender(lines: &str) -> Result<remedy::config::Config, ConfigError> {
    let text = format!("{VALID}[defender]\n{lines}\n");
    load_str(&text, Path::new("/etc/remedy.toml"), &|_| None).map(|loaded| loaded.config)
}

fn windows(config: &remedy::config::Config) -> Vec<(u32, u64)> {
    api_settings(config)
        .quotas
        .defender
        .iter()
        .map(|w| (w.limit, w.per.as_secs()))
        .collect()
}

#[test]
fn defaults_are_microsofts_documented_limits_per_api() {
    let config = with_defender("").unwrap();
    assert_eq!(config.defender.calls_per_minute, 100);
    assert_eq!(config.defender.calls_per_hour, 1500);
    assert_eq!(windows(&config), [(100, 60), (1500, 3600)]);
}

#[test]
fn lower_budgets_reach_the_clients() {
    let config = with_defender("calls_per_minute = 30\ncalls_per_hour = 600").unwrap();
    assert_eq!(windows(&config), [(30, 60), (600, 3600)]);
}

#[test]
fn budgets_above_the_limits_or_below_one_are_refused_naming_the_key() {
    for (lines, key) in [
        ("calls_per_minute = 0", "defender.calls_per_minute"),
        ("calls_per_minute = 101", "defender.calls_per_minute"),
        ("calls_per_hour = 0", "defender.calls_per_hour"),
        ("calls_per_hour = 1501", "defender.calls_per_hour"),
    ] {
        let error = with_defender(lines).expect_err(lines).to_string();
        assert!(error.contains(key), "{lines}: {error}");
    }
}
