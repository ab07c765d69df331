//! `remedy journal copy --to-password-file / --from-password-file`: the database's password comes from the
//! named file (before `REMEDY_JOURNAL_PASSWORD`), a file other users can read is warned about, and a flag that
//! cannot be used is refused naming it. A stand-in server on loopback records the password the client sends;
//! with `REMEDY_TEST_PG_URL` (always in CI) a journal also goes SQLite → PostgreSQL → SQLite with the flags.

#[path = "common/pg.rs"]
mod pg;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

fn remedy(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_remedy"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("REMEDY_JOURNAL_PASSWORD", "from-the-environment")
        .env_remove("REMEDY_AUDIT_KEY")
        .output()
        .unwrap()
}

/// A file holding `password` (and a line break), with `mode`.
fn password_file(dir: &Path, name: &str, password: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{password}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// A stand-in PostgreSQL server: it asks each client for a clear-text password, records it and refuses the
/// login. Its URL turns TLS off, so the client sends its start-up message at once.
struct PasswordTrap {
    url: String,
    passwords: Arc<Mutex<Vec<String>>>,
}

impl PasswordTrap {
    fn start() -> PasswordTrap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let passwords = Arc::new(Mutex::new(Vec::new()));
        let recorded = passwords.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(password) = ask_password(stream) {
                    recorded.lock().unwrap().push(password);
                }
            }
        });
        PasswordTrap {
            url: format!("postgres://remedy@127.0.0.1:{port}/trap?sslmode=disable"),
            passwords,
        }
    }

    fn passwords(&self) -> Vec<String> {
        self.passwords.lock().unwrap().clone()
    }
}

/// One client: its start-up message, `AuthenticationCleartextPassword`, its `PasswordMessage`, then a FATAL
/// error (invalid password).
fn ask_password(mut stream: TcpStream) -> Option<String> {
    let mut length = [0u8; 4];
    stream.read_exact(&mut length).ok()?;
    let mut startup = vec![0u8; u32::from_be_bytes(length) as usize - 4];
    stream.read_exact(&mut startup).ok()?;
    stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).ok()?;
    let mut tag = [0u8; 1];
    stream.read_exact(&mut tag).ok()?;
    stream.read_exact(&mut length).ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(length) as usize - 4];
    stream.read_exact(&mut body).ok()?;
    let fields = b"SFATAL\0C28P01\0Mthe test's stand-in server refuses every login\0\0";
    let mut error = vec![b'E'];
    error.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
    error.extend_from_slice(fields);
    let _ = stream.write_all(&error);
    (tag[0] == b'p')
        .then(|| String::from_utf8_lossy(body.strip_suffix(&[0]).unwrap_or(&body)).into_owned())
}

/// A SQLite journal with one audit entry, to copy from.
fn source(dir: &Path) -> String {
    let path = dir.join("source.sqlite");
    let mut journal = remedy::store::Journal::open(&path).unwrap();
    journal
        .append_audit(&remedy::store::AuditEntry {
            at: chrono::Utc::now(),
            who: "alice".into(),
            action: "approve".into(),
            target: "remediation-1".into(),
            why: "copied with a password file".into(),
            result: "ok".into(),
        })
        .unwrap();
    path.display().to_string()
}

#[test]
fn the_to_password_file_is_sent_before_the_environments_password() {
    let home = tempfile::tempdir().unwrap();
    let trap = PasswordTrap::start();
    let file = password_file(home.path(), "to.pw", "from-the-file", 0o600);
    let from = source(home.path());
    let out = remedy(
        &[
            "journal",
            "copy",
            "--from",
            &from,
            "--to",
            &trap.url,
            "--to-password-file",
            file.to_str().unwrap(),
        ],
        home.path(),
    );
    assert!(!out.status.success(), "the stand-in refuses the login");
    let passwords = trap.passwords();
    assert!(!passwords.is_empty(), "{out:?}");
    assert!(
        passwords.iter().all(|p| p == "from-the-file"),
        "{passwords:?}"
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!said.contains("from-the-file"), "never shown: {said}");
    assert!(!said.contains("readable by other users"), "{said}");
}

