//! A private PostgreSQL cluster a test may stop and start (never the shared test server): initdb in a temporary
//! folder from `REMEDY_TEST_PG_BIN`, run as `REMEDY_TEST_PG_RUNAS` when set (CI runs as root).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where initdb and pg_ctl are; `.ci/run` exports it.
pub const BIN_VAR: &str = "REMEDY_TEST_PG_BIN";
/// The unprivileged user the cluster runs as when the tests run as root; `.ci/run` exports it.
pub const RUNAS_VAR: &str = "REMEDY_TEST_PG_RUNAS";

/// A running (or stopped) private cluster; stopped and removed when dropped.
pub struct Cluster {
    bin: PathBuf,
    runas: Option<String>,
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    /// Starts a fresh cluster, or `None` locally without `REMEDY_TEST_PG_BIN` (CI always has it).
    pub fn start() -> Option<Cluster> {
        let Some(bin) = std::env::var_os(BIN_VAR).filter(|b| !b.is_empty()) else {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "{BIN_VAR} is unset under CI=true: .ci/run exports it"
            );
            eprintln!("skipping the private PostgreSQL cluster: {BIN_VAR} is unset");
            return None;
        };
        let runas = std::env::var(RUNAS_VAR).ok().filter(|u| !u.is_empty());
        let dir = tempfile::Builder::new()
            .prefix("remedy-hosts-pg")
            .tempdir()
            .expect("a temporary folder");
        if let Some(user) = &runas {
            let chowned = Command::new("chown")
                .args([user.as_str(), dir.path().to_str().unwrap()])
                .status()
                .expect("chown runs");
            assert!(chowned.success(), "the cluster's folder is given to {user}");
        }
        let port = free_port();
        let cluster = Cluster {
            bin: PathBuf::from(bin),
            runas,
            dir,
            port,
        };
        let data = cluster.data();
        cluster.run(
            "initdb",
            &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "remedy"],
        );
        cluster.pg_ctl_start();
        Some(cluster)
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://remedy@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of the cluster's programs (as its owner), which must succeed.
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut command = match &self.runas {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&path);
                command
            }
            None => Command::new(&path),
        };
        let out = command.args(args).output().expect("the program runs");
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let data = self.data();
        let log = self.dir.path().join("postgres.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-w",
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "start",
            ],
        );
    }

    /// Stops the server (fast: open connections are cut, as a crash or failover would).
    pub fn stop(&self) {
        let data = self.data();
        self.run(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-w", "-m", "fast", "stop"],
        );
    }

    /// Starts it again on the same port.
    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let path = self.bin.join("pg_ctl");
        let mut command = match &self.runas {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&path);
                command
            }
            None => Command::new(&path),
        };
        let _ = command
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
