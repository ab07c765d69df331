//! `[journal] url`: one of path or url, the password from the environment or a 0600 file and never shown,
//! TLS when the URL asks, and `remedy check` naming the journal and whether it is reachable.

mod cli_common;
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cli_common::{DEMO_TOKEN, remedy, sim_config};
use remedy::config::{ConfigError, JournalTarget, TlsMode, journal_target, load_str};

const VALID: &str = r#"
[tenant]
id = "contoso"
client_id = "remedy-demo"
client_secret = "s3cret-value"
[cas]
url = "https://contoso.us2.portal.cloudappsecurity.com"
token = "cas-token-value"
"#;

const PASSWORD: &str = "pg-pass-Zq81-never-shown";

fn env(name: &str) -> Option<String> {
    (name == "REMEDY_PG_PASSWORD").then(|| PASSWORD.to_string())
}

fn load(journal: &str) -> Result<remedy::config::LoadedConfig, ConfigError> {
    load_str(
        &format!("{VALID}[journal]\n{journal}\n"),
        Path::new("/etc/remedy.toml"),
        &env,
    )
}

fn target(journal: &str) -> JournalTarget {
    let loaded = load(journal).expect("valid");
    journal_target(
        &loaded.config,
        &loaded.path,
        || PathBuf::from("/default.sqlite"),
        &env,
    )
    .expect("a target")
    .0
}

fn refused(journal: &str) -> String {
    let e = load(journal).expect_err("refused");
    let text = e.to_string();
    assert!(text.contains("/etc/remedy.toml"), "names the file: {text}");
    assert!(text.contains("Fix:"), "says the fix: {text}");
    text
}