#[test]
fn without_a_file_the_environments_password_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let trap = PasswordTrap::start();
    let from = source(home.path());
    let out = remedy(
        &["journal", "copy", "--from", &from, "--to", &trap.url],
        home.path(),
    );
    assert!(!out.status.success());
    assert_eq!(
        trap.passwords().first().map(String::as_str),
        Some("from-the-environment")
    );
}

#[test]
fn the_from_password_file_is_sent_and_one_others_can_read_is_warned_about() {
    let home = tempfile::tempdir().unwrap();
    let trap = PasswordTrap::start();
    let file = password_file(home.path(), "from.pw", "source-secret", 0o644);
    let to = home.path().join("copy.sqlite");
    let out = remedy(
        &[
            "journal",
            "copy",
            "--from",
            &trap.url,
            "--from-password-file",
            file.to_str().unwrap(),
            "--to",
            to.to_str().unwrap(),
        ],
        home.path(),
    );
    assert!(!out.status.success());
    assert_eq!(
        trap.passwords().first().map(String::as_str),
        Some("source-secret")
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("warning: --from-password-file")
            && said.contains("readable by other users (mode 644)")
            && said.contains("chmod 600"),
        "{said}"
    );
}

#[test]
fn a_password_file_that_cannot_be_used_is_refused_naming_its_flag() {
    let home = tempfile::tempdir().unwrap();
    let from = source(home.path());
    let file = password_file(home.path(), "pw", "secret", 0o600);
    let missing = home.path().join("no-such-file");
    let postgres = "postgres://remedy@127.0.0.1:9/none?sslmode=disable";
    let sqlite = home.path().join("copy.sqlite");
    let cases: [(Vec<&str>, &str); 3] = [
        (
            vec![
                "--from",
                &from,
                "--to",
                postgres,
                "--to-password-file",
                missing.to_str().unwrap(),
            ],
            "--to-password-file",
        ),
        (
            vec![
                "--from",
                &from,
                "--to",
                sqlite.to_str().unwrap(),
                "--to-password-file",
                file.to_str().unwrap(),
            ],
            "--to-password-file is for a PostgreSQL --to",
        ),
        (
            vec![
                "--to",
                postgres,
                "--from-password-file",
                file.to_str().unwrap(),
            ],
            "--from-password-file needs --from",
        ),
    ];
    for (args, named) in cases {
        let mut all = vec!["journal", "copy"];
        all.extend(args);
        let out = remedy(&all, home.path());
        let said = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {said}");
        assert!(said.contains(named), "{all:?}: {said}");
    }
}

#[test]
fn a_journal_goes_to_postgres_and_back_with_password_files() {
    let Some(middle) = pg::TestJournal::postgres("pgtests_copy_password") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let from = source(home.path());
    // The test server trusts loopback: the password is sent only if it asks, and the copy must work either way.
    let file = password_file(home.path(), "pw", "unused-by-a-trusting-server", 0o600);
    let url = middle.url_or_path();
    let there = remedy(
        &[
            "journal",
            "copy",
            "--from",
            &from,
            "--to",
            &url,
            "--to-password-file",
            file.to_str().unwrap(),
        ],
        home.path(),
    );
    assert!(there.status.success(), "{there:?}");
    let back = home.path().join("back.sqlite");
    let again = remedy(
        &[
            "journal",
            "copy",
            "--from",
            &url,
            "--from-password-file",
            file.to_str().unwrap(),
            "--to",
            back.to_str().unwrap(),
        ],
        home.path(),
    );
    assert!(again.status.success(), "{again:?}");
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(
        said.contains("audit chain of the copy intact: 1 entries"),
        "{said}"
    );
}
