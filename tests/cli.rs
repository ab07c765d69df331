//! The binary's commands as a user runs them: exit codes, headless JSON lines, config output, secrets kept out.

mod cli_common;

use cli_common::{DEMO_TOKEN, remedy, sim_config};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "very-secret-client-value"
[cas]
url = "https://contoso.us2.portal.cloudappsecurity.com"
token = "very-secret-cas-token"
"#;

#[test]
fn a_broken_config_exits_2_naming_file_and_key() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("bad.toml");
    std::fs::write(&path, format!("{CONFIG}\n[engine]\npoll_every = 3\n")).unwrap();
    let out = remedy(home.path())
        .args(["--config", path.to_str().unwrap(), "config", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("poll_every"),
        "{err}"
    );
}

#[test]
fn config_show_hides_every_secret_and_config_path_follows_xdg() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("ok.toml");
    std::fs::write(&path, CONFIG).unwrap();
    let out = remedy(home.path())
        .args(["--config", path.to_str().unwrap(), "config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(!shown.contains("very-secret"), "{shown}");
    assert!(
        shown.contains("***") && shown.contains("antivirus-scan-full"),
        "{shown}"
    );
    let out = remedy(home.path())
        .args(["config", "path"])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.trim().ends_with("config/remedy/config.toml"),
        "{printed}"
    );
}

#[test]
fn missing_config_points_to_the_demo_and_the_example() {
    let home = tempfile::tempdir().unwrap();
    let out = remedy(home.path()).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("remedy demo") && err.contains("remedy.example.toml"),
        "{err}"
    );
}

#[test]
fn headless_demo_prints_json_lines_until_an_auto_scan_succeeds_and_logs_no_secret() {
    let home = tempfile::tempdir().unwrap();
    let mut child = remedy(home.path())
        .args(["run", "--demo"])
        .env("REMEDY_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut succeeded = false;
    let mut types = std::collections::BTreeSet::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let event: serde_json::Value =
            serde_json::from_str(&line).expect("every line is one JSON object");
        types.insert(event["type"].as_str().unwrap_or("").to_string());
        if event["type"] == "remediation_changed" && event["state"] == "Succeeded" {
            assert_eq!(
                event["policy_id"], "5f01dce13de79160fbec4151",
                "only the auto policy acts alone"
            );
            succeeded = true;
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no Succeeded scan within 90 s; saw {types:?}"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(succeeded, "saw {types:?}");
    assert!(
        types.contains("snapshot") && types.contains("alert_seen"),
        "{types:?}"
    );
    // Daily rotation by default: remedy.YYYY-MM-DD.log.
    let log: String = std::fs::read_dir(home.path().join("data/remedy/logs"))
        .map(|files| {
            files
                .filter_map(|f| std::fs::read_to_string(f.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    assert!(!log.is_empty(), "the run logged to its file");
    for secret in ["remedy-demo-secret", "remedy-demo-token"] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
    assert!(!log.contains("Bearer "), "an access token reached the log");
}

#[test]
fn check_reaches_every_service_and_names_what_to_fix() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(remedy::sim::start(remedy::sim::SimOptions {
            port: 0,
            scenario: remedy::sim::Scenario::quiet(),
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let good = sim_config(home.path(), &sim.base_url(), DEMO_TOKEN, "");
    let out = remedy(home.path())
        .args(["--config", good.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for service in ["CAS", "Defender", "Graph"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(service) && l.contains(" ok ")),
            "{service} reported ok:\n{text}"
        );
    }
    assert!(text.contains("all services reachable"), "{text}");

    let bad = home.path().join("bad.toml");
    let text = std::fs::read_to_string(&good).unwrap();
    std::fs::write(&bad, text.replace("remedy-demo-secret", "wrong-secret")).unwrap();
    let out = remedy(home.path())
        .args(["--config", bad.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("Defender") && text.contains("FAILED"),
        "{text}"
    );
    assert!(
        text.contains("AADSTS7000215") || text.to_lowercase().contains("secret"),
        "says what to check:\n{text}"
    );
    assert!(
        !text.contains("wrong-secret"),
        "the secret is not echoed:\n{text}"
    );
    runtime.block_on(sim.shutdown());
}
