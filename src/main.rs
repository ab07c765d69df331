//! Entry point: parses arguments, sets up error reporting, and runs the chosen mode.

mod cli;
mod commands;

use clap::Parser;

fn main() -> color_eyre::Result<()> {
    remedy::allocator::tune_for_long_runs();
    install_error_reports()?;
    let cli = cli::Cli::parse();
    if prints_and_exits(&cli) {
        die_quietly_on_closed_pipe();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let code = runtime.block_on(commands::dispatch(cli))?;
    drop(runtime);
    std::process::exit(code);
}

/// Commands that print a result and exit (as opposed to the console, the simulator and the engine).
fn prints_and_exits(cli: &cli::Cli) -> bool {
    use cli::Command;
    matches!(
        cli.command,
        Some(
            Command::Check
                | Command::Config { .. }
                | Command::Audit { .. }
                | Command::Journal { .. }
                | Command::Completions { .. }
        )
    )
}

/// Error reports for people: no source locations unless `RUST_BACKTRACE` asks for them, and no
/// colour when standard error is not a terminal or `NO_COLOR` is set.
fn install_error_reports() -> color_eyre::Result<()> {
    use std::io::IsTerminal;
    let debugging = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut hook = color_eyre::config::HookBuilder::default()
        .display_location_section(debugging)
        .display_env_section(debugging);
    if !colour {
        hook = hook.theme(color_eyre::config::Theme::new());
    }
    hook.install()
}

/// Commands that print and exit end quietly when their reader goes away (`remedy check | head -2`),
/// as Unix tools do, instead of failing on the closed pipe.
fn die_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
