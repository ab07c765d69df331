//! Client-side quotas: callers wait their turn (governor) instead of collecting 429s; headroom is reported.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::call::Service;
use super::settings::{QuotaShape, QuotaWindow};

/// Headroom of one budget, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaStatus {
    /// `cas`, `defender` or `graph`.
    pub service: &'static str,
    /// Requests (units) still allowed in the current window.
    pub remaining: u32,
    /// Requests (units) allowed per window.
    pub limit: u32,
    /// Window label: `min`, `hour`, `10 s`, `s` or `window`.
    pub per: &'static str,
}

/// All budgets of one service; a request proceeds when every budget allows it.
#[derive(Debug)]
pub(crate) struct ServiceQuota {
    service: Service,
    budgets: Vec<Budget>,
}

impl ServiceQuota {
    pub(crate) fn new(service: Service, windows: &[QuotaWindow]) -> ServiceQuota {
        ServiceQuota {
            service,
            budgets: windows.iter().filter_map(Budget::new).collect(),
        }
    }

    /// Waits until every budget allows `cost` units, then spends them.
    pub(crate) async fn acquire(&self, cost: u32) {
        for budget in &self.budgets {
            budget.acquire(cost).await;
        }
    }

    pub(crate) fn status(&self) -> Vec<QuotaStatus> {
        self.budgets
            .iter()
            .map(|budget| QuotaStatus {
                service: self.service.as_str(),
                remaining: budget.remaining(),
                limit: budget.window.limit,
                per: label(budget.window.per),
            })
            .collect()
    }
}

/// One budget: a GCRA limiter that paces, and a log of recent spends that measures headroom.
#[derive(Debug)]
struct Budget {
    window: QuotaWindow,
    limiter: DefaultDirectRateLimiter,
    burst: u32,
    spent: Mutex<VecDeque<(Instant, u32)>>,
}

impl Budget {
    /// `None` for a zero limit or window (no budget).
    fn new(window: &QuotaWindow) -> Option<Budget> {
        let limit = NonZeroU32::new(window.limit)?;
        if window.per.is_zero() {
            return None;
        }
        let (burst, quota) = match window.shape {
            QuotaShape::TokenBucket => (
                limit,
                Quota::with_period(window.per / limit.get())?.allow_burst(limit),
            ),
            QuotaShape::Window => {
                // A burst of a tenth, the rest paced evenly: never more than `limit` in any `per`.
                let burst = NonZeroU32::new(limit.get().div_ceil(10))?;
                let paced = (limit.get() - burst.get()).max(1);
                (
                    burst,
                    Quota::with_period(window.per / paced)?.allow_burst(burst),
                )
            }
        };
        Some(Budget {
            window: *window,
            limiter: RateLimiter::direct(quota),
            burst: burst.get(),
            spent: Mutex::new(VecDeque::new()),
        })
    }

    async fn acquire(&self, cost: u32) {
        let cost = cost.clamp(1, self.burst);
        let units = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
        // `cost` is clamped to the burst size, so the limiter always has the capacity.
        let _ = self.limiter.until_n_ready(units).await;
        let mut spent = self
            .spent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        spent.push_back((Instant::now(), cost));
        prune(&mut spent, self.window.per);
    }

    fn remaining(&self) -> u32 {
        let mut spent = self
            .spent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        prune(&mut spent, self.window.per);
        let used: u32 = spent.iter().map(|(_, cost)| cost).sum();
        self.window.limit.saturating_sub(used)
    }
}

fn prune(spent: &mut VecDeque<(Instant, u32)>, per: Duration) {
    while let Some((at, _)) = spent.front() {
        if at.elapsed() >= per {
            spent.pop_front();
        } else {
            break;
        }
    }
}

fn label(per: Duration) -> &'static str {
    match per.as_secs() {
        1 => "s",
        10 => "10 s",
        60 => "min",
        3600 => "hour",
        _ => "window",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest number of spends inside any window of length `per`.
    fn busiest_window(times: &[Instant], per: Duration) -> usize {
        times
            .iter()
            .enumerate()
            .map(|(i, start)| {
                times[i..]
                    .iter()
                    .take_while(|t| t.duration_since(*start) < per)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn never_more_than_the_limit_in_any_window() {
        let per = Duration::from_millis(300);
        let quota = ServiceQuota::new(Service::Cas, &[QuotaWindow::window(10, per)]);
        let mut times = Vec::new();
        for _ in 0..25 {
            quota.acquire(1).await;
            times.push(Instant::now());
        }
        assert!(
            busiest_window(&times, per) <= 10,
            "{}",
            busiest_window(&times, per)
        );
    }

    #[tokio::test]
    async fn headroom_counts_down_and_names_the_window() {
        let quota = ServiceQuota::new(
            Service::Defender,
            &[
                QuotaWindow::window(100, Duration::from_secs(60)),
                QuotaWindow::window(1500, Duration::from_secs(3600)),
            ],
        );
        quota.acquire(1).await;
        quota.acquire(1).await;
        let status = quota.status();
        assert_eq!(
            status[0],
            QuotaStatus {
                service: "defender",
                remaining: 98,
                limit: 100,
                per: "min"
            }
        );
        assert_eq!(status[1].remaining, 1498);
        assert_eq!(status[1].per, "hour");
    }

    #[tokio::test]
    async fn bucket_spends_cost_units() {
        let quota = ServiceQuota::new(
            Service::Graph,
            &[QuotaWindow::bucket(3500, Duration::from_secs(10))],
        );
        quota.acquire(2).await;
        assert_eq!(quota.status()[0].remaining, 3498);
    }
}
