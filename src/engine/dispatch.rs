//! Dispatch: approved remediations leave for Defender one machine at a time, write-ahead, attaching
//! to an open action of the same kind instead of submitting twice.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use crate::api::ApiError;
use crate::api::models::defender::MachineAction;
use crate::api::{ActionRequest, ActionRequestKind, IsolationType, ScanType};
use crate::store::{AuditEntry, RemediationRow};

use super::core::{Ctx, Engine, Internal, MAX_CONCURRENT_DISPATCH, OPEN_ACTIONS_FRESHNESS};
use super::error::EngineError;
use super::interface::{ActionKind, AlertView, RemediationState};
use super::link::Link;
use super::plan::render_comment;
use super::track::action_state;

/// Filter for every action Defender has not finished yet.
pub(super) const OPEN_ACTIONS_FILTER: &str = "status eq 'Pending' or status eq 'InProgress'";

impl Engine {
    /// Starts dispatches for approved remediations whose machine is free and whose previous step is done.
    pub fn pump_dispatch(&mut self) {
        if self.settings().read_only {
            return;
        }
        let mut ready: Vec<&RemediationRow> = self
            .remediations
            .values()
            .filter(|r| Self::remediation_state(r) == RemediationState::Approved)
            .collect();
        if ready.is_empty() {
            return;
        }
        ready.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.step.cmp(&b.step)));
        let fresh = self
            .open_actions
            .as_ref()
            .filter(|(at, _)| at.elapsed() < OPEN_ACTIONS_FRESHNESS)
            .map(|(_, list)| list.clone());
        let Some(open) = fresh else {
            self.refresh_open_actions();
            return;
        };
        let mut starts = Vec::new();
        let mut skips = Vec::new();
        let mut busy: std::collections::HashSet<String> = self.dispatching.clone();
        busy.extend(
            self.remediations
                .values()
                .filter(|r| {
                    let s = Self::remediation_state(r);
                    s.is_in_flight() || s == RemediationState::Queued
                })
                .map(|r| r.machine_id.clone()),
        );
        for row in ready {
            if self.dispatching.len() + starts.len() >= MAX_CONCURRENT_DISPATCH {
                break;
            }
            if busy.contains(&row.machine_id) {
                continue;
            }
            if row.step > 1 {
                let previous = self.remediations.values().find(|r| {
                    r.alert_id == row.alert_id
                        && r.flow_id == row.flow_id
                        && r.machine_id == row.machine_id
                        && r.step == row.step - 1
                });
                match previous.map(Self::remediation_state) {
                    Some(RemediationState::Succeeded) => {}
                    Some(state) if state.is_final() => {
                        skips.push((
                            row.id.clone(),
                            format!("step {} ended {}", row.step - 1, state.as_str()),
                        ));
                        continue;
                    }
                    _ => continue,
                }
            }
            busy.insert(row.machine_id.clone());
            starts.push(row.clone());
        }
        for row in starts {
            let Some(alert) = self.alerts.get(&row.alert_id).cloned() else {
                continue;
            };
            self.dispatching.insert(row.machine_id.clone());
            let ctx = self.ctx.clone();
            let open = open.clone();
            tokio::spawn(async move {
                let machine_id = row.machine_id.clone();
                if let Err(e) = dispatch_one(&ctx, row, alert, open).await {
                    ctx.notice(
                        super::interface::Level::Error,
                        format!("dispatch stopped: {e}"),
                    );
                }
                ctx.report(Internal::DispatchDone { machine_id });
            });
        }
        if !skips.is_empty() {
            let ctx = self.ctx.clone();
            tokio::spawn(async move {
                let at = Utc::now();
                let rows = ctx
                    .journal
                    .call(move |j| {
                        let mut rows = Vec::new();
                        for (id, why) in skips {
                            if let Some(row) =
                                j.transition_if(&id, "approved", "skipped", Some(&why), at)?
                            {
                                rows.push(row);
                            }
                        }
                        Ok(rows)
                    })
                    .await;
                if let Ok(rows) = rows {
                    ctx.report(Internal::Rows(rows));
                }
            });
        }
    }

    /// Lists Defender's open actions (one call for every machine) so dispatch can attach instead of resubmit.
    pub fn refresh_open_actions(&mut self) {
        if self.open_actions_in_flight {
            return;
        }
        self.open_actions_in_flight = true;
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            let result = ctx
                .clients
                .defender
                .machine_actions(Some(OPEN_ACTIONS_FILTER))
                .await;
            ctx.report(Internal::OpenActions(result));
        });
    }

    pub fn on_open_actions(&mut self, result: Result<Vec<MachineAction>, ApiError>) {
        self.open_actions_in_flight = false;
        self.emit_quota();
        match result {
            Ok(list) => {
                self.open_actions = Some((Instant::now(), Arc::new(list)));
                self.pump_dispatch();
            }
            Err(e) => self.notice(
                super::interface::Level::Warn,
                format!("cannot list open Defender actions, dispatch waits: {e}"),
            ),
        }
    }
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

