//! Dispatch batches: remediations of one action kind go out in turns; each turn reserves room in Defender's
//! budget for what frees within [`TURN_HORIZON`], reads the turn's machines in one call, decides each and
//! journals its intent, and its POSTs leave as the room frees, while the next turn is already read.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::api::Call;
use crate::store::RemediationRow;

use super::core::{Ctx, Internal};
use super::fresh::{READ_BATCH, ReadForm, read_machines};
use super::interface::{ActionKind, AlertView};
use super::retry::KeyedRetries;
use super::submit::{action_request, dispatch_read};

/// A turn counts on the room its action's budget has now and on what ages out within this: its reads are
/// that young at most when their POSTs leave (well under [`super::fresh::MAX_PROOF_AGE`]), and the next
/// burst of room finds its machines read, decided and journaled.
pub(super) const TURN_HORIZON: Duration = Duration::from_secs(4);

/// A turn waiting for room looks this often whether the engine is shutting down.
const DRAIN_CHECK: Duration = Duration::from_millis(250);

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
    /// Set on shutdown: no new turn starts; what a turn read still goes.
    draining: AtomicBool,
}

impl BatchShared {
    /// Reserves room for up to `want` POSTs of `call` (at most [`READ_BATCH`]) among what its budget allows
    /// within [`TURN_HORIZON`]: how many it got, or how long to wait before asking again when it got none.
    pub(super) fn reserve(&self, ctx: &Ctx, call: Call, want: usize) -> Result<usize, Duration> {
        let mut reserved = self.reserved.lock().unwrap_or_else(|p| p.into_inner());
        let taken = reserved.entry(call).or_default();
        let (free, next_in) = match ctx.budgets.defender_room_within(call, TURN_HORIZON) {
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

    /// The engine shuts down: batches start no new turn (their machines stay approved for the next start).
    pub(super) fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
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
/// room, reporting each machine done as its remediation is. A turn's machines go on their own once read
/// (each POST waits in the client's budget for the room its turn counted on), so the next turn reserves
/// and reads while they leave.
pub(super) async fn dispatch_batch(
    ctx: &Ctx,
    shared: &BatchShared,
    kind: ActionKind,
    mut picks: Vec<Pick>,
) {
    let call = action_request(&kind, String::new(), "").call();
    let mut sending = FuturesUnordered::new();
    while !picks.is_empty() && !shared.draining() {
        let room = match shared.reserve(ctx, call, picks.len()) {
            Ok(room) => room,
            Err(wait) => {
                alongside(&mut sending, tokio::time::sleep(wait.min(DRAIN_CHECK))).await;
                continue;
            }
        };
        let now: Vec<Pick> = picks.drain(..room).collect();
        let machines: Vec<String> = now.iter().map(|(row, _)| row.machine_id.clone()).collect();
        let reads = alongside(
            &mut sending,
            read_machines(ctx, &shared.form, &machines, &kind),
        )
        .await;
        for ((row, alert), read) in now.into_iter().zip(reads) {
            sending.push(dispatch_one(
                ctx,
                shared,
                call,
                kind.clone(),
                row,
                alert,
                read,
            ));
        }
    }
    if !picks.is_empty() {
        tracing::info!(
            machines = picks.len(),
            "shutting down: approved remediations not read yet stay approved for the next start"
        );
    }
    for (row, _) in picks {
        ctx.report(Internal::DispatchDone {
            machine_id: row.machine_id,
        });
    }
    while sending.next().await.is_some() {}
}

/// Decides, journals and sends one remediation of a turn, then gives back its room and reports its machine.
async fn dispatch_one(
    ctx: &Ctx,
    shared: &BatchShared,
    call: Call,
    kind: ActionKind,
    row: RemediationRow,
    alert: AlertView,
    read: Result<super::fresh::FreshRead, super::error::EngineError>,
) {
    let machine_id = row.machine_id.clone();
    dispatch_read(ctx, &shared.backoff, row, kind, alert, read).await;
    shared.release(call);
    ctx.report(Internal::DispatchDone { machine_id });
}

/// Runs `work` to its end while the remediations already under way keep going.
async fn alongside<F: Future>(
    sending: &mut FuturesUnordered<impl Future<Output = ()>>,
    work: F,
) -> F::Output {
    let mut work = std::pin::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return out,
            Some(()) = sending.next(), if !sending.is_empty() => {}
        }
    }
}
