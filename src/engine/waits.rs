//! Works out what every approved remediation waits for and tells front ends when that changes.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::store::RemediationRow;

use super::core::Engine;
use super::interface::{Event, RemediationState, RemediationView};
use super::underway::{underway, waits_for_machine};
use super::views::remediation_view;
use super::wait::WaitReason;

/// Queue places up to this one are exact; beyond, they are shown in steps so a long queue does not
/// re-send every row each time one leaves.
const EXACT_PLACES: u32 = 20;

impl Engine {
    /// A journal row as front ends see it, with what it waits for.
    pub(super) fn view_of(&self, row: &RemediationRow, now: DateTime<Utc>) -> RemediationView {
        let mut view = remediation_view(row, now, self.settings().overdue_after);
        view.waiting = if self.leads() {
            self.waits.get(&row.id).cloned()
        } else {
            self.follower_wait(view.state)
        };
        view
    }

    /// What a row waits for as a follower sees it: the leader sends approved actions (read-only: nothing is
    /// sent from here at all).
    fn follower_wait(&self, state: RemediationState) -> Option<WaitReason> {
        match state {
            RemediationState::Proposed | RemediationState::Approved
                if self.settings().read_only =>
            {
                Some(WaitReason::ReadOnly)
            }
            RemediationState::Approved => Some(WaitReason::Leader {
                holder: self.ctx.lease.leader(),
            }),
            _ => None,
        }
    }

    /// The wait beat: works the reasons out again only when something they depend on changed or the slow
    /// sweep is due, so a long queue that does not move costs nothing.
    pub(super) fn refresh_waits_if_due(&mut self) {
        if self.waits.due(self.instant()) {
            self.refresh_waits();
        }
    }

    /// Recomputes the wait reasons and sends the rows whose reason changed.
    pub(super) fn refresh_waits(&mut self) {
        let changed = self.waits.replace(self.wait_reasons(), self.instant());
        let now = self.now();
        for id in changed {
            if let Some(row) = self.remediations.get(&id) {
                self.emit(Event::RemediationChanged(Box::new(self.view_of(row, now))));
            }
        }
    }

    /// What each approved (read-only: also proposed) remediation waits for, in dispatch order.
    fn wait_reasons(&self) -> HashMap<String, WaitReason> {
        let read_only = self.settings().read_only;
        let mut rows: Vec<&RemediationRow> = self
            .remediations
            .live()
            .filter(|r| match Self::remediation_state(r) {
                RemediationState::Approved => true,
                RemediationState::Proposed => read_only,
                _ => false,
            })
            .collect();
        if rows.is_empty() {
            return HashMap::new();
        }
        if read_only {
            return rows
                .into_iter()
                .map(|r| (r.id.clone(), WaitReason::ReadOnly))
                .collect();
        }
        rows.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.step.cmp(&b.step)));
        let now = self.now();
        let instant = self.instant();
        let throttled = self
            .ctx
            .budgets
            .defender_throttled_until()
            .map(DateTime::<Utc>::from);
        let underway = underway(self.remediations.live());
        let (headroom, per_minute) = self.defender_headroom();
        let steps = step_states(
            rows.iter()
                .filter(|r| r.step > 1)
                .flat_map(|r| self.remediations.of_alert(&r.alert_id)),
        );
        let mut claimed: HashSet<&str> = HashSet::new();
        let mut position = 0u32;
        let mut reasons = HashMap::new();
        for row in rows {
            let machine = row.machine_id.as_str();
            let first_on_machine = claimed.insert(machine);
            let reason = if self.dispatcher.is_dispatching(&row.machine_id) {
                match (first_on_machine, throttled) {
                    (true, Some(until)) => WaitReason::Throttled { until },
                    (true, None) => WaitReason::Sending,
                    (false, _) => WaitReason::MachineBusy,
                }
            } else if waits_for_machine(&underway, row) || !first_on_machine {
                WaitReason::MachineBusy
            } else if let Some(earlier) = unfinished_earlier_step(&steps, row) {
                earlier
            } else if let Some(next) = self.dispatcher.retry_at(machine).filter(|n| *n > instant) {
                WaitReason::Retrying {
                    until: now + chrono::Duration::from_std(next - instant).unwrap_or_default(),
                }
            } else {
                position += 1;
                queue_place(position, headroom, per_minute, throttled, now)
            };
            reasons.insert(row.id.clone(), reason);
        }
        reasons
    }

    /// Defender's per-minute headroom and limit (of its busiest API), counted on remedy's side.
    fn defender_headroom(&self) -> (u32, u32) {
        self.ctx
            .budgets
            .quotas()
            .into_iter()
            .find(|q| q.service == "defender" && q.per == "min")
            .map_or((u32::MAX, u32::MAX), |q| (q.remaining, q.limit.max(1)))
    }
}