/// One remediation: claim it, attach or write the intent, POST, journal the answer.
async fn dispatch_one(
    ctx: &Ctx,
    row: RemediationRow,
    alert: AlertView,
    open: Arc<Vec<MachineAction>>,
) -> Result<(), EngineError> {
    let id = row.id.clone();
    let kind: ActionKind =
        serde_json::from_value(row.params.clone()).unwrap_or(ActionKind::AntivirusScan {
            scan_type: "Full".into(),
        });
    let existing = open
        .iter()
        .find(|a| {
            a.machine_id.as_deref() == Some(row.machine_id.as_str())
                && a.kind.as_str() == kind.defender_type()
                && !a.status.is_final()
        })
        .cloned();
    let intent = existing.is_none().then(|| {
        format!(
            "intent: {} [remedy:{}]",
            kind.defender_type(),
            row.idempotency_key
        )
    });
    let owner = ctx.settings.owner.clone();
    let claim_id = id.clone();
    let now = Utc::now();
    // Claim, queue and (unless attaching) write the intent in one transaction: one commit, not three.
    let steps = ctx
        .journal
        .call(move |j| {
            j.atomic(|tx| {
                if !tx.claim(&claim_id, &owner, now, chrono::Duration::minutes(5))? {
                    return Ok(Vec::new());
                }
                let Some(queued) = tx.transition_if(&claim_id, "approved", "queued", None, now)?
                else {
                    return Ok(Vec::new());
                };
                let mut steps = vec![queued];
                if let Some(intent) = intent {
                    steps.extend(tx.transition_if(
                        &claim_id,
                        "queued",
                        "submitted",
                        Some(&intent),
                        now,
                    )?);
                }
                Ok(steps)
            })
        })
        .await?;
    let written_ahead = steps
        .last()
        .is_some_and(|row| existing.is_some() || row.state == "submitted");
    if !written_ahead {
        // Another process holds it, or the intent is not in the journal: nothing may leave.
        return report_current(ctx, &id).await;
    }
    ctx.report(Internal::Rows(steps));
    if let Some(existing) = existing {
        return attach(ctx, &row, &existing, "queued").await;
    }
    let flow = ctx.settings.flows.get(&row.flow_id);
    let template = flow
        .map(|f| f.comment.as_str())
        .unwrap_or("remedy remediation for alert {alert_id}");
    let request = action_request(
        &kind,
        render_comment(template, &alert, &row.machine_name),
        &row.idempotency_key,
    );
    super::crash::crash_point("before_post");
    let answer = ctx
        .clients
        .defender
        .run_action(&row.machine_id, &request)
        .await;
    if answer.is_ok() {
        super::crash::crash_point("after_post");
    }
    let why = format!(
        "alert {} \"{}\", policy {}, flow {}",
        alert.id, alert.title, alert.policy_name, row.flow_id
    );
    match answer {
        Ok(action) => {
            let action_id = action.id.clone();
            super::link::record(
                ctx,
                Link {
                    remediation_id: id,
                    from: "submitted".into(),
                    to: action_state(&action).as_str(),
                    note: format!("Defender action {action_id}"),
                    audit: Some(AuditEntry {
                        at: Utc::now(),
                        who: row.requested_by.clone(),
                        action: "submit".into(),
                        target: audit_target(&row),
                        why,
                        result: format!("accepted by Defender as {action_id}"),
                    }),
                    action_id,
                },
            )
            .await?;
        }
        Err(ApiError::ActionAlreadyInProgress { existing, .. }) => {
            let found = match existing {
                Some(action) => Some(*action),
                None => find_open(ctx, &row, &kind).await,
            };
            match found {
                Some(action) => attach(ctx, &row, &action, "submitted").await?,
                None => {
                    fail(
                        ctx,
                        &row,
                        "Failed",
                        "Defender says an action is already in progress, but it could not be found",
                    )
                    .await?
                }
            }
        }
        Err(ApiError::NotFound { message, .. }) => {
            fail(
                ctx,
                &row,
                "skipped",
                &format!("machine no longer in Defender ({message})"),
            )
            .await?;
        }
        Err(
            e @ (ApiError::Forbidden { .. }
            | ApiError::BadRequest { .. }
            | ApiError::Unauthorized { .. }),
        ) => {
            fail(ctx, &row, "Failed", &e.to_string()).await?;
        }
        Err(e) => {
            ctx.notice(
                super::interface::Level::Warn,
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

/// Another process holds or moved this remediation: mirror what the journal says now.
async fn report_current(ctx: &Ctx, id: &str) -> Result<(), EngineError> {
    let id = id.to_string();
    let current = ctx.journal.call(move |j| j.remediation(&id)).await?;
    ctx.report(Internal::Rows(current.into_iter().collect()));
    Ok(())
}

/// Looks for the open action of this kind on the machine (after Defender said one exists).
async fn find_open(ctx: &Ctx, row: &RemediationRow, kind: &ActionKind) -> Option<MachineAction> {
    let filter = format!(
        "machineId eq '{}' and type eq '{}'",
        row.machine_id,
        kind.defender_type()
    );
    ctx.clients
        .defender
        .machine_actions(Some(&filter))
        .await
        .ok()?
        .into_iter()
        .filter(|a| !a.status.is_final())
        .max_by_key(|a| a.creation_time)
}

/// Records that this remediation follows an action already running on the machine.
async fn attach(
    ctx: &Ctx,
    row: &RemediationRow,
    action: &MachineAction,
    from: &'static str,
) -> Result<(), EngineError> {
    let since = action
        .creation_time
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_else(|| "earlier".into());
    let by = action
        .requestor
        .clone()
        .unwrap_or_else(|| "someone else".into());
    let note = crate::text::sanitize(&format!("already running since {since}, requested by {by}"));
    super::link::record(
        ctx,
        Link {
            remediation_id: row.id.clone(),
            action_id: action.id.clone(),
            from: from.into(),
            to: "attached",
            audit: Some(AuditEntry {
                at: Utc::now(),
                who: "remedy".into(),
                action: "attach".into(),
                target: audit_target(row),
                why: note.clone(),
                result: format!("following Defender action {}", action.id),
            }),
            note,
        },
    )
    .await
}

/// Ends a submitted remediation that Defender refused.
async fn fail(
    ctx: &Ctx,
    row: &RemediationRow,
    to: &'static str,
    why: &str,
) -> Result<(), EngineError> {
    let id = row.id.clone();
    let why = crate::text::sanitize(why);
    let target = audit_target(row);
    let rows = ctx
        .journal
        .call(move |j| {
            j.atomic(|tx| {
                let at = Utc::now();
                tx.append_audit(&AuditEntry {
                    at,
                    who: "remedy".into(),
                    action: "submit".into(),
                    target,
                    why: why.clone(),
                    result: format!("refused: {to}"),
                })?;
                tx.transition_if(&id, "submitted", to, Some(&why), at)
            })
        })
        .await?;
    ctx.report(Internal::Rows(rows.into_iter().collect()));
    Ok(())
}

/// "alert … machine … (id) Action" for audit entries.
pub(super) fn audit_target(row: &RemediationRow) -> String {
    format!(
        "alert {} machine {} ({}) {}",
        row.alert_id, row.machine_name, row.machine_id, row.action
    )
}
