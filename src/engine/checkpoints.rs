//! The journal's WAL checkpoints, on a thread beside the writer: a slow disk delays the copy into the file,
//! never the writer's commits (intents, answers, the lease heartbeat).

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::store::{Journal, WalCheckpointer};

/// How often the WAL is copied into the journal file.
const EVERY: Duration = Duration::from_secs(1);
/// A checkpoint slower than this is logged: the disk is slow (nothing waited for it).
const SLOW: Duration = Duration::from_secs(2);

/// Keeps the checkpoint thread running while it lives (the writer thread holds it).
pub(super) struct Checkpointing {
    _alive: mpsc::Sender<()>,
}

/// Leaves `journal`'s checkpoints to a thread of their own, for as long as the returned guard lives; `None`
/// (the writer keeps checkpointing itself) for a journal in memory, or when that cannot be arranged.
pub(super) fn take_over(journal: &Journal) -> Option<Checkpointing> {
    let path = journal.file()?;
    let checkpointer = match WalCheckpointer::open(&path) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                "journal checkpoints stay with the writer (no connection of their own: {e})"
            );
            return None;
        }
    };
    if let Err(e) = journal.leave_checkpoints() {
        tracing::warn!("journal checkpoints stay with the writer: {e}");
        return None;
    }
    let (alive, gone) = mpsc::channel::<()>();
    let started = std::thread::Builder::new()
        .name("remedy-checkpoint".into())
        .spawn(move || run(&checkpointer, &path, &gone));
    match started {
        Ok(_) => Some(Checkpointing { _alive: alive }),
        Err(e) => {
            tracing::warn!("journal checkpoints stay with the writer (no thread: {e})");
            let _ = journal.restore_checkpoints();
            None
        }
    }
}

/// Checkpoints every [`EVERY`] until the writer is gone, and once more then.
fn run(checkpointer: &WalCheckpointer, path: &Path, gone: &mpsc::Receiver<()>) {
    loop {
        let last = matches!(
            gone.recv_timeout(EVERY),
            Err(mpsc::RecvTimeoutError::Disconnected) | Ok(())
        );
        let started = Instant::now();
        match checkpointer.run() {
            Ok(done) if started.elapsed() >= SLOW => tracing::warn!(
                took_ms = started.elapsed().as_millis() as u64,
                wal_pages = done.wal_pages,
                "the journal's checkpoint was slow (the disk is busy); no write waited for it"
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(journal = %path.display(), "journal checkpoint failed, retried: {e}")
            }
        }
        if last {
            return;
        }
    }
}