/// A flow step on a machine: alert, flow, machine, step.
type StepKey<'a> = (&'a str, &'a str, &'a str, i64);

/// Each flow step's state among `rows` (the rows of the alerts whose later steps wait), so a sweep finds an
/// earlier step without searching every row.
fn step_states<'a>(
    rows: impl IntoIterator<Item = &'a RemediationRow>,
) -> HashMap<StepKey<'a>, RemediationState> {
    rows.into_iter()
        .map(|r| {
            let key = (
                r.alert_id.as_str(),
                r.flow_id.as_str(),
                r.machine_id.as_str(),
                r.step,
            );
            (key, r.state)
        })
        .collect()
}

/// The earlier step of `row`'s flow on its machine, when it has not succeeded yet.
fn unfinished_earlier_step(
    steps: &HashMap<StepKey<'_>, RemediationState>,
    row: &RemediationRow,
) -> Option<WaitReason> {
    if row.step <= 1 {
        return None;
    }
    let key = (
        row.alert_id.as_str(),
        row.flow_id.as_str(),
        row.machine_id.as_str(),
        row.step - 1,
    );
    let state = *steps.get(&key)?;
    (state != RemediationState::Succeeded).then(|| WaitReason::EarlierStep {
        step: (row.step - 1).max(0) as u32,
        state,
    })
}

/// The queue place with its estimate: the headroom leaves at once, the rest at the per-minute rate,
/// after any throttling. Beyond [`EXACT_PLACES`] the place is told in steps and its estimate is that of
/// the step at the per-minute rate alone (not the minute's headroom, which moves with every call), so a
/// long queue's reasons change only when a remediation crosses a step.
fn queue_place(
    position: u32,
    headroom: u32,
    per_minute: u32,
    throttled: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> WaitReason {
    let throttle = throttled.map_or(0, |until| (until - now).num_seconds().max(0) as u64);
    let pacing = |ahead: u64| (ahead * 60).div_ceil(u64::from(per_minute.max(1)));
    if position <= EXACT_PLACES {
        let eta = (pacing(u64::from(position.saturating_sub(headroom))) + throttle).max(1);
        return WaitReason::Queue {
            position,
            eta_secs: eta.div_ceil(5) * 5,
        };
    }
    let over = [50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000]
        .into_iter()
        .take_while(|s| *s < position)
        .last()
        .unwrap_or(EXACT_PLACES);
    let eta = (pacing(u64::from(over)) + throttle).max(1);
    WaitReason::LongQueue {
        over,
        eta_mins: eta.div_ceil(60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_places_use_the_headroom_then_the_rate() {
        let now = Utc::now();
        let place = |p, headroom| queue_place(p, headroom, 100, None, now);
        assert_eq!(
            place(3, 100),
            WaitReason::Queue {
                position: 3,
                eta_secs: 5
            }
        );
        assert_eq!(
            place(3, 0),
            WaitReason::Queue {
                position: 3,
                eta_secs: 5
            }
        );
        assert_eq!(
            place(20, 0),
            WaitReason::Queue {
                position: 20,
                eta_secs: 15
            }
        );
        assert_eq!(
            place(250, 50),
            WaitReason::LongQueue {
                over: 200,
                eta_mins: 2
            }
        );
        let throttled = queue_place(1, 100, 100, Some(now + chrono::Duration::seconds(30)), now);
        assert_eq!(
            throttled,
            WaitReason::Queue {
                position: 1,
                eta_secs: 30
            }
        );
    }
}
