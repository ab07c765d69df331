//! The journal writer: one thread owns the SQLite connection; async callers send it closures.

use std::sync::mpsc as std_mpsc;

use tokio::sync::oneshot;

use crate::store::{Journal, StoreError};

use super::error::EngineError;

type Job = Box<dyn FnOnce(&mut Journal) + Send>;

/// A cheap handle to the journal writer thread.
#[derive(Clone)]
pub struct JournalHandle {
    jobs: std_mpsc::Sender<Job>,
}

impl JournalHandle {
    /// Moves `journal` to its own thread, which serves calls until every handle is dropped.
    pub fn spawn(mut journal: Journal) -> JournalHandle {
        let (jobs, inbox) = std_mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("remedy-journal".into())
            .spawn(move || {
                for job in inbox {
                    job(&mut journal);
                }
            })
            .expect("the OS can start the journal thread");
        JournalHandle { jobs }
    }

    /// Runs `f` on the writer thread and returns its result.
    pub async fn call<R, F>(&self, f: F) -> Result<R, EngineError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Journal) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |journal| {
            let _ = reply.send(f(journal));
        });
        self.jobs.send(job).map_err(|_| EngineError::JournalGone)?;
        answer
            .await
            .map_err(|_| EngineError::JournalGone)?
            .map_err(EngineError::Journal)
    }
}
