//! The bound on calls queued for the journal writer: past it callers wait for room (back-pressure), and the
//! engine says how far behind the journal is.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// At most this many calls are queued for (or run on) the writer thread; it commits up to 64 at once, so
/// this is four groups' worth.
pub const QUEUE_BOUND: usize = 256;

/// Admits calls to the writer's queue, at most `capacity` at a time, and counts the calls under way
/// (queued, running, or waiting for room).
#[derive(Clone, Debug)]
pub struct QueueBound {
    room: Arc<Semaphore>,
    capacity: usize,
    under_way: Arc<AtomicUsize>,
}

/// A call's place in the queue: it frees the place when dropped (once the call was answered).
#[derive(Debug)]
pub struct Place {
    _room: OwnedSemaphorePermit,
    _counted: Counted,
}

#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl QueueBound {
    pub fn new(capacity: usize) -> QueueBound {
        QueueBound {
            room: Arc::new(Semaphore::new(capacity)),
            capacity,
            under_way: Arc::default(),
        }
    }

    /// Waits until the queue has room for one more call.
    pub async fn enter(&self) -> Place {
        self.under_way.fetch_add(1, Ordering::Relaxed);
        let counted = Counted(self.under_way.clone());
        let room = self
            .room
            .clone()
            .acquire_owned()
            .await
            .expect("the queue's semaphore is never closed");
        Place {
            _room: room,
            _counted: counted,
        }
    }

    /// Calls under way: queued, running, or waiting for room.
    pub fn behind(&self) -> usize {
        self.under_way.load(Ordering::Relaxed)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// Says once that the journal fell behind (its queue is full, callers wait for room) and once that it caught
/// up (under half the bound again), so a busy journal does not flood the notices.
#[derive(Debug, Default)]
pub struct BehindNotice {
    told: bool,
}

impl BehindNotice {
    /// The notice to give for `behind` calls under way against a queue of `capacity`, if any.
    pub fn on(&mut self, behind: usize, capacity: usize) -> Option<String> {
        if !self.told && behind >= capacity {
            self.told = true;
            return Some(format!(
                "journal behind by {behind} calls (its queue holds {capacity}): new work waits for room"
            ));
        }
        if self.told && behind < capacity / 2 {
            self.told = false;
            return Some(format!("journal caught up: {behind} calls under way"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;

    #[test]
    fn a_call_past_the_bound_waits_until_one_is_answered() {
        let bound = QueueBound::new(2);
        let first = bound.enter().now_or_never().expect("room");
        let _second = bound.enter().now_or_never().expect("room");
        let mut third = Box::pin(bound.enter());
        assert!((&mut third).now_or_never().is_none(), "no room past 2");
        assert_eq!(bound.behind(), 3, "the waiting call counts as behind");
        drop(first);
        let _third = third.now_or_never().expect("room once one was answered");
        assert_eq!(bound.behind(), 2);
    }

    #[test]
    fn a_call_that_gave_up_waiting_is_no_longer_counted() {
        let bound = QueueBound::new(1);
        let _held = bound.enter().now_or_never().expect("room");
        let mut waiting = Box::pin(bound.enter());
        assert!((&mut waiting).now_or_never().is_none());
        drop(waiting);
        assert_eq!(bound.behind(), 1);
    }

    #[test]
    fn falling_behind_is_told_once_and_catching_up_once() {
        let mut notice = BehindNotice::default();
        assert_eq!(notice.on(255, 256), None);
        let told = notice.on(300, 256).expect("told when full");
        assert!(told.contains("journal behind by 300 calls"), "{told}");
        assert_eq!(notice.on(400, 256), None, "not again while behind");
        assert_eq!(notice.on(200, 256), None, "still over half");
        let caught = notice.on(10, 256).expect("told when caught up");
        assert!(caught.contains("caught up"), "{caught}");
        assert_eq!(notice.on(10, 256), None);
    }
}