#[test]
fn the_journal_is_a_sqlite_file_unless_a_url_is_given() {
    match target("") {
        JournalTarget::Sqlite(path) => assert_eq!(path, PathBuf::from("/default.sqlite")),
        other => panic!("{other:?}"),
    }
    match target("url = \"postgres://remedy@db.example.com:5432/remedy?sslmode=verify-full\"") {
        JournalTarget::Postgres(pg) => {
            assert_eq!(pg.tls, TlsMode::Required);
            assert!(
                !pg.connect_url().contains("sslmode"),
                "{}",
                pg.connect_url()
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn path_and_url_together_are_refused_naming_the_key() {
    let text = refused("path = \"/var/j.sqlite\"\nurl = \"postgres://remedy@db/remedy\"");
    assert!(text.contains("journal.url"), "{text}");
    assert!(text.contains("keep one"), "{text}");
}

#[test]
fn a_bad_url_names_the_key_and_how_to_write_it() {
    for (url, says) in [
        ("mysql://remedy@db/remedy", "scheme"),
        ("postgres://db/remedy", "no user"),
        ("postgres://remedy@db/remedy?sslmode=sometimes", "sslmode"),
        ("not a url", "not a URL"),
    ] {
        let text = refused(&format!("url = \"{url}\""));
        assert!(text.contains("journal.url"), "{url}: {text}");
        assert!(text.contains(says), "{url}: {text}");
        assert!(text.contains("postgres://USER@HOST"), "{url}: {text}");
    }
}

#[test]
fn a_password_in_the_url_is_refused_and_not_echoed() {
    for url in [
        format!("postgres://remedy:{PASSWORD}@db/remedy"),
        format!("postgres://remedy@db/remedy?password={PASSWORD}"),
    ] {
        let text = refused(&format!("url = \"{url}\""));
        assert!(text.contains("password_env"), "{text}");
        assert!(
            !text.contains(PASSWORD),
            "the password is not echoed: {text}"
        );
    }
}

#[test]
fn the_password_comes_from_the_environment_and_never_prints() {
    let JournalTarget::Postgres(pg) =
        target("url = \"postgres://remedy@db/remedy\"\npassword_env = \"REMEDY_PG_PASSWORD\"")
    else {
        panic!("postgres")
    };
    assert_eq!(pg.password().map(|p| p.expose()), Some(PASSWORD));
    let shown = format!("{pg} {pg:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    let client = remedy::pg_connect::client_config(&pg);
    assert!(
        !format!("{client:?}").contains(PASSWORD),
        "the client config's Debug redacts it"
    );

    let text =
        refused("url = \"postgres://remedy@db/remedy\"\npassword_env = \"REMEDY_PG_NOT_SET\"");
    assert!(
        text.contains("journal.password_env") && text.contains("REMEDY_PG_NOT_SET"),
        "{text}"
    );
}

#[test]
fn a_password_file_readable_by_others_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let journal = format!(
        "url = \"postgres://remedy@127.0.0.1/remedy\"\npassword_file = \"{}\"",
        file.display()
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let warnings = load(&journal).unwrap().warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("chmod 600") && w.contains("password_file")),
        "{warnings:?}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(load(&journal).unwrap().warnings.is_empty());
    let JournalTarget::Postgres(pg) = target(&journal) else {
        panic!("postgres")
    };
    assert_eq!(
        pg.password().map(|p| p.expose()),
        Some(PASSWORD),
        "trailing newline dropped"
    );

    let text = refused(&format!("{journal}\npassword_env = \"REMEDY_PG_PASSWORD\""));
    assert!(text.contains("keep one"), "{text}");
    let text =
        refused("url = \"postgres://remedy@db/remedy\"\npassword_file = \"/nonexistent/pgpass\"");
    assert!(text.contains("journal.password_file"), "{text}");
}

#[test]
fn postgres_keys_without_a_url_and_a_missing_ca_file_are_refused() {
    let text = refused("password_env = \"REMEDY_PG_PASSWORD\"");
    assert!(text.contains("journal.password_env"), "{text}");
    let text = refused(
        "url = \"postgres://remedy@db/remedy?sslmode=require\"\nca_file = \"/nonexistent/ca.pem\"",
    );
    assert!(text.contains("journal.ca_file"), "{text}");
}

#[test]
fn plain_tcp_to_another_host_is_warned_about() {
    let warnings = load("url = \"postgres://remedy@db.example.com/remedy\"")
        .unwrap()
        .warnings;
    assert!(
        warnings.iter().any(|w| w.contains("sslmode=verify-full")),
        "{warnings:?}"
    );
    let warnings = load("url = \"postgres://remedy@db.example.com/remedy?sslmode=verify-full\"")
        .unwrap()
        .warnings;
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn a_ca_file_without_certificates_is_refused_when_tls_is_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let JournalTarget::Postgres(pg) = target(&format!(
        "url = \"postgres://remedy@db/remedy?sslmode=verify-full\"\nca_file = \"{}\"",
        ca.display()
    )) else {
        panic!("postgres")
    };
    let e = remedy::pg_connect::tls(&pg).err().expect("refused");
    assert!(e.to_string().contains("ca_file"), "{e}");
}

/// `remedy check` against the simulator with `journal` lines: its output and exit code.
fn check(journal: &str) -> (String, Option<i32>) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sim = runtime
        .block_on(remedy::sim::start(remedy::sim::SimOptions {
            port: 0,
            scenario: remedy::sim::Scenario::quiet(),
        }))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let config = sim_config(
        home.path(),
        &sim.base_url(),
        DEMO_TOKEN,
        &format!("[journal]\n{journal}\n"),
    );
    let out = remedy(home.path())
        .env("REMEDY_PG_PASSWORD", PASSWORD)
        .args(["--config", config.to_str().unwrap(), "check"])
        .output()
        .unwrap();
    runtime.block_on(sim.shutdown());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains(PASSWORD),
        "the password never shows:\n{text}"
    );
    (text, out.status.code())
}

#[test]
fn check_names_the_journal_and_whether_it_is_reachable() {
    let (text, code) = check("");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("journal  ok") && l.contains("SQLite file")),
        "{text}"
    );
    // Nothing listens on port 9: unreachable, said with the URL, and the check fails.
    let (text, code) = check(
        "url = \"postgres://remedy@127.0.0.1:9/remedy\"\npassword_env = \"REMEDY_PG_PASSWORD\"",
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("journal  FAILED")
            && l.contains("postgres://remedy@127.0.0.1:9/remedy")
            && l.contains("unreachable")),
        "{text}"
    );
    let Some(url) = common::pg::admin_url() else {
        return;
    };
    let journal = format!("url = \"{url}\"\npassword_env = \"REMEDY_PG_PASSWORD\"");
    let (text, code) = check(&journal);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("journal  ok") && l.contains("reachable (PostgreSQL")),
        "{text}"
    );
    // The test server speaks no TLS: a URL asking for it is refused rather than sent in the clear.
    let separator = if url.contains('?') { '&' } else { '?' };
    let (text, code) = check(&format!(
        "url = \"{url}{separator}sslmode=require\"\npassword_env = \"REMEDY_PG_PASSWORD\""
    ));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("journal  FAILED"), "{text}");
}

#[test]
fn a_postgres_journal_prunes_into_archives_in_this_hosts_data_directory() {
    let Some(url) = common::pg::pg_database("pghosts_archive") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("remedy.toml");
    std::fs::write(&config, format!("{VALID}[journal]\nurl = \"{url}\"\n")).unwrap();
    let loaded = remedy::config::load(&config).unwrap();
    let target = remedy::wiring::journal_target(&loaded.config, &config).unwrap();
    let mut journal = remedy::wiring::open_target(&target).unwrap();
    let old = chrono::Utc::now() - chrono::Duration::days(400);
    journal
        .append_audit(&remedy::store::AuditEntry {
            at: old,
            who: "tester".into(),
            action: "mode".into(),
            target: "policy p1".into(),
            why: "test".into(),
            result: "auto".into(),
        })
        .unwrap();
    drop(journal);
    let out = remedy(home.path())
        .args([
            "--config",
            config.to_str().unwrap(),
            "journal",
            "prune",
            "--older-than-days",
            "180",
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("remedy/journal-postgres.audit-"), "{text}");
    assert!(
        text.contains("remedy audit verify --archive"),
        "the verify hint names no --journal for a database: {text}"
    );
}
