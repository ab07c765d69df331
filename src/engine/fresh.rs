//! Fresh reads: the machines' actions of one kind, read in one batched call (one call per machine once
//! Defender refused the batch), as the proof a dispatch decides on, with when and how it was read.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

use crate::api::is_refused_query;
use crate::api::models::defender::MachineAction;

use super::core::Ctx;
use super::error::EngineError;
use super::interface::{ActionKind, Level, ProofRead};
use super::read_share::Reader;

/// Machines whose actions are read in one batched call (a URL of about 1.5 kB).
pub(super) const READ_BATCH: usize = 16;

/// The oldest a read may be when a decision resting on it is journaled (attach, cool-down, or the intent
/// whose POST leaves as the room its turn counted on frees); an older one is read again for that machine alone.
pub(super) const MAX_PROOF_AGE: chrono::Duration = chrono::Duration::seconds(5);

/// One machine's actions of a kind as Defender answered them, with when and by which read.
#[derive(Debug, Clone)]
pub(super) struct FreshRead {
    pub actions: Vec<MachineAction>,
    /// When the answer arrived.
    pub at: DateTime<Utc>,
    pub read: ProofRead,
}

impl FreshRead {
    /// Its age at `now`, when older than [`MAX_PROOF_AGE`]; on a simulator's clock running `time_scale` times
    /// faster, that many times older (remedy's own milliseconds between read and decision stay real, and at
    /// 600× each one is most of a simulated second).
    pub fn too_old(&self, now: DateTime<Utc>, time_scale: f64) -> Option<chrono::Duration> {
        let age = now - self.at;
        let scaled = MAX_PROOF_AGE.num_milliseconds() as f64 * time_scale.max(1.0);
        (age > chrono::Duration::milliseconds(scaled as i64)).then_some(age)
    }
}

/// Whether dispatch reads are batched; shared by every dispatch of the process.
#[derive(Debug, Default)]
pub(super) struct ReadForm {
    /// Set once Defender refused the batched read: every later read is one machine at a time.
    batch_refused: AtomicBool,
}

impl ReadForm {
    pub fn batched(&self) -> bool {
        !self.batch_refused.load(Ordering::Relaxed)
    }
}

/// The actions of `kind` on each machine, read in one call when batching is allowed and more than one
/// machine is asked for; a refused batch switches to one read per machine for the rest of the process
/// (and does this work that way). Each machine gets its own answer or the reason it has none, in the
/// order asked.
pub(super) async fn read_machines(
    ctx: &Ctx,
    form: &ReadForm,
    machine_ids: &[String],
    kind: &ActionKind,
) -> Vec<Result<FreshRead, EngineError>> {
    if machine_ids.len() > 1 && form.batched() {
        ctx.reads.take(ctx, Reader::Dispatch).await;
        match ctx.provider.actions_on(machine_ids, kind).await {
            Ok(actions) => return split(ctx, machine_ids, actions),
            Err(e) if is_refused_query(&e) => {
                form.batch_refused.store(true, Ordering::Relaxed);
                ctx.notice(
                    Level::Warn,
                    format!(
                        "Defender refused the batched read of machines' actions ({e}); reading one \
                         machine at a time from now on"
                    ),
                );
            }
            Err(e) => {
                let shared = Arc::new(e);
                return machine_ids
                    .iter()
                    .map(|_| Err(EngineError::SharedRead(shared.clone())))
                    .collect();
            }
        }
    }
    let reads = machine_ids.iter().map(|id| read_machine(ctx, id, kind));
    futures::future::join_all(reads).await
}

/// The actions of `kind` on one machine (the documented `machineId eq … and type eq …`).
pub(super) async fn read_machine(
    ctx: &Ctx,
    machine_id: &str,
    kind: &ActionKind,
) -> Result<FreshRead, EngineError> {
    ctx.reads.take(ctx, Reader::Dispatch).await;
    let actions = ctx.provider.actions_of(machine_id, kind).await?;
    Ok(FreshRead {
        actions,
        at: ctx.clock.now_utc(),
        read: ProofRead::Machine,
    })
}

/// One batched answer, split by machine in the order asked (an action of a machine not asked for is left out).
fn split(
    ctx: &Ctx,
    machine_ids: &[String],
    actions: Vec<MachineAction>,
) -> Vec<Result<FreshRead, EngineError>> {
    let at = ctx.clock.now_utc();
    let read = ProofRead::Batch {
        machines: machine_ids.len(),
    };
    let mut by_machine: HashMap<String, Vec<MachineAction>> = machine_ids
        .iter()
        .map(|id| (id.clone(), Vec::new()))
        .collect();
    for action in actions {
        let Some(list) = action
            .machine_id
            .as_ref()
            .and_then(|m| by_machine.get_mut(m))
        else {
            continue;
        };
        list.push(action);
    }
    machine_ids
        .iter()
        .map(|id| {
            let actions = by_machine.get(id).cloned().unwrap_or_default();
            Ok(FreshRead { actions, at, read })
        })
        .collect()
}
