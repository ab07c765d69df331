//! Entry point: parses arguments, sets up error reporting, and runs the chosen mode.

mod cli;
mod commands;

use clap::Parser;

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = cli::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let code = runtime.block_on(commands::dispatch(cli))?;
    drop(runtime);
    std::process::exit(code);
}
