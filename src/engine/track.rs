//! Track: follows open Defender actions to a final state, and reconciles what a crash left unsure.

use std::collections::HashMap;

use chrono::Utc;

use crate::api::models::defender::{ActionStatus, MachineAction};
use crate::store::RemediationRow;

use super::core::{Ctx, Engine, Internal};
use super::error::EngineError;
use super::interface::{ActionKind, Level, RemediationState};
use super::link::Link;

/// Action ids per batched `id eq … or …` status call; more open actions than this are read with one list.
const TRACK_BATCH: usize = 10;
/// How far back the one-list read reaches; older open actions are read in id batches.
const WINDOW_LIST_REACH: chrono::Duration = chrono::Duration::hours(1);
/// Slack for the difference between remedy's clock and Defender's.
const CLOCK_SKEW_MARGIN: chrono::Duration = chrono::Duration::minutes(10);
/// An intent older than this and still unknown to Defender is taken as never sent…
const UNSENT_AFTER: chrono::Duration = chrono::Duration::seconds(90);
/// …or this old when the process that sent it is gone (nothing of it can still be on the wire).
const UNSENT_AFTER_OWNER_GONE: chrono::Duration = chrono::Duration::seconds(5);

/// The remediation state matching a Defender action's status.
pub(super) fn action_state(action: &MachineAction) -> RemediationState {
    match action.status {
        ActionStatus::Pending => RemediationState::Pending,
        ActionStatus::InProgress => RemediationState::InProgress,
        ActionStatus::Succeeded => RemediationState::Succeeded,
        ActionStatus::Failed => RemediationState::Failed,
        ActionStatus::TimeOut => RemediationState::TimeOut,
        ActionStatus::Cancelled => RemediationState::Cancelled,
        _ => RemediationState::Pending,
    }
}

impl Engine {
    /// Starts a tracking round when something is in flight.
    pub fn start_track(&mut self) {
        if self.track_in_flight {
            return;
        }
        let unfinished: Vec<RemediationRow> = self
            .remediations
            .values()
            .filter(|r| {
                let s = Self::remediation_state(r);
                (s.is_in_flight()
                    || s == RemediationState::Queued
                    || s == RemediationState::Approved)
                    && !self.dispatching.contains(&r.machine_id)
            })
            .cloned()
            .collect();
        if unfinished.is_empty() {
            return;
        }
        self.track_in_flight = true;
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            if let Err(e) = track(&ctx, unfinished).await {
                ctx.notice(Level::Warn, format!("tracking round incomplete: {e}"));
            }
            ctx.report(Internal::TrackDone);
        });
    }

    /// On start: re-reads every unfinished remediation and settles those a crash left unsure.
    pub fn start_reconcile(&mut self) {
        self.start_track();
    }
}

/// Defender's view of the rows' actions, by action id, in as few calls as the quota allows: one list of
/// every action created since the oldest recent submission when there are many, then `id eq … or …`
/// batches for the rest, then one by one for any the lists did not return.
async fn statuses(
    ctx: &Ctx,
    rows: &[RemediationRow],
) -> Result<HashMap<String, MachineAction>, EngineError> {
    // Defender may spell a GUID in another case than the journal: match on lowercase, keep the journal's.
    let mut wanted: HashMap<String, &str> = rows
        .iter()
        .filter_map(|r| r.provider_action_id.as_deref())
        .map(|id| (id.to_ascii_lowercase(), id))
        .collect();
    let mut found: HashMap<String, MachineAction> = HashMap::new();
    let mut keep = |actions: Vec<MachineAction>, wanted: &mut HashMap<String, &str>| {
        for action in actions {
            if let Some(id) = wanted.remove(&action.id.to_ascii_lowercase()) {
                found.insert(id.to_string(), action);
            }
        }
    };
    let recent = Utc::now() - WINDOW_LIST_REACH;
    let oldest_recent = rows
        .iter()
        .filter_map(|r| r.submitted_at)
        .filter(|at| *at > recent)
        .min();
    if let (true, Some(oldest)) = (wanted.len() > TRACK_BATCH, oldest_recent) {
        let since = (oldest - CLOCK_SKEW_MARGIN).format("%Y-%m-%dT%H:%M:%SZ");
        let filter = format!("creationDateTimeUtc ge {since}");
        keep(
            ctx.clients.defender.machine_actions(Some(&filter)).await?,
            &mut wanted,
        );
    }
    let missing: Vec<&str> = wanted.values().copied().collect();
    for batch in missing.chunks(TRACK_BATCH) {
        let filter = batch
            .iter()
            .map(|id| format!("id eq '{id}'"))
            .collect::<Vec<_>>()
            .join(" or ");
        keep(
            ctx.clients.defender.machine_actions(Some(&filter)).await?,
            &mut wanted,
        );
    }
    let missing: Vec<&str> = wanted.values().copied().collect();
    for id in missing {
        let action = ctx.clients.defender.machine_action(id).await?;
        keep(vec![action], &mut wanted);
    }
    Ok(found)
}

