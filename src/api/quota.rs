//! Client-side quotas: callers wait their turn (governor) instead of collecting 429s; headroom is reported.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::call::{Call, Service};
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

/// Where a service's spend is recorded before each request leaves (the journal, so the next leader counts
/// what this process spent).
pub trait SpendLedger: Send + Sync + std::fmt::Debug {
    /// Records one request of `call` about to be sent; a failure to record is the ledger's to report.
    fn record(&self, call: Call) -> futures::future::BoxFuture<'_, ()>;
}

/// Whether a service's budgets are shared by all its calls or kept apart per API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotaScope {
    /// One set of budgets for every call (Cloud App Security: per tenant; Graph: per app and tenant).
    Service,
    /// One set of budgets per API (Defender counts 100/min and 1,500/h for each API on its own).
    PerApi,
}

/// All budgets of one service; a request proceeds when every budget of its scope allows it.
#[derive(Debug)]
pub(crate) struct ServiceQuota {
    service: Service,
    windows: Vec<QuotaWindow>,
    scope: QuotaScope,
    budgets: Mutex<HashMap<Option<Call>, Arc<Vec<Budget>>>>,
    /// Until when the service asked (429) to be left alone, as last told.
    throttled_until: Mutex<Option<SystemTime>>,
    /// Where each spend is recorded before its request leaves, once set.
    ledger: std::sync::OnceLock<Arc<dyn SpendLedger>>,
}

impl ServiceQuota {
    pub(crate) fn new(
        service: Service,
        scope: QuotaScope,
        windows: &[QuotaWindow],
    ) -> ServiceQuota {
        ServiceQuota {
            service,
            windows: windows
                .iter()
                .filter(|w| w.limit > 0 && !w.per.is_zero())
                .copied()
                .collect(),
            scope,
            budgets: Mutex::new(HashMap::new()),
            throttled_until: Mutex::new(None),
            ledger: std::sync::OnceLock::new(),
        }
    }

    /// The service answered 429: its calls wait `delay` from now before the next attempt.
    pub(crate) fn note_throttled(&self, delay: Duration) {
        let until = SystemTime::now() + delay;
        let mut slot = self
            .throttled_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if slot.is_none_or(|known| known < until) {
            *slot = Some(until);
        }
    }

    /// Until when the service throttles remedy, when that is still ahead of `now`.
    pub(crate) fn throttled_until(&self, now: SystemTime) -> Option<SystemTime> {
        self.throttled_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .filter(|until| *until > now)
    }

    pub(crate) fn service(&self) -> Service {
        self.service
    }

    /// Waits until every budget of `call`'s scope allows `cost` units, then spends them. Settle the
    /// returned spend once the service has answered.
    pub(crate) async fn acquire(&self, call: Call, cost: u32) -> Spent {
        let budgets = self.budgets_of(call);
        let mut stamps = Vec::with_capacity(budgets.len());
        for budget in budgets.iter() {
            stamps.push(budget.acquire(cost).await);
        }
        if let Some(ledger) = self.ledger.get() {
            ledger.record(call).await;
        }
        Spent { budgets, stamps }
    }

    /// Records every later spend in `ledger` before its request leaves (the first ledger set stays).
    pub(crate) fn keep_spend(&self, ledger: Arc<dyn SpendLedger>) {
        let _ = self.ledger.set(ledger);
    }

    fn budgets_of(&self, call: Call) -> Arc<Vec<Budget>> {
        let key = (self.scope == QuotaScope::PerApi).then_some(call);
        let mut budgets = self
            .budgets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        budgets
            .entry(key)
            .or_insert_with(|| Arc::new(self.windows.iter().filter_map(Budget::new).collect()))
            .clone()
    }

    /// Counts spends of `call` made `ages` ago by another process (a previous leader, read from the
    /// journal), so this one never bursts into a window already filled.
    pub(crate) fn replay(&self, call: Call, ages: &[Duration]) {
        for budget in self.budgets_of(call).iter() {
            budget.replay(ages);
        }
    }

    /// How many units `call` may spend within `within` from now (right now, and as spends age out), and
    /// when none may, how long until one may (`None` without budgets: nothing limits it).
    pub(crate) fn room(&self, call: Call, within: Duration) -> Option<Room> {
        let budgets = self.budgets_of(call);
        budgets
            .iter()
            .map(|budget| budget.room(within))
            .min_by_key(|room| (room.now, std::cmp::Reverse(room.next_in)))
    }

    /// Headroom per window; with budgets per API, that of the API closest to its limit.
    pub(crate) fn status(&self) -> Vec<QuotaStatus> {
        let budgets: Vec<Arc<Vec<Budget>>> = self
            .budgets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .cloned()
            .collect();
        self.windows
            .iter()
            .enumerate()
            .map(|(i, window)| QuotaStatus {
                service: self.service.as_str(),
                remaining: budgets
                    .iter()
                    .filter_map(|set| set.get(i))
                    .map(Budget::remaining)
                    .min()
                    .unwrap_or(window.limit),
                limit: window.limit,
                per: label(window.per),
            })
            .collect()
    }
}

