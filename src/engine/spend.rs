//! Defender's spend written to the journal before each call leaves, so the next leader counts it.

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::api::{Call, SpendLedger};

use super::clock::Clock;
use super::journal::JournalHandle;
use super::leader::QUOTA_MEMORY;

/// Records Defender calls in the journal (and forgets those older than any quota window).
pub(super) struct JournalSpend {
    pub journal: JournalHandle,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for JournalSpend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JournalSpend")
    }
}

impl SpendLedger for JournalSpend {
    fn record(&self, call: Call) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let at = self.clock.now_utc();
            let key = call.key();
            let recorded = self
                .journal
                .call(move |j| j.record_spend(&key, at, at - QUOTA_MEMORY))
                .await;
            if let Err(e) = recorded {
                tracing::warn!(%call, "Defender spend not journaled (a next leader may count it short): {e}");
            }
        })
    }
}
