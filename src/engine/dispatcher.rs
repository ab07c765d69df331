//! The dispatcher component: owns what dispatch keeps (machines being dispatched, their backoff, the read
//! form, reserved room) and, asked to pump, picks approved remediations and starts their batches.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use crate::store::RemediationRow;

use super::batch::{BatchShared, Pick, dispatch_batch};
use super::core::Ctx;
use super::fresh::READ_BATCH;
use super::interface::{ActionKind, AlertView, RemediationState};
use super::job::KeyedJobs;
use super::mirror::Mirror;
use super::underway::{underway, waits_for_machine};

/// At most this many machine actions are being submitted at once (a whole number of batches): more than
/// Defender's 100 per minute, so a minute's room freeing at once finds its machines read and journaled.
pub(super) const MAX_CONCURRENT_DISPATCH: usize = 8 * READ_BATCH;

/// A row to move to `skipped`: its id, the state it must still be in (`None`: its unknown stored state), why.
pub(super) type Skip = (String, Option<RemediationState>, String);

/// What the dispatcher reads to pick (owned by the engine, lent for the call).
pub(super) struct World<'a> {
    pub remediations: &'a Mirror,
    pub alerts: &'a BTreeMap<String, AlertView>,
    pub now: Instant,
}

/// What a pump did.
#[derive(Debug, Default)]
pub(super) struct Pumped {
    /// Machines whose dispatch started.
    pub started: Vec<String>,
    /// Rows that can never be sent (their earlier step ended otherwise), to journal as skipped.
    pub skips: Vec<Skip>,
}

/// Dispatch: at most one dispatch per machine, at most [`MAX_CONCURRENT_DISPATCH`] at once (started a batch
/// at a time while more wait), each machine whose dispatch failed before anything left waiting its backoff.
#[derive(Default)]
pub(super) struct Dispatcher {
    jobs: KeyedJobs<String>,
    shared: Arc<BatchShared>,
}

impl Dispatcher {
    /// Starts batches for approved remediations whose machine is free, out of backoff, and whose previous
    /// step succeeded.
    pub fn pump(&mut self, ctx: &Ctx, world: &World<'_>) -> Pumped {
        let (picks, skips) = self.pick(world);
        let mut pumped = Pumped {
            skips,
            ..Pumped::default()
        };
        let mut batches: HashMap<ActionKind, Vec<Pick>> = HashMap::new();
        for (row, kind) in picks {
            let Some(alert) = world.alerts.get(&row.alert_id).cloned() else {
                continue;
            };
            if !self.jobs.try_start(&row.machine_id) {
                continue;
            }
            pumped.started.push(row.machine_id.clone());
            batches.entry(kind).or_default().push((row, alert));
        }
        for (kind, mut picks) in batches {
            while !picks.is_empty() {
                let batch: Vec<Pick> = picks.drain(..picks.len().min(READ_BATCH)).collect();
                let (ctx, shared, kind) = (ctx.clone(), self.shared.clone(), kind.clone());
                tokio::spawn(async move {
                    dispatch_batch(&ctx, &shared, kind, batch).await;
                });
            }
        }
        pumped
    }

    /// The engine shuts down: batches start no new turn; what they read still goes.
    pub fn drain(&self) {
        self.shared.drain();
    }

    /// The machine's dispatch ended (its outcome is in the journal).
    pub fn finished(&mut self, machine_id: &str) {
        self.jobs.finish(&machine_id.to_string());
    }

    /// Dispatches under way.
    pub fn in_flight(&self) -> usize {
        self.jobs.running()
    }

    pub fn is_dispatching(&self, machine_id: &str) -> bool {
        self.jobs.is_running(&machine_id.to_string())
    }

    /// When the machine is tried again after a failed dispatch, if it waits.
    pub fn retry_at(&self, machine_id: &str) -> Option<Instant> {
        self.shared
            .backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .next_attempt(machine_id)
    }

    /// The approved rows to start now, oldest first, and those whose earlier step ended otherwise. Looks no
    /// further than one pick past the free slots (enough to tell whether all fit).
    fn pick(&self, world: &World<'_>) -> (Vec<(RemediationRow, ActionKind)>, Vec<Skip>) {
        let free = MAX_CONCURRENT_DISPATCH.saturating_sub(self.jobs.running());
        let mut skips = Vec::new();
        if free == 0 {
            return (Vec::new(), skips);
        }
        let mut starts: Vec<(&RemediationRow, &ActionKind)> = Vec::new();
        let mut ready: Vec<&RemediationRow> = world
            .remediations
            .live()
            .filter(|r| r.state == RemediationState::Approved)
            .collect();
        ready.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.step.cmp(&b.step)));
        let backoff = self
            .shared
            .backoff
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let running = self.jobs.running_keys();
        let mut busy: HashSet<&str> = running.iter().map(String::as_str).collect();
        let underway = underway(world.remediations.live());
        for row in ready {
            if starts.len() > free {
                break;
            }
            if busy.contains(row.machine_id.as_str())
                || waits_for_machine(&underway, row)
                || !backoff.ready(&row.machine_id, world.now)
            {
                continue;
            }
            if row.step > 1 {
                let previous = world.remediations.of_alert(&row.alert_id).find(|r| {
                    r.flow_id == row.flow_id
                        && r.machine_id == row.machine_id
                        && r.step == row.step - 1
                });
                match previous.map(|r| r.state) {
                    Some(RemediationState::Succeeded) => {}
                    Some(state) if state.is_final() => {
                        skips.push((
                            row.id.clone(),
                            Some(row.state),
                            format!("step {} ended {}", row.step - 1, state.as_str()),
                        ));
                        continue;
                    }
                    _ => continue,
                }
            }
            let Ok(kind) = row.action.kind() else {
                continue;
            };
            busy.insert(row.machine_id.as_str());
            starts.push((row, kind));
        }
        let take = batch_sized(starts.len(), free);
        let starts = starts
            .into_iter()
            .take(take)
            .map(|(row, kind)| (row.clone(), kind.clone()))
            .collect();
        (starts, skips)
    }
}

/// How many of `eligible` picks to start with `free` slots: all when they fit, else whole batches only, so
/// slots freed one at a time are refilled a batch at a time (one read each) rather than one read per machine.
fn batch_sized(eligible: usize, free: usize) -> usize {
    if eligible <= free {
        eligible
    } else {
        free - free % READ_BATCH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_that_do_not_all_fit_start_a_whole_batch_at_a_time() {
        assert_eq!(batch_sized(5, 32), 5, "all fit");
        assert_eq!(batch_sized(40, 32), 32);
        assert_eq!(
            batch_sized(40, 1),
            0,
            "one free slot waits for a batch's worth"
        );
        assert_eq!(batch_sized(40, 15), 0);
        assert_eq!(batch_sized(40, 16), 16);
        assert_eq!(batch_sized(40, 20), 16);
        assert_eq!(batch_sized(8, 16), 8, "the last few go at once");
    }
}
