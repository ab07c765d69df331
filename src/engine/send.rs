//! Send: the POST of a remediation whose intent is journaled, and what Defender's answer means for it.

use crate::api::ApiError;
use crate::store::{AuditEntry, RemediationRow};

use super::core::{Ctx, Internal};
use super::cover::running_cover;
use super::dispatch::audit_target;
use super::error::EngineError;
use super::interface::{ActionKind, AlertView, Level, ProofRead, RemediationState};
use super::lease_bound::within_lease;
use super::link::Link;
use super::plan::render_comment;
use super::submit::{action_request, attach, find_running};
use super::track::action_state;

/// POSTs the action of a `submitted` remediation and journals the answer.
pub(super) async fn send(
    ctx: &Ctx,
    row: &RemediationRow,
    kind: &ActionKind,
    alert: &AlertView,
) -> Result<(), EngineError> {
    let flow = ctx.settings.flows.get(&row.flow_id);
    let template = flow
        .map(|f| f.comment.as_str())
        .unwrap_or("remedy remediation for alert {alert_id}");
    let request = action_request(
        kind,
        render_comment(template, alert, &row.machine_name),
        &row.idempotency_key,
    );
    // The intent was written under the lease; a leader frozen or cut off since then must not send after its
    // lease ended: the next leader reconciles that intent instead (and may send it itself).
    ctx.lease.still_held(ctx.clock.now_utc())?;
    super::crash::crash_point("before_post");
    let submit = ctx.provider.submit(&row.machine_id, &request);
    let answer = within_lease(&ctx.lease, ctx.clock.as_ref(), submit).await?;
    if answer.is_ok() {
        super::crash::crash_point("after_post");
    }
    let why = format!(
        "alert {} \"{}\", policy {}, flow {}",
        alert.id, alert.title, alert.policy_name, row.flow_id
    );
    let submitted = RemediationState::Submitted;
    match answer {
        Ok(action) => {
            let action_id = action.id.clone();
            super::link::record(
                ctx,
                Link {
                    remediation_id: row.id.clone(),
                    from: submitted,
                    to: action_state(&action),
                    note: format!("Defender action {action_id}"),
                    audit: Some(AuditEntry {
                        at: ctx.clock.now_utc(),
                        who: row.requested_by.clone(),
                        action: "submit".into(),
                        target: audit_target(row),
                        why,
                        result: format!("accepted by Defender as {action_id}"),
                    }),
                    action_id,
                    cover: None,
                },
            )
            .await?;
        }
        Err(ApiError::ActionAlreadyInProgress { existing, .. }) => {
            // Defender's own answer is as fresh as a read, but only a running action of this machine and kind counts.
            let answered = existing.and_then(|a| {
                running_cover(
                    std::slice::from_ref(&*a),
                    &row.machine_id,
                    kind,
                    ctx.clock.now_utc(),
                    ProofRead::Answer,
                )
            });
            let found = match answered {
                Some(found) => Ok(Some(found)),
                None => find_running(ctx, row, kind).await,
            };
            match found {
                Ok(Some((action, cover))) => {
                    attach(ctx, row, kind, &action, cover, submitted).await?
                }
                Ok(None) => {
                    fail(
                        ctx,
                        row,
                        RemediationState::Failed,
                        "Defender says an action is already in progress, but none of this kind runs on the machine",
                    )
                    .await?
                }
                Err(e) => ctx.notice(
                    Level::Warn,
                    format!(
                        "{} on {}: Defender says one is in progress but it could not be read; \
                         will reconcile before any resend: {e}",
                        kind.label(),
                        row.machine_name
                    ),
                ),
            }
        }
        Err(ApiError::NotFound { message, .. }) => {
            fail(
                ctx,
                row,
                RemediationState::Skipped,
                &format!("machine no longer in Defender ({message})"),
            )
            .await?;
        }
        Err(
            e @ (ApiError::Forbidden { .. }
            | ApiError::BadRequest { .. }
            | ApiError::Unauthorized { .. }),
        ) => {
            fail(ctx, row, RemediationState::Failed, &e.to_string()).await?;
        }
        Err(e) => {
            ctx.notice(
                Level::Warn,
                format!(
                    "{} on {}: outcome unknown, will reconcile with Defender before any resend: {e}",
                    kind.label(),
                    row.machine_name
                ),
            );
        }
    }
    Ok(())
}

/// Ends a submitted remediation that Defender refused.
async fn fail(
    ctx: &Ctx,
    row: &RemediationRow,
    to: RemediationState,
    why: &str,
) -> Result<(), EngineError> {
    let id = row.id.clone();
    let why = crate::text::sanitize(why);
    let target = audit_target(row);
    let at = ctx.clock.now_utc();
    let rows = ctx
        .journal
        .call(move |j| {
            j.atomic(|tx| {
                tx.append_audit(&AuditEntry {
                    at,
                    who: "remedy".into(),
                    action: "submit".into(),
                    target,
                    why: why.clone(),
                    result: format!("refused: {}", to.as_str()),
                })?;
                tx.transition_if(&id, RemediationState::Submitted, to, Some(&why), at)
            })
        })
        .await?;
    ctx.report(Internal::Rows(rows.into_iter().collect()));
    Ok(())
}
