//! The journal writer: one thread owns the SQLite connection; async callers send it closures, and calls
//! that queue up while a commit syncs share the next one (group commit).

use std::sync::mpsc as std_mpsc;

use tokio::sync::oneshot;

use crate::store::{Journal, StoreError};

use super::error::EngineError;

/// Work for the writer thread; returns how to answer once its transaction is settled.
type Job = Box<dyn FnOnce(&mut Journal) -> Deliver + Send>;
/// Answers a caller, given whether the group its work ran in committed.
type Deliver = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// At most this many calls share one commit.
const MAX_GROUP: usize = 64;

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
                while let Ok(first) = inbox.recv() {
                    let mut jobs = vec![first];
                    while jobs.len() < MAX_GROUP {
                        match inbox.try_recv() {
                            Ok(job) => jobs.push(job),
                            Err(_) => break,
                        }
                    }
                    if jobs.len() == 1 {
                        for job in jobs {
                            job(&mut journal)(Ok(()));
                        }
                        continue;
                    }
                    let (answers, committed) = journal.group(|journal| {
                        jobs.into_iter()
                            .map(|job| job(journal))
                            .collect::<Vec<Deliver>>()
                    });
                    for answer in answers {
                        answer(committed.as_ref().map(|_| ()));
                    }
                }
            })
            .expect("the OS can start the journal thread");
        JournalHandle { jobs }
    }

    /// Runs `f` on the writer thread and returns its result once its writes are durable.
    pub async fn call<R, F>(&self, f: F) -> Result<R, EngineError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Journal) -> Result<R, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |journal| {
            let result = f(journal);
            Box::new(move |committed: Result<(), &StoreError>| {
                let result = match committed {
                    Ok(()) => result,
                    Err(e) => result.and(Err(StoreError::GroupCommit(e.to_string()))),
                };
                let _ = reply.send(result);
            })
        });
        self.jobs.send(job).map_err(|_| EngineError::JournalGone)?;
        answer
            .await
            .map_err(|_| EngineError::JournalGone)?
            .map_err(EngineError::Journal)
    }
}
