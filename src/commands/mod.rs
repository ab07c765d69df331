//! One function per subcommand; `dispatch` picks it. Returns the process exit code.

mod audit;
mod check;
mod check_bindings;
mod check_journal;
mod check_lookup;
mod config_cmd;
mod console;
mod journal;
mod journal_copy;
mod run;
mod sim;

use std::path::Path;

use clap::CommandFactory;
use color_eyre::eyre::Result;

use remedy::config::{ConfigError, JournalTarget, LoadedConfig, LogSection, config_path, data_dir};
use remedy::logging::LogTarget;

use crate::cli::{Cli, Command, LogTo};

/// Exit code for a failed check, or an engine that stopped (the log says why).
pub const EXIT_FAILED: i32 = 1;
/// Exit code for arguments that make no sense together.
pub const EXIT_USAGE: i32 = 2;
/// Exit code for a config that cannot be used.
pub const EXIT_CONFIG: i32 = 2;

pub async fn dispatch(cli: Cli) -> Result<i32> {
    let config_file = cli.config.clone().unwrap_or_else(config_path);
    let acts = matches!(
        cli.command,
        None | Some(Command::Demo { .. } | Command::Run { .. })
    );
    let draws = matches!(cli.command, None | Some(Command::Demo { .. }));
    if cli.log == LogTo::Stderr && draws {
        eprintln!(
            "error: --log stderr applies to `remedy run` and `remedy sim`; the console draws on the terminal, its logs go to files"
        );
        return Ok(EXIT_USAGE);
    }
    if cli.read_only && matches!(cli.command, Some(Command::Journal { .. })) {
        eprintln!(
            "error: --read-only and `remedy journal prune` contradict each other: a prune removes history; `--dry-run` only counts"
        );
        return Ok(EXIT_USAGE);
    }
    if cli.read_only && !acts {
        eprintln!(
            "error: --read-only applies to the console, `remedy demo` and `remedy run`; this command never acts"
        );
        return Ok(EXIT_USAGE);
    }
    match cli.command {
        None => console::tenant(&config_file, cli.read_only).await,
        Some(Command::Demo { scenario, strict }) => {
            let given = cli.config.is_some();
            console::demo(&config_file, given, scenario, strict, cli.read_only).await
        }
        Some(Command::Sim {
            port,
            scenario,
            strict,
        }) => sim::run(port, scenario, strict, cli.log).await,
        Some(Command::Run {
            demo,
            scenario,
            strict,
            sim_clock,
        }) => {
            let how = run::How {
                demo,
                scenario,
                strict,
                sim_clock,
                read_only: cli.read_only,
                log: cli.log,
            };
            run::run(&config_file, how).await
        }
        Some(Command::Check) => check::run(&config_file).await,
        Some(Command::Config { action }) => config_cmd::run(&config_file, action),
        Some(Command::Audit { journal, action }) => audit::run(&config_file, journal, action),
        Some(Command::Journal { journal, action }) => journal::run(&config_file, journal, action),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "remedy", &mut script);
            match std::io::Write::write_all(&mut std::io::stdout(), &script) {
                Ok(()) => Ok(0),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Loads the config (key bindings included), printing warnings; on error prints it and returns the
/// exit code to use.
pub fn load_config(path: &Path) -> Result<LoadedConfig, i32> {
    match remedy::config::load(path) {
        Ok(loaded) => {
            let keys = remedy::tui::KeymapOverrides(loaded.config.ui.keys.clone());
            if let Err(e) = remedy::tui::Keymap::new(&keys) {
                eprintln!("error: config file {}, {e}", loaded.path.display());
                return Err(EXIT_CONFIG);
            }
            for warning in &loaded.warnings {
                eprintln!("warning: {warning}");
            }
            Ok(loaded)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if matches!(e, ConfigError::Read { .. }) {
                eprintln!(
                    "hint: `remedy demo` needs no config; config/remedy.example.toml shows every key"
                );
            }
            Err(EXIT_CONFIG)
        }
    }
}

/// The journal to read: `--journal FILE`, else the config's (a file or a PostgreSQL database; the config too
/// when it loads); an exit code when there is no journal there.
pub fn existing_journal(
    config_file: &Path,
    journal: Option<std::path::PathBuf>,
) -> Result<(JournalTarget, Option<remedy::config::Config>), i32> {
    let config = remedy::config::load(config_file).ok().map(|l| l.config);
    let target = match (journal, &config) {
        (Some(path), _) => JournalTarget::Sqlite(path),
        (None, Some(config)) => match remedy::wiring::journal_target(config, config_file) {
            Ok(target) => target,
            Err(e) => {
                eprintln!("error: {e}");
                return Err(EXIT_CONFIG);
            }
        },
        (None, None) => JournalTarget::Sqlite(data_dir().join("journal.sqlite")),
    };
    if let JournalTarget::Sqlite(path) = &target
        && !path.exists()
    {
        eprintln!(
            "error: no journal at {}; set [journal] path (or url) in the config or pass --journal FILE",
            path.display()
        );
        return Err(EXIT_CONFIG);
    }
    Ok((target, config))
}

/// Starts logging to files in the data directory (or standard error) as `[log]` says; returns the guard to
/// keep until exit.
pub fn start_logging(
    to: LogTo,
    settings: &LogSection,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let target = match to {
        LogTo::File => LogTarget::Dir(data_dir().join("logs")),
        LogTo::Stderr => LogTarget::Stderr,
    };
    match remedy::logging::init(&target, settings) {
        Ok(guard) => Some(guard),
        Err(e) => {
            eprintln!("warning: {e}; running without a log");
            None
        }
    }
}
