//! Config parsing and every validation error: each names the file, the key and the fix.

use std::path::Path;

use remedy::config::{ConfigError, load, load_str};

const VALID: &str = r#"
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

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<remedy::config::LoadedConfig, ConfigError> {
    load_str(text, Path::new("/etc/remedy.toml"), &no_env)
}

fn err(text: &str) -> ConfigError {
    parse(text).expect_err("config should be refused")
}

#[test]
fn valid_config_gets_defaults_and_builtin_flows() {
    let cfg = parse(VALID).unwrap().config;
    assert_eq!(cfg.defender.url, "https://api.security.microsoft.com");
    assert_eq!(cfg.engine.poll_interval_secs, 30);
    assert!(cfg.flows.contains_key("antivirus-scan-full"));
    assert!(cfg.flows.contains_key("isolate-machine"));
    assert_eq!(cfg.policies["p1"].mode, "auto");
}

#[test]
fn example_config_is_valid_once_secrets_are_given() {
    let text = std::fs::read_to_string("config/remedy.example.toml").unwrap();
    let env = |name: &str| match name {
        "REMEDY_CAS_TOKEN" => Some("from-env-token".to_string()),
        "REMEDY_CLIENT_SECRET" => Some("from-env-secret".to_string()),
        _ => None,
    };
    let cfg = load_str(&text, Path::new("example.toml"), &env)
        .unwrap()
        .config;
    assert_eq!(cfg.cas.token.expose(), "from-env-token");
    assert_eq!(cfg.tenant.client_secret.expose(), "from-env-secret");
    assert!(cfg.flows.contains_key("isolate-full"));
}

#[test]
fn unknown_key_is_named_with_file_and_fix() {
    let e = err(&format!("{VALID}\n[engine]\npoll_intervall_secs = 5\n"));
    let msg = e.to_string();
    assert!(msg.contains("/etc/remedy.toml"), "{msg}");
    assert!(msg.contains("poll_intervall_secs"), "{msg}");
    assert!(msg.contains("Fix:"), "{msg}");
}

#[test]
fn wrong_type_names_the_key() {
    let e = err(&format!(
        "{VALID}\n[engine]\npoll_interval_secs = \"often\"\n"
    ));
    assert_eq!(e.key(), Some("engine.poll_interval_secs"));
    assert!(e.to_string().contains("invalid type"), "{e}");
}

#[test]
fn syntax_error_names_the_file_and_line() {
    let msg = err("[tenant\nid = 1").to_string();
    assert!(msg.contains("/etc/remedy.toml"), "{msg}");
    assert!(msg.contains("line 1"), "{msg}");
}

#[test]
fn plain_http_is_refused_unless_loopback() {
    let e = err(&VALID.replace(
        "https://contoso.us2.portal.cloudappsecurity.com",
        "http://contoso.example.com",
    ));
    assert_eq!(e.key(), Some("cas.url"));
    assert!(e.to_string().contains("not loopback"), "{e}");
    parse(&VALID.replace(
        "https://contoso.us2.portal.cloudappsecurity.com",
        "http://127.0.0.1:8080/cas",
    ))
    .expect("loopback http is allowed");
}

#[test]
fn missing_required_keys_are_named() {
    let e = err(&VALID.replace("client_id = \"remedy-demo\"\n", ""));
    assert_eq!(e.key(), Some("tenant.client_id"));
    let e = err(&VALID.replace("token = \"cas-token-value\"\n", ""));
    assert_eq!(e.key(), Some("cas.token"));
    assert!(e.to_string().contains("REMEDY_CAS_TOKEN"), "{e}");
}

#[test]
fn secrets_from_the_environment_fill_missing_keys() {
    let text = VALID.replace("client_secret = \"s3cret-value\"\n", "");
    let env = |name: &str| (name == "REMEDY_CLIENT_SECRET").then(|| "env-secret".to_string());
    let cfg = load_str(&text, Path::new("c.toml"), &env).unwrap().config;
    assert_eq!(cfg.tenant.client_secret.expose(), "env-secret");
}

