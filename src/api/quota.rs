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

/// One budget. A sliding window (Cloud App Security, Defender) keeps a log of recent spends and lets a
/// request go when the window has room, so bursts use the whole documented limit and no window of
/// length `per` (plus a small margin for transit time) ever holds more than `limit`. A token bucket
/// (Graph) is paced by a GCRA limiter (governor); its log only measures headroom.
#[derive(Debug)]
struct Budget {
    window: QuotaWindow,
    bucket: Option<DefaultDirectRateLimiter>,
    spent: Mutex<VecDeque<(Instant, u32)>>,
}

impl Budget {
    /// `None` for a zero limit or window (no budget).
    fn new(window: &QuotaWindow) -> Option<Budget> {
        let limit = NonZeroU32::new(window.limit)?;
        if window.per.is_zero() {
            return None;
        }
        let bucket = match window.shape {
            QuotaShape::TokenBucket => Some(RateLimiter::direct(
                Quota::with_period(window.per / limit.get())?.allow_burst(limit),
            )),
            QuotaShape::Window => None,
        };
        Some(Budget {
            window: *window,
            bucket,
            spent: Mutex::new(VecDeque::new()),
        })
    }

    /// How long a spend counts: the window plus a margin for requests that reach the service late.
    fn memory(&self) -> Duration {
        self.window.per + self.window.per / 50
    }

    async fn acquire(&self, cost: u32) {
        let cost = cost.clamp(1, self.window.limit);
        if let Some(bucket) = &self.bucket {
            let units = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
            // `cost` is clamped to the bucket size, so the limiter always has the capacity.
            let _ = bucket.until_n_ready(units).await;
            let mut spent = self.lock();
            prune(&mut spent, self.window.per);
            spent.push_back((Instant::now(), cost));
            return;
        }
        loop {
            let wait = {
                let mut spent = self.lock();
                prune(&mut spent, self.memory());
                let used: u32 = spent.iter().map(|(_, c)| c).sum();
                if used + cost <= self.window.limit {
                    spent.push_back((Instant::now(), cost));
                    return;
                }
                let mut to_free = used + cost - self.window.limit;
                let mut until = Duration::ZERO;
                for (at, c) in spent.iter() {
                    until = self.memory().saturating_sub(at.elapsed());
                    to_free = to_free.saturating_sub(*c);
                    if to_free == 0 {
                        break;
                    }
                }
                until
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(Instant, u32)>> {
        self.spent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remaining(&self) -> u32 {
        let used: u32 = self
            .lock()
            .iter()
            .filter(|(at, _)| at.elapsed() < self.window.per)
            .map(|(_, cost)| cost)
            .sum();
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
