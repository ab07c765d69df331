//! `remedy run`: the engine headless, events as JSON lines, until Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use remedy::api::Clients;
use remedy::sim::{Scenario, SimOptions};
use remedy::store::Journal;
use remedy::wiring;

pub async fn run(
    config_file: &Path,
    demo: bool,
    scenario: Option<PathBuf>,
    strict: bool,
    read_only: bool,
) -> Result<i32> {
    let _logs = super::start_logging();
    let mut sim = None;
    let config = if demo {
        let scenario = Scenario::load(scenario.as_deref(), strict)?;
        let handle = remedy::sim::start(SimOptions { port: 0, scenario })
            .await
            .wrap_err("the simulator could not start")?;
        let config = wiring::demo_config(&handle.base_url())?;
        sim = Some(handle);
        config
    } else {
        match super::load_config(config_file) {
            Ok(loaded) => loaded.config,
            Err(code) => return Ok(code),
        }
    };
    let journal_path = if demo {
        super::console::demo_journal_path()
    } else {
        wiring::journal_path(&config)
    };
    let journal = Journal::open(&journal_path)
        .wrap_err_with(|| format!("journal {}", journal_path.display()))?;
    let clients = Clients::new(wiring::api_settings(&config))?;
    let engine = remedy::engine::start(
        clients,
        journal,
        wiring::engine_settings(&config, read_only, demo),
    );
    remedy::headless::run(&engine, shutdown_signal()).await?;
    engine.shutdown().await;
    if let Some(sim) = sim {
        sim.shutdown().await;
        let _ = std::fs::remove_file(&journal_path);
    }
    Ok(0)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
