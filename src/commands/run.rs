//! `remedy run`: the engine headless, events as JSON lines, until Ctrl-C or SIGTERM.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr};

use remedy::api::Clients;
use remedy::config::JournalTarget;
use remedy::engine::{Clock, Event, Level, ScaledClock, SystemClock};
use remedy::sim::{Scenario, SimOptions};
use remedy::sim_time::SimTimeError;
use remedy::wiring;

use super::{EXIT_FAILED, EXIT_USAGE};
use crate::cli::LogTo;

/// How long SIGTERM waits for submissions in flight to be answered and journaled.
const DRAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// How `remedy run` was asked to run.
pub struct How {
    pub demo: bool,
    pub scenario: Option<PathBuf>,
    pub strict: bool,
    /// On the simulator's clock (`--sim-clock`).
    pub sim_clock: bool,
    pub read_only: bool,
    pub log: LogTo,
}

pub async fn run(config_file: &Path, how: How) -> Result<i32> {
    let mut sim = None;
    let config = if how.demo {
        let mut scenario = Scenario::load(how.scenario.as_deref(), how.strict)?;
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
    let _logs = super::start_logging(how.log, &config.log);
    let target = if how.demo {
        JournalTarget::Sqlite(super::console::demo_journal_path())
    } else {
        wiring::journal_target(&config, config_file)?
    };
    let journal = wiring::open_target(&target).wrap_err_with(|| format!("journal {target}"))?;
    let mut api = wiring::api_settings(&config);
    let mut settings = wiring::engine_settings(&config, how.read_only, how.demo);
    if let JournalTarget::Postgres(pg) = &target {
        settings.journal_feed = Some(pg.clone());
    }
    let clock: Arc<dyn Clock> = if how.sim_clock {
        match simulated_clock(&config, &mut api, &mut settings).await {
            Ok(clock) => clock,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(match e {
                    SimTimeError::NotLoopback { .. } => EXIT_USAGE,
                    SimTimeError::Unreadable { .. } => EXIT_FAILED,
                });
            }
        }
    } else {
        Arc::new(SystemClock)
    };
    let time_scale = settings.time_scale;
    let clients = Clients::new(api)?;
    let engine = remedy::engine::start_with_clock(clients, journal, settings, clock.clone());
    let retention = tokio::spawn(super::journal::prune_daily(
        target.clone(),
        config.journal.retain_days,
        engine.leadership(),
        clock,
        time_scale,
    ));
    let outcome = remedy::headless::run(&engine, shutdown_signal(), DRAIN_GRACE).await;
    if outcome.is_ok() {
        engine.drain(DRAIN_GRACE).await;
    } else {
        engine.shutdown().await;
    }
    retention.abort();
    report_audit_head(&target);
    if let (Some(sim), JournalTarget::Sqlite(path)) = (sim, &target) {
        sim.shutdown().await;
        eprintln!(
            "the demo's journal is kept at {0}\n  remedy audit --journal {0} export",
            path.display()
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

/// The simulator's clock for `--sim-clock`, with `api` and `settings` scaled to it; the JSON stream and the log
/// say that time is simulated.
async fn simulated_clock(
    config: &remedy::config::Config,
    api: &mut remedy::api::ApiSettings,
    settings: &mut remedy::engine::EngineSettings,
) -> Result<Arc<dyn Clock>, SimTimeError> {
    let time = remedy::sim_time::read(&remedy::sim_time::clock_url(config)?).await?;
    let clock: Arc<dyn Clock> = Arc::new(ScaledClock::new(time.now, time.scale));
    remedy::log_days::follow_clock(clock.clone());
    remedy::sim_time::scale_to(time.scale, api, settings);
    let text = remedy::sim_time::notice(&time);
    tracing::warn!("{text}");
    let event = Event::Notice {
        level: Level::Warn,
        text,
    };
    if let Ok(line) = serde_json::to_string(&event) {
        let _ = writeln!(std::io::stdout(), "{line}");
    }
    Ok(clock)
}

/// The audit head at shutdown, in the log and as the last JSON line (when stdout still listens).
fn report_audit_head(target: &JournalTarget) {
    match wiring::open_target(target).and_then(|j| j.audit_head()) {
        Ok((seq, hash)) => {
            tracing::info!(seq, %hash, "audit head at shutdown");
            let event = Event::AuditHead { seq, hash };
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
