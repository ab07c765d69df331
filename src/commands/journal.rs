//! `remedy journal prune [--dry-run]`: retention by hand; `remedy run` also prunes once a day.

use std::path::{Path, PathBuf};
use std::time::Duration;

use std::sync::Arc;

use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr};

use remedy::config::JournalTarget;
use remedy::daily_prune::daily_prune;
use remedy::engine::Clock;
use remedy::store::PruneCounts;

use crate::cli::JournalAction;

pub fn run(config_file: &Path, journal: Option<PathBuf>, action: JournalAction) -> Result<i32> {
    let (dry_run, older_than_days) = match action {
        JournalAction::Prune {
            dry_run,
            older_than_days,
        } => (dry_run, older_than_days),
        JournalAction::Copy {
            to,
            from,
            to_password_file,
            from_password_file,
        } => {
            return super::journal_copy::run(
                config_file,
                journal,
                (from.as_deref(), from_password_file.as_deref()),
                (&to, to_password_file.as_deref()),
            );
        }
    };
    let (target, config) = match super::existing_journal(config_file, journal) {
        Ok(found) => found,
        Err(code) => return Ok(code),
    };
    let retain_days = older_than_days
        .or(config.map(|c| c.journal.retain_days))
        .unwrap_or(remedy::config::JournalSection::default().retain_days);
    if retain_days == 0 {
        println!("retention is off ([journal] retain_days = 0): nothing is pruned");
        return Ok(0);
    }
    let cutoff = Utc::now() - chrono::Duration::days(retain_days as i64);
    let mut journal =
        remedy::wiring::open_target(&target).wrap_err_with(|| format!("journal {target}"))?;
    if dry_run {
        let counts = journal.prune_dry_run(cutoff)?;
        println!(
            "would prune (older than {retain_days} days, before {}): {}",
            cutoff.format("%Y-%m-%d %H:%M UTC"),
            describe(&counts)
        );
        return Ok(0);
    }
    let outcome = journal.prune(cutoff, &remedy::engine::os_user())?;
    println!("pruned: {}", describe(&outcome.counts));
    if !outcome.archives.is_empty() {
        let names: Vec<String> = outcome
            .archives
            .iter()
            .map(|a| a.display().to_string())
            .collect();
        println!("audit entries archived to {}", names.join(", "));
        let journal = match &target {
            JournalTarget::Sqlite(path) => format!(" --journal {}", path.display()),
            JournalTarget::Postgres(_) => String::new(),
        };
        println!(
            "  remedy audit{journal} verify --archive {}",
            names.join(" ")
        );
    }
    if outcome.vacuumed {
        println!("the journal file was compacted (VACUUM)");
    }
    Ok(0)
}

/// "3 finished remediations, 12 transitions, 2 approvals, 4 alerts, 20 audit entries (1–20)".
fn describe(c: &PruneCounts) -> String {
    let range = c
        .audit_range
        .map(|(first, last)| format!(" ({first}–{last})"))
        .unwrap_or_default();
    format!(
        "{} finished remediations, {} transitions, {} approvals, {} alerts, {} commands, {} audit entries{range}",
        c.remediations, c.transitions, c.approvals, c.alerts, c.commands, c.audit_entries
    )
}

/// How often `remedy run` prunes.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 3600);
/// The first prune waits this long after start, so a restart loop does not prune in a loop.
const FIRST_PRUNE_AFTER: Duration = Duration::from_secs(60);
/// Test hook: the first prune's delay in milliseconds instead of [`FIRST_PRUNE_AFTER`].
const FIRST_PRUNE_VAR: &str = "REMEDY_FIRST_PRUNE_AFTER_MS";

/// `remedy run`'s retention: the leader prunes the journal once a day of `clock`'s time (a simulator's clock
/// runs `time_scale` times faster than the real one) on its own connection (a follower leaves it to the leader); failures are logged and retried
/// the next day.
pub async fn prune_daily(
    target: JournalTarget,
    retain_days: u64,
    leads: impl Fn() -> bool,
    clock: Arc<dyn Clock>,
    time_scale: f64,
) {
    if retain_days == 0 {
        return;
    }
    let first = std::env::var(FIRST_PRUNE_VAR)
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(FIRST_PRUNE_AFTER, Duration::from_millis);
    let mut every = tokio::time::interval_at(
        tokio::time::Instant::now() + first,
        PRUNE_EVERY.div_f64(time_scale),
    );
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if !leads() {
            tracing::info!("retention: left to the leader (this process follows)");
            continue;
        }
        let cutoff = clock.now_utc() - chrono::Duration::days(retain_days as i64);
        match daily_prune(target.clone(), cutoff, "remedy run (retention)").await {
            Ok(outcome) if outcome.counts.is_empty() => {
                tracing::info!("retention: nothing to prune")
            }
            Ok(outcome) => tracing::info!(
                archives = ?outcome.archives,
                "retention pruned {}",
                describe(&outcome.counts)
            ),
            Err(e) => tracing::warn!("retention: prune failed, retried tomorrow: {e}"),
        }
    }
}
