//! `remedy run`'s daily retention: the prune in small batches with a pause between them, and no `VACUUM`.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::JournalTarget;
use crate::store::{Journal, PruneBatch, PruneCounts, PruneOutcome, StoreError};

/// One daily batch: small enough that the engine's journal writer, which waits for it, loses at most a few
/// milliseconds (a simulated clock makes each of them minutes).
pub const DAILY_BATCH: PruneBatch = PruneBatch {
    remediations: 1_000,
    audit_entries: 10_000,
};

/// The pause between two daily batches, in which the engine's writes go first.
pub const BETWEEN_BATCHES: Duration = Duration::from_millis(50);

/// Why a daily prune stopped.
#[derive(Debug, thiserror::Error)]
pub enum DailyPruneError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the prune's thread stopped: {0}")]
    Stopped(#[from] tokio::task::JoinError),
}

/// The daily prune of the journal `target` names up to `cutoff`, on its own connection: [`DAILY_BATCH`]es with
/// [`BETWEEN_BATCHES`] between them.
pub async fn daily_prune(
    target: JournalTarget,
    cutoff: DateTime<Utc>,
    who: &str,
) -> Result<PruneOutcome, DailyPruneError> {
    let journal =
        tokio::task::spawn_blocking(move || crate::wiring::open_target(&target)).await??;
    prune_in_light_batches(journal, cutoff, who, DAILY_BATCH, || {
        tokio::time::sleep(BETWEEN_BATCHES)
    })
    .await
}

/// Prunes `journal` up to `cutoff` one `batch` at a time, each on a blocking thread, awaiting `between`
/// after every batch that removed something. Never runs `VACUUM`: the pages a prune frees are reused by the
/// writes that follow, so the file stays near its size at a day's peak (`remedy journal prune` compacts).
pub async fn prune_in_light_batches<F, Fut>(
    journal: Journal,
    cutoff: DateTime<Utc>,
    who: &str,
    batch: PruneBatch,
    mut between: F,
) -> Result<PruneOutcome, DailyPruneError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut journal = journal;
    let mut counts = PruneCounts::default();
    let mut archives = Vec::new();
    loop {
        let who = who.to_string();
        let (returned, done) = tokio::task::spawn_blocking(move || {
            let done = journal.prune_batch(cutoff, &who, batch);
            (journal, done)
        })
        .await?;
        journal = returned;
        let (done, archive) = done?;
        if done.is_empty() {
            break;
        }
        counts.add(&done);
        archives.extend(archive);
        between().await;
    }
    Ok(PruneOutcome {
        counts,
        archives,
        vacuumed: false,
    })
}
