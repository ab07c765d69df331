//! One function per subcommand; `dispatch` picks it. Returns the process exit code.

mod audit;
mod check;
mod config_cmd;
mod console;
mod run;
mod sim;

use std::path::Path;

use clap::CommandFactory;
use color_eyre::eyre::Result;

use remedy::config::{ConfigError, LoadedConfig, config_path, data_dir};

use crate::cli::{Cli, Command};

/// Exit code for a config that cannot be used.
pub const EXIT_CONFIG: i32 = 2;

pub async fn dispatch(cli: Cli) -> Result<i32> {
    let config_file = cli.config.clone().unwrap_or_else(config_path);
    match cli.command {
        None => console::tenant(&config_file, cli.read_only).await,
        Some(Command::Demo { scenario, strict }) => {
            console::demo(scenario, strict, cli.read_only).await
        }
        Some(Command::Sim {
            port,
            scenario,
            strict,
        }) => sim::run(port, scenario, strict).await,
        Some(Command::Run {
            demo,
            scenario,
            strict,
        }) => run::run(&config_file, demo, scenario, strict, cli.read_only).await,
        Some(Command::Check) => check::run(&config_file).await,
        Some(Command::Config { action }) => config_cmd::run(&config_file, action),
        Some(Command::Audit { action }) => audit::run(&config_file, action),
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

/// Loads the config, printing warnings; on error prints it and returns the exit code to use.
pub fn load_config(path: &Path) -> Result<LoadedConfig, i32> {
    match remedy::config::load(path) {
        Ok(loaded) => {
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

/// Starts file logging in the data directory; returns the guard to keep.
pub fn start_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = data_dir().join("logs");
    match remedy::logging::init(&dir) {
        Ok((guard, _)) => Some(guard),
        Err(e) => {
            eprintln!("warning: cannot write logs to {}: {e}", dir.display());
            None
        }
    }
}
