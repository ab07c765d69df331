//! How much the engine holds, logged (debug, target `remedy::sizes`) each time the memory window moves:
//! what a soak reads to name what grows.

use super::core::Engine;
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
        tracing::debug!(
            target: "remedy::sizes",
            alerts = self.alerts.by_id().len(),
            open_alerts,
            remediations = self.remediations.by_id().len(),
            unfinished,
            known = self.known.len(),
            waits = self.waits.waiting(),
            detectors = self.succession.detectors(),
            identities,
            devices,
            resolve_cache = cache,
            resolve_retries = retries,
            "engine sizes"
        );
    }
}
