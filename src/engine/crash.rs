//! Crash recovery: reconciles intents a crash left unsure, in parallel beside tracking; and the crash-test hook.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;

use crate::api::models::defender::MachineAction;
use crate::store::RemediationRow;

use super::core::{Ctx, Internal};
use super::error::EngineError;
use super::interface::RemediationState;
use super::job::Job;
use super::link::Link;
use super::read_share::Reader;
use super::track::action_state;

/// Unsure intents reconciled at the same time (each costs one Defender list call at most).
const RECOVERY_CONCURRENCY: usize = 8;
/// An intent older than this and still unknown to Defender is taken as never sent…
const UNSENT_AFTER: chrono::Duration = chrono::Duration::seconds(90);
/// …or this old when the process that sent it is gone (nothing of it can still be on the wire).
const UNSENT_AFTER_OWNER_GONE: chrono::Duration = chrono::Duration::seconds(5);

/// Ends the recovery job when the recovery task ends, however it ends.
struct Running(Arc<Job>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// Starts reconciling `rows` (queued or submitted without a Defender id) unless a recovery runs already.
pub(super) fn start_recovery(ctx: &Ctx, job: Arc<Job>, rows: Vec<RemediationRow>) {
    if rows.is_empty() || !job.try_start() {
        return;
    }
    let running = Running(job);
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let _running = running;
        let groups = unsure_groups(&ctx, rows);
        futures::stream::iter(groups)
            .for_each_concurrent(RECOVERY_CONCURRENCY, |group| reconcile_group(&ctx, group))
            .await;
    });
}

/// Unsure rows ready to reconcile, grouped by what one Defender read answers: machine and action kind.
fn unsure_groups(ctx: &Ctx, rows: Vec<RemediationRow>) -> Vec<Vec<RemediationRow>> {
    let mut groups: BTreeMap<(String, &'static str), Vec<RemediationRow>> = BTreeMap::new();
    for row in rows.into_iter().filter(|row| ready_to_reconcile(ctx, row)) {
        match row.action.kind() {
            Ok(kind) => groups
                .entry((row.machine_id.clone(), kind.defender_type()))
                .or_default()
                .push(row),
            Err(why) => tracing::warn!(remediation = %row.id, "not reconciled: {why}"),
        }
    }
    groups.into_values().collect()
}

/// Reconciles rows of one machine and kind with one read; a failure leaves them for the next round.
async fn reconcile_group(ctx: &Ctx, group: Vec<RemediationRow>) {
    let submitted = RemediationState::Submitted;
    let read = match group.iter().find(|row| row.state == submitted) {
        Some(row) => match row.action.kind() {
            Ok(kind) => {
                ctx.reads.take(ctx, Reader::Tracking).await;
                ctx.provider.actions_of(&row.machine_id, kind).await
            }
            Err(_) => return,
        },
        None => Ok(Vec::new()),
    };
    let actions = match read {
        Ok(actions) => actions,
        Err(e) => {
            tracing::warn!(machine = %group[0].machine_id, "not reconciled yet, next round retries: {e}");
            return;
        }
    };
    for row in group {
        let id = row.id.clone();
        if let Err(e) = settle(ctx, row, &actions).await {
            tracing::warn!(remediation = %id, "not reconciled yet, next round retries: {e}");
        }
    }
}

/// Dies at once, like a power cut, when `REMEDY_CRASH_AT` names `point`
/// (`before_post`, `after_post` or `tracking`). Does nothing otherwise.
pub(super) fn crash_point(point: &str) {
    if std::env::var("REMEDY_CRASH_AT").ok().as_deref() != Some(point) {
        return;
    }
    tracing::warn!(point, "REMEDY_CRASH_AT: killing this process");
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    std::process::abort();
}

/// Whether this process may reconcile `row` now: it leads, and the row is not its own dispatch still
/// under way (an intent it wrote itself less than [`UNSENT_AFTER`] ago).
fn ready_to_reconcile(ctx: &Ctx, row: &RemediationRow) -> bool {
    let Some(held) = ctx.lease.held() else {
        return false;
    };
    let own_in_progress =
        row.updated_at >= held.since && row.updated_at > ctx.clock.now_utc() - UNSENT_AFTER;
    !own_in_progress
}

/// A remediation queued or submitted without a Defender id, given Defender's actions of its machine and
/// kind: link the action carrying its idempotency key, or, when it surely never left, send it back to the
/// queue. Never resends blindly.
async fn settle(
    ctx: &Ctx,
    row: RemediationRow,
    actions: &[MachineAction],
) -> Result<(), EngineError> {
    let submitted = RemediationState::Submitted;
    if row.state == submitted {
        if let Some(action) = actions
            .iter()
            .find(|a| a.idempotency_key() == Some(row.idempotency_key.as_str()))
        {
            super::link::record(
                ctx,
                Link {
                    remediation_id: row.id.clone(),
                    action_id: action.id.clone(),
                    from: submitted,
                    to: action_state(action),
                    note: format!(
                        "reconciled: found Defender action {} by idempotency key",
                        action.id
                    ),
                    audit: None,
                    cover: None,
                },
            )
            .await?;
            return Ok(());
        }
        // Written before this process took the lease: by a leader that is gone (its lease lapsed).
        let owner_gone = ctx
            .lease
            .held()
            .is_none_or(|held| row.updated_at < held.since);
        let grace = if owner_gone {
            UNSENT_AFTER_OWNER_GONE
        } else {
            UNSENT_AFTER
        };
        if ctx.clock.now_utc() - row.updated_at < grace {
            return Ok(());
        }
    }
    let id = row.id.clone();
    let from = row.state;
    let lease = ctx.lease.clone();
    let clock = ctx.clock.clone();
    let rows = ctx
        .journal
        .call(move |j| {
            j.atomic(|tx| {
                let now = clock.now_utc();
                lease.guard(tx, now)?;
                tx.transition_if(
                    &id,
                    from,
                    RemediationState::Approved,
                    Some("reconciled: Defender has no such action, so it never left; queued again"),
                    now,
                )
            })
        })
        .await?;
    ctx.report(Internal::Rows(rows.into_iter().collect()));
    Ok(())
}
