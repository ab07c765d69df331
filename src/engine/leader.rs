//! Leadership: the process holding the journal's lease acts (polls, dispatches, tracks, spends quota); the
//! others follow. A heartbeat renews the lease, or takes it once it lapsed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::store::{JournalTx, Lease, LeaseHolder, LeaseOutcome, StoreError};

use super::core::Engine;
use super::interface::{Event, Level, Role};
use super::journal::JournalHandle;

/// How far back a new leader counts Defender submissions against the quota (its longest window, plus margin).
pub(super) const QUOTA_MEMORY: chrono::Duration = chrono::Duration::minutes(61);

/// The lease this process holds, if any: its fence and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Held {
    pub fence: i64,
    pub since: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// This process's standing on the journal, shared with the tasks that write as the leader.
#[derive(Debug)]
pub(super) struct LeaseState {
    pub holder: LeaseHolder,
    pub ttl: chrono::Duration,
    held: Mutex<Option<Held>>,
    /// The engine task's pulse: its last renewal and current step, watched from outside the task.
    pub pulse: super::pulse::Pulse,
    /// What front ends were last told (role, leader, since), to tell them only changes.
    shown: Mutex<Option<(Role, String, DateTime<Utc>)>>,
    /// Why the last heartbeat could not renew the lease (cleared by a renewal).
    refusal: Mutex<Option<String>>,
}

impl LeaseState {
    /// `owner` is `host:pid`; a fresh token tells this run apart from an earlier one with the same pid.
    pub fn new(owner: &str, ttl: Duration) -> LeaseState {
        LeaseState {
            holder: LeaseHolder {
                name: owner.to_string(),
                token: uuid::Uuid::new_v4().simple().to_string(),
            },
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(10)),
            held: Mutex::new(None),
            pulse: super::pulse::Pulse::new(std::time::Instant::now()),
            shown: Mutex::new(None),
            refusal: Mutex::new(None),
        }
    }

    /// The heartbeat: a third of the lease, so two missed beats still keep it.
    pub fn heartbeat_every(&self) -> Duration {
        (self.ttl / 3).to_std().unwrap_or(Duration::from_secs(1))
    }

    /// The process this one follows (`host:pid`), when it follows one.
    pub fn leader(&self) -> Option<String> {
        match &*self.shown.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((Role::Follower, holder, _)) => Some(holder.clone()),
            _ => None,
        }
    }

    pub fn held(&self) -> Option<Held> {
        *self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn set_held(&self, held: Option<Held>) {
        *self.held.lock().unwrap_or_else(|p| p.into_inner()) = held;
    }

    /// Remembers why the renewal failed (`None`: it succeeded); returns the reason remembered before.
    fn set_refusal(&self, why: Option<String>) -> Option<String> {
        std::mem::replace(
            &mut *self.refusal.lock().unwrap_or_else(|p| p.into_inner()),
            why,
        )
    }

    /// Refuses unless this process holds a lease that has not ended at `now` (by its own clock): the last
    /// check before an action leaves.
    pub fn still_held(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        match self.held() {
            Some(held) if held.expires_at > now => Ok(()),
            held => Err(StoreError::LeaseLost {
                holder: "another process, or nobody (this lease ended)".into(),
                fence: held.map_or(0, |h| h.fence),
            }),
        }
    }

    /// Refuses the transaction unless this process still holds the lease it took (same fence, not lapsed).
    pub fn guard(&self, tx: &JournalTx<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
        match self.held() {
            Some(held) => tx.require_lease(&self.holder, held.fence, now),
            None => Err(StoreError::LeaseLost {
                holder: "another process".into(),
                fence: 0,
            }),
        }
    }
}

impl Engine {
    /// Whether this process leads the journal (and so may act).
    pub fn leads(&self) -> bool {
        self.ctx.lease.held().is_some()
    }

    /// Renews the lease, takes it when it lapsed, or follows its holder. A leader whose own lease lapsed
    /// before this beat (it was frozen or stalled, or the watchdog stepped it down) stops acting and asks
    /// only at the next beat, so a process that waited for the lapse takes over first.
    pub async fn heartbeat(&mut self) {
        self.enter("the lease heartbeat");
        if self.ctx.lease.pulse.take_yield() {
            return;
        }
        let lease = self.ctx.lease.clone();
        let now = self.now();
        if lease.held().is_some_and(|held| held.expires_at <= now) {
            lease.set_held(None);
            match lease.set_refusal(None) {
                Some(why) => self.notice(
                    Level::Error,
                    format!(
                        "stopped acting: the lease ended unrenewed ({why}); it is asked for again only if no \
                         other process has taken it by the next heartbeat"
                    ),
                ),
                None => self.notice(
                    Level::Warn,
                    "the lease lapsed while this process was stalled: it stopped acting, and takes the lease \
                     back only if no other process has taken it by its next heartbeat",
                ),
            }
            return;
        }
        let asked = self
            .ctx
            .journal
            .call(move |j| j.acquire_lease(&lease.holder, now, lease.ttl))
            .await;
        if matches!(asked, Ok(LeaseOutcome::Taken(_) | LeaseOutcome::Renewed(_))) {
            self.ctx.lease.set_refusal(None);
            self.pulse_renewed();
        }
        match asked {
            Ok(LeaseOutcome::Taken(lease)) => self.become_leader(lease).await,
            Ok(LeaseOutcome::Renewed(lease)) => {
                self.ctx.lease.set_held(Some(Held {
                    fence: lease.fence,
                    since: lease.since,
                    expires_at: lease.expires_at,
                }));
            }
            Ok(LeaseOutcome::HeldBy(lease)) => self.follow(&lease),
            Err(e) => {
                tracing::warn!("lease not renewed: {e}");
                self.ctx.lease.pulse.refused(self.instant());
                self.ctx.lease.set_refusal(Some(e.to_string()));
                // Asking may have waited for the journal's lock: the lease is judged at the clock's time now.
                let now = self.now();
                if self.ctx.lease.held().is_some_and(|h| h.expires_at <= now) {
                    self.ctx.lease.set_held(None);
                    self.notice(
                        Level::Error,
                        format!("stopped acting: the lease could not be renewed ({e})"),
                    );
                }
            }
        }
    }

