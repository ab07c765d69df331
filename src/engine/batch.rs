//! Dispatch batches: remediations of one action kind go out in turns; each turn waits until Defender's
//! budget for that action has room, reads the turn's machines in one call, then decides and sends each, so
//! a read is fresh (milliseconds old) when its POST leaves instead of aging in the quota queue.

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

/// What every dispatch batch of the process shares.
#[derive(Debug, Default)]
pub(super) struct BatchShared {
    /// Machines whose dispatch failed before anything was sent wait here before the next try.
    pub backoff: Arc<Mutex<KeyedRetries>>,
    /// Whether machines' actions are read in one call.
    pub form: ReadForm,
    /// One turn at a time per Defender action API: a turn counts on the room it saw.
    turns: Mutex<HashMap<Call, Arc<tokio::sync::Mutex<()>>>>,
}

impl BatchShared {
    fn turn(&self, call: Call) -> Arc<tokio::sync::Mutex<()>> {
        self.turns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(call)
            .or_default()
            .clone()
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
    let turn = shared.turn(call);
    let _turn = turn.lock().await;
    while !picks.is_empty() {
        let room = room_for(ctx, call).await;
        let now: Vec<Pick> = picks.drain(..picks.len().min(room)).collect();
        let machines: Vec<String> = now.iter().map(|(row, _)| row.machine_id.clone()).collect();
        let reads = read_machines(ctx, &shared.form, &machines, &kind).await;
        let sends = now.into_iter().zip(reads).map(|((row, alert), read)| {
            let kind = kind.clone();
            async move {
                let machine_id = row.machine_id.clone();
                dispatch_read(ctx, &shared.backoff, row, kind, alert, read).await;
                ctx.report(Internal::DispatchDone { machine_id });
            }
        });
        futures::future::join_all(sends).await;
    }
}

/// How many POSTs of `call` may leave now, after waiting until at least one may.
async fn room_for(ctx: &Ctx, call: Call) -> usize {
    loop {
        match ctx.budgets.defender_room(call) {
            None => return READ_BATCH,
            Some(room) if room.now > 0 => {
                return usize::try_from(room.now).map_or(READ_BATCH, |n| n.min(READ_BATCH));
            }
            Some(room) => tokio::time::sleep(room.next_in.max(Duration::from_millis(1))).await,
        }
    }
}
