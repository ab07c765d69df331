//! Why a remediation that is not final has not moved on yet, as the engine sees it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::interface::RemediationState;

/// What an approved (or, read-only, proposed) remediation waits for. Times are absolute, so a front end
/// counts down with its own clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum WaitReason {
    /// Its place among the approved actions waiting to leave, and about when it leaves (from the quota headroom).
    Queue { position: u32, eta_secs: u64 },
    /// More than `over` approved actions are ahead of it (a long queue is told in steps).
    LongQueue { over: u32, eta_mins: u64 },
    /// Defender answered 429: it is asked again after `until` (its `Retry-After` or remedy's backoff).
    Throttled { until: DateTime<Utc> },
    /// Its last dispatch failed before anything left: it is tried again after `until`.
    Retrying { until: DateTime<Utc> },
    /// An earlier step of its flow on the same machine has not succeeded yet.
    EarlierStep { step: u32, state: RemediationState },
    /// Another action of remedy runs on the machine (one action per machine at a time).
    MachineBusy,
    /// Being read and sent to Defender right now.
    Sending,
    /// The session is read-only: nothing is sent.
    ReadOnly,
    /// This process follows: the leader (`host:pid`, `None` while no process holds the lease) sends it.
    Leader { holder: Option<String> },
}

/// Reasons are worked out again this often even when nothing they depend on was marked changed, so a
/// queue's estimate follows the quota.
pub(super) const SLOW_SWEEP: Duration = Duration::from_secs(30);

/// What each approved remediation waits for, as last told to front ends. Reasons are worked out again (a
/// sweep) only when something they depend on changed ([`WaitBoard::mark_stale`]) or [`SLOW_SWEEP`] passed,
/// and a remediation is sent again only when its reason changed.
#[derive(Debug, Default)]
pub(super) struct WaitBoard {
    reasons: HashMap<String, WaitReason>,
    /// Something a reason depends on changed since the last sweep.
    stale: bool,
    /// When the last sweep ran.
    swept_at: Option<Instant>,
    /// Sweeps so far.
    sweeps: u64,
}

impl WaitBoard {
    /// How many remediations it holds a reason for.
    pub fn waiting(&self) -> usize {
        self.reasons.len()
    }

    pub fn get(&self, remediation_id: &str) -> Option<&WaitReason> {
        self.reasons.get(remediation_id)
    }

    /// The remediation changed: what it waited for is worked out again.
    pub fn forget(&mut self, remediation_id: &str) {
        self.reasons.remove(remediation_id);
        self.stale = true;
    }

    /// Something the reasons depend on changed (a row, a dispatch started or ended, the quota's room).
    pub fn mark_stale(&mut self) {
        self.stale = true;
    }

    /// Whether the reasons are to be worked out again at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.stale
            || self
                .swept_at
                .is_none_or(|at| now.saturating_duration_since(at) >= SLOW_SWEEP)
    }

    /// How many times the reasons were worked out.
    pub fn sweeps(&self) -> u64 {
        self.sweeps
    }

    /// Takes the fresh reasons of a sweep at `now`; returns the remediations whose reason changed (or that
    /// no longer wait).
    pub fn replace(&mut self, fresh: HashMap<String, WaitReason>, now: Instant) -> Vec<String> {
        self.stale = false;
        self.swept_at = Some(now);
        self.sweeps += 1;
        let mut changed: Vec<String> = fresh
            .iter()
            .filter(|(id, reason)| self.reasons.get(*id) != Some(*reason))
            .map(|(id, _)| id.clone())
            .collect();
        changed.extend(
            self.reasons
                .keys()
                .filter(|id| !fresh.contains_key(*id))
                .cloned(),
        );
        self.reasons = fresh;
        changed
    }
}

impl WaitReason {
    /// In words, counted from `now`: "3rd in queue, ~40 s", "Defender throttling, retry in 4 s".
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        match self {
            WaitReason::Queue { position, eta_secs } => {
                format!("{} in queue, ~{eta_secs} s", ordinal(*position))
            }
            WaitReason::LongQueue { over, eta_mins } => {
                format!("over {over} ahead in queue, ~{eta_mins} min")
            }
            WaitReason::Throttled { until } => {
                format!(
                    "Defender throttling, retry in {} s",
                    seconds_until(*until, now)
                )
            }
            WaitReason::Retrying { until } => {
                format!("send failed, retry in {} s", seconds_until(*until, now))
            }
            WaitReason::EarlierStep { step, state } => {
                format!("waits for step {step} ({})", state.as_str())
            }
            WaitReason::MachineBusy => "waits for the machine's running action".into(),
            WaitReason::Sending => "sending".into(),
            WaitReason::ReadOnly => "not sent: read-only session".into(),
            WaitReason::Leader {
                holder: Some(holder),
            } => {
                format!("sent by the leader, {}", crate::text::sanitize(holder))
            }
            WaitReason::Leader { holder: None } => {
                "waits for a leader: no process holds the journal's lease".into()
            }
        }
    }
}

/// Whole seconds from `now` to `until`, rounded up, never negative.
fn seconds_until(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let millis = (until - now).num_milliseconds().max(0);
    (millis + 999) / 1000
}

/// 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, …
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_the_analyst_needs_them() {
        let now = Utc::now();
        let queue = WaitReason::Queue {
            position: 3,
            eta_secs: 40,
        };
        assert_eq!(queue.describe(now), "3rd in queue, ~40 s");
        let led = WaitReason::Leader {
            holder: Some("jump-2:4242".into()),
        };
        assert_eq!(led.describe(now), "sent by the leader, jump-2:4242");
        let leaderless = WaitReason::Leader { holder: None };
        assert!(leaderless.describe(now).contains("no process holds"));
        let throttled = WaitReason::Throttled {
            until: now + chrono::Duration::milliseconds(3_200),
        };
        assert_eq!(throttled.describe(now), "Defender throttling, retry in 4 s");
        assert_eq!(
            WaitReason::Retrying { until: now }.describe(now + chrono::Duration::seconds(5)),
            "send failed, retry in 0 s"
        );
        assert_eq!(ordinal(11), "11th");
        assert_eq!(ordinal(22), "22nd");
        assert_eq!(ordinal(101), "101st");
        let step = WaitReason::EarlierStep {
            step: 1,
            state: RemediationState::Proposed,
        };
        assert_eq!(step.describe(now), "waits for step 1 (proposed)");
    }
}