/// What a call may spend without waiting: `now` units at once, and when none may, how long until one frees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    /// Units the call may spend right now.
    pub now: u32,
    /// Until the next unit frees (zero when `now` is above zero).
    pub next_in: Duration,
}

/// Units spent on one request, in every budget of its scope.
#[derive(Debug)]
pub(crate) struct Spent {
    budgets: Arc<Vec<Budget>>,
    stamps: Vec<u64>,
}

impl Spent {
    /// The service has answered, so it counted the request by now: the spend is remembered from this
    /// moment on. A request slowed on its way (a busy link, a token renewal) thus never lets the next
    /// window open before the service's own window has.
    pub(crate) fn settle(self) {
        for (budget, stamp) in self.budgets.iter().zip(self.stamps) {
            budget.restamp(stamp);
        }
    }
}

/// One logged spend.
#[derive(Debug, Clone, Copy)]
struct Spend {
    at: Instant,
    cost: u32,
    stamp: u64,
}

/// One budget. A sliding window (Cloud App Security, Defender) keeps a log of recent spends and lets a
/// request go when the window has room, so bursts use the whole documented limit and no window of
/// length `per` ever holds more than `limit` (a spend counts from the service's answer, plus a small
/// margin). A token bucket (Graph) is paced by a GCRA limiter (governor); its log only measures headroom.
#[derive(Debug)]
struct Budget {
    window: QuotaWindow,
    bucket: Option<DefaultDirectRateLimiter>,
    log: Mutex<SpendLog>,
}

/// Spends in time order, and the stamp of the next one.
#[derive(Debug, Default)]
struct SpendLog {
    spends: VecDeque<Spend>,
    next_stamp: u64,
}

impl SpendLog {
    fn push(&mut self, cost: u32) -> u64 {
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        self.spends.push_back(Spend {
            at: Instant::now(),
            cost,
            stamp,
        });
        stamp
    }

    fn prune(&mut self, memory: Duration) {
        while self
            .spends
            .front()
            .is_some_and(|spend| spend.at.elapsed() >= memory)
        {
            self.spends.pop_front();
        }
    }

    fn used(&self) -> u32 {
        self.spends.iter().map(|spend| spend.cost).sum()
    }
}

impl Budget {
    /// `None` for a zero limit (no budget).
    fn new(window: &QuotaWindow) -> Option<Budget> {
        let limit = NonZeroU32::new(window.limit)?;
        let bucket = match window.shape {
            QuotaShape::TokenBucket => Some(RateLimiter::direct(
                Quota::with_period(window.per / limit.get())?.allow_burst(limit),
            )),
            QuotaShape::Window => None,
        };
        Some(Budget {
            window: *window,
            bucket,
            log: Mutex::new(SpendLog::default()),
        })
    }

    /// Logs one unit per age (spent that long ago), in time order; a token bucket only paces and is left alone.
    fn replay(&self, ages: &[Duration]) {
        if self.bucket.is_some() {
            return;
        }
        let now = Instant::now();
        let memory = self.memory();
        let mut log = self.lock();
        for age in ages.iter().filter(|age| **age < memory) {
            let Some(at) = now.checked_sub(*age) else {
                continue;
            };
            let stamp = log.next_stamp;
            log.next_stamp += 1;
            log.spends.push_back(Spend { at, cost: 1, stamp });
        }
        log.spends.make_contiguous().sort_by_key(|spend| spend.at);
    }

    /// How long a spend counts: the window plus a margin for the service's clock running apart.
    fn memory(&self) -> Duration {
        self.window.per + self.window.per / 100
    }

