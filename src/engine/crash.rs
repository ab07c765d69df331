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
            Ok(kind) => ctx.provider.actions_of(&row.machine_id, kind).await,
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

/// Whether this process may reconcile `row` now: not held by another live process, not our own dispatch
/// still under way.
fn ready_to_reconcile(ctx: &Ctx, row: &RemediationRow) -> bool {
    let claimed_by_other_live = row
        .claimed_by
        .as_deref()
        .is_some_and(|owner| owner != ctx.settings.owner)
        && row
            .claimed_at
            .is_some_and(|at| ctx.clock.now_utc() - at < chrono::Duration::minutes(5))
        && owner_alive(row.claimed_by.as_deref().unwrap_or(""));
    let own_in_progress = row.claimed_by.as_deref() == Some(ctx.settings.owner.as_str())
        && row.updated_at > ctx.clock.now_utc() - UNSENT_AFTER;
    !claimed_by_other_live && !own_in_progress
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
        let owner_gone = row
            .claimed_by
            .as_deref()
            .is_none_or(|owner| owner != ctx.settings.owner && !owner_alive(owner));
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
    let previous_owner = row.claimed_by.clone();
    let at = ctx.clock.now_utc();
    let rows = ctx
        .journal
        .call(move |j| {
            j.atomic(|tx| {
                let row = tx.transition_if(
                    &id,
                    from,
                    RemediationState::Approved,
                    Some("reconciled: Defender has no such action, so it never left; queued again"),
                    at,
                )?;
                if let Some(owner) = previous_owner {
                    tx.release(&id, &owner)?;
                }
                Ok(row)
            })
        })
        .await?;
    ctx.report(Internal::Rows(rows.into_iter().collect()));
    Ok(())
}

/// Whether a claim's owner (`host:pid`) still runs; other hosts are presumed alive until the claim is stale.
fn owner_alive(owner: &str) -> bool {
    let Some((host, pid)) = owner.rsplit_once(':') else {
        return false;
    };
    let this_host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if host != this_host && !this_host.is_empty() {
        return true;
    }
    std::path::Path::new("/proc").join(pid).exists()
}
