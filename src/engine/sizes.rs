//! How much the engine holds, logged (debug, target `remedy::sizes`) each time the memory window moves:
//! what a soak reads to name what grows, with the estimated bytes of the largest (see `heap.rs`).

use super::core::Engine;
use super::heap::{json_len, sampled_bytes};
use super::interface::Resolution;

impl Engine {
    /// One debug line with the length of every collection the engine keeps between polls.
    pub(super) fn log_sizes(&self) {
        if !tracing::enabled!(target: "remedy::sizes", tracing::Level::DEBUG) {
            return;
        }
        let open_alerts = self
            .alerts
            .views()
            .filter(|a| a.resolution == Resolution::Open)
            .count();
        let unfinished = self
            .remediations
            .rows()
            .filter(|r| !r.state.is_final())
            .count();
        let (identities, devices, cache, retries) = self.resolver.sizes();
        let kib = |bytes: usize| bytes / 1024;
        let (journal_calls, _) = self.ctx.journal.behind();
        tracing::debug!(
            target: "remedy::sizes",
            alerts = self.alerts.by_id().len(),
            open_alerts,
            alert_views_kib = kib(sampled_bytes(self.alerts.views(), json_len)),
            alert_text_kib = kib(sampled_bytes(self.alerts.views(), |a| {
                a.description.len() + json_len(&a.entities)
            })),
            remediations = self.remediations.by_id().len(),
            remediation_rows_kib = kib(sampled_bytes(self.remediations.rows(), json_len)),
            proofs_kib = kib(sampled_bytes(self.remediations.rows(), |r| {
                json_len(&r.proof) + r.cover.as_ref().map_or(0, json_len)
            })),
            unfinished,
            known = self.known.len(),
            known_kib = kib(sampled_bytes(self.known.alerts(), json_len)),
            waits = self.waits.waiting(),
            wait_sweeps = self.waits.sweeps(),
            detectors = self.succession.detectors(),
            identities,
            devices,
            resolve_cache = cache,
            resolve_retries = retries,
            journal_calls,
            "engine sizes"
        );
    }
}
