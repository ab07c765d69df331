//! Command-line arguments: which mode runs, with what config.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// remedy: turn Cloud App Security alerts into Defender for Endpoint remediation, with a human in the loop.
#[derive(Debug, Parser)]
#[command(name = "remedy", version, about, long_about = None)]
pub struct Cli {
    /// Config file (default: `remedy config path`).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Look but never act: approve, reject, cancel, mode and close keys do nothing.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Where log lines go: files in the data directory (rotated as `[log]` says), or standard error for
    /// journald and other supervisors (not with the console, which draws on the terminal).
    #[arg(long, global = true, value_enum, default_value_t = LogTo::File)]
    pub log: LogTo,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The console against the embedded simulator (no config, no credentials needed).
    Demo {
        /// Scenario file for the simulator (default: the built-in demo tenant).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Serve only the documented minimum of the APIs (single `eq` filters, small pages, short tokens).
        #[arg(long)]
        strict: bool,
    },
    /// The tenant simulator alone, for scripts, tests and other clients.
    Sim {
        /// Port on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Scenario file (default: the built-in demo tenant).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Serve only the documented minimum of the APIs (single `eq` filters, small pages, short tokens).
        #[arg(long)]
        strict: bool,
    },
    /// The engine without a terminal: events as JSON lines on stdout (for 24/7 auto-remediation).
    Run {
        /// Run against the embedded simulator instead of the tenant in the config.
        #[arg(long)]
        demo: bool,
        /// Scenario file for --demo.
        #[arg(long, value_name = "FILE", requires = "demo")]
        scenario: Option<PathBuf>,
        /// Serve only the documented minimum of the APIs (single `eq` filters, small pages, short tokens).
        #[arg(long, requires = "demo")]
        strict: bool,
        /// Run on the simulator's clock (demos and benchmarks only; every service must be on loopback):
        /// its time scale speeds up the engine's time, quotas, intervals and retention alike, and the JSON
        /// stream and the log say so.
        #[arg(long)]
        sim_clock: bool,
    },
    /// Validate the config and reach each service, saying what works and what to fix.
    Check,
    /// Where the config lives, or the effective config with secrets hidden.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// The audit trail: verify its hash chain or export it.
    Audit {
        /// The journal to read (default: the config's; a demo prints its own on exit).
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
        #[command(subcommand)]
        action: AuditAction,
    },
    /// The journal's history: prune what is older than `[journal] retain_days`.
    Journal {
        /// The journal to prune (default: the config's).
        #[arg(long, value_name = "FILE")]
        journal: Option<PathBuf>,
        #[command(subcommand)]
        action: JournalAction,
    },
    /// Shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the config file path remedy reads.
    Path,
    /// Print the effective config (defaults and built-in flows included); secrets show as ***.
    Show,
    /// Print the example config with every key and its default (`remedy config example > FILE`).
    Example,
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check the hash chain: fails on an edited, deleted or truncated entry.
    Verify {
        /// A head recorded earlier (the log and `remedy run` print it): the chain must still hold it.
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<remedy::store::ExpectedHead>,
        /// Audit archives a prune wrote (`<journal>.audit-*.jsonl`): verified with the journal as one chain.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        archive: Vec<PathBuf>,
    },
    /// Write the audit trail to stdout.
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Only entries at or after this time (RFC 3339, e.g. 2026-11-27T00:00:00Z).
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[derive(Debug, Subcommand)]
pub enum JournalAction {
    /// Remove finished remediations, their transitions, alerts without work and audit entries older than
    /// `[journal] retain_days` (audit entries are archived next to the journal first).
    Prune {
        /// Only count what would go.
        #[arg(long)]
        dry_run: bool,
        /// Overrides `[journal] retain_days` for this run (at least 1).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u64).range(1..))]
        older_than_days: Option<u64>,
    },
    /// Copy every row of a journal (ids and the audit chain as they are) into a new, empty journal: a SQLite
    /// file or a PostgreSQL database (`postgres://user@host/db`; the password from --to-password-file or
    /// --from-password-file, else REMEDY_JOURNAL_PASSWORD). Verifies the copy's audit chain and prints the rows
    /// per table.
    Copy {
        /// Where to copy to: a file path or a postgres:// URL; refused unless empty.
        #[arg(long, value_name = "URL_OR_PATH")]
        to: String,
        /// Where to copy from (default: --journal, else the config's journal).
        #[arg(long, value_name = "URL_OR_PATH")]
        from: Option<String>,
        /// A file holding the password of the --to database (only that, mode 0600).
        #[arg(long, value_name = "FILE")]
        to_password_file: Option<PathBuf>,
        /// A file holding the password of the --from database (only that, mode 0600).
        #[arg(long, value_name = "FILE")]
        from_password_file: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogTo {
    File,
    Stderr,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Json,
    Csv,
}
