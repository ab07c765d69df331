//! Tests of a budget's room within a horizon: spends that age out by then count as room.

use std::time::Duration;

use super::call::{Call, Service};
use super::quota::{QuotaScope, ServiceQuota};
use super::settings::QuotaWindow;

#[tokio::test]
async fn spends_ageing_out_within_the_horizon_count_as_room() {
    let quota = ServiceQuota::new(
        Service::Defender,
        QuotaScope::PerApi,
        &[QuotaWindow::window(2, Duration::from_secs(60))],
    );
    let call = Call::RunAntivirusScan;
    quota.acquire(call, 1).await;
    quota.acquire(call, 1).await;
    let now = quota.room(call, Duration::ZERO).expect("a budget");
    assert_eq!(now.now, 0, "spent");
    assert!(now.next_in > Duration::from_secs(59), "{:?}", now.next_in);
    let soon = quota.room(call, Duration::from_secs(30)).expect("a budget");
    assert_eq!(soon.now, 0, "nothing ages out within 30 s");
    assert!(
        soon.next_in > Duration::from_secs(29) && soon.next_in <= Duration::from_secs(31),
        "until a spend ages out within the horizon: {:?}",
        soon.next_in
    );
    let later = quota.room(call, Duration::from_secs(61)).expect("a budget");
    assert_eq!(
        later.now, 2,
        "both age out within 61 s (a minute and its margin)"
    );
    assert_eq!(later.next_in, Duration::ZERO);
    let other = quota.room(Call::Isolate, Duration::ZERO).expect("a budget");
    assert_eq!(other.now, 2, "another API's room is its own");
}
