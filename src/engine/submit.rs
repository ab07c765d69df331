//! Submit: one remediation leaves for Defender write-ahead, after a fresh read of the machine's actions of
//! its kind (at most [`super::fresh::MAX_PROOF_AGE`] old) decides whether it attaches to a running one, is
//! covered by a recent success, or is sent.

use std::sync::Mutex;

use crate::api::models::defender::MachineAction;
use crate::api::{ActionRequest, ActionRequestKind, ApiError, IsolationType, ScanType};
use crate::store::{AuditEntry, RemediationRow};

use super::core::{Ctx, Internal};
use super::cover::{cooldown_cover_from_defender, cooldown_cover_from_journal, running_cover};
use super::error::EngineError;
use super::fresh::{FreshRead, read_machine};
use super::interface::{ActionKind, AlertView, Cover, Level, ProofRead, RemediationState};
use super::link::Link;
use super::read_share::Reader;
use super::retry::KeyedRetries;
use super::track::action_state;

/// What the fresh read decided for one remediation.
enum Decision {
    /// Follow this action, read from Defender as running on the machine just now.
    Attach(Box<(MachineAction, Cover)>),
    /// The same action succeeded on the machine within the flow's cool-down: not sent again.
    CoolDown(Cover),
    /// Nothing covers it: write the intent and send.
    Submit,
}

/// The API request for a remediation's action.
pub(super) fn action_request(kind: &ActionKind, comment: String, key: &str) -> ActionRequest {
    let kind = match kind {
        ActionKind::AntivirusScan { scan_type } => ActionRequestKind::AntivirusScan {
            scan_type: if scan_type == "Quick" {
                ScanType::Quick
            } else {
                ScanType::Full
            },
        },
        ActionKind::Isolate { isolation_type } => ActionRequestKind::Isolate {
            isolation_type: if isolation_type == "Full" {
                IsolationType::Full
            } else {
                IsolationType::Selective
            },
        },
        ActionKind::Unisolate => ActionRequestKind::Unisolate,
        ActionKind::RestrictCodeExecution => ActionRequestKind::RestrictCodeExecution,
        ActionKind::UnrestrictCodeExecution => ActionRequestKind::UnrestrictCodeExecution,
        ActionKind::CollectInvestigationPackage => ActionRequestKind::CollectInvestigationPackage,
    };
    ActionRequest {
        kind,
        comment,
        external_id: Some(key.to_string()),
    }
}

/// Dispatches one remediation on a fresh read of its machine's actions; a failure before anything left
/// puts the machine in backoff and says why.
pub(super) async fn dispatch_read(
    ctx: &Ctx,
    backoff: &Mutex<KeyedRetries>,
    row: RemediationRow,
    kind: ActionKind,
    alert: AlertView,
    read: Result<FreshRead, EngineError>,
) {
    let result = try_dispatch(ctx, &row, &kind, &alert, read).await;
    let mut backoff = backoff.lock().unwrap_or_else(|p| p.into_inner());
    match result {
        Ok(()) => backoff.succeeded(&row.machine_id),
        Err(e) => {
            let (attempt, wait) = backoff.failed(&row.machine_id, ctx.clock.now_instant());
            drop(backoff);
            ctx.notice(
                Level::Warn,
                format!(
                    "{} on {}: waiting, retry {attempt} in {} s: {e}",
                    kind.label(),
                    row.machine_name,
                    wait.as_secs()
                ),
            );
        }
    }
}

/// What the read shows for this remediation: a running action to attach to, a recent success (Defender's or
/// the journal's) within the flow's cool-down, or nothing, so it is sent.
async fn decide(
    ctx: &Ctx,
    row: &RemediationRow,
    kind: &ActionKind,
    read: &FreshRead,
) -> Result<Decision, EngineError> {
    let (actions, at) = (&read.actions, read.at);
    if let Some(found) = running_cover(actions, &row.machine_id, kind, at, read.read) {
        return Ok(Decision::Attach(Box::new(found)));
    }
    let cooldown = ctx
        .settings
        .flows
        .get(&row.flow_id)
        .map_or(chrono::Duration::zero(), |f| f.cooldown);
    if cooldown <= chrono::Duration::zero() {
        return Ok(Decision::Submit);
    }
    if let Some(cover) =
        cooldown_cover_from_defender(actions, &row.machine_id, kind, cooldown, at, read.read)
    {
        return Ok(Decision::CoolDown(cover));
    }
    let (machine, action) = (row.machine_id.clone(), kind.clone());
    let since = at.checked_sub_signed(cooldown).unwrap_or(at);
    let earlier = ctx
        .journal
        .call(move |j| j.last_success(&machine, &action, since))
        .await?;
    Ok(earlier
        .and_then(|e| cooldown_cover_from_journal(&e, cooldown, at))
        .map_or(Decision::Submit, Decision::CoolDown))
}

/// Decides on `read`, read again for this machine alone when it is older than the proof may be; a decision
/// whose read grew too old while it was made is not journaled.
async fn decide_fresh(
    ctx: &Ctx,
    row: &RemediationRow,
    kind: &ActionKind,
    read: FreshRead,
) -> Result<(FreshRead, Decision), EngineError> {
    let read = match read.too_old(ctx.clock.now_utc(), ctx.settings.time_scale) {
        Some(_) => read_machine(ctx, &row.machine_id, kind).await?,
        None => read,
    };
    let decision = decide(ctx, row, kind, &read).await?;
    if let Some(age) = read.too_old(ctx.clock.now_utc(), ctx.settings.time_scale) {
        return Err(EngineError::ProofTooOld(age.num_seconds()));
    }
    Ok((read, decision))
}

