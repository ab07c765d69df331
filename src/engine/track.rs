//! Track: follows open Defender actions to a final state; one failed read never stalls the others.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use futures::StreamExt;

use crate::api::ApiError;
use crate::api::models::defender::{ActionStatus, MachineAction};
use crate::store::RemediationRow;
use crate::text::sanitize;

use super::core::{Ctx, Internal};
use super::error::EngineError;
use super::forms::{QueryForms, RichQuery};
use super::interface::{Level, RemediationState};
use super::read_share::Reader;
use super::retry::KeyedRetries;

/// Action ids per batched `id eq … or …` status call; more open actions than this are read with one list.
const TRACK_BATCH: usize = 10;
/// How far back the one-list read reaches; older open actions are read in id batches.
const WINDOW_LIST_REACH: chrono::Duration = chrono::Duration::hours(1);
/// Slack for the difference between remedy's clock and Defender's.
const CLOCK_SKEW_MARGIN: chrono::Duration = chrono::Duration::minutes(10);
/// Actions read one by one (`GET /api/machineactions/{id}`) at the same time.
const BY_ID_CONCURRENCY: usize = 4;
/// The open-status lists are read at most this often; between, the actions they cover wait.
const OPEN_LISTS_EVERY: std::time::Duration = std::time::Duration::from_secs(3);
/// One-by-one reads per minute tracking allows itself: most of Defender's 100 per minute and API, leaving
/// room for cancels and checks.
const BY_ID_READS_PER_MINUTE: u32 = 60;

/// Tracking's state shared with its tasks: which query forms still work, and per-action retry waits.
#[derive(Debug, Default)]
pub struct Tracking {
    pub forms: QueryForms,
    pub backoff: Mutex<KeyedRetries>,
    /// When the open-status lists were last read (they are paced, being several pages each).
    pub open_lists_at: Mutex<Option<Instant>>,
}

impl Tracking {
    fn backoff(&self) -> std::sync::MutexGuard<'_, KeyedRetries> {
        self.backoff.lock().unwrap_or_else(|p| p.into_inner())
    }
}

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

/// Defender's reason for an action that ended without success, in words (its text cleaned for display).
pub(super) fn ended_reason(action: &MachineAction, state: RemediationState) -> Option<String> {
    let code = (action.error_hresult != 0)
        .then(|| format!(" (errorHResult 0x{:08X})", action.error_hresult as u32));
    match state {
        RemediationState::Failed => Some(format!(
            "Defender: the action failed on the machine{}",
            code.unwrap_or_else(|| ", no error code given".into())
        )),
        RemediationState::TimeOut => Some(format!(
            "Defender: timed out, the machine did not complete it in time{}",
            code.unwrap_or_default()
        )),
        RemediationState::Cancelled => Some(format!(
            "Defender: cancelled by {}{}",
            action
                .cancellation_requestor
                .as_deref()
                .map_or_else(|| "someone".into(), sanitize),
            action
                .cancellation_comment
                .as_deref()
                .map(|c| format!(": {}", sanitize(c)))
                .unwrap_or_default()
        )),
        _ => None,
    }
}

/// Keeps the actions of `actions` that are `wanted` (matched on lowercase ids, kept under the journal's).
fn keep(
    actions: Vec<MachineAction>,
    wanted: &mut HashMap<String, String>,
    found: &mut HashMap<String, MachineAction>,
) {
    for action in actions {
        if let Some(id) = wanted.remove(&action.id.to_ascii_lowercase()) {
            found.insert(id, action);
        }
    }
}

/// After a failed richer list: switches its form to the fallback on a refusal (noticed once) or logs.
fn list_failed(ctx: &Ctx, tracking: &Tracking, query: RichQuery, error: &ApiError) {
    if tracking.forms.refuse_on(query, error) {
        ctx.notice(Level::Warn, format!("{}: {error}", query.switch_note()));
    } else {
        tracing::warn!(
            ?query,
            "tracking list failed, reading those actions by id: {error}"
        );
    }
}

