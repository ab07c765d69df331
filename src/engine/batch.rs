//! Dispatch batches: remediations of one action kind go out in turns; each turn reserves room in Defender's
//! budget for that action, reads the turn's machines in one call, then decides and sends each, so a read is
//! fresh (milliseconds old) when its POST leaves instead of aging in the quota queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::api::Call;
use crate::store::RemediationRow;

use super::core::{Ctx, Internal};
use super::fresh::{READ_BATCH, ReadForm, read_machines};
use super::interface::{ActionKind, AlertView};
use super::retry::KeyedRetries;
use super::submit::{action_request, dispatch_read};

/// How soon a turn looks again when the budget's room is all reserved by turns waiting for their answers.
const RESERVED_RECHECK: Duration = Duration::from_millis(50);

/// What every dispatch batch of the process shares.
#[derive(Debug, Default)]
pub(super) struct BatchShared {
    /// Machines whose dispatch failed before anything was sent wait here before the next try.
    pub backoff: Arc<Mutex<KeyedRetries>>,
    /// Whether machines' actions are read in one call.
    pub form: ReadForm,
    /// POSTs per Defender action API that turns counted on and have not been answered yet.
    reserved: Mutex<HashMap<Call, usize>>,
}

impl BatchShared {
    /// Reserves room for up to `want` POSTs of `call` (at most [`READ_BATCH`]): how many it got, or how
    /// long to wait before asking again when it got none.
    pub(super) fn reserve(&self, ctx: &Ctx, call: Call, want: usize) -> Result<usize, Duration> {
        let mut reserved = self.reserved.lock().unwrap_or_else(|p| p.into_inner());
        let taken = reserved.entry(call).or_default();
        let (free, next_in) = match ctx.budgets.defender_room(call) {
            None => (usize::MAX, Duration::ZERO),
            Some(room) => (
                usize::try_from(room.now).unwrap_or(usize::MAX),
                room.next_in,
            ),
        };
        let got = free.saturating_sub(*taken).min(want).min(READ_BATCH);
        if got == 0 {
            // No room left in the budget: until a spend ages out; room reserved by other turns: until
            // their POSTs are answered, looked at again shortly rather than in a spin.
            let wait = if free == 0 {
                next_in.max(Duration::from_millis(1))
            } else {
                RESERVED_RECHECK
            };
            return Err(wait);
        }
        *taken += got;
        Ok(got)
    }

    /// One reserved POST was answered (or is not needed): its spend is in the budget now.
    pub(super) fn release(&self, call: Call) {
        let mut reserved = self.reserved.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(taken) = reserved.get_mut(&call) {
            *taken = taken.saturating_sub(1);
        }
    }
}

/// One remediation of a batch, with its alert (for the comment sent with the action).
pub(super) type Pick = (RemediationRow, AlertView);

/// Dispatches `picks` (of one kind, different machines) in turns as Defender's budget for the action has
/// room, reporting each machine done as its remediation is.
pub(super) async fn dispatch_batch(
    ctx: &Ctx,
    shared: &BatchShared,
    kind: ActionKind,
    mut picks: Vec<Pick>,
) {
    let call = action_request(&kind, String::new(), "").call();
    while !picks.is_empty() {
        let room = loop {
            match shared.reserve(ctx, call, picks.len()) {
                Ok(room) => break room,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        };
        let now: Vec<Pick> = picks.drain(..room).collect();
        let machines: Vec<String> = now.iter().map(|(row, _)| row.machine_id.clone()).collect();
        let reads = read_machines(ctx, &shared.form, &machines, &kind).await;
        let sends = now.into_iter().zip(reads).map(|((row, alert), read)| {
            let kind = kind.clone();
            async move {
                let machine_id = row.machine_id.clone();
                dispatch_read(ctx, &shared.backoff, row, kind, alert, read).await;
                shared.release(call);
                ctx.report(Internal::DispatchDone { machine_id });
            }
        });
        futures::future::join_all(sends).await;
    }
}
