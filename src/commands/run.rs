//! `remedy run`: the engine headless, events as JSON lines, until Ctrl-C or SIGTERM.

use std::io::Write;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use remedy::api::Clients;
use remedy::sim::{Scenario, SimOptions};
use remedy::wiring;

use super::EXIT_FAILED;
use crate::cli::LogTo;

/// How long SIGTERM waits for submissions in flight to be answered and journaled.
const DRAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

pub async fn run(
    config_file: &Path,
    demo: bool,
    scenario: Option<PathBuf>,
    strict: bool,
    read_only: bool,
    log: LogTo,
) -> Result<i32> {
    let mut sim = None;
    let config = if demo {
        let mut scenario = Scenario::load(scenario.as_deref(), strict)?;
        let mut config = wiring::demo_config("http://127.0.0.1")?;
        wiring::demo_both_sources(&mut config, &mut scenario);
        let handle = remedy::sim::start(SimOptions { port: 0, scenario })
            .await
            .wrap_err("the simulator could not start")?;
        wiring::point_at_sim(&mut config, &handle.base_url());
        sim = Some(handle);
        config
    } else {
        match super::load_config(config_file) {
            Ok(loaded) => loaded.config,
            Err(code) => return Ok(code),
        }
    };
    let _logs = super::start_logging(log, &config.log);
    let journal_path = if demo {
        super::console::demo_journal_path()
    } else {
        wiring::journal_path(&config)
    };
    let journal = wiring::open_journal(&journal_path)
        .wrap_err_with(|| format!("journal {}", journal_path.display()))?;
    let clients = Clients::new(wiring::api_settings(&config))?;
    let engine = remedy::engine::start(
        clients,
        journal,
        wiring::engine_settings(&config, read_only, demo),
    );
    let retention = tokio::spawn(super::journal::prune_daily(
        journal_path.clone(),
        config.journal.retain_days,
        engine.leadership(),
    ));
    let outcome = remedy::headless::run(&engine, shutdown_signal(), DRAIN_GRACE).await;
    if outcome.is_ok() {
        engine.drain(DRAIN_GRACE).await;
    } else {
        engine.shutdown().await;
    }
    retention.abort();
    report_audit_head(&journal_path);
    if let Some(sim) = sim {
        sim.shutdown().await;
        eprintln!(
            "the demo's journal is kept at {0}\n  remedy audit --journal {0} export",
            journal_path.display()
        );
    }
    match outcome {
        Ok(()) => Ok(0),
        Err(e) => {
            tracing::error!("remedy run ends: {e}");
            eprintln!("error: {e}");
            Ok(EXIT_FAILED)
        }
    }
}

/// The audit head at shutdown, in the log and as the last JSON line (when stdout still listens).
fn report_audit_head(journal_path: &Path) {
    match wiring::open_journal(journal_path).and_then(|j| j.audit_head()) {
        Ok((seq, hash)) => {
            tracing::info!(seq, %hash, "audit head at shutdown");
            let event = remedy::engine::Event::AuditHead { seq, hash };
            if let Ok(line) = serde_json::to_string(&event) {
                let _ = writeln!(std::io::stdout(), "{line}");
            }
        }
        Err(e) => tracing::warn!("audit head not read at shutdown: {e}"),
    }
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
