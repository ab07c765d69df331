//! A POST bound to the lease: polled only while this process's lease has not ended by its own clock, so a
//! leader frozen while its request waited (for quota room, for a connection) drops it when it wakes instead
//! of sending what the next leader may have sent meanwhile.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::clock::Clock;
use super::error::EngineError;
use super::leader::LeaseState;

/// `request`, refused with [`crate::store::StoreError::LeaseLost`] at the first poll after the lease ended.
pub(super) struct WithinLease<'a, F> {
    request: F,
    lease: &'a LeaseState,
    clock: &'a dyn Clock,
}

pub(super) fn within_lease<'a, F>(
    lease: &'a LeaseState,
    clock: &'a dyn Clock,
    request: F,
) -> WithinLease<'a, F> {
    WithinLease {
        request,
        lease,
        clock,
    }
}

impl<F: Future + Unpin> Future for WithinLease<'_, F> {
    type Output = Result<F::Output, EngineError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The clock first: a process woken after its lease ended must not take one more step of the request.
        self.lease.still_held(self.clock.now_utc())?;
        Pin::new(&mut self.request).poll(cx).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::FutureExt;

    use super::super::clock::FakeClock;
    use super::super::leader::Held;
    use super::*;

    #[test]
    fn a_request_is_dropped_at_its_first_poll_after_the_lease_ended() {
        let start = chrono::DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let clock = FakeClock::at(start);
        let lease = LeaseState::new("test:1", Duration::from_secs(10));
        lease.set_held(Some(Held {
            fence: 1,
            since: start,
            expires_at: start + chrono::Duration::seconds(10),
        }));
        let mut waiting = within_lease(&lease, &clock, futures::future::pending::<()>().boxed());
        assert!(
            (&mut waiting).now_or_never().is_none(),
            "waits while the lease holds"
        );
        assert!(matches!(
            within_lease(&lease, &clock, futures::future::ready(7).boxed()).now_or_never(),
            Some(Ok(7))
        ));
        clock.advance(Duration::from_secs(11));
        assert!(
            matches!(waiting.now_or_never(), Some(Err(EngineError::Journal(_)))),
            "woken after the lease ended: refused, never polled again"
        );
    }
}
