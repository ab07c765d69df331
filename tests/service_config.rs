//! The service keys: `[log]` (rotation, files kept, format) and `[journal]` retention and memory window,
//! with their defaults and refusals naming the key and the fix.

use std::path::Path;

use remedy::config::{ConfigError, LogFormat, LogRotation, load_str};

const BASE: &str = r#"
[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "s3cret-value"
[cas]
url = "https://contoso.us2.portal.cloudappsecurity.com"
token = "cas-token-value"
"#;

fn parse(extra: &str) -> Result<remedy::config::Config, ConfigError> {
    let text = format!("{BASE}{extra}");
    load_str(&text, Path::new("/etc/remedy.toml"), &|_| None).map(|l| l.config)
}

#[test]
fn defaults_rotate_daily_keep_14_text_retain_180_days_and_48_hours_in_memory() {
    let config = parse("").unwrap();
    assert_eq!(config.log.rotate, LogRotation::Daily);
    assert_eq!(config.log.keep, 14);
    assert_eq!(config.log.format, LogFormat::Text);
    assert_eq!(config.journal.retain_days, 180);
    assert_eq!(config.journal.memory_hours, 48);
}

#[test]
fn the_service_keys_are_read() {
    let config = parse(
        "[log]\nrotate = \"never\"\nkeep = 3\nformat = \"json\"\n[journal]\nretain_days = 0\nmemory_hours = 6\n",
    )
    .unwrap();
    assert_eq!(config.log.rotate, LogRotation::Never);
    assert_eq!(config.log.keep, 3);
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.journal.retain_days, 0, "0 keeps forever");
    assert_eq!(config.journal.memory_hours, 6);
}

#[test]
fn an_unknown_rotation_or_format_names_the_key_and_the_choices() {
    for (extra, key, choices) in [
        ("[log]\nrotate = \"weekly\"\n", "log.rotate", "daily"),
        ("[log]\nformat = \"xml\"\n", "log.format", "json"),
    ] {
        let message = parse(extra).expect_err(extra).to_string();
        assert!(message.contains(key), "{message}");
        assert!(message.contains(choices), "{message}");
    }
}

#[test]
fn out_of_range_values_are_refused_with_the_range() {
    for (extra, key) in [
        ("[log]\nkeep = 0\n", "log.keep"),
        ("[journal]\nmemory_hours = 0\n", "journal.memory_hours"),
        ("[journal]\nretain_days = 100000\n", "journal.retain_days"),
    ] {
        let message = parse(extra).expect_err(extra).to_string();
        assert!(message.contains(key), "{message}");
        assert!(message.contains("out of range"), "{message}");
    }
}