/// Defender's view of the rows' actions, by the journal's action id, in as few calls as the quota and the
/// query forms allow: one list of every action created since the oldest recent submission when there are
/// many, then `id eq … or …` batches, then one by one for the rest. A failed read leaves that action for a
/// later round (with backoff); it never stops the others.
pub(super) async fn statuses(
    ctx: &Ctx,
    tracking: &Tracking,
    rows: &[RemediationRow],
) -> HashMap<String, MachineAction> {
    let now = ctx.clock.now_instant();
    let mut wanted: HashMap<String, String> = {
        let backoff = tracking.backoff();
        rows.iter()
            .filter_map(|r| r.provider_action_id.clone())
            .filter(|id| backoff.ready(id, now))
            .map(|id| (id.to_ascii_lowercase(), id))
            .collect()
    };
    let mut found = HashMap::new();
    let recent = ctx.clock.now_utc() - WINDOW_LIST_REACH;
    let oldest_recent = rows
        .iter()
        .filter_map(|r| r.submitted_at)
        .filter(|at| *at > recent)
        .min();
    if let (true, Some(oldest)) = (
        wanted.len() > TRACK_BATCH && tracking.forms.allows(RichQuery::CreatedSince),
        oldest_recent,
    ) {
        ctx.reads.take(ctx, Reader::Tracking).await;
        match ctx
            .provider
            .actions_created_since(oldest - CLOCK_SKEW_MARGIN)
            .await
        {
            Ok(actions) => keep(actions, &mut wanted, &mut found),
            Err(e) => list_failed(ctx, tracking, RichQuery::CreatedSince, &e),
        }
    }
    let missing: Vec<String> = wanted.values().cloned().collect();
    for batch in missing.chunks(TRACK_BATCH) {
        if !tracking.forms.allows(RichQuery::IdBatch) {
            break;
        }
        ctx.reads.take(ctx, Reader::Tracking).await;
        match ctx.provider.actions_by_ids(batch).await {
            Ok(actions) => keep(actions, &mut wanted, &mut found),
            Err(e) => list_failed(ctx, tracking, RichQuery::IdBatch, &e),
        }
    }
    if wanted.len() > TRACK_BATCH && !tracking.forms.allows(RichQuery::IdBatch) {
        if !open_lists_due(tracking, now, ctx.settings.paced(OPEN_LISTS_EVERY)) {
            return found;
        }
        open_lists(ctx, &mut wanted, &mut found).await;
    }
    let missing: Vec<String> = wanted.values().cloned().collect();
    let answers: Vec<(String, Result<MachineAction, ApiError>)> = futures::stream::iter(missing)
        .map(|id| async move {
            let answer = ctx.provider.action(&id).await;
            (id, answer)
        })
        .buffer_unordered(BY_ID_CONCURRENCY)
        .collect()
        .await;
    let mut backoff = tracking.backoff();
    for id in found.keys() {
        backoff.succeeded(id);
    }
    // One by one, the same actions are read again no faster than the quota share allows.
    let spacing = ctx.settings.paced(by_id_spacing(rows.len()));
    for (id, answer) in answers {
        match answer {
            Ok(action) => {
                if action.status.is_final() || spacing.is_zero() {
                    backoff.succeeded(&id);
                } else {
                    backoff.hold(&id, now, spacing);
                }
                keep(vec![action], &mut wanted, &mut found);
            }
            Err(e) => {
                let (attempt, wait) = backoff.failed(&id, ctx.clock.now_instant());
                let text = format!(
                    "Defender action {id} not read (attempt {attempt}), retrying in {} s: {e}",
                    wait.as_secs()
                );
                if attempt == 1 {
                    ctx.notice(Level::Warn, text);
                } else {
                    tracing::warn!("{text}");
                }
            }
        }
    }
    found
}

/// How long an action still open, read on its own, waits before its next read when `tracked` actions are
/// followed: up to [`TRACK_BATCH`] are read every round; more are spread to stay within
/// [`BY_ID_READS_PER_MINUTE`] together.
fn by_id_spacing(tracked: usize) -> std::time::Duration {
    if tracked <= TRACK_BATCH {
        return std::time::Duration::ZERO;
    }
    let per_read = std::time::Duration::from_secs(60) / BY_ID_READS_PER_MINUTE;
    per_read
        .checked_mul(u32::try_from(tracked).unwrap_or(u32::MAX))
        .unwrap_or(std::time::Duration::MAX)
        .min(std::time::Duration::from_secs(300))
}