async fn track(ctx: &Ctx, unfinished: Vec<RemediationRow>) -> Result<(), EngineError> {
    let ids: Vec<String> = unfinished.iter().map(|r| r.id.clone()).collect();
    let fresh = ctx
        .journal
        .call(move |j| {
            let mut rows = Vec::new();
            for id in ids {
                if let Some(row) = j.remediation(&id)? {
                    rows.push(row);
                }
            }
            Ok(rows)
        })
        .await?;
    ctx.report(Internal::Rows(fresh.clone()));
    let (with_id, without_id): (Vec<_>, Vec<_>) = fresh
        .into_iter()
        .filter(|r| {
            RemediationState::parse(&r.state)
                .is_some_and(|s| s.is_in_flight() || s == RemediationState::Queued)
        })
        .partition(|r| r.provider_action_id.is_some());
    if !with_id.is_empty() {
        super::crash::crash_point("tracking");
    }
    let actions = statuses(ctx, &with_id).await?;
    let updates: Vec<(String, String, RemediationState)> = with_id
        .iter()
        .filter_map(|row| {
            let action = actions.get(row.provider_action_id.as_deref()?)?;
            let state = action_state(action);
            (state.as_str() != row.state).then(|| (row.id.clone(), row.state.clone(), state))
        })
        .collect();
    if !updates.is_empty() {
        let rows = ctx
            .journal
            .call(move |j| {
                let mut rows = Vec::new();
                for (id, from, to) in updates {
                    if let Some(row) = j.transition_if(&id, &from, to.as_str(), None, Utc::now())? {
                        rows.push(row);
                    }
                }
                Ok(rows)
            })
            .await?;
        ctx.report(Internal::Rows(rows));
    }
    for row in without_id {
        reconcile_unsure(ctx, row).await?;
    }
    Ok(())
}

/// A remediation queued or submitted without a Defender id: find its action by the idempotency key,
/// or, when it surely never left, send it back to the queue. Never resends blindly.
async fn reconcile_unsure(ctx: &Ctx, row: RemediationRow) -> Result<(), EngineError> {
    let claimed_by_other_live = row
        .claimed_by
        .as_deref()
        .is_some_and(|owner| owner != ctx.settings.owner)
        && row
            .claimed_at
            .is_some_and(|at| Utc::now() - at < chrono::Duration::minutes(5))
        && owner_alive(row.claimed_by.as_deref().unwrap_or(""));
    if claimed_by_other_live {
        return Ok(());
    }
    let own_in_progress = row.claimed_by.as_deref() == Some(ctx.settings.owner.as_str())
        && row.updated_at > Utc::now() - UNSENT_AFTER;
    if own_in_progress {
        return Ok(());
    }
    let kind: ActionKind = match serde_json::from_value(row.params.clone()) {
        Ok(kind) => kind,
        Err(_) => return Ok(()),
    };
    if row.state == "submitted" {
        let filter = format!(
            "machineId eq '{}' and type eq '{}'",
            row.machine_id,
            kind.defender_type()
        );
        let actions = ctx.clients.defender.machine_actions(Some(&filter)).await?;
        if let Some(action) = actions
            .iter()
            .find(|a| a.idempotency_key() == Some(row.idempotency_key.as_str()))
        {
            super::link::record(
                ctx,
                Link {
                    remediation_id: row.id.clone(),
                    action_id: action.id.clone(),
                    from: "submitted".into(),
                    to: action_state(action).as_str(),
                    note: format!(
                        "reconciled: found Defender action {} by idempotency key",
                        action.id
                    ),
                    audit: None,
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
        if Utc::now() - row.updated_at < grace {
            return Ok(());
        }
    }
    let id = row.id.clone();
    let from = row.state.clone();
    let previous_owner = row.claimed_by.clone();
    let rows = ctx
        .journal
        .call(move |j| {
            j.atomic(|tx| {
                let row = tx.transition_if(
                    &id,
                    &from,
                    "approved",
                    Some("reconciled: Defender has no such action, so it never left; queued again"),
                    Utc::now(),
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
