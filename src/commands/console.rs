//! The console: `remedy` against the tenant in the config, `remedy demo` against the embedded simulator.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use remedy::api::Clients;
use remedy::config::{Config, data_dir};
use remedy::sim::{Scenario, SimOptions};
use remedy::store::Journal;
use remedy::tui::{KeymapOverrides, ThemeName, UiOptions};
use remedy::wiring;

/// `remedy`: the console against the configured tenant.
pub async fn tenant(config_file: &Path, read_only: bool) -> Result<i32> {
    let config = match super::load_config(config_file) {
        Ok(loaded) => loaded.config,
        Err(code) => return Ok(code),
    };
    let _logs = super::start_logging();
    let journal_path = wiring::journal_path(&config);
    console(&config, &journal_path, read_only, false).await?;
    Ok(0)
}

/// `remedy demo`: starts the simulator in-process, then the console against it.
pub async fn demo(scenario: Option<PathBuf>, strict: bool, read_only: bool) -> Result<i32> {
    let _logs = super::start_logging();
    let scenario = Scenario::load(scenario.as_deref(), strict)?;
    let sim = remedy::sim::start(SimOptions { port: 0, scenario })
        .await
        .wrap_err("the simulator could not start")?;
    let config = wiring::demo_config(&sim.base_url())?;
    let journal_path = demo_journal_path();
    let outcome = console(&config, &journal_path, read_only, true).await;
    sim.shutdown().await;
    let _ = std::fs::remove_file(&journal_path);
    outcome?;
    Ok(0)
}

/// A journal of this demo run only (the simulator starts fresh each time too).
pub fn demo_journal_path() -> PathBuf {
    let path = data_dir()
        .join("demo")
        .join(format!("journal-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

async fn console(config: &Config, journal_path: &Path, read_only: bool, demo: bool) -> Result<()> {
    let journal = Journal::open(journal_path)
        .wrap_err_with(|| format!("journal {}", journal_path.display()))?;
    let clients = Clients::new(wiring::api_settings(config))?;
    let engine = remedy::engine::start(
        clients,
        journal,
        wiring::engine_settings(config, read_only, demo),
    );
    let options = ui_options(config, read_only, demo);
    let events = engine.subscribe();
    let result = remedy::tui::run(engine.commands(), events, options).await;
    engine.shutdown().await;
    result.wrap_err("console")
}

fn ui_options(config: &Config, read_only: bool, demo: bool) -> UiOptions {
    UiOptions {
        theme: match config.ui.theme.as_str() {
            "light" => ThemeName::Light,
            "mono" => ThemeName::Mono,
            _ => ThemeName::Dark,
        },
        keymap: KeymapOverrides(config.ui.keys.clone()),
        mouse: config.ui.mouse,
        read_only,
        demo,
    }
}