/// Whether the open-status lists may be read at `now`, `every` after the last read; if so, records the read.
fn open_lists_due(tracking: &Tracking, now: Instant, every: std::time::Duration) -> bool {
    let mut last = tracking
        .open_lists_at
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let due = last.is_none_or(|at| now.duration_since(at) >= every);
    if due {
        *last = Some(now);
    }
    due
}

/// The documented fallback for many open actions when id batches are refused: the tenant's open actions
/// (`status eq 'Pending'`, `status eq 'InProgress'`) give the status of ours still open in a few pages,
/// so only those that ended are read one by one. A failed list changes nothing: all are read by id.
async fn open_lists(
    ctx: &Ctx,
    wanted: &mut HashMap<String, String>,
    found: &mut HashMap<String, MachineAction>,
) {
    let mut open = Vec::new();
    for status in [ActionStatus::Pending, ActionStatus::InProgress] {
        ctx.reads.take(ctx, Reader::Tracking).await;
        match ctx.provider.actions_in_status(status).await {
            Ok(actions) => open.extend(actions),
            Err(e) => {
                tracing::warn!("open actions not listed, reading each by id: {e}");
                return;
            }
        }
    }
    // An action that moved on between the two lists is in both: the later list is the newer read.
    keep(open.into_iter().rev().collect(), wanted, found);
}

pub(super) async fn track(
    ctx: &Ctx,
    tracking: &Tracking,
    recovery: std::sync::Arc<super::job::Job>,
    unfinished: Vec<RemediationRow>,
) -> Result<(), EngineError> {
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
        .filter(|r| r.state.is_in_flight() || r.state == RemediationState::Queued)
        .partition(|r| r.provider_action_id.is_some());
    // Recovery runs beside tracking, never in front of it.
    super::crash::start_recovery(ctx, recovery, without_id);
    if !with_id.is_empty() {
        super::crash::crash_point("tracking");
    }
    let actions = statuses(ctx, tracking, &with_id).await;
    let updates: Vec<(String, RemediationState, RemediationState, Option<String>)> = with_id
        .iter()
        .filter_map(|row| {
            let action = actions.get(row.provider_action_id.as_deref()?)?;
            let state = action_state(action);
            row.state.can_become(state).then(|| {
                let why = ended_reason(action, state);
                (row.id.clone(), row.state, state, why)
            })
        })
        .collect();
    if !updates.is_empty() {
        let at = ctx.clock.now_utc();
        let rows = ctx
            .journal
            .call(move |j| {
                let mut rows = Vec::new();
                for (id, from, to, why) in updates {
                    let note = why.as_deref();
                    if let Some(row) = j.transition_if(&id, from, to, note, at)? {
                        rows.push(row);
                    }
                }
                Ok(rows)
            })
            .await?;
        ctx.report(Internal::Rows(rows));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn one_by_one_reads_are_spread_to_stay_within_the_quota_share() {
        assert_eq!(by_id_spacing(0), Duration::ZERO);
        assert_eq!(by_id_spacing(TRACK_BATCH), Duration::ZERO);
        assert_eq!(by_id_spacing(12), Duration::from_secs(12));
        assert_eq!(by_id_spacing(30), Duration::from_secs(30));
        assert_eq!(by_id_spacing(usize::MAX), Duration::from_secs(300));
    }

    #[test]
    fn the_open_status_lists_are_paced() {
        let tracking = Tracking::default();
        let start = Instant::now();
        assert!(open_lists_due(&tracking, start, OPEN_LISTS_EVERY));
        assert!(!open_lists_due(
            &tracking,
            start + Duration::from_secs(1),
            OPEN_LISTS_EVERY
        ));
        assert!(open_lists_due(
            &tracking,
            start + OPEN_LISTS_EVERY,
            OPEN_LISTS_EVERY
        ));
    }
}