#[test]
fn unknown_flow_and_mode_are_refused() {
    let e = err(&VALID.replace("antivirus-scan-full", "nuke-from-orbit"));
    assert_eq!(e.key(), Some("policies.p1.flow"));
    assert!(
        e.to_string().contains("antivirus-scan-full"),
        "lists known flows: {e}"
    );
    let e = err(&VALID.replace("mode = \"auto\"", "mode = \"yolo\""));
    assert_eq!(e.key(), Some("policies.p1.mode"));
}

#[test]
fn too_fast_polling_is_refused() {
    let e = err(&format!("{VALID}\n[engine]\npoll_interval_secs = 1\n"));
    assert_eq!(e.key(), Some("engine.poll_interval_secs"));
}

/// Every numeric key, with its section: huge values are refused (they overflowed time arithmetic),
/// and the largest allowed value builds engine settings without a panic.
const NUMERIC_KEYS: [(&str, &str); 11] = [
    ("auth", "timeout_secs"),
    ("engine", "poll_interval_secs"),
    ("engine", "lookback_hours"),
    ("engine", "overlap_secs"),
    ("engine", "proposal_ttl_hours"),
    ("engine", "overdue_minutes"),
    ("engine", "track_interval_secs"),
    ("engine", "resolve_cache_secs"),
    ("engine", "stale_after_days"),
    ("guards", "max_machines_per_alert"),
    ("guards", "max_machines_per_hour"),
];

#[test]
fn huge_numbers_are_refused_naming_the_key_and_the_allowed_range() {
    for (section, key) in NUMERIC_KEYS {
        let huge = if section == "guards" {
            u64::from(u32::MAX)
        } else {
            i64::MAX as u64
        };
        let e = err(&format!("{VALID}\n[{section}]\n{key} = {huge}\n"));
        assert_eq!(e.key(), Some(format!("{section}.{key}").as_str()), "{e}");
        let text = e.to_string();
        assert!(text.contains("allowed") && text.contains("..="), "{text}");
        assert!(text.contains("/etc/remedy.toml"), "{text}");
    }
}

#[test]
fn the_largest_allowed_values_build_engine_settings_without_panic() {
    for (section, key) in NUMERIC_KEYS {
        let mut high = None;
        for candidate in [
            1_000_000u64,
            100_000,
            86_400,
            43_200,
            3_650,
            3_600,
            2_160,
            600,
        ] {
            let text = format!("{VALID}\n[{section}]\n{key} = {candidate}\n");
            if let Ok(loaded) = parse(&text) {
                high = Some(loaded.config);
                break;
            }
        }
        let config =
            high.unwrap_or_else(|| panic!("some large value of {section}.{key} is allowed"));
        let _ = remedy::wiring::engine_settings(&config, false, false);
        let _ = remedy::wiring::api_settings(&config);
    }
}

#[test]
fn secrets_never_show_in_debug_or_serialised_config() {
    let cfg = parse(VALID).unwrap().config;
    let debug = format!("{cfg:?}");
    let shown = toml::to_string(&cfg).unwrap();
    for text in [&debug, &shown] {
        assert!(!text.contains("s3cret-value"), "{text}");
        assert!(!text.contains("cas-token-value"), "{text}");
    }
    assert!(shown.contains("***"));
}

#[cfg(unix)]
#[test]
fn world_readable_file_with_secret_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, VALID).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loaded = load(&path).unwrap();
    assert!(
        loaded.warnings.iter().any(|w| w.contains("chmod 600")),
        "{:?}",
        loaded.warnings
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(load(&path).unwrap().warnings.is_empty());
}

#[test]
fn missing_file_says_how_to_create_it() {
    let e = load(Path::new("/nonexistent/remedy.toml")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/remedy.toml"));
    assert!(e.to_string().contains("--config"));
}