/// As the lease holder: attach, skip as covered or write the intent, POST, journal the answer.
async fn try_dispatch(
    ctx: &Ctx,
    row: &RemediationRow,
    kind: &ActionKind,
    alert: &AlertView,
    read: Result<FreshRead, EngineError>,
) -> Result<(), EngineError> {
    let (read, decision) = decide_fresh(ctx, row, kind, read?).await?;
    let intent = format!(
        "intent: {} [remedy:{}] on {} at {}",
        kind.defender_type(),
        row.idempotency_key,
        read.read.describe(),
        read.at.format("%Y-%m-%dT%H:%M:%S%.3fZ")
    );
    let lease = ctx.lease.clone();
    let row_id = row.id.clone();
    let now = ctx.clock.now_utc();
    let cool = match &decision {
        Decision::CoolDown(cover) => Some((cover.clone(), cover.summary(Some(kind)))),
        _ => None,
    };
    let submitting = matches!(decision, Decision::Submit);
    let target = super::dispatch::audit_target(row);
    // Check the lease, queue and (when sending) write the intent in one transaction: one commit, not three.
    let steps = ctx
        .journal
        .call(move |j| {
            j.atomic(|tx| {
                lease.guard(tx, now)?;
                let approved = RemediationState::Approved;
                if let Some((cover, why)) = cool {
                    tx.set_cover(&row_id, &serde_json::to_value(&cover).unwrap_or_default())?;
                    tx.append_audit(&AuditEntry {
                        at: now,
                        who: "remedy".into(),
                        action: "skip".into(),
                        target,
                        why: why.clone(),
                        result: format!("not sent: Defender action {} covers it", cover.action_id),
                    })?;
                    let skipped = RemediationState::Skipped;
                    return Ok(tx
                        .transition_if(&row_id, approved, skipped, Some(&why), now)?
                        .into_iter()
                        .collect());
                }
                let queued = RemediationState::Queued;
                let Some(queued_row) = tx.transition_if(&row_id, approved, queued, None, now)?
                else {
                    return Ok(Vec::new());
                };
                let mut steps = vec![queued_row];
                if submitting {
                    let submitted = RemediationState::Submitted;
                    steps.extend(tx.transition_if(
                        &row_id,
                        queued,
                        submitted,
                        Some(&intent),
                        now,
                    )?);
                }
                Ok(steps)
            })
        })
        .await?;
    let expected = match decision {
        Decision::Attach(..) => RemediationState::Queued,
        Decision::CoolDown(_) => RemediationState::Skipped,
        Decision::Submit => RemediationState::Submitted,
    };
    let written_ahead = steps.last().is_some_and(|r| r.state == expected);
    if !written_ahead {
        // The row moved on, or the intent is not in the journal: nothing may leave.
        return report_current(ctx, &row.id).await;
    }
    ctx.report(Internal::Rows(steps));
    match decision {
        Decision::Attach(found) => {
            let (action, cover) = *found;
            attach(ctx, row, kind, &action, cover, expected).await
        }
        Decision::CoolDown(_) => Ok(()),
        Decision::Submit => super::send::send(ctx, row, kind, alert).await,
    }
}

/// Another process holds or moved this remediation: mirror what the journal says now.
async fn report_current(ctx: &Ctx, id: &str) -> Result<(), EngineError> {
    let id = id.to_string();
    let current = ctx.journal.call(move |j| j.remediation(&id)).await?;
    ctx.report(Internal::Rows(current.into_iter().collect()));
    Ok(())
}

/// Records that this remediation follows `action`, read from Defender as running just now, with the proof.
pub(super) async fn attach(
    ctx: &Ctx,
    row: &RemediationRow,
    kind: &ActionKind,
    action: &MachineAction,
    cover: Cover,
    from: RemediationState,
) -> Result<(), EngineError> {
    let note = cover.summary(Some(kind));
    let result = format!(
        "following Defender action {}: {} when read at {} ({}), created {}, requested by {}",
        action.id,
        action_state(action).as_str(),
        cover.checked_at.format("%Y-%m-%dT%H:%M:%SZ"),
        cover
            .read
            .map_or_else(|| "a read".to_string(), ProofRead::describe),
        cover
            .created_at
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_else(|| "at an unknown time".into()),
        cover.requestor.as_deref().unwrap_or("someone else"),
    );
    super::link::record(
        ctx,
        Link {
            remediation_id: row.id.clone(),
            action_id: action.id.clone(),
            from,
            to: RemediationState::Attached,
            audit: Some(AuditEntry {
                at: ctx.clock.now_utc(),
                who: "remedy".into(),
                action: "attach".into(),
                target: super::dispatch::audit_target(row),
                why: note.clone(),
                result: crate::text::sanitize(&result),
            }),
            note,
            cover: Some(cover),
        },
    )
    .await
}

/// Reads the machine's actions of this kind again (after Defender said one runs) for one to attach to.
pub(super) async fn find_running(
    ctx: &Ctx,
    row: &RemediationRow,
    kind: &ActionKind,
) -> Result<Option<(MachineAction, Cover)>, ApiError> {
    ctx.reads.take(ctx, Reader::Dispatch).await;
    let actions = ctx.provider.actions_of(&row.machine_id, kind).await?;
    Ok(running_cover(
        &actions,
        &row.machine_id,
        kind,
        ctx.clock.now_utc(),
        ProofRead::Machine,
    ))
}