    /// Took the lease: count the quota already spent, catch up with the journal, execute waiting commands,
    /// reconcile what a previous leader left unsure, and start acting.
    async fn become_leader(&mut self, lease: Lease) {
        self.ctx.lease.set_held(Some(Held {
            fence: lease.fence,
            since: lease.since,
            expires_at: lease.expires_at,
        }));
        self.notice(
            Level::Info,
            format!(
                "leading the journal (lease fence {}): this process polls and acts",
                lease.fence
            ),
        );
        self.show_leadership(Role::Leader, &lease);
        // The quota first: catching up may start dispatches.
        self.rebuild_quota().await;
        self.catch_up().await;
        self.execute_command_rows().await;
        self.start_policy_refresh();
        self.start_reconcile();
        self.start_poll();
    }

    /// Another process holds the lease: stop acting if this one led.
    fn follow(&mut self, lease: &Lease) {
        if self.ctx.lease.held().is_some() {
            self.ctx.lease.set_held(None);
            self.notice(
                Level::Warn,
                format!(
                    "{} leads the journal now: this process stopped acting and follows",
                    lease.holder
                ),
            );
        }
        self.show_leadership(Role::Follower, lease);
    }

    /// Tells front ends and the log who leads, when that changed.
    fn show_leadership(&self, role: Role, lease: &Lease) {
        let shown = (role, lease.holder.clone(), lease.since);
        {
            let mut last = self
                .ctx
                .lease
                .shown
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if last.as_ref() == Some(&shown) {
                return;
            }
            *last = Some(shown);
        }
        tracing::info!(?role, holder = %lease.holder, since = %lease.since, "leadership");
        self.emit_leadership();
    }

    /// Repeats who leads (after a snapshot, for a new front end).
    pub fn emit_leadership(&self) {
        let shown = self
            .ctx
            .lease
            .shown
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((role, holder, since)) = shown {
            self.emit(Event::Leadership {
                role,
                holder,
                since,
            });
        }
    }

    /// Gives the lease up on a clean shutdown, so a follower takes over at once.
    pub async fn resign(&self) {
        resign(&self.ctx.journal, &self.ctx.lease, self.now()).await;
    }

    /// Counts Defender's spend of the last hour (every call any leader made, journaled before it left)
    /// against this process's quota, so it never bursts into a window an earlier leader filled.
    async fn rebuild_quota(&mut self) {
        let now = self.now();
        let since = now - QUOTA_MEMORY;
        let spent = match self.ctx.journal.call(move |j| j.spend_since(since)).await {
            Ok(spent) => spent,
            Err(e) => {
                self.notice(
                    Level::Warn,
                    format!("Defender's recent spend not read from the journal ({e}): the quota starts empty"),
                );
                return;
            }
        };
        let mut by_call: std::collections::HashMap<crate::api::Call, Vec<Duration>> =
            std::collections::HashMap::new();
        for (at, key) in &spent {
            let Some(call) = crate::api::Call::defender_from_key(key) else {
                tracing::warn!(
                    key,
                    "journaled Defender spend of an unknown call: not counted"
                );
                continue;
            };
            let age = (now - *at).to_std().unwrap_or(Duration::ZERO);
            by_call.entry(call).or_default().push(age);
        }
        for (call, ages) in &by_call {
            self.ctx.budgets.replay_defender_spend(*call, ages);
        }
        tracing::info!(
            calls = spent.len(),
            "Defender quota rebuilt from the journal"
        );
        self.emit_quota();
    }
}

/// Gives `lease` up if this process holds it (a clean shutdown), so a follower takes over at once.
pub(super) async fn resign(journal: &JournalHandle, lease: &Arc<LeaseState>, now: DateTime<Utc>) {
    if lease.held().is_none() {
        return;
    }
    lease.set_held(None);
    let asking = lease.clone();
    let released = journal
        .call(move |j| j.release_lease(&asking.holder, now))
        .await;
    match released {
        Ok(_) => tracing::info!("lease released"),
        Err(e) => tracing::warn!("lease not released (a follower takes over when it lapses): {e}"),
    }
}
