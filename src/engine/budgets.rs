//! The quota seam: remedy's own count of what each service still allows (status bar, queue places).

use std::time::{Duration, SystemTime};

use crate::api::{Call, Clients, QuotaStatus, Room};

/// Client-side quota headroom of the services the engine calls.
pub trait Budgets: Send + Sync {
    /// Headroom of every budget: one entry per service and window.
    fn quotas(&self) -> Vec<QuotaStatus>;
    /// Until when Defender asked us to wait (a 429's `Retry-After`), if it did.
    fn defender_throttled_until(&self) -> Option<SystemTime>;
    /// Counts Defender requests of `call` another process made `ages` ago (read from the journal).
    fn replay_defender_spend(&self, call: Call, ages: &[Duration]);
    /// What Defender's `call` may spend now without waiting; `None` when no budget limits it.
    fn defender_room(&self, call: Call) -> Option<Room>;
    /// What Defender's `call` may spend within `within` from now, counting spends that age out by then
    /// (without a log of spends, what it may spend now).
    fn defender_room_within(&self, call: Call, within: Duration) -> Option<Room> {
        let _ = within;
        self.defender_room(call)
    }
}

impl Budgets for Clients {
    fn quotas(&self) -> Vec<QuotaStatus> {
        Clients::quotas(self)
    }

    fn defender_throttled_until(&self) -> Option<SystemTime> {
        Clients::defender_throttled_until(self)
    }

    fn replay_defender_spend(&self, call: Call, ages: &[Duration]) {
        Clients::replay_defender_spend(self, call, ages)
    }

    fn defender_room(&self, call: Call) -> Option<Room> {
        Clients::defender_room(self, call)
    }

    fn defender_room_within(&self, call: Call, within: Duration) -> Option<Room> {
        Clients::defender_room_within(self, call, within)
    }
}
