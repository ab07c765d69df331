//! The journal writer: one thread owns the journal's connection (SQLite or PostgreSQL); async callers send it
//! closures, and calls that queue up while a commit syncs share the next one (group commit).

use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::store::{Journal, StoreError};

use super::error::EngineError;
use super::journal_queue::{QUEUE_BOUND, QueueBound};
use super::journal_reach::{Reach, ReachReport};

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
    /// Bounds the calls queued for the writer: past it callers wait for room.
    bound: QueueBound,
    activity: WriterActivity,
    /// Whether the database answered the last call.
    reach: ReachReport,
    /// Unit tests stand in for a lost database: every call fails as unreachable with this reason.
    #[cfg(test)]
    unreachable: Arc<Mutex<Option<String>>>,
}

/// Since when the writer thread has been running the calls it took last (`None` while it waits for calls).
#[derive(Clone, Debug, Default)]
pub struct WriterActivity(Arc<Mutex<Option<Instant>>>);

impl WriterActivity {
    fn set(&self, since: Option<Instant>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = since;
    }

    /// How long the writer has been inside its current calls, if it is.
    pub fn busy_for(&self) -> Option<Duration> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map(|since| since.elapsed())
    }
}

impl JournalHandle {
    /// Moves `journal` to its own thread, which serves calls until every handle is dropped. A journal file's
    /// WAL is checkpointed by a thread of its own meanwhile (see [`super::checkpoints`]).
    pub fn spawn(mut journal: Journal) -> JournalHandle {
        let (jobs, inbox) = std_mpsc::channel::<Job>();
        let activity = WriterActivity::default();
        let writing = activity.clone();
        let checkpointing = super::checkpoints::take_over(&journal);
        std::thread::Builder::new()
            .name("remedy-journal".into())
            .spawn(move || {
                let _checkpointing = checkpointing;
                while let Ok(first) = inbox.recv() {
                    writing.set(Some(Instant::now()));
                    let mut jobs = vec![first];
                    while jobs.len() < MAX_GROUP {
                        match inbox.try_recv() {
                            Ok(job) => jobs.push(job),
                            Err(_) => break,
                        }
                    }
                    if jobs.len() == 1 {
                        for job in jobs {
                            // Idle before the answer: a caller that got it never sees the writer busy.
                            let answer = job(&mut journal);
                            writing.set(None);
                            answer(Ok(()));
                        }
                        continue;
                    }
                    let (answers, committed) = journal.group(|journal| {
                        jobs.into_iter()
                            .map(|job| job(journal))
                            .collect::<Vec<Deliver>>()
                    });
                    writing.set(None);
                    for answer in answers {
                        answer(committed.as_ref().map(|_| ()));
                    }
                }
            })
            .expect("the OS can start the journal thread");
        JournalHandle {
            jobs,
            bound: QueueBound::new(QUEUE_BOUND),
            activity,
            reach: ReachReport::default(),
            #[cfg(test)]
            unreachable: Arc::default(),
        }
    }

    /// Tells whether the database answered, each time that changes.
    pub fn reach(&self) -> tokio::sync::watch::Receiver<Reach> {
        self.reach.subscribe()
    }

    /// Makes every call fail as the database being unreachable for `reason` (`None`: answered again).
    #[cfg(test)]
    pub fn set_unreachable(&self, reason: Option<&str>) {
        *self.unreachable.lock().unwrap_or_else(|p| p.into_inner()) = reason.map(str::to_string);
    }

    /// What the writer thread is doing, for a watchdog (holds no handle, so it keeps no journal open).
    pub fn activity(&self) -> WriterActivity {
        self.activity.clone()
    }

    /// Calls under way (queued, running, or waiting for room) and the queue's bound.
    pub fn behind(&self) -> (usize, usize) {
        (self.bound.behind(), self.bound.capacity())
    }

    /// Runs `f` on the writer thread and returns its result once its writes are durable.
    pub async fn call<R, F>(&self, f: F) -> Result<R, EngineError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Journal) -> Result<R, StoreError> + Send + 'static,
    {
        #[cfg(test)]
        if let Some(reason) = self
            .unreachable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            self.reach.unreachable(&reason);
            return Err(EngineError::Journal(StoreError::Unavailable { reason }));
        }
        let result = self.run(f).await;
        match &result {
            Err(EngineError::Journal(StoreError::Unavailable { reason })) => {
                self.reach.unreachable(reason)
            }
            Err(EngineError::JournalGone) => {}
            _ => self.reach.answered(),
        }
        result
    }

    /// Sends `f` to the writer thread and waits for its answer.
    async fn run<R, F>(&self, f: F) -> Result<R, EngineError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Journal) -> Result<R, StoreError> + Send + 'static,
    {
        let _place = self.bound.enter().await;
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |journal| {
            let result = f(journal);
            Box::new(move |committed: Result<(), &StoreError>| {
                let result = match committed {
                    Ok(()) => result,
                    Err(e) => result.and(Err(match e {
                        // The database went away at the commit: nothing was kept, and it is a lost database.
                        StoreError::Unavailable { reason } => StoreError::Unavailable {
                            reason: reason.clone(),
                        },
                        other => StoreError::GroupCommit(other.to_string()),
                    })),
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
