//! The command line at its edges: closed pipes end quietly, key conflicts exit 2, the example config, the kept demo journal.

mod cli_common;

use cli_common::remedy;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "very-secret-client-value"
[cas]
url = "http://127.0.0.1:9/cas"
token = "very-secret-cas-token"
[defender]
url = "http://127.0.0.1:9/mde"
[graph]
url = "http://127.0.0.1:9/graph"
[auth]
authority = "http://127.0.0.1:9/login"
"#;

/// Runs `remedy ARGS` writing into a pipe whose reader has already gone; returns its stderr.
fn stderr_with_closed_reader(home: &std::path::Path, args: &[&str]) -> String {
    let errors = home.join("stderr.txt");
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#"{ sleep 0.3; "$0" "$@" 2>"$ERRORS"; } | true"#)
        .arg(env!("CARGO_BIN_EXE_remedy"))
        .args(args)
        .env("ERRORS", &errors)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .status()
        .expect("sh runs");
    assert!(status.success(), "the pipeline itself runs");
    std::fs::read_to_string(&errors).unwrap_or_default()
}

#[test]
fn commands_that_print_end_quietly_when_the_reader_has_gone() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let config = config.to_str().unwrap();
    for args in [
        vec!["--config", config, "config", "show"],
        vec!["--config", config, "check"],
        vec!["completions", "bash"],
    ] {
        let stderr = stderr_with_closed_reader(home.path(), &args);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "remedy {args:?} crashed on a closed pipe: {stderr}"
        );
    }
}

#[test]
fn headless_output_into_head_ends_with_exit_0_and_no_error() {
    let home = tempfile::tempdir().unwrap();
    let mut child = remedy(home.path())
        .args(["run", "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..3 {
        let line = lines.next().expect("a line").expect("readable");
        assert!(line.starts_with('{'), "{line}");
    }
    drop(lines);
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "remedy run kept going after its reader left"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("rror"), "{stderr}");
    let kept = stderr
        .lines()
        .find_map(|l| l.strip_prefix("the demo's journal is kept at "))
        .unwrap_or_else(|| panic!("the demo names its journal: {stderr}"));
    let verified = remedy(home.path())
        .args(["audit", "--journal", kept, "verify"])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "the kept demo journal verifies: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
}

#[test]
fn config_example_prints_a_config_that_loads_once_secrets_are_given() {
    let home = tempfile::tempdir().unwrap();
    let out = remedy(home.path())
        .args(["config", "example"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("[engine]") && text.contains("[guards]"),
        "{text}"
    );
    let path = home.path().join("example.toml");
    std::fs::write(&path, &text).unwrap();
    let shown = remedy(home.path())
        .args(["--config", path.to_str().unwrap(), "config", "show"])
        .env("REMEDY_CAS_TOKEN", "t")
        .env("REMEDY_CLIENT_SECRET", "s")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&shown.stderr);
    assert!(shown.status.success(), "the example loads: {stderr}");
}

#[test]
fn a_key_conflict_exits_2_naming_ui_keys_and_the_file() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("keys.toml");
    std::fs::write(&path, format!("{CONFIG}\n[ui.keys]\napprove = [\"q\"]\n")).unwrap();
    for command in [&["check"][..], &["demo"][..], &["config", "show"][..]] {
        let out = remedy(home.path())
            .args(["--config", path.to_str().unwrap()])
            .args(command)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(
            stderr.contains("[ui.keys]") && stderr.contains("keys.toml"),
            "{command:?}: {stderr}"
        );
    }
}

#[test]
fn read_only_is_refused_where_it_means_nothing() {
    let home = tempfile::tempdir().unwrap();
    for command in [
        &["check"][..],
        &["config", "path"][..],
        &["audit", "verify"][..],
    ] {
        let out = remedy(home.path())
            .arg("--read-only")
            .args(command)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(stderr.contains("--read-only applies to"), "{stderr}");
    }
}