    /// Waits for room, logs the spend and returns its stamp.
    async fn acquire(&self, cost: u32) -> u64 {
        let cost = cost.clamp(1, self.window.limit);
        if let Some(bucket) = &self.bucket {
            let units = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
            // `cost` is clamped to the bucket size, so the limiter always has the capacity.
            let _ = bucket.until_n_ready(units).await;
            let mut log = self.lock();
            log.prune(self.window.per);
            return log.push(cost);
        }
        loop {
            let wait = {
                let mut log = self.lock();
                log.prune(self.memory());
                let used = log.used();
                if used + cost <= self.window.limit {
                    return log.push(cost);
                }
                let mut to_free = used + cost - self.window.limit;
                let mut until = Duration::ZERO;
                for spend in &log.spends {
                    until = self.memory().saturating_sub(spend.at.elapsed());
                    to_free = to_free.saturating_sub(spend.cost);
                    if to_free == 0 {
                        break;
                    }
                }
                until
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// Room as `acquire` counts it (spends remembered for the window plus its margin), counting also the
    /// spends that age out within `within`.
    fn room(&self, within: Duration) -> Room {
        if self.bucket.is_some() {
            // A token bucket paces each request on its own (Graph); it holds nothing back in advance.
            return Room {
                now: self.window.limit,
                next_in: Duration::ZERO,
            };
        }
        let memory = self.memory();
        let mut log = self.lock();
        log.prune(memory);
        let ageing_out: u32 = log
            .spends
            .iter()
            .take_while(|spend| memory.saturating_sub(spend.at.elapsed()) <= within)
            .map(|spend| spend.cost)
            .sum();
        let now = self
            .window
            .limit
            .saturating_sub(log.used())
            .saturating_add(ageing_out)
            .min(self.window.limit);
        let next_in = match now {
            0 => log.spends.front().map_or(Duration::ZERO, |spend| {
                memory
                    .saturating_sub(spend.at.elapsed())
                    .saturating_sub(within)
            }),
            _ => Duration::ZERO,
        };
        Room { now, next_in }
    }

    /// Moves a spend to now (the end of the log, which keeps it in time order).
    fn restamp(&self, stamp: u64) {
        let mut log = self.lock();
        if let Some(i) = log.spends.iter().rposition(|spend| spend.stamp == stamp) {
            if let Some(mut spend) = log.spends.remove(i) {
                spend.at = Instant::now();
                log.spends.push_back(spend);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SpendLog> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn remaining(&self) -> u32 {
        let used: u32 = self
            .lock()
            .spends
            .iter()
            .filter(|spend| spend.at.elapsed() < self.window.per)
            .map(|spend| spend.cost)
            .sum();
        self.window.limit.saturating_sub(used)
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
        let quota = ServiceQuota::new(
            Service::Cas,
            QuotaScope::Service,
            &[QuotaWindow::window(10, per)],
        );
        let mut times = Vec::new();
        for _ in 0..25 {
            quota.acquire(Call::ListAlerts, 1).await;
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
            QuotaScope::PerApi,
            &[
                QuotaWindow::window(100, Duration::from_secs(60)),
                QuotaWindow::window(1500, Duration::from_secs(3600)),
            ],
        );
        quota.acquire(Call::RunAntivirusScan, 1).await;
        quota.acquire(Call::RunAntivirusScan, 1).await;
        quota.acquire(Call::ListMachineActions, 1).await;
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
    async fn defender_apis_spend_their_own_budgets() {
        let per = Duration::from_secs(60);
        let quota = ServiceQuota::new(
            Service::Defender,
            QuotaScope::PerApi,
            &[QuotaWindow::window(2, per)],
        );
        quota.acquire(Call::RunAntivirusScan, 1).await;
        quota.acquire(Call::RunAntivirusScan, 1).await;
        let other_api = tokio::time::timeout(
            Duration::from_secs(5),
            quota.acquire(Call::ListMachineActions, 1),
        );
        assert!(other_api.await.is_ok(), "another API is not held back");
        assert_eq!(
            quota.status()[0].remaining,
            0,
            "the busiest API is reported"
        );
        let same_api = tokio::time::timeout(
            Duration::from_millis(50),
            quota.acquire(Call::RunAntivirusScan, 1),
        );
        assert!(same_api.await.is_err(), "a spent API waits its turn");
    }

    #[tokio::test]
    async fn a_spend_counts_from_the_answer_not_from_the_wait() {
        let per = Duration::from_secs(1);
        let quota = ServiceQuota::new(
            Service::Defender,
            QuotaScope::PerApi,
            &[QuotaWindow::window(1, per)],
        );
        let spent = quota.acquire(Call::Isolate, 1).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        spent.settle();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            quota.status()[0].remaining,
            0,
            "answered 0.5 s ago, so still inside the service's window"
        );
    }

    #[tokio::test]
    async fn a_shared_budget_counts_every_call() {
        let quota = ServiceQuota::new(
            Service::Cas,
            QuotaScope::Service,
            &[QuotaWindow::window(30, Duration::from_secs(60))],
        );
        quota.acquire(Call::ListAlerts, 1).await;
        quota.acquire(Call::CloseAlerts, 1).await;
        assert_eq!(quota.status()[0].remaining, 28);
    }

    #[tokio::test]
    async fn bucket_spends_cost_units() {
        let quota = ServiceQuota::new(
            Service::Graph,
            QuotaScope::Service,
            &[QuotaWindow::bucket(3500, Duration::from_secs(10))],
        );
        quota.acquire(Call::RegisteredDevices, 2).await;
        assert_eq!(quota.status()[0].remaining, 3498);
    }
}
