//! The console: `remedy` against the tenant in the config, `remedy demo` against the embedded simulator.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use remedy::api::Clients;
use remedy::config::{Config, JournalTarget, data_dir};
use remedy::sim::{Scenario, SimOptions};
use remedy::tui::{KeymapOverrides, NotifyOptions, ThemeName, UiOptions};
use remedy::wiring;

use crate::cli::LogTo;

/// `remedy`: the console against the configured tenant.
pub async fn tenant(config_file: &Path, read_only: bool) -> Result<i32> {
    let config = match super::load_config(config_file) {
        Ok(loaded) => loaded.config,
        Err(code) => return Ok(code),
    };
    let _logs = super::start_logging(LogTo::File, &config.log);
    let target = wiring::journal_target(&config, config_file)?;
    console(&config, &target, read_only, false).await?;
    Ok(0)
}

/// `remedy demo`: starts the simulator in-process, then the console against it. The look and keys
/// (`[ui]`) come from the config file when there is one; the journal is kept for `remedy audit`.
pub async fn demo(
    config_file: &Path,
    config_given: bool,
    scenario: Option<PathBuf>,
    strict: bool,
    read_only: bool,
) -> Result<i32> {
    let own = if config_given || config_file.exists() {
        match super::load_config(config_file) {
            Ok(loaded) => Some(loaded.config),
            Err(code) => return Ok(code),
        }
    } else {
        None
    };
    let log = own.as_ref().map(|c| c.log.clone()).unwrap_or_default();
    let _logs = super::start_logging(LogTo::File, &log);
    let mut scenario = Scenario::load(scenario.as_deref(), strict)?;
    let mut config = wiring::demo_config("http://127.0.0.1")?;
    wiring::demo_both_sources(&mut config, &mut scenario);
    let sim = remedy::sim::start(SimOptions { port: 0, scenario })
        .await
        .wrap_err("the simulator could not start")?;
    wiring::point_at_sim(&mut config, &sim.base_url());
    if let Some(own) = own {
        config.ui = own.ui;
    }
    let journal_path = demo_journal_path();
    let target = JournalTarget::Sqlite(journal_path.clone());
    let outcome = console(&config, &target, read_only, true).await;
    sim.shutdown().await;
    outcome?;
    eprintln!(
        "the demo's journal is kept at {0}\n  remedy audit --journal {0} export",
        journal_path.display()
    );
    Ok(0)
}

/// Demo journals older than this are removed when a demo starts.
const DEMO_JOURNAL_KEEP: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// A journal of this demo run only (the simulator starts fresh each time too); demo journals of
/// runs older than a week are removed.
pub fn demo_journal_path() -> PathBuf {
    let dir = data_dir().join("demo");
    prune_old_demo_journals(&dir);
    let path = dir.join(format!(
        "journal-{}-{}.sqlite",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

fn prune_old_demo_journals(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|at| at.elapsed().ok())
            .is_some_and(|age| age > DEMO_JOURNAL_KEEP);
        let name = entry.file_name();
        if old && name.to_string_lossy().starts_with("journal-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

async fn console(
    config: &Config,
    target: &JournalTarget,
    read_only: bool,
    demo: bool,
) -> Result<()> {
    let journal = wiring::open_target(target).wrap_err_with(|| format!("journal {target}"))?;
    let clients = Clients::new(wiring::api_settings(config))?;
    let mut settings = wiring::engine_settings(config, read_only, demo);
    if let JournalTarget::Postgres(pg) = target {
        settings.journal_feed = Some(pg.clone());
    }
    let engine = remedy::engine::start(clients, journal, settings);
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
        notify: NotifyOptions {
            title: config.ui.title,
            notify: config.ui.notify,
            tmux: std::env::var_os("TMUX").is_some(),
        },
    }
}
