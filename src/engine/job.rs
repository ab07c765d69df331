//! Single-flight jobs: a kind of work runs at most once at a time; asking while it runs queues one re-run.
//!
//! Like gitui's `AsyncSingleJob`, but the work itself stays with the caller (the engine spawns it and
//! reports back by message); the job only answers "start now?" and, when a run ends, "run again?".

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

/// What asking for a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// Nothing ran: the caller starts the work now.
    Start,
    /// A run is under way: exactly one re-run follows it (asking again adds none).
    Queued,
}

/// One kind of work's flight: running or not, and whether a re-run was asked for meanwhile.
#[derive(Debug, Default, Clone, Copy)]
struct Flight {
    running: bool,
    rerun: bool,
}

impl Flight {
    fn request(&mut self) -> Asked {
        if self.running {
            self.rerun = true;
            Asked::Queued
        } else {
            self.running = true;
            Asked::Start
        }
    }

    fn try_start(&mut self) -> bool {
        !std::mem::replace(&mut self.running, true)
    }

    /// Ends a run; true when the queued re-run starts now (the flight stays running for it).
    fn finish(&mut self) -> bool {
        self.running = std::mem::take(&mut self.rerun);
        self.running
    }
}

/// A job kind that runs at most once at a time (a poll, a tracking round, crash recovery).
#[derive(Debug, Default)]
pub struct Job {
    flight: Mutex<Flight>,
}

impl Job {
    fn flight(&self) -> MutexGuard<'_, Flight> {
        self.flight.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks for a run: [`Asked::Start`] when idle, else one re-run is queued behind the running one.
    pub fn request(&self) -> Asked {
        self.flight().request()
    }

    /// Starts only when idle and queues nothing (periodic ticks: the next tick comes anyway).
    pub fn try_start(&self) -> bool {
        self.flight().try_start()
    }

    /// The run ended; true when a queued re-run must start now.
    pub fn finish(&self) -> bool {
        self.flight().finish()
    }
}

/// At most one run per key (one dispatch per machine, one close call per alert). Nothing is queued per
/// key: what waits is in the journal (approved rows), and the engine looks again when a run ends.
#[derive(Debug)]
pub struct KeyedJobs<K> {
    running: Mutex<HashSet<K>>,
}

impl<K> Default for KeyedJobs<K> {
    fn default() -> Self {
        KeyedJobs {
            running: Mutex::new(HashSet::new()),
        }
    }
}

impl<K: Eq + Hash + Clone> KeyedJobs<K> {
    fn running_set(&self) -> MutexGuard<'_, HashSet<K>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts `key`'s run unless one is under way; true when the caller starts the work now.
    pub fn try_start(&self, key: &K) -> bool {
        self.running_set().insert(key.clone())
    }

    /// `key`'s run ended.
    pub fn finish(&self, key: &K) {
        self.running_set().remove(key);
    }

    pub fn is_running(&self, key: &K) -> bool {
        self.running_set().contains(key)
    }

    /// How many keys have a run under way.
    pub fn running(&self) -> usize {
        self.running_set().len()
    }

    /// The keys with a run under way.
    pub fn running_keys(&self) -> HashSet<K> {
        self.running_set().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_runs_once_at_a_time_and_a_request_meanwhile_queues_one_rerun() {
        let job = Job::default();
        assert_eq!(job.request(), Asked::Start);
        assert_eq!(job.request(), Asked::Queued, "a refresh during a poll");
        assert_eq!(
            job.request(),
            Asked::Queued,
            "asked twice, still one re-run"
        );
        assert!(job.finish(), "the queued re-run starts");
        assert!(!job.try_start(), "the re-run holds the job");
        assert!(!job.finish(), "no second re-run");
        assert_eq!(job.request(), Asked::Start, "idle again");
    }

    #[test]
    fn a_tick_starts_only_an_idle_job_and_queues_nothing() {
        let job = Job::default();
        assert!(job.try_start());
        assert!(!job.try_start());
        assert!(!job.finish(), "a skipped tick is no re-run");
        assert!(job.try_start());
    }

    #[test]
    fn keyed_jobs_run_once_per_key_and_keys_do_not_block_each_other() {
        let jobs = KeyedJobs::default();
        let (m1, m2) = ("m1".to_string(), "m2".to_string());
        assert!(jobs.try_start(&m1));
        assert!(!jobs.try_start(&m1));
        assert!(jobs.try_start(&m2));
        assert_eq!(jobs.running(), 2);
        assert_eq!(jobs.running_keys(), HashSet::from([m1.clone(), m2.clone()]));
        jobs.finish(&m1);
        assert!(!jobs.is_running(&m1));
        assert!(jobs.is_running(&m2));
        jobs.finish(&"unknown".to_string());
        assert_eq!(jobs.running(), 1);
        assert!(jobs.try_start(&m1), "free again once finished");
    }
}
